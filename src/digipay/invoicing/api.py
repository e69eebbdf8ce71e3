"""HTTP API of invoicing: the caller's invoices (each side its own), the invoice with its
lines, taxes, explanation, credit notes, outstanding figures, deposits and allowed actions;
one endpoint per step; the satker's deposits and monthly tax report. Thin: the services and
the gate decide."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.core import clock
from digipay.core.errors import ValidationFailed
from digipay.invoicing import queries, rules, services
from digipay.invoicing.models import CreditNote, Invoice, TaxDeposit
from digipay.invoicing.schemas import (
    CreditNoteIn,
    CreditNoteOut,
    DepositOut,
    InvoiceDetailOut,
    InvoiceFields,
    InvoiceOut,
    ReasonIn,
    TaxReportOut,
    VendorNumbersIn,
)
from digipay.tax.rules import OUTPUT_KEY, TAX_ORDER

router = Router(tags=["invoicing"])


def figures_out(f: rules.Figures) -> dict[str, Any]:
    return {
        "base_idr": f.base,
        "ppn_idr": f.ppn,
        "gross_idr": f.gross,
        "collected_idr": f.collected_total,
        "net_idr": f.net,
        "taxes": [
            {
                "tax": OUTPUT_KEY[t],
                "amount_idr": f.amount(t),
                "withheld_by_collector_idr": f.collected(t),
            }
            for t in TAX_ORDER
            if f.amount(t) or f.collected(t)
        ],
    }


def deposit_out(d: TaxDeposit) -> dict[str, Any]:
    return {
        "id": d.pk,
        "invoice_id": d.invoice_id,
        "invoice_number": d.invoice.number,
        "tax": OUTPUT_KEY[d.tax],
        "account_code": d.account_code,
        "amount_idr": d.amount_idr,
        "tax_period": d.tax_period,
        "due_date": d.due_date,
        "status": d.status,
        "overdue": rules.is_overdue(
            status=d.status, due_date=d.due_date, today=clock.today_jakarta()
        ),
        "late": rules.late(
            status=d.status,
            due_date=d.due_date,
            deposited_on=d.deposited_on,
            today=clock.today_jakarta(),
        ),
        "billing_code": d.billing_code,
        "ntpn": d.ntpn,
        "ntb": d.ntb,
        "deposited_on": d.deposited_on,
    }


def credit_note_out(note: CreditNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "number": note.number,
        "reason": note.reason,
        "issued_by_id": note.issued_by_id,
        "issued_at": note.issued_at,
        "figures": figures_out(note.figures()),
        "lines": [
            {"invoice_line_id": x.invoice_line_id, "quantity": x.quantity, "base_idr": x.base_idr}
            for x in note.lines.all()
        ],
    }


def _detail(actor: User, invoice_id: int) -> dict[str, Any]:
    invoice = queries.invoice_for(actor, invoice_id)
    data: dict[str, Any] = {
        field: getattr(invoice, field)
        for field in InvoiceFields.model_fields
        if hasattr(Invoice, field) or field == "id"
    }
    data.update(
        receipt_number=invoice.receipt.number,
        order_number=invoice.order.number,
        satker_code=invoice.satker.code,
        satker_name=invoice.satker.name,
        vendor_name=invoice.vendor.business_name,
        split=invoice.split,
        vendor_pkp=invoice.vendor_pkp,
        vendor_suket=invoice.vendor_suket,
        verified_by_id=invoice.verified_by_id,
        verified_at=invoice.verified_at,
        return_reason=invoice.return_reason,
        lines=list(invoice.lines.all()),
        taxes=figures_out(invoice.figures())["taxes"],
        explanation=invoice.quote.get("explanation", []),
        credit_notes=[credit_note_out(n) for n in queries.credit_notes(invoice)],
        outstanding=figures_out(queries.outstanding(invoice)),
        deposits=[deposit_out(d) for d in invoice.deposits.select_related("invoice")],
        allowed_actions=queries.allowed_actions(actor, invoice),
    )
    return data


def _invoice(request: HttpRequest, invoice_id: int) -> tuple[User, Invoice]:
    actor = actor_of(request)
    return actor, queries.invoice_for(actor, invoice_id)


@router.get("/invoices", response=list[InvoiceOut])
@paginate(CursorPagination, ordering=("-invoice_date", "-id"))
def invoices(request: HttpRequest, state: str = "", todo: bool = False) -> Any:
    """The invoices the caller sees (the satker's, or the vendor's own); ``todo=true``: those
    waiting for the caller's role."""
    actor = actor_of(request)
    require(actor, "invoice.view")
    found = queries.todo(actor) if todo else queries.visible_invoices(actor)
    return found.filter(state=state) if state else found


@router.get("/invoices/counts", response=dict[str, int])
def counts(request: HttpRequest) -> dict[str, int]:
    actor = actor_of(request)
    require(actor, "invoice.view")
    result = queries.counts_by_state(actor)
    result["todo"] = queries.todo(actor).count()
    return result


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut)
def invoice_detail(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return _detail(actor_of(request), invoice_id)


@router.post("/invoices/{invoice_id}/vendor-numbers", response=InvoiceDetailOut)
def vendor_numbers(
    request: HttpRequest, invoice_id: int, payload: VendorNumbersIn
) -> dict[str, Any]:
    """The vendor's own invoice number and the faktur pajak number (until verified)."""
    actor, invoice = _invoice(request, invoice_id)
    services.set_vendor_numbers(
        actor,
        invoice,
        vendor_invoice_number=payload.vendor_invoice_number,
        tax_invoice_number=payload.tax_invoice_number,
    )
    return _detail(actor, invoice_id)


@router.post("/invoices/{invoice_id}/verify", response=InvoiceDetailOut)
def verify(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    """The PPK verifies the invoice (tagihan diuji); its tax deposits are made."""
    actor, invoice = _invoice(request, invoice_id)
    services.verify_invoice(actor, invoice)
    return _detail(actor, invoice_id)


@router.post("/invoices/{invoice_id}/return", response=InvoiceDetailOut)
def return_invoice(request: HttpRequest, invoice_id: int, payload: ReasonIn) -> dict[str, Any]:
    actor, invoice = _invoice(request, invoice_id)
    services.return_invoice(actor, invoice, reason=payload.reason)
    return _detail(actor, invoice_id)


@router.post("/invoices/{invoice_id}/credit-notes", response={201: CreditNoteOut})
def credit_note(request: HttpRequest, invoice_id: int, payload: CreditNoteIn) -> Status[Any]:
    """The PPK corrects the invoice with a credit note (fewer units or a lower value)."""
    actor, invoice = _invoice(request, invoice_id)
    lines: dict[int, rules.CreditRequest] = {}
    for line in payload.lines:
        if line.line_id in lines:
            raise ValidationFailed(
                _("Setiap baris tagihan hanya sekali dalam satu nota kredit."),
                details={"field": "lines"},
            )
        lines[line.line_id] = rules.CreditRequest(quantity=line.quantity, amount=line.amount_idr)
    note = services.issue_credit_note(actor, invoice, lines=lines, reason=payload.reason)
    return Status(201, credit_note_out(note))


def _period(raw: str) -> date:
    if not raw:
        return rules.tax_period(clock.today_jakarta())
    try:
        year, month = (int(x) for x in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed(
            _("Masa pajak ditulis YYYY-MM, mis. 2026-07."), details={"field": "period"}
        ) from None


@router.get("/tax-deposits", response=list[DepositOut])
def deposits(request: HttpRequest, satker: str = "", period: str = "") -> list[dict[str, Any]]:
    """The satker's tax deposits (the caller's own satker, or one an overseer names);
    ``period=YYYY-MM`` for one month."""
    actor = actor_of(request)
    found = queries.satker_for_report(actor, satker or None)
    month = _period(period) if period else None
    return [deposit_out(d) for d in queries.deposits_of(found, period=month)]


@router.get("/tax-report", response=TaxReportOut)
def tax_report(request: HttpRequest, satker: str = "", period: str = "") -> dict[str, Any]:
    """The satker's monthly tax report: collected, deposited, outstanding per account code."""
    actor = actor_of(request)
    found = queries.satker_for_report(actor, satker or None)
    report = queries.monthly_report(found, _period(period))

    def row(r: rules.ReportRow) -> dict[str, Any]:
        return {
            "account_code": r.account_code,
            "tax": OUTPUT_KEY[r.tax] if r.tax else "",
            "collected_idr": r.collected,
            "deposited_idr": r.deposited,
            "outstanding_idr": r.outstanding,
            "overdue_idr": r.overdue,
            "count": r.count,
        }

    return {
        "satker_code": found.code,
        "satker_name": found.name,
        "period": report.period.strftime("%Y-%m"),
        "rows": [row(r) for r in report.rows],
        "total": row(report.total),
    }
