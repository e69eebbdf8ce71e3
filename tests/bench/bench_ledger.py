"""Ledger throughput on PostgreSQL: how the balance-row lock serialises one satker's spending
and lets different satkers run side by side.

Not part of ``make test`` (no timing assertions there). Run by hand; results go to
docs/benchmarks.md:

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE digipay_bench' postgres
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/digipay_bench DIGIPAY_ALLOW_DEV_SECRET=1 \\
        .venv/bin/python tests/bench/bench_ledger.py [--ops 400]

Each scenario runs hold → post_hold (partial) pairs; one "op" is one pair (two entries).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digipay.config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from digipay.ledger import queries  # noqa: E402
from digipay.ledger import services as ledger  # noqa: E402
from digipay.ledger.models import Account, AccountKind  # noqa: E402
from digipay.ledger.rules import Leg, Side  # noqa: E402


def book(owner: int) -> tuple[Account, Account, Account]:
    up = ledger.open_account(
        owner_id=owner,
        code="UP_TUNAI",
        name="UP",
        kind=AccountKind.ASSET,
        normal_side=Side.DEBIT,
        must_not_go_negative=True,
    )
    fund = ledger.open_account(
        owner_id=owner,
        code="UP_FUND:TUNAI",
        name="F",
        kind=AccountKind.LIABILITY,
        normal_side=Side.CREDIT,
    )
    expense = ledger.open_account(
        owner_id=owner,
        code="EXPENSE:521211",
        name="E",
        kind=AccountKind.EXPENSE,
        normal_side=Side.DEBIT,
    )
    ledger.post(
        key=f"adv-{uuid.uuid4()}",
        tenant_id=owner,
        reason_code="UP_ADVANCE",
        legs=[Leg(up.pk, 10**12), Leg(fund.pk, -(10**12))],
    )
    return up, fund, expense


def run(threads: int, satkers: int, ops: int) -> float:
    base = int(time.time() * 1000) % 10**9 * 100
    books = [book(base + i) for i in range(satkers)]
    per_thread = ops // threads
    barrier = threading.Barrier(threads + 1)

    def work(n: int) -> None:
        up, _fund, expense = books[n % satkers]
        barrier.wait()
        for i in range(per_thread):
            key = f"{base}-{n}-{i}"
            held = ledger.hold(
                key=f"h{key}",
                tenant_id=up.owner_id,
                reason_code="ORDER",
                legs=[Leg(expense.pk, 1000), Leg(up.pk, -1000)],
            )
            ledger.post_hold(key=f"p{key}", hold_id=held.pk, amount=900)
        connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return per_thread * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=400)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "run against PostgreSQL (DATABASE_URL)"
    call_command("migrate", verbosity=0)
    scenarios = [(1, 1), (8, 1), (8, 8)]
    results = {}
    for threads, satkers in scenarios:
        results[(threads, satkers)] = run(threads, satkers, args.ops)
    base = results[(1, 1)]
    print(f"{'threads':>7} {'satkers':>7} {'pairs/s':>9} {'vs 1x1':>7}")
    for (threads, satkers), rate in results.items():
        print(f"{threads:>7} {satkers:>7} {rate:>9.1f} {rate / base:>7.2f}")
    problems = queries.validate_ledger()
    print("validate_ledger:", "ok" if not problems else problems[:3])


if __name__ == "__main__":
    main()
