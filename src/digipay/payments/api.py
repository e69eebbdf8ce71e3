"""HTTP API of payments: pay verified invoices (one request = one payment, with an
Idempotency-Key), the satker's payments, one payment. Thin: the services and the gate decide."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import User
from digipay.idempotency.decorators import idempotent
from digipay.invoicing.rules import InvoiceState
from digipay.payments import deposits, queries, refunds, services
from digipay.payments.models import DepositRequest, Payment, Refund, TreasurerAccount
from digipay.payments.schemas import (
    DepositIn,
    DepositRequestOut,
    PayIn,
    PaymentDetailOut,
    PaymentOut,
    RefundCancelIn,
    RefundIn,
    RefundOut,
)

router = Router(tags=["payments"])


def detail(payment: Payment) -> dict[str, Any]:
    lines = payment.lines.select_related("invoice").order_by("id")
    instructions = payment.instructions.select_related("vendor__organisation").order_by("id")
    return {
        **{f: getattr(payment, f) for f in PaymentOut.model_fields},
        "lines": [
            {
                "invoice_id": line.invoice_id,
                "invoice_number": line.invoice.number,
                "gross_idr": line.gross_idr,
                "collected_idr": line.collected_idr,
                "net_idr": line.net_idr,
                "paid": line.invoice.state == InvoiceState.PAID
                and line.posted_entry_id is not None,
            }
            for line in lines
        ],
        "instructions": [
            {
                "id": i.pk,
                "kind": i.kind,
                "status": i.status,
                "amount_idr": i.amount_idr,
                # A generic transfer (tax, card bill) has no vendor: show who receives it.
                "vendor_name": i.vendor.organisation.name if i.vendor else i.beneficiary_name,
                "beneficiary_bank_code": i.beneficiary_bank_code,
                "beneficiary_account": i.beneficiary_account,
                "bank_reference": i.bank_reference,
                "attempts": i.attempts,
                "last_error": i.last_error,
            }
            for i in instructions
        ],
    }


@router.post("/payments", response={201: PaymentDetailOut})
@idempotent(ignore_fields=("otp",))
def pay(request: HttpRequest, payload: PayIn) -> Status[Any]:
    """The Bendahara pays verified invoices (one request = one payment; ``Idempotency-Key``
    required: a replay answers the first response, the TOTP code left out of the comparison).
    The payment is ``IN_PROGRESS``: the worker sends its bank instructions."""
    actor: User = actor_of(request)
    key = request.headers.get("Idempotency-Key", "")[:100]
    payment = services.pay(
        actor, invoice_ids=payload.invoices, source=payload.source, otp=payload.otp, request_key=key
    )
    return Status(201, detail(payment))


@router.get("/payments", response=list[PaymentOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def payments(request: HttpRequest, state: str = "") -> Any:
    found = queries.visible_payments(actor_of(request))
    return found.filter(state=state) if state else found


@router.get("/payments/{payment_id}", response=PaymentDetailOut)
def payment_detail(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    return detail(queries.payment_for(actor_of(request), payment_id))


# --- tax deposits -------------------------------------------------------------------------------


def _request_out(request: DepositRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {f: getattr(request, f) for f in DepositRequestOut.model_fields}


@router.post("/tax-deposit-requests", response={201: list[DepositRequestOut]})
@idempotent(ignore_fields=("otp",))
def deposit_taxes(request: HttpRequest, payload: DepositIn) -> Status[Any]:
    """The Bendahara deposits open tax deposits of her satker (``Idempotency-Key`` required;
    TOTP re-authentication). Each gets its billing code, transfer and NTPN from the worker."""
    actor: User = actor_of(request)
    key = request.headers.get("Idempotency-Key", "")[:100]
    made = deposits.deposit_taxes(
        actor, deposit_ids=payload.deposits, otp=payload.otp, request_key=key
    )
    return Status(201, [_request_out(r) for r in made])


@router.get("/tax-deposit-requests", response=list[DepositRequestOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def deposit_requests(request: HttpRequest, state: str = "") -> Any:
    """The satker's deposit requests (billing code, bank reference, NTPN), newest first. The
    deposits themselves, with their flags, are ``GET /tax-deposits`` (invoicing)."""
    found = queries.deposit_requests(actor_of(request))
    return found.filter(state=state) if state else found


@router.get("/tax-deposit-requests/{request_id}", response=DepositRequestOut)
def deposit_request(request: HttpRequest, request_id: int) -> DepositRequest:
    return queries.deposit_request_for(actor_of(request), request_id)


# --- refunds ------------------------------------------------------------------------------------


def refund_out(refund: Refund) -> dict[str, Any]:
    treasurer = TreasurerAccount.objects.filter(satker_id=refund.satker_id).first()
    return {
        "id": refund.pk,
        "number": refund.number,
        "reference": refund.reference,
        "invoice_id": refund.invoice_id,
        "invoice_number": refund.invoice.number,
        "vendor_name": refund.vendor.business_name,
        "amount_idr": refund.amount_idr,
        "quantities": {str(k): int(v) for k, v in dict(refund.quantities).items()},
        "reason": refund.reason,
        "state": refund.state,
        "flag": refund.flag,
        "received_idr": refund.received_idr,
        "cancel_reason": refund.cancel_reason,
        "credits": [
            {
                "id": c.pk,
                "amount_idr": c.amount_idr,
                "matched": c.matched,
                "accepted_idr": c.accepted_idr,
                "note": c.note,
                "created_at": c.created_at,
            }
            for c in refund.credits.order_by("id")
        ],
        "treasurer_bank_code": treasurer.bank_code if treasurer else "",
        "treasurer_account": treasurer.account_no if treasurer else "",
        "bank_reference": refund.bank_reference,
        "received_at": refund.received_at,
        "created_at": refund.created_at,
    }


@router.post("/refunds", response={201: RefundOut})
@idempotent()
def request_refund(request: HttpRequest, payload: RefundIn) -> Status[Any]:
    """The PPK records a refund due from the vendor of a paid invoice (returned goods)."""
    refund = refunds.request_refund(
        actor_of(request),
        invoice_id=payload.invoice_id,
        returned=payload.returned,
        amount_idr=payload.amount_idr,
        reason=payload.reason,
        complaint_id=payload.complaint_id,
    )
    return Status(201, refund_out(refund))


@router.get("/refunds", response=list[RefundOut])
def refund_list(request: HttpRequest, state: str = "") -> list[dict[str, Any]]:
    found = refunds.visible_refunds(actor_of(request))
    if state:
        found = found.filter(state=state)
    return [refund_out(r) for r in found[:200]]


@router.get("/refunds/{refund_id}", response=RefundOut)
def refund_detail(request: HttpRequest, refund_id: int) -> dict[str, Any]:
    return refund_out(refunds.refund_for(actor_of(request), refund_id))


@router.post("/refunds/{refund_id}/credits/{credit_id}/accept", response=RefundOut)
@idempotent()
def accept_refund_credit(request: HttpRequest, refund_id: int, credit_id: int) -> dict[str, Any]:
    """The PPK accepts a flagged credit (another amount, an instalment): what it brought is
    posted, never more than is still due."""
    refund = refunds.accept_credit(actor_of(request), refund_id=refund_id, credit_id=credit_id)
    return refund_out(refund)


@router.post("/refunds/{refund_id}/cancel", response=RefundOut)
@idempotent()
def cancel_refund(request: HttpRequest, refund_id: int, payload: RefundCancelIn) -> dict[str, Any]:
    """The PPK gives up what is still due on an expected refund, with a reason."""
    refund = refunds.cancel_refund(actor_of(request), refund_id=refund_id, reason=payload.reason)
    return refund_out(refund)
