"""Payments throughput: ``digipay simulate`` on PostgreSQL against pgbench replaying the SQL of
one payment (docs/benchmarks.md, "Payments"; decision: docs/adr/0025).

Not part of ``make test``. Run by hand (needs PostgreSQL on 127.0.0.1 and pgbench):

    DIGIPAY_ALLOW_DEV_SECRET=1 .venv/bin/python tests/bench/bench_payments.py \\
        [--satkers 20 --vendors 50 --orders 2000] [--pgbench-seconds 30]

Steps, each logged to stderr; everything lands in ``var/bench_payments/``:

1. drops and creates the database ``digipay_bench_pay`` and migrates it;
2. runs ``digipay simulate --satkers 20 --vendors 50 --orders 2000 --faults default`` on it
   (a subprocess, as a user would) and keeps its JSON summary: paid invoices per second over
   the paying phase (first payment request to the last instruction terminal);
3. captures the SQL of one payment, exactly as Django sends it: a one-order simulation in this
   process up to the Bendahara's payment, where ``payments.services._pay`` (the request's
   transaction), ``_claim`` (the worker's claim) and ``_succeed`` (the settlement: ledger,
   invoice, audit, notifications) run in one transaction that is rolled back while
   ``CaptureQueriesContext`` records it; the simulation stops there. Replayed in that state
   the statements are valid: same rows locked, same inserts, same balance updates;
4. runs pgbench (``-c 1``, then ``-c 2``) with one script = those statements in one
   ``BEGIN … ROLLBACK`` (as captured): the database work of one payment without Django,
   psycopg, the bank or the network. Approximations, both making pgbench's rate an upper
   bound: ROLLBACK skips the commit's WAL flush (bench_ledger found synchronous commit
   changes little here), and the rows the payment itself creates get new ids on replay, so
   the few later statements that address them by their captured id find nothing (foreign
   keys are deferred to a commit that never comes). Rows that existed before — invoice,
   order, satker, balance rows, audit chain head — are locked and updated as in the run;
5. prints and writes ``results.json``: both rates and their ratio.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench_payments"
DB = "digipay_bench_pay"
BASE = "postgres://postgres@127.0.0.1:5432"
PGBIN = Path("/usr/lib/postgresql/15/bin")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-q", "-c", sql], check=True
    )


def digipay(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "digipay"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def simulate(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    command = [
        "simulate",
        "--satkers",
        str(args.satkers),
        "--vendors",
        str(args.vendors),
        "--orders",
        str(args.orders),
        "--faults",
        "default",
        "--database-url",
        env["DATABASE_URL"],
    ]
    log("digipay " + " ".join(command))
    started = time.monotonic()
    done = digipay(*command, env=env)
    (OUT / "simulate.stderr.txt").write_text(done.stderr)
    (OUT / "simulate.stdout.txt").write_text(done.stdout)
    if not done.stdout.strip():
        raise RuntimeError(f"simulate printed nothing: {done.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["wall_seconds"] = round(time.monotonic() - started, 1)
    summary["exit_code"] = done.returncode
    summary["command"] = "digipay " + " ".join(command)
    return summary


def capture_one_payment() -> dict[str, list[str]]:
    """The SQL of one payment's three transactions (see the module docstring, step 3).

    A one-order simulation runs until the Bendahara pays; there, in one transaction that is
    rolled back, ``_pay`` (the request), ``_claim`` (the worker takes the instruction) and
    ``_succeed`` (the settlement, with a stand-in bank reference) run while their SQL is
    recorded; then the simulation is stopped. The database is left exactly as before the
    payment, so the recorded statements replay validly (same rows locked, same inserts)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digipay.config.settings")
    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from digipay.core import clock
    from digipay.demo import simulate as sim
    from digipay.payments import services

    captured: dict[str, list[str]] = {}

    class _Captured(Exception):
        pass

    real_pay = services._pay

    def wrapper(*a: Any, **kw: Any) -> Any:
        marks: list[tuple[str, int]] = []
        with CaptureQueriesContext(connection) as queries:
            try:
                with transaction.atomic():
                    payment = real_pay(*a, **kw)
                    marks.append(("_pay", len(queries.captured_queries)))
                    claimed = services._claim(clock.now())
                    marks.append(("_claim", len(queries.captured_queries)))
                    services._succeed(claimed[0][0], "BENCH00000001")
                    marks.append(("_succeed", len(queries.captured_queries)))
                    del payment
                    raise _Captured
            except _Captured:
                pass
        start = 0
        for name, end in marks:
            captured[name] = [
                q["sql"]
                for q in queries.captured_queries[start:end]
                if not re.match(r"\s*(BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)", q["sql"])
            ]
            start = end
        raise _Captured  # stop the simulation: nothing is paid for real

    services._pay = wrapper
    try:
        sim.run(
            sim.Options(satkers=1, vendors=1, orders=1, faults="none", workers=1),
            sim.Progress(io.StringIO(), enabled=False),
        )
    except _Captured:
        pass
    finally:
        services._pay = real_pay
    return captured


def shape(statements: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for sql in statements:
        head = sql.lstrip().split(None, 1)[0].upper()
        kind = "SELECT FOR UPDATE" if head == "SELECT" and "FOR UPDATE" in sql.upper() else head
        out[kind] = out.get(kind, 0) + 1
    return out


def pgbench(script: Path, clients: int, seconds: int, db: str) -> float:
    binary = (
        PGBIN / "pgbench" if (PGBIN / "pgbench").exists() else Path(shutil.which("pgbench") or "")
    )
    done = subprocess.run(
        [
            str(binary),
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-T",
            str(seconds),
            "-f",
            str(script),
            db,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    (OUT / f"pgbench_c{clients}.txt").write_text(done.stdout + done.stderr)
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"pgbench failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return float(found.group(1))


def machine() -> dict[str, str]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next(
        (ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")),
        "?",
    )
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
         if ln.startswith("MemTotal")),
        "0",
    )  # fmt: skip
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory_gib": f"{int(mem) / 1024 / 1024:.1f}",
        "python": platform.python_version(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--satkers", type=int, default=20)
    parser.add_argument("--vendors", type=int, default=50)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--pgbench-seconds", type=int, default=30)
    parser.add_argument(
        "--reuse-simulation",
        action="store_true",
        help="skip steps 1-2: reuse the database and summary of the last run",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "DIGIPAY_ALLOW_DEV_SECRET": "1"}
    results: dict[str, Any] = {"machine": machine()}

    if args.reuse_simulation:
        # Steps 3–5 only, on the database and summary of the last run.
        summary = json.loads((OUT / "simulate.stdout.txt").read_text().strip().splitlines()[-1])
    else:
        log(f"database {DB}: drop, create, migrate")
        psql(f"DROP DATABASE IF EXISTS {DB}")
        psql(f"CREATE DATABASE {DB}")
        migrated = digipay("migrate", "-v0", env=env)
        if migrated.returncode != 0:
            raise RuntimeError(migrated.stderr[-3000:])
        summary = simulate(args, env)
    results["simulate"] = summary
    log(f"simulate: {json.dumps(summary['throughput'])} invariants ok: "
        f"{all(summary['invariants'].values())}")  # fmt: skip

    # The checkout may have moved on meanwhile (other people's migrations): catch up first.
    digipay("migrate", "-v0", env=env)
    log("capturing the SQL of one payment")
    os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "DIGIPAY_ALLOW_DEV_SECRET": "1"})
    captured = capture_one_payment()
    missing = {"_pay", "_claim", "_succeed"} - set(captured)
    if missing:
        raise RuntimeError(f"not captured: {missing}")
    lines: list[str] = ["BEGIN;"]
    for name in ("_pay", "_claim", "_succeed"):
        lines.append(f"-- {name}: {len(captured[name])} statements")
        lines.extend(" ".join(sql.split()) + ";" for sql in captured[name])
    lines.append("ROLLBACK;")
    script = OUT / "one_payment.sql"
    script.write_text("\n".join(lines) + "\n")
    results["one_payment_sql"] = {name: shape(captured[name]) for name in captured}

    rates = {}
    for clients in (1, 2):
        log(f"pgbench -c {clients} -T {args.pgbench_seconds} -f {script}")
        rates[f"c{clients}"] = pgbench(script, clients, args.pgbench_seconds, DB)
    results["pgbench_payments_per_second"] = rates
    paid_rate = float(summary["throughput"]["paid_invoices_per_second"])
    results["ratio_pgbench_c1_to_simulate"] = (
        round(rates["c1"] / paid_rate, 1) if paid_rate else None
    )
    results["ratio_pgbench_c2_to_simulate"] = (
        round(rates["c2"] / paid_rate, 1) if paid_rate else None
    )
    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    (OUT / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
