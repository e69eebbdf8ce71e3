"""HTTP API of books: the books of a satker's month, its LPJ (read, submit), the
reconciliation cases (read, take, note, close). Thin: the services and the gate decide."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.books import queries, rules, services
from digipay.books.models import ReconciliationCase
from digipay.books.schemas import (
    BookOut,
    CaseDetailOut,
    CaseOut,
    CloseIn,
    LpjIn,
    LpjOut,
    NoteIn,
    RunIn,
    RunOut,
)
from digipay.core.errors import ValidationFailed
from digipay.idempotency.decorators import idempotent

router = Router(tags=["books"])


@router.get("/books/{slug}", response=BookOut)
def book(request: HttpRequest, slug: str, satker: str = "", month: str = "") -> dict[str, Any]:
    """One book (``bku``, ``bank``, ``up``, ``pajak``) of a satker for a month, from the
    ledger: opening balance, rows with a running balance, closing balance."""
    actor = actor_of(request)
    org = queries.satker_for(actor, satker or None)
    found = queries.book(actor, org, slug, queries.parse_month(month))
    return {
        "book": found.spec.slug,
        "title": str(found.spec.title),
        "satker": org.code,
        "month": f"{found.period:%Y-%m}",
        "opening_idr": found.opening,
        "closing_idr": found.closing,
        "total_debit_idr": found.total_debit,
        "total_credit_idr": found.total_credit,
        "rows": [asdict(r) for r in found.rows],
    }


def _month(raw: str) -> Any:
    period = queries.parse_month(raw)
    if raw and f"{period:%Y-%m}" != raw:
        raise ValidationFailed(_("Format bulan harus YYYY-MM."), details={"field": "month"})
    return period


@router.get("/lpj", response=LpjOut)
def lpj(request: HttpRequest, satker: str = "", month: str = "") -> dict[str, Any]:
    """The month's LPJ: the frozen copy once submitted, else the figures as they stand (the
    bank's closing balance is asked of the bank)."""
    actor = actor_of(request)
    org = queries.satker_for(actor, satker or None)
    period = _month(month)
    found = queries.lpj_of(actor, org, period)
    if found is not None:
        return {
            "satker": org.code,
            "month": f"{period:%Y-%m}",
            "submitted": True,
            "number": found.number,
            "due_date": found.due_date,
            "late": found.late,
            "up_tunai_idr": found.up_tunai_idr,
            "up_kkp_idr": found.up_kkp_idr,
            "kkp_bill_paid_idr": found.kkp_bill_paid_idr,
            "taxes_held_idr": found.taxes_held_idr,
            "bank_closing_idr": found.bank_closing_idr,
            "bank_closing_at": found.bank_closing_at,
            "in_transit_idr": found.in_transit_idr,
            "unexplained_idr": 0,
            "transit_items": found.transit_items,
            "open_cases": found.open_cases,
            "unused_up_idr": found.unused_up_idr,
            "up_returned": found.up_returned,
            "submitted_at": found.submitted_at,
        }
    f = services.lpj_figures(actor, org, period)
    return {
        "satker": org.code,
        "month": f"{period:%Y-%m}",
        "submitted": False,
        "number": "",
        "due_date": f.due_date,
        "late": f.late,
        "up_tunai_idr": f.up_tunai,
        "up_kkp_idr": f.up_kkp,
        "kkp_bill_paid_idr": f.kkp_bill_paid,
        "taxes_held_idr": f.taxes_held,
        "bank_closing_idr": f.bank_closing,
        "bank_closing_at": f.cut_off,
        "in_transit_idr": f.in_transit,
        "unexplained_idr": f.unexplained,
        "transit_items": [asdict(i) for i in f.items],
        "open_cases": f.open_cases,
        "unused_up_idr": f.unused_up,
        "up_returned": f.up_returned,
        "submitted_at": None,
    }


@router.post("/lpj", response={201: LpjOut})
@idempotent()
def submit_lpj(request: HttpRequest, payload: LpjIn) -> Status[Any]:
    """The Bendahara submits her satker's LPJ of the month (its figures are frozen);
    refused (409) when the bank's balance and the book's do not agree."""
    actor = actor_of(request)
    org = queries.satker_for(actor, None, "lpj.submit")
    period = _month(payload.month)
    services.submit_lpj(actor, org, period)
    return Status(201, lpj(request, satker=org.code, month=f"{period:%Y-%m}"))


def _case(case: ReconciliationCase) -> dict[str, Any]:
    return {
        **{f: getattr(case, f) for f in CaseOut.model_fields},
        "notes": [
            {"author_id": n.author_id, "text": n.text, "created_at": n.created_at}
            for n in case.notes.all()
        ],
    }


@router.post("/reconciliation/runs", response={201: RunOut})
@idempotent()
def rerun(request: HttpRequest, payload: RunIn) -> Status[Any]:
    """Reconcile a day of the satker again now (asks the bank); the run's counts, or its
    ``error`` when the statement could not be read."""
    actor = actor_of(request)
    org = queries.satker_for(actor, payload.satker or None, "reconciliation.view")
    run = services.rerun_day(actor, org, payload.day)
    return Status(201, {f: getattr(run, f) for f in RunOut.model_fields})


@router.get("/reconciliation/cases", response=list[CaseOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def cases(request: HttpRequest, status: str = "open") -> Any:
    """Reconciliation cases the actor may see (``status``: open — the default —, all, or
    one status)."""
    found = queries.visible_cases(actor_of(request))
    if status == "open":
        return found.filter(status__in=rules.OPEN_CASE_STATUSES)
    return found.filter(status=status) if status in rules.CaseStatus.values else found


@router.get("/reconciliation/cases/{case_id}", response=CaseDetailOut)
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _case(queries.case_for(actor_of(request), case_id))


@router.post("/reconciliation/cases/{case_id}/take", response=CaseDetailOut)
@idempotent()
def take(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The actor takes the case (the Bendahara, or the KPPN taking it over)."""
    actor = actor_of(request)
    queries.case_for(actor, case_id)
    return _case(services.take_case(actor, case_id))


@router.post("/reconciliation/cases/{case_id}/notes", response={201: CaseDetailOut})
@idempotent()
def note(request: HttpRequest, case_id: int, payload: NoteIn) -> Status[Any]:
    actor = actor_of(request)
    queries.case_for(actor, case_id)
    services.add_note(actor, case_id, payload.text)
    return Status(201, _case(queries.case_for(actor, case_id)))


@router.post("/reconciliation/cases/{case_id}/close", response=CaseDetailOut)
@idempotent()
def close(request: HttpRequest, case_id: int, payload: CloseIn) -> dict[str, Any]:
    """Resolve or dismiss the case, with a reason."""
    actor = actor_of(request)
    queries.case_for(actor, case_id)
    return _case(services.close_case(actor, case_id, status=payload.status, reason=payload.reason))
