"""HTTP API of cardbills: the bills a user may see, one bill with its reconciliation, and the
actions (fetch, verify, dispute, pay — the payment behind an Idempotency-Key). Thin: the
services and the gate decide; errors come as ``{"code", "message", "details"}``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import User
from digipay.cardbills import queries, rules, services
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import NOT_MISMATCH
from digipay.cardbills.schemas import (
    CardBillDetailOut,
    CardBillOut,
    DisputeIn,
    FetchIn,
    PayBillIn,
)
from digipay.core.errors import NotFound, ValidationFailed
from digipay.idempotency.decorators import idempotent

router = Router(tags=["cardbills"])


def _summary(bill: CardBill, mismatches: int | None = None) -> dict[str, Any]:
    if mismatches is None:
        mismatches = bill.lines.exclude(match__in=NOT_MISMATCH).count()
    return {
        "id": bill.pk,
        "satker_code": bill.satker.code,
        "card_id": bill.card_id,
        "card_last4": bill.card.last4,
        "billing_month": rules.month_text(bill.billing_month),
        "state": bill.state,
        "total_idr": bill.total_idr,
        "paid_idr": bill.paid_idr,
        "due_date": bill.due_date,
        "due_date_source": bill.due_date_source,
        "overdue": queries.is_overdue(bill),
        "mismatches": mismatches,
        "fetched_at": bill.fetched_at,
        "verified_at": bill.verified_at,
        "dispute_reason": bill.dispute_reason,
        "payment_number": bill.payment.number if bill.payment is not None else None,
        "paid_at": bill.paid_at,
        "bank_reference": bill.bank_reference,
        "failure_reason": bill.failure_reason,
    }


def _detail(bill: CardBill) -> dict[str, Any]:
    rec = queries.reconciliation(bill)
    return {
        **_summary(bill, rec.mismatches),
        "pay_to_bank_code": bill.pay_to_bank_code,
        "pay_to_account_no": bill.pay_to_account_no,
        "billed_idr": rec.billed_idr,
        "digipay_idr": rec.digipay_idr,
        "difference_idr": rec.difference_idr,
        "lines": [
            {
                "on_bill": line.on_bill,
                "bank_reference": line.bank_reference
                or (line.instruction.bank_reference if line.instruction else ""),
                "transaction_at": line.transaction_at,
                "merchant_name": line.merchant_name
                or (line.instruction.beneficiary_name if line.instruction else ""),
                "amount_idr": line.amount_idr,
                "digipay_payment": line.instruction.payment.number if line.instruction else None,
                "digipay_amount_idr": line.digipay_amount_idr,
                "match": line.match,
            }
            for line in [*rec.billed, *rec.not_billed]
        ],
    }


@router.get("/card-bills", response=list[CardBillOut])
@paginate(PageNumberPagination, page_size=50)
def card_bills(request: HttpRequest, state: str = "") -> Any:
    """Card bills of the satkers in reach; ``state`` filters (or ``OVERDUE``)."""
    found = queries.visible_bills(actor_of(request), state).select_related("payment")
    return found.annotate(open_mismatches=Count("lines", filter=~Q(lines__match__in=NOT_MISMATCH)))


@router.get("/card-bills/{bill_id}", response=CardBillDetailOut)
def card_bill(request: HttpRequest, bill_id: int) -> dict[str, Any]:
    return _detail(queries.bill_for(actor_of(request), bill_id))


@router.post("/card-bills/fetch", response={201: CardBillDetailOut})
def fetch(request: HttpRequest, payload: FetchIn) -> Status[Any]:
    """The Bendahara fetches a card's bill of an ended month from the issuing bank. Fetching
    again is harmless: one bill per card and month."""
    actor: User = actor_of(request)
    card = queries.fetchable_cards(actor).filter(pk=payload.card_id).first()
    if card is None:
        raise NotFound(_("Kartu KKP tidak ditemukan."))
    try:
        month = rules.parse_month(payload.month)
    except ValueError:
        raise ValidationFailed(
            _("Bulan tagihan tidak valid (format TTTT-BB)."), details={"field": "month"}
        ) from None
    bill = services.fetch_bill(actor, card, month)
    return Status(201, _detail(bill))


@router.post("/card-bills/{bill_id}/verify", response=CardBillDetailOut)
def verify(request: HttpRequest, bill_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    return _detail(services.verify_bill(actor, queries.bill_for(actor, bill_id)))


@router.post("/card-bills/{bill_id}/dispute", response=CardBillDetailOut)
def dispute(request: HttpRequest, bill_id: int, payload: DisputeIn) -> dict[str, Any]:
    actor = actor_of(request)
    bill = services.dispute_bill(actor, queries.bill_for(actor, bill_id), reason=payload.reason)
    return _detail(bill)


@router.post("/card-bills/{bill_id}/pay", response={202: CardBillDetailOut})
@idempotent(ignore_fields=("otp",))
def pay(request: HttpRequest, bill_id: int, payload: PayBillIn) -> Status[Any]:
    """The Bendahara pays a verified bill from UP Tunai (``Idempotency-Key`` required; a
    replay answers the first response, the TOTP code left out of the comparison). 202: the
    transfer is queued; the bill is ``PAYING`` until the bank answers."""
    actor = actor_of(request)
    bill = services.pay_bill(actor, queries.bill_for(actor, bill_id), otp=payload.otp)
    return Status(202, _detail(bill))
