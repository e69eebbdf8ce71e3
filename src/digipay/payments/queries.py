"""Reads of payments: what the Bendahara may pay, her satker's payments, one payment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.integrations.models import StatementLine
from digipay.invoicing import queries as invoicing_queries
from digipay.invoicing import rules as invoicing_rules
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.ledger.models import Entry
from digipay.payments.models import (
    BankInstruction,
    DepositRequest,
    Payment,
    PaymentInvoice,
    RefundCredit,
)
from digipay.payments.movements import Movement, MovementKind, MovementStatus
from digipay.payments.rules import InstructionKind, InstructionStatus, Purpose


def payable_invoices(actor: User) -> QuerySet[Invoice]:
    """The satker's verified invoices that no live payment covers."""
    require(actor, "invoice.pay")
    live = PaymentInvoice.objects.filter(invoice=OuterRef("pk"), active=True)
    return (
        invoicing_queries.visible_invoices(actor)
        .filter(satker_id=actor.organisation_id, state=InvoiceState.VERIFIED)
        .exclude(Exists(live))
        .order_by("invoice_date", "id")
    )


def visible_payments(actor: User) -> QuerySet[Payment]:
    """Satker users see their satker's payments (the gate decides which roles)."""
    require(actor, "invoice.view")
    return Payment.objects.filter(satker_id=actor.organisation_id).select_related("created_by")


def payment_for(actor: User, payment_id: int) -> Payment:
    payment = visible_payments(actor).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Pembayaran tidak ditemukan."))
    require(actor, "invoice.view", payment)
    return payment


def invoice_being_paid(invoice: Invoice) -> bool:
    """A live payment line holds the invoice (in progress; a failed payment releases it)."""
    return PaymentInvoice.objects.filter(invoice=invoice, active=True).exists()


# --- the treasurer's statement ----------------------------------------------------------------

_KIND_OF_PURPOSE = {
    Purpose.VENDOR: MovementKind.VENDOR_TRANSFER,
    Purpose.TAX_DEPOSIT: MovementKind.TAX_DEPOSIT,
    Purpose.CARD_BILL: MovementKind.CARD_BILL,
}
_STATUS_OF_INSTRUCTION = {
    InstructionStatus.PENDING: MovementStatus.OPEN,
    InstructionStatus.UNKNOWN: MovementStatus.OPEN,
    InstructionStatus.DONE: MovementStatus.DONE,
    InstructionStatus.FAILED: MovementStatus.FAILED,
}


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    first = datetime.combine(start, time.min, tzinfo=clock.JAKARTA)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=clock.JAKARTA)
    return first, after


def treasurer_movements(satker_id: int, start: date, end: date) -> list[Movement]:
    """Every transfer out of the satker's treasurer account (vendor payments, tax deposits,
    card bills; not card charges, which are on the card's bill, not the statement) and every
    refund received into it, made or settled within the Jakarta days ``start``..``end``,
    oldest first. Ledger entry ids name what posted each (the order's hold, the taxes kept, the
    transfer's own hold, the refund's entry)."""
    first, after = _day_bounds(start, end)
    out: list[Movement] = []
    window = Q(created_at__gte=first, created_at__lt=after) | Q(
        finished_at__gte=first, finished_at__lt=after
    )
    instructions = (
        BankInstruction.objects.filter(payment__satker_id=satker_id, kind=InstructionKind.TRANSFER)
        .filter(window)
        .select_related("payment")
        .order_by("created_at", "id")
    )
    for ins in instructions:
        payment = ins.payment
        entries: list[int] = []
        if payment.purpose == Purpose.VENDOR:
            for line in ins.lines.order_by("id"):
                if line.posted_entry_id is not None:
                    entries.append(int(line.posted_entry_id))
                    # The taxes kept in the account posted beside it (same key scheme).
                    tax = Entry.objects.filter(
                        idempotency_key=f"payment-line:{line.pk}:tax"
                    ).values_list("pk", flat=True)
                    entries.extend(int(pk) for pk in tax)
        elif ins.status == InstructionStatus.DONE and payment.settled_entry_id is not None:
            entries.append(int(payment.settled_entry_id))
        out.append(
            Movement(
                kind=_KIND_OF_PURPOSE[Purpose(payment.purpose)],
                direction=-1,
                amount_idr=int(ins.amount_idr),
                status=_STATUS_OF_INSTRUCTION[InstructionStatus(ins.status)],
                bank_reference=ins.bank_reference,
                partner_reference=ins.partner_reference_no,
                remark=(ins.remark or f"Digipay {payment.number}")[:50],
                created_at=ins.created_at,
                settled_at=ins.finished_at,
                entry_ids=tuple(entries),
                source=f"payments.payment:{payment.pk}",
            )
        )
    # Every refund credit that was posted: matched by the job, or accepted by a person (an
    # instalment, another amount). The statement shows the credit's amount; its entry posted
    # at most what was due (an excess stays for the reconciliation to show).
    credits = list(
        RefundCredit.objects.filter(
            refund__satker_id=satker_id, matched=True, entry_id__isnull=False
        ).select_related("refund")
    )
    statements = StatementLine.objects.in_bulk([c.statement_line_id for c in credits])
    for credit in credits:
        booked = statements.get(credit.statement_line_id)
        if booked is None or not (first <= booked.booked_at < after):
            continue
        refund = credit.refund
        out.append(
            Movement(
                kind=MovementKind.REFUND,
                direction=1,
                amount_idr=int(credit.amount_idr),
                status=MovementStatus.DONE,
                bank_reference=booked.reference_no,
                partner_reference=refund.reference,
                remark=refund.reference,
                created_at=refund.created_at,
                settled_at=booked.booked_at,
                entry_ids=(int(credit.entry_id),) if credit.entry_id else (),
                source=f"payments.refund:{refund.pk}",
            )
        )
    out.sort(key=lambda m: (m.settled_at or m.created_at, m.source))
    return out


# --- tax deposits -----------------------------------------------------------------------------

DEPOSIT_FILTERS = ("OPEN", "OVERDUE", "PROCESSING", "PAID")


@dataclass(frozen=True, slots=True)
class DepositRow:
    deposit: TaxDeposit
    request: DepositRequest | None  # the latest request (live, done or failed)
    overdue: bool  # still to deposit past its due date
    late: bool  # overdue, or deposited after its due date


def satker_deposits(actor: User, status: str = "") -> QuerySet[TaxDeposit]:
    """The tax deposits of the actor's satker (voided ones left out), by due date. ``status``:
    OPEN, PROCESSING, PAID (deposited) or OVERDUE (still to deposit past the due date)."""
    require(actor, "invoice.view")
    found = (
        TaxDeposit.objects.filter(satker_id=actor.organisation_id)
        .exclude(status=DepositStatus.VOID)
        .select_related("invoice", "invoice__vendor")
    )
    if status == "OVERDUE":
        found = found.filter(
            status__in=(DepositStatus.OPEN, DepositStatus.PROCESSING),
            due_date__lt=clock.today_jakarta(),
        )
    elif status in DEPOSIT_FILTERS:
        found = found.filter(status=status)
    return found.order_by("due_date", "id")


def deposit_rows(deposits: Iterable[TaxDeposit]) -> list[DepositRow]:
    deposits = list(deposits)
    latest: dict[int, DepositRequest] = {}
    for request in DepositRequest.objects.filter(deposit__in=deposits).order_by("id"):
        latest[int(request.deposit_id)] = request
    today = clock.today_jakarta()
    return [
        DepositRow(
            d,
            latest.get(d.pk),
            invoicing_rules.is_overdue(status=d.status, due_date=d.due_date, today=today),
            invoicing_rules.late(
                status=d.status, due_date=d.due_date, deposited_on=d.deposited_on, today=today
            ),
        )
        for d in deposits
    ]


def deposit_requests(actor: User) -> QuerySet[DepositRequest]:
    require(actor, "invoice.view")
    return DepositRequest.objects.filter(satker_id=actor.organisation_id).select_related("deposit")


def deposit_request_for(actor: User, request_id: int) -> DepositRequest:
    request = (
        DepositRequest.objects.select_related("deposit", "deposit__invoice", "satker")
        .filter(pk=request_id, satker_id=actor.organisation_id)
        .first()
    )
    if request is None:
        raise NotFound(_("Setoran pajak tidak ditemukan."))
    require(actor, "invoice.view", request)
    return request
