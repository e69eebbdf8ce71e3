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
from digipay.payments import queries, services
from digipay.payments.models import Payment
from digipay.payments.schemas import PayIn, PaymentDetailOut, PaymentOut

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
