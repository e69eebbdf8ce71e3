"""``digipay simulate``: N satkers, M vendors and K orders through the whole payment cycle, with
the real services and the real bank simulator, then the invariants (docs/adr/0025).

    digipay simulate --satkers 2 --vendors 5 --orders 30 --faults default

Progress goes to stderr; the LAST thing on stdout is one JSON summary (counts, elapsed seconds,
paid invoices per second, faults by type, invariants, notes). The exit code is 1 when an
invariant fails, 2 on bad arguments.

What it does, in order: starts the bank simulator as a subprocess and an inbox for its
notifications; makes its own world (``world.py``: prefixed satkers, people, vendors, UP);
walks every order from the cart to a verified invoice (``cycle.py``); turns the bank's faults
on (``--faults default``); the Bendahara of each satker pays her verified invoices in batches;
the outbox job runs until every instruction is terminal (an outage is started a moment into
the sending); then the faults are turned off, the notifications drained, the taxes deposited,
UP replenished by GUP and the invariants checked (``checks.py``).

Then the taxes withheld are deposited through the MPN simulator and UP Tunai is replenished
by a GUP through the SPAN simulator (``treasury_steps.py``), all three simulators running as
subprocesses.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import connection

from digipay.integrations.models import BankExchange, BankNotification
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.payments import deposits as tax_deposits
from digipay.payments import rules as payment_rules
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction, Payment
from digipay.payments.rules import InstructionStatus
from digipay.vendors import services as vendor_services
from digipay.vendors.models import VendorBankAccount

from . import bank as banks
from . import checks, cycle, treasury_steps, world

FAULT_PROFILES = ("none", "default")


@dataclass(frozen=True)
class Options:
    satkers: int
    vendors: int
    orders: int
    seed: int = 1
    faults: str = "default"
    outage_seconds: float = 10.0
    outage_after: float = 1.0  # seconds into the sending
    timeout_share: float = 0.05
    error_share: float = 0.05
    duplicate_share: float = 0.10
    reorder_share: float = 0.05
    workers: int = 0  # 0: 4 on PostgreSQL, 1 on SQLite
    retry_scale: float = 0.05
    client_timeout: float = 1.0
    # The gateway's circuit breaker: open after 5 failures in a row, one probe after this
    # many seconds (production: 30 s). After a short outage it, not the outage, sets when
    # sending resumes.
    breaker_cooldown: float = 30.0
    deadline_seconds: float = 900.0
    batch: int = payment_rules.MAX_BATCH
    transfer_per_invoice: bool = False
    receipts: int = 1  # BASTs per order, each its own invoice
    payments_only: bool = False  # stop after the payments: no tax deposits, no GUP


class Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal; on a pipe one line
    per tenth)."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.last_tenth = -1

    def show(self, label: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        tenth = done * 10 // total
        if not self.tty and tenth == self.last_tenth and done != total:
            return
        self.last_tenth = tenth
        width = 30
        filled = done * width // total
        bar = "#" * filled + "." * (width - filled)
        line = f"{label:<22} [{bar}] {done}/{total}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def say(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()


def _prices(rng: random.Random, count: int) -> list[int]:
    """Unit prices of the vendors' products: whole Rp500, Rp50.000–Rp400.000."""
    return [rng.randrange(100, 800) * 500 for _ in range(max(1, count))]


def _batches(
    verified: dict[int, list[tuple[int, int]]], options: Options
) -> list[tuple[int, list[int]]]:
    """Each satker's invoices cut into payments of at most ``options.batch``. With
    ``transfer_per_invoice`` a payment holds one invoice per vendor (a new one starts when a
    vendor repeats), so that each invoice is its own bank transfer; otherwise a vendor's
    invoices in one payment are one transfer of their summed net."""
    out: list[tuple[int, list[int]]] = []
    for s, pairs in verified.items():
        current: list[int] = []
        vendors: set[int] = set()
        for invoice_id, vendor in pairs:
            full = len(current) >= options.batch
            if current and (full or (options.transfer_per_invoice and vendor in vendors)):
                out.append((s, current))
                current, vendors = [], set()
            current.append(invoice_id)
            vendors.add(vendor)
        if current:
            out.append((s, current))
    return out


def _fault_settings(options: Options) -> dict[str, Any]:
    return {
        "timeoutAfterExecutionShare": options.timeout_share,
        "timeoutHoldSeconds": options.client_timeout * 1.5,
        "errorBeforeExecutionShare": options.error_share,
        "duplicateNotificationShare": options.duplicate_share,
        "reorderNotificationShare": options.reorder_share,
        "reorderDelaySeconds": 1,
        "seed": options.seed,
    }


def _observed_faults(since_id: int, inbox: banks.Inbox) -> dict[str, int]:
    """The faults as Digipay's gateway saw them (its ``BankExchange`` rows) and as the inbox
    saw them: the simulator draws them at random and does not count them itself."""
    rows = BankExchange.objects.filter(pk__gt=since_id)
    counted: Counter[str] = Counter()
    for status, error, response in rows.values_list("status_code", "error", "response_body"):
        code = str((response or {}).get("responseCode", ""))
        if status is None and "imeout" in (error or ""):
            counted["timeouts_seen"] += 1
        elif status == 503:
            counted["outage_503"] += 1
        elif status == 504 or code.startswith("504"):
            counted["timeouts_seen"] += 1
        elif status is not None and status >= 500:
            counted["errors_5xx"] += 1
        elif status is None:
            counted["connection_errors"] += 1
    counted["notifications_duplicated"] = inbox.duplicates
    return dict(counted)


def run(options: Options, progress: Progress) -> dict[str, Any]:
    started = time.monotonic()
    rng = random.Random(options.seed)  # noqa: S311 - reproducible test data, not secrets
    notes: list[str] = []
    on_postgres = connection.vendor == "postgresql"
    threads = options.workers or (4 if on_postgres else 1)
    if not on_postgres:
        threads = 1  # SQLite: one writer
    elapsed: dict[str, float] = {}
    faults_on = options.faults == "default"
    prices = _prices(rng, options.vendors)
    # The orders, drawn first: (satker, vendor, quantity). A satker's orders cycle through
    # the vendors, so its consecutive invoices are of distinct vendors.
    plan = [
        (
            k % options.satkers,
            (k // options.satkers) % options.vendors,
            rng.randrange(options.receipts, options.receipts + 10),
        )
        for k in range(options.orders)
    ]
    # What every satker's UP Tunai must cover: its orders, PPN included, and a little more —
    # not much more, so that what it spends reaches the GUP threshold (half the UP Tunai).
    spend: Counter[int] = Counter()
    for s, v, quantity in plan:
        spend[s] += prices[v] * quantity
    up_needed = [spend[s] * 112 // 100 + 1_000_000 for s in range(options.satkers)]

    with banks.workspace() as workdir:
        # On PostgreSQL the inbox stores notifications on its own threads, as the web
        # server would; SQLite has one writer, so there the main thread drains a queue.
        inbox = banks.Inbox(direct=on_postgres)
        sim = banks.BankSimProcess(workdir, notify_url=inbox.url, seed=options.seed)
        span = banks.SpanSimProcess(workdir, bank_url=sim.url, seed=options.seed)
        mpn = banks.MpnSimProcess(workdir, seed=options.seed)
        gateways = banks.Gateways(sim, options.client_timeout, options.breaker_cooldown)
        original_gateway = payments.gateway_for
        try:
            with (
                banks.banks_config(sim, workdir),
                span.configured(),
                mpn.configured(),
                cycle.retry_delays(options.retry_scale),
            ):
                payments.gateway_for = gateways
                exchanges_since = int(
                    BankExchange.objects.order_by("-id").values_list("id", flat=True).first() or 0
                )
                notifications_since = int(
                    BankNotification.objects.order_by("-id").values_list("id", flat=True).first()
                    or 0
                )

                # --- the world -----------------------------------------------------------
                t0 = time.monotonic()

                def open_treasurer(s: world.SimSatker, balance: int) -> None:
                    sim.open_account(
                        s.treasurer_bank, s.treasurer_account, f"BPG {s.org.code}", balance
                    )

                def open_vendor(bank: str, account_no: str, name: str) -> None:
                    # The bank tells Digipay of the vendors' credits too: a notification per
                    # payment for the inbox to deduplicate (see docs/adr/0025).
                    sim.open_account(bank, account_no, name, 0, notify=True)

                def check(account: VendorBankAccount) -> VendorBankAccount:
                    return vendor_services.check_bank_account(
                        None, account, gateway=gateways(account.bank_code)
                    )

                def built(kind: str, n: int) -> None:
                    total = options.satkers if kind == "satker" else options.vendors
                    progress.show(f"world: {kind}s", n, total)

                w = world.build(
                    satkers=options.satkers,
                    vendor_count=options.vendors,
                    rng=rng,
                    prices=prices,
                    up_tunai_needed=up_needed,
                    open_treasurer_account=open_treasurer,
                    open_vendor_account=open_vendor,
                    check_account=check,
                    progress=built,
                )
                elapsed["world"] = time.monotonic() - t0

                # --- orders to verified invoices ---------------------------------------
                t0 = time.monotonic()
                # Per satker, its invoices by receipt round then by order: consecutive
                # invoices are of distinct vendors (see the plan).
                rounds_of: dict[int, list[list[tuple[int, int]]]] = {
                    i: [[] for _ in range(options.receipts)] for i in range(options.satkers)
                }
                for k, (s, v, quantity) in enumerate(plan):
                    invoices = cycle.walk_order(
                        w.satkers[s], v, w, quantity=quantity, receipts=options.receipts
                    )
                    for r, invoice in enumerate(invoices):
                        rounds_of[s][r].append((int(invoice.pk), v))
                    progress.show("orders → invoices", k + 1, options.orders)
                verified = {s: [i for r in rounds for i in r] for s, rounds in rounds_of.items()}
                elapsed["orders"] = time.monotonic() - t0
                invoice_ids = [i for pairs in verified.values() for i, _v in pairs]

                # --- pay and send ------------------------------------------------------
                if faults_on:
                    sim.faults(**_fault_settings(options))
                t0 = time.monotonic()
                payment_ids: list[int] = []
                totp_wait = 0.0
                batches = _batches(verified, options)
                # Round robin over satkers: one Bendahara's next code is due in 30 s, the
                # others can pay meanwhile.
                rounds: Counter[int] = Counter()
                keyed = []
                for i, (s, _ids) in enumerate(batches):
                    keyed.append((rounds[s], i))
                    rounds[s] += 1
                order_of = [i for _round, i in sorted(keyed)]
                outage_started = False
                total_instructions = 0

                def pay_all() -> None:
                    """The Bendaharas pay, while the background workers already send."""
                    nonlocal totp_wait, total_instructions
                    for n, index in enumerate(order_of, start=1):
                        s, ids = batches[index]
                        payment, waited = cycle.pay_batch(w.satkers[s], ids)
                        totp_wait += waited
                        payment_ids.append(int(payment.pk))
                        total_instructions += payment.instructions.count()
                        progress.show("payments requested", n, len(batches))
                        inbox.drain()
                    elapsed["pay_requests"] = time.monotonic() - t0
                    elapsed["totp_wait"] = totp_wait

                def outage() -> None:
                    nonlocal outage_started
                    sim.faults(outageSeconds=options.outage_seconds)
                    outage_started = True
                    progress.say(f"bank outage: {options.outage_seconds:g} s")

                # The outage starts a fixed time into the sending, whatever the worker is
                # doing (one pass of the job sends many rows: it cannot wait for a pass).
                timer = threading.Timer(options.outage_after, outage)
                if faults_on and options.outage_seconds > 0:
                    timer.start()
                try:
                    stats = cycle.run_workers(
                        payment_ids,
                        threads=threads,
                        deadline=time.monotonic() + options.deadline_seconds,
                        first=pay_all,
                        between_passes=inbox.drain,
                        on_progress=lambda left: progress.show(
                            "outbox → bank", total_instructions - left, total_instructions
                        ),
                    )
                finally:
                    timer.cancel()
                elapsed["paying"] = time.monotonic() - t0

                # --- faults off, notifications in, invariants --------------------------
                if faults_on:
                    sim.faults(
                        outageSeconds=0,
                        timeoutAfterExecutionShare=0,
                        errorBeforeExecutionShare=0,
                        duplicateNotificationShare=0,
                        reorderNotificationShare=0,
                    )
                drain_deadline = time.monotonic() + 60
                while time.monotonic() < drain_deadline:
                    inbox.drain(wait=0.2)
                    if sim.pending_notifications() == 0 and inbox.queue.empty():
                        break
                else:
                    notes.append("notifications: some still pending at the bank after 60 s")
                deposited = treasury_steps.DepositOutcome([], 0, 0, 0.0, [])
                gup = treasury_steps.GupOutcome([], 0, 0.0, [])
                if options.payments_only:
                    notes.append("--payments-only: taxes not deposited, no GUP")
                else:
                    # --- taxes deposited through the MPN ---------------------------------
                    t0 = time.monotonic()
                    for bank_code in banks.BANK_NAMES:
                        found = tax_deposits.receiving_account(bank_code)
                        if found is not None:
                            sim.open_account(bank_code, found[0], found[1], 0)
                    deposited = treasury_steps.deposit_taxes(
                        w, invoice_ids, deadline=time.monotonic() + options.deadline_seconds
                    )
                    elapsed["deposits"] = time.monotonic() - t0
                    elapsed["totp_wait"] = elapsed.get("totp_wait", 0.0) + deposited.waited
                    notes.extend(deposited.problems)

                    # --- GUP: UP Tunai replenished through SPAN ----------------------------
                    t0 = time.monotonic()
                    gup = treasury_steps.replenish(w, deadline=time.monotonic() + 120)
                    elapsed["gup"] = time.monotonic() - t0
                    notes.extend(gup.problems)
                if inbox.collisions:
                    notes.append(
                        f"notifications: {inbox.collisions} ids were already stored by an "
                        "earlier run (the bank simulator numbers its notifications from 1 at "
                        "each start); not stored again"
                    )
                invariants = checks.all_invariants(
                    w,
                    sim,
                    payment_ids=payment_ids,
                    invoice_ids=invoice_ids,
                    notifications_since=notifications_since,
                    notes=notes,
                )
                instructions = BankInstruction.objects.filter(payment_id__in=payment_ids)
                paid = Invoice.objects.filter(pk__in=invoice_ids, state=InvoiceState.PAID).count()
                faults: dict[str, float] = (
                    dict(_observed_faults(exchanges_since, inbox)) if faults_on else {}
                )
                if faults_on:
                    faults["outage_seconds"] = options.outage_seconds if outage_started else 0
                counts = {
                    "satkers": options.satkers,
                    "vendors": options.vendors,
                    "orders": options.orders,
                    "invoices": len(invoice_ids),
                    "payments": len(payment_ids),
                    "instructions": instructions.count(),
                    "paid": paid,
                    "failed": instructions.filter(status=InstructionStatus.FAILED).count(),
                    "payments_paid": Payment.objects.filter(
                        pk__in=payment_ids, state="PAID"
                    ).count(),
                    "deposits": deposited.done,
                    "deposits_failed": deposited.failed,
                    "gups": gup.credited,
                    "notifications_received": inbox.received,
                    "worker_passes": stats.passes,
                }
        finally:
            payments.gateway_for = original_gateway
            gateways.close()
            span.close()
            mpn.close()
            sim.close()
            inbox.close()
    total = time.monotonic() - started
    return {
        "run": w.run,
        "seed": options.seed,
        "database": connection.vendor,
        "workers": threads,
        "counts": counts,
        "elapsed_seconds": {k: round(v, 2) for k, v in {**elapsed, "total": total}.items()},
        "throughput": {
            "paid_invoices_per_second": round(paid / elapsed["paying"], 2)
            if elapsed["paying"]
            else 0.0,
            "paid_invoices_per_second_overall": round(paid / total, 2) if total else 0.0,
        },
        "faults": {
            "profile": options.faults,
            "configured": _fault_settings(options) if faults_on else {},
            "observed": faults,
        },
        "invariants": invariants,
        "notes": notes,
    }


def parse(argv: Sequence[str]) -> tuple[Options, bool]:
    parser = argparse.ArgumentParser(
        prog="digipay simulate",
        description="Drive satkers, vendors and orders through the payment cycle and check "
        "the invariants; prints a JSON summary last on stdout.",
    )
    parser.add_argument("--satkers", type=int, required=True)
    parser.add_argument("--vendors", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", choices=FAULT_PROFILES, default="default")
    parser.add_argument("--outage-seconds", type=float, default=10.0)
    parser.add_argument("--outage-after", type=float, default=1.0, help="seconds into the sending")
    parser.add_argument("--workers", type=int, default=0, help="outbox worker threads")
    parser.add_argument("--retry-scale", type=float, default=0.05)
    parser.add_argument(
        "--breaker-cooldown", type=float, default=30.0, help="circuit breaker cooldown (s)"
    )
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds for the outbox")
    parser.add_argument("--database-url", default="", help="(read by the digipay command)")
    parser.add_argument(
        "--transfer-per-invoice",
        action="store_true",
        help="batches of distinct vendors only: one bank transfer per invoice",
    )
    parser.add_argument(
        "--receipts", type=int, default=1, help="partial BASTs (invoices) per order"
    )
    parser.add_argument(
        "--payments-only", action="store_true", help="no tax deposits and no GUP afterwards"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(list(argv))
    if not 1 <= args.satkers <= 999:
        parser.error("--satkers must be between 1 and 999")
    if not 1 <= args.vendors <= 9999:
        parser.error("--vendors must be between 1 and 9999")
    if not 1 <= args.orders <= 100_000:
        parser.error("--orders must be between 1 and 100000")
    if not 0 <= args.outage_seconds <= 600:
        parser.error("--outage-seconds must be between 0 and 600")
    if not 1 <= args.receipts <= 20:
        parser.error("--receipts must be between 1 and 20")
    if not 0 < args.breaker_cooldown <= 600:
        parser.error("--breaker-cooldown must be in (0, 600]")
    if not 0 < args.retry_scale <= 1:
        parser.error("--retry-scale must be in (0, 1]")
    return (
        Options(
            satkers=args.satkers,
            vendors=args.vendors,
            orders=args.orders,
            seed=args.seed,
            faults=args.faults,
            outage_seconds=args.outage_seconds,
            outage_after=args.outage_after,
            workers=args.workers,
            retry_scale=args.retry_scale,
            deadline_seconds=args.deadline,
            transfer_per_invoice=args.transfer_per_invoice,
            breaker_cooldown=args.breaker_cooldown,
            receipts=args.receipts,
            payments_only=args.payments_only,
        ),
        args.quiet,
    )


def main(argv: Sequence[str], *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Run a simulation; Django must be set up (``digipay simulate`` does it)."""
    options, quiet = parse(argv)
    summary = run(options, Progress(stderr, enabled=not quiet))
    stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0 if all(summary["invariants"].values()) else 1


__all__ = ["Options", "Progress", "main", "parse", "run"]
