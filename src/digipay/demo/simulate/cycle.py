"""The money cycle of a simulation run, each step by the person whose step it is, through the
same services the pages and the API call (decision: docs/adr/0025).

order (Pemesan's cart → checkout) → submit (Pejabat Pengadaan) → approve: the UP hold (PPK)
→ confirm and ship (vendor) → receive: the BAST, which makes the invoice (Penerima Barang) →
verify (PPK) → pay (Bendahara, re-authenticated by TOTP; batches of at most
``payments.rules.MAX_BATCH`` invoices) → the outbox job sends the transfers until every
instruction is terminal.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import close_old_connections, connection

from digipay.core import clock
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice
from digipay.orders import services as orders
from digipay.orders.models import Order, PaymentMethod
from digipay.payments import rules as payment_rules
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction, Payment
from digipay.payments.rules import Source

from .world import SimSatker, World, totp_now

AKUN = "521211"  # Belanja Bahan


def walk_order(
    sim: SimSatker, vendor_index: int, world: World, quantity: int, receipts: int = 1
) -> list[Invoice]:
    """One order from the cart to verified invoices: shipped in full, received in
    ``receipts`` BASTs (each makes its invoice), each invoice verified by the PPK."""
    vendor = world.vendors[vendor_index]
    people = sim.people
    orders.add_to_cart(people["pemesan"], product=vendor.product, quantity=quantity)
    [order] = orders.checkout_cart(people["pemesan"])
    orders.submit_order(
        people["pengadaan"],
        order,
        orders.Checkout(
            ppk=people["ppk"],
            payment_method=PaymentMethod.TRANSFER,
            akun=AKUN,
            funding_source="RM",
        ),
    )
    order = Order.objects.get(pk=order.pk)
    orders.approve_order(people["ppk"], order)
    order = Order.objects.get(pk=order.pk)
    orders.confirm_order(vendor.admin, order)
    order = Order.objects.get(pk=order.pk)
    [line] = order.lines.filter(removed=False)
    orders.ship_order(vendor.admin, order, quantities={line.pk: line.quantity})
    parts = [line.quantity // receipts] * receipts
    parts[-1] += line.quantity - sum(parts)
    verified = []
    for part in parts:
        order = Order.objects.get(pk=order.pk)
        receipt = orders.receive_order(people["penerima"], order, quantities={line.pk: part})
        invoice = Invoice.objects.get(receipt=receipt)
        verified.append(invoicing.verify_invoice(people["ppk"], invoice))
    return verified


def fresh_code(sim: SimSatker, who: str) -> tuple[str, float]:
    """The current TOTP code of ``who`` (``bendahara``, ``ppspm``), waiting for the next
    30-second step if that person already used this one (django-otp refuses a code twice).
    Returns the code and the seconds waited; the step is then marked used."""
    device = sim.devices[who]
    step = int(device.step)
    waited = 0.0
    while int(time.time()) // step <= sim.last_steps.get(who, -1):
        pause = step - time.time() % step + 0.05
        time.sleep(pause)
        waited += pause
    now = time.time()
    sim.last_steps[who] = int(now) // step
    return totp_now(device, now), waited


def pay_batch(sim: SimSatker, invoice_ids: list[int]) -> tuple[Payment, float]:
    """The Bendahara pays a batch with her current code; returns the payment and the seconds
    spent waiting for a fresh TOTP step."""
    code, waited = fresh_code(sim, "bendahara")
    payment = payments.pay(
        sim.people["bendahara"],
        invoice_ids=invoice_ids,
        source=Source.UP_TUNAI,
        otp=code,
        request_key=f"sim-{uuid.uuid4()}",
    )
    return payment, waited


@contextmanager
def retry_delays(scale: float) -> Iterator[None]:
    """Compress the outbox's back-off (10 s, 20 s … 15 min) and the deposits' (15 s, 30 s …)
    by ``scale`` for the run: the
    simulation cannot wait minutes between attempts. The order of attempts, the status
    inquiry before any resend and the claim with SKIP LOCKED are unchanged."""
    original = payment_rules.next_attempt_delay
    original_deposit = payment_rules.deposit_delay
    if scale >= 1:
        yield
        return

    def compressed(attempts: int) -> int:
        return max(0, round(original(attempts) * scale))

    def compressed_deposit(attempts: int) -> int:
        return max(0, round(original_deposit(attempts) * scale))

    payment_rules.next_attempt_delay = compressed
    payment_rules.deposit_delay = compressed_deposit
    try:
        yield
    finally:
        payment_rules.next_attempt_delay = original
        payment_rules.deposit_delay = original_deposit


@dataclass
class WorkerStats:
    passes: int = 0
    handled: int = 0
    errors: int = 0


def open_instructions(payment_ids: list[int]) -> int:
    return BankInstruction.objects.filter(
        payment_id__in=payment_ids, status__in=payment_rules.OPEN_STATUSES
    ).count()


def run_workers(
    payment_ids: list[int],
    *,
    threads: int,
    deadline: float,
    first: Callable[[], None],
    between_passes: Callable[[], object],
    on_progress: Callable[[int], None],
) -> WorkerStats:
    """Run the outbox job (``payments.send_due_instructions``, what the worker runs every
    10 s) until every instruction of the run is terminal or the deadline passes.

    With ``threads`` > 1, ``threads - 1`` workers run in the background from the start and
    race over the same rows, as several worker processes would (the claim skips rows another
    worker holds), while this thread does ``first`` (the Bendaharas paying: in production the
    worker does not wait for them either) and then works the outbox too. ``payment_ids`` is
    read after ``first``; ``between_passes`` runs on this thread."""
    stats = WorkerStats()
    stop = threading.Event()
    lock = threading.Lock()

    def loop() -> None:
        try:
            while not stop.is_set():
                try:
                    done = payments.send_due_instructions(clock.now())
                except Exception:
                    with lock:
                        stats.errors += 1
                    done = 0
                with lock:
                    stats.passes += 1
                    stats.handled += done
                if not done:
                    stop.wait(0.1)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(max(0, threads - 1))]
    for worker in workers:
        worker.start()
    try:
        first()
        while time.monotonic() < deadline:
            between_passes()
            done = payments.send_due_instructions(clock.now())
            with lock:
                stats.passes += 1
                stats.handled += done
            left = open_instructions(payment_ids)
            on_progress(left)
            if not left:
                break
            if not done:
                between_passes()
                time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    return stats
