"""The invariants a simulation run must leave true, each computed from the rows (and, for the
bank, from the bank simulator's own books), never from the run's counters.

- ``ledger_valid``: ``ledger.queries.validate_ledger()`` finds nothing (every entry balances,
  holds resolved once and within their legs, balance rows equal to the postings) and all
  postings together sum to zero.
- ``up_never_negative``: no guarded account (UP Tunai, UP KKP, card limits …) below zero.
- ``bank_payments_exactly_once``: the bank's debits on the run's treasurer accounts and the
  ``DONE`` instructions from them (payments and tax deposits) are the same set — matched by
  the bank's reference and amount, no instruction twice, no debit without an instruction (a
  duplicate or a payment Digipay did not record), no ``DONE`` without a debit (recorded paid
  but never executed).
- ``treasurer_bank_equals_ledger``: each treasurer account at the bank holds what the ledger
  says UP Tunai holds (posted).
- ``invoices_paid_exactly_once``: each ``PAID`` invoice of the run has exactly one ``DONE``
  payment line, and every ``DONE`` line's invoice is ``PAID``.
- ``outbox_terminal``: no instruction of the run still ``PENDING``/``UNKNOWN``.
- ``taxes_deposited_or_flagged``: every tax collected on a paid invoice is a tax deposit,
  deposited (``PAID``) or flagged to deposit (``OPEN``) for exactly the amount withheld, and
  per satker the ledger's ``TAX_PAYABLE`` equals the deposits still open.
- ``notifications_stored_once``: every notification the bank delivered is stored once.
- ``audit_chains_valid``: ``audit.queries.verify_all()`` finds no broken link.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q, Sum

from digipay.audit.queries import verify_all
from digipay.integrations.models import BankNotification
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.ledger import queries as ledger_queries
from digipay.ledger import rules as ledger_rules
from digipay.ledger.models import AccountBalance
from digipay.payments.models import BankInstruction, PaymentInvoice
from digipay.payments.rules import OPEN_STATUSES, InstructionStatus
from digipay.snap import values
from digipay.treasury import chart

from .bank import BankSimProcess
from .world import World


def ledger_valid(notes: list[str]) -> bool:
    problems = ledger_queries.validate_ledger()
    total = ledger_queries.total_of_all_postings()
    for problem in problems[:5]:
        notes.append(f"ledger: {problem.check}: {problem.detail}")
    if total:
        notes.append(f"ledger: all postings sum to {total}, not 0")
    return not problems and total == 0


def up_never_negative(notes: list[str]) -> bool:
    ok = True
    for row in AccountBalance.objects.filter(must_not_go_negative=True):
        counters = ledger_rules.Counters(
            row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted
        )
        if ledger_rules.available(row.normal_side, counters) < 0:
            notes.append(f"account {row.account_id} is below zero")
            ok = False
    return ok


def bank_payments_exactly_once(
    world: World, bank: BankSimProcess, payment_ids: list[int], notes: list[str]
) -> bool:
    # Every transfer from the run's treasurer accounts: the payments, and the tax deposits
    # (the outbox sends those too).
    sources = Q(payment_id__in=payment_ids)
    for sim in world.satkers:
        sources |= Q(bank_code=sim.treasurer_bank, source_account=sim.treasurer_account)
    done = list(
        BankInstruction.objects.filter(sources, status=InstructionStatus.DONE).values_list(
            "bank_reference", "amount_idr", "source_account"
        )
    )
    recorded = Counter(ref for ref, _amount, _source in done)
    twice = [ref for ref, n in recorded.items() if n > 1 or not ref]
    debits: dict[str, int] = {}
    duplicates = 0
    for sim in world.satkers:
        for entry in bank.debits(sim.treasurer_bank, sim.treasurer_account):
            reference = str(entry["referenceNo"])
            if reference in debits:
                duplicates += 1
            debits[reference] = values.parse_amount(str(entry["amount"]))
    amounts = {ref: int(amount) for ref, amount, _source in done}
    missing = [ref for ref in amounts if ref not in debits]
    unrecorded = [ref for ref in debits if ref not in amounts]
    wrong = [ref for ref, amount in amounts.items() if ref in debits and debits[ref] != amount]
    for label, found in (
        ("recorded twice or without a reference", twice),
        ("recorded paid but not executed by the bank", missing),
        ("executed by the bank but not recorded", unrecorded),
        ("amount differs from the bank's", wrong),
    ):
        if found:
            notes.append(f"bank: {len(found)} {label}: {found[:3]}")
    if duplicates:
        notes.append(f"bank: {duplicates} references booked twice")
    return not (twice or missing or unrecorded or wrong or duplicates)


def treasurer_bank_equals_ledger(world: World, bank: BankSimProcess, notes: list[str]) -> bool:
    """Per satker, the treasurer's account at the bank holds exactly the ledger's posted UP
    Tunai: a transfer takes the net from both, the taxes stay in both until deposited, a GUP
    SP2D adds the same gross to both."""
    ok = True
    for sim in world.satkers:
        at_bank = bank.balance(sim.treasurer_bank, sim.treasurer_account)
        row = AccountBalance.objects.get(account_id=chart.satker_book(sim.org).up_tunai.pk)
        in_ledger = int(row.debits_posted - row.credits_posted)
        if at_bank != in_ledger:
            notes.append(f"satker {sim.org.code}: bank {at_bank} ≠ ledger UP Tunai {in_ledger}")
            ok = False
    return ok


def invoices_paid_exactly_once(invoice_ids: list[int], notes: list[str]) -> bool:
    lines = Counter(
        PaymentInvoice.objects.filter(
            invoice_id__in=invoice_ids, instruction__status=InstructionStatus.DONE
        ).values_list("invoice_id", flat=True)
    )
    paid = set(
        Invoice.objects.filter(pk__in=invoice_ids, state=InvoiceState.PAID).values_list(
            "pk", flat=True
        )
    )
    twice = [i for i, n in lines.items() if n > 1]
    unpaid = [i for i in lines if i not in paid]
    unlinked = [i for i in paid if i not in lines]
    if twice or unpaid or unlinked:
        notes.append(
            f"invoices: {len(twice)} paid twice, {len(unpaid)} done but not PAID, "
            f"{len(unlinked)} PAID without a done payment"
        )
    return not (twice or unpaid or unlinked)


def outbox_terminal(payment_ids: list[int], notes: list[str]) -> bool:
    left = BankInstruction.objects.filter(
        payment_id__in=payment_ids, status__in=OPEN_STATUSES
    ).count()
    if left:
        notes.append(f"outbox: {left} instructions not terminal")
    return left == 0


def taxes_deposited_or_flagged(world: World, invoice_ids: list[int], notes: list[str]) -> bool:
    ok = True
    deposits: dict[tuple[int, str], tuple[int, str]] = {
        (int(d.invoice_id), str(d.tax)): (int(d.amount_idr), str(d.status))
        for d in TaxDeposit.objects.filter(invoice_id__in=invoice_ids)
    }
    for line in PaymentInvoice.objects.filter(
        invoice_id__in=invoice_ids, instruction__status=InstructionStatus.DONE
    ):
        for tax, amount in dict(line.taxes).items():
            if not int(amount):
                continue
            found = deposits.get((int(line.invoice_id), str(tax)))
            if found is None or found[0] != int(amount) or found[1] == DepositStatus.VOID:
                notes.append(f"taxes: invoice {line.invoice_id} {tax} {amount}: deposit {found}")
                ok = False
    for sim in world.satkers:
        payable = 0
        for tax in chart.TAXES:
            account = chart.tax_payable(sim.org, tax)
            row = AccountBalance.objects.get(account_id=account.pk)
            payable += int(row.credits_posted - row.debits_posted)
        still_open = int(
            TaxDeposit.objects.filter(
                satker=sim.org,
                status=DepositStatus.OPEN,
                invoice__state=InvoiceState.PAID,
            ).aggregate(total=Sum("amount_idr"))["total"]
            or 0
        )
        if payable != still_open:
            notes.append(f"taxes: satker {sim.org.code} payable {payable} ≠ open {still_open}")
            ok = False
    return ok


def notifications_stored_once(since_id: int, notes: list[str]) -> bool:
    events = Counter(
        BankNotification.objects.filter(pk__gt=since_id).values_list("bank_code", "event_id")
    )
    twice = [e for e, n in events.items() if n > 1]
    if twice:
        notes.append(f"notifications: {len(twice)} stored twice")
    return not twice


def audit_chains_valid(notes: list[str]) -> bool:
    _count, broken = verify_all()
    for link in broken[:3]:
        notes.append(f"audit: {link}")
    return not broken


def all_invariants(
    world: World,
    bank: BankSimProcess,
    *,
    payment_ids: list[int],
    invoice_ids: list[int],
    notifications_since: int,
    notes: list[str],
) -> dict[str, Any]:
    return {
        "ledger_valid": ledger_valid(notes),
        "up_never_negative": up_never_negative(notes),
        "bank_payments_exactly_once": bank_payments_exactly_once(world, bank, payment_ids, notes),
        "treasurer_bank_equals_ledger": treasurer_bank_equals_ledger(world, bank, notes),
        "invoices_paid_exactly_once": invoices_paid_exactly_once(invoice_ids, notes),
        "outbox_terminal": outbox_terminal(payment_ids, notes),
        "taxes_deposited_or_flagged": taxes_deposited_or_flagged(world, invoice_ids, notes),
        "notifications_stored_once": notifications_stored_once(notifications_since, notes),
        "audit_chains_valid": audit_chains_valid(notes),
    }
