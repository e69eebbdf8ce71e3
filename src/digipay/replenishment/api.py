"""HTTP API of replenishment: GUP readiness, SPMs (draft, sign, approve, reject, cancel,
retry the credit), sanctions. Thin: the services and the gate decide; the writes honour
``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import User
from digipay.core.errors import NotFound, ValidationFailed
from digipay.idempotency.decorators import idempotent
from digipay.replenishment import queries, services
from digipay.replenishment.models import SanctionNotice, Spm
from digipay.replenishment.rules import SpmKind
from digipay.replenishment.schemas import (
    DecideCutIn,
    DraftIn,
    ReadinessOut,
    ReasonIn,
    SanctionOut,
    SignIn,
    SpmDetailOut,
    SpmOut,
)
from digipay.treasury.models import UpAllocation

router = Router(tags=["replenishment"])


def summary(spm: Spm) -> dict[str, Any]:
    return {
        "id": spm.pk,
        "kind": spm.kind,
        "number": spm.number,
        "satker_code": spm.satker.code,
        "kppn_code": spm.kppn.code,
        "fiscal_year": spm.fiscal_year,
        "spm_date": spm.spm_date,
        "amount_idr": spm.amount_idr,
        "tax_total_idr": spm.tax_total_idr,
        "state": spm.state,
        "reason": spm.reason,
        "span_id": spm.span_id,
        "sp2d_number": spm.sp2d_number,
        "sp2d_date": spm.sp2d_date,
        "tup_due_date": spm.tup_due_date,
        "credit_status": spm.credit_status,
        "bank_reference": spm.bank_reference,
        "credited_at": spm.credited_at,
        "rejection_reason": spm.rejection_reason,
        "last_error": spm.last_error,
        "restored": spm.ledger_entry_id is not None,
    }


def detail(spm: Spm) -> dict[str, Any]:
    spm = Spm.objects.select_related("satker", "kppn").get(pk=spm.pk)
    return {
        **summary(spm),
        "card_bills": [
            {
                "card_bill_id": b.card_bill_id,
                "card_last4": b.card_bill.card.last4,
                "billing_month": b.card_bill.billing_month,
                "total_idr": b.total_idr,
                "active": b.active,
            }
            for b in spm.card_bills.select_related("card_bill__card")
        ],
        "lines": [
            {
                "number": line.number,
                "vendor_name": line.vendor_name,
                "npwp": line.npwp,
                "akun": line.akun,
                "gross_idr": line.gross_idr,
                "taxes": dict(line.taxes),
                "net_idr": line.net_idr,
                "active": line.active,
            }
            for line in queries.lines_of(spm)
        ],
    }


@router.get("/replenishment/readiness", response=ReadinessOut)
def readiness(request: HttpRequest) -> dict[str, Any]:
    """The Bendahara's GUP Tunai readiness (UP Tunai spent against the policy's threshold)."""
    actor: User = actor_of(request)
    satker = services.satker_for_reading(actor)
    found = queries.gup_readiness(satker)
    return {
        "up_tunai_idr": found.up_tunai,
        "spent_idr": found.spent,
        "in_progress_idr": found.in_progress,
        "threshold": f"{found.threshold.numerator}/{found.threshold.denominator}",
        "threshold_idr": found.threshold_amount,
        "ready": found.ready,
        "invoices": found.invoices,
        "held": [
            {
                "number": h.number,
                "refunded_idr": h.refunded_idr,
                "waiting": h.waiting,
                "reason": h.reason,
            }
            for h in found.held
        ],
    }


@router.get("/replenishment/spms", response=list[SpmOut])
@paginate(CursorPagination, ordering=("-drafted_at", "-id"))
def spms(request: HttpRequest, state: str = "", kind: str = "") -> Any:
    found = queries.visible_spms(actor_of(request))
    if state:
        found = found.filter(state=state)
    if kind:
        found = found.filter(kind=kind)
    return found


@router.get("/replenishment/kppn/queue", response=list[SpmOut])
@paginate(CursorPagination, ordering=("submitted_at", "id"))
def kppn_queue(request: HttpRequest) -> Any:
    """The KPPN's queue: submitted SPMs of the satkers it pays, oldest first."""
    return queries.kppn_queue(actor_of(request))


@router.get("/replenishment/spms/{spm_id}", response=SpmDetailOut)
def spm_detail(request: HttpRequest, spm_id: int) -> dict[str, Any]:
    return detail(queries.spm_for(actor_of(request), spm_id))


@router.post("/replenishment/spms", response={201: SpmDetailOut})
@idempotent()
def draft(request: HttpRequest, payload: DraftIn) -> Status[Any]:
    """The Bendahara drafts an SPM-GUP (paid invoices), SPM-GUP KKP (paid KKP bills), SPM-TUP
    (amount, urgent need) or SPM-PTUP (a TUP's paid invoices). It waits for the PPSPM."""
    actor: User = actor_of(request)
    if payload.kind == SpmKind.GUP:
        spm = services.draft_gup(actor, payment_invoice_ids=payload.payment_invoice_ids)
    elif payload.kind == SpmKind.GUP_KKP:
        spm = services.draft_gup_kkp(actor, card_bill_ids=payload.card_bill_ids)
    elif payload.kind == SpmKind.TUP:
        spm = services.request_tup(actor, amount_idr=payload.amount_idr or 0, reason=payload.reason)
    elif payload.kind == SpmKind.PTUP:
        tup = UpAllocation.objects.filter(pk=payload.tup_id or 0).first()
        if tup is None:
            raise NotFound(_("TUP tidak ditemukan."))
        spm = services.draft_ptup(actor, tup=tup, payment_invoice_ids=payload.payment_invoice_ids)
    else:
        raise ValidationFailed(_("Jenis SPM tidak dikenal."), details={"field": "kind"})
    return Status(201, detail(spm))


@router.post("/replenishment/spms/{spm_id}/sign", response=SpmDetailOut)
@idempotent(ignore_fields=("otp",))
def sign(request: HttpRequest, spm_id: int, payload: SignIn) -> dict[str, Any]:
    """The PPSPM signs (TOTP) and the SPM goes to SPAN."""
    actor: User = actor_of(request)
    spm = queries.spm_for(actor, spm_id)
    return detail(services.sign_spm(actor, spm, otp=payload.otp))


@router.post("/replenishment/spms/{spm_id}/approve", response=SpmDetailOut)
@idempotent()
def approve(request: HttpRequest, spm_id: int) -> dict[str, Any]:
    actor: User = actor_of(request)
    return detail(services.approve_spm(actor, queries.spm_for(actor, spm_id)))


@router.post("/replenishment/spms/{spm_id}/reject", response=SpmDetailOut)
@idempotent()
def reject(request: HttpRequest, spm_id: int, payload: ReasonIn) -> dict[str, Any]:
    actor: User = actor_of(request)
    spm = queries.spm_for(actor, spm_id)
    return detail(services.reject_spm(actor, spm, reason=payload.reason))


@router.post("/replenishment/spms/{spm_id}/cancel", response=SpmDetailOut)
@idempotent()
def cancel(request: HttpRequest, spm_id: int, payload: ReasonIn) -> dict[str, Any]:
    actor: User = actor_of(request)
    spm = queries.spm_for(actor, spm_id)
    return detail(services.cancel_spm(actor, spm, reason=payload.reason))


@router.post("/replenishment/spms/{spm_id}/retry-credit", response=SpmDetailOut)
@idempotent()
def retry_credit(request: HttpRequest, spm_id: int) -> dict[str, Any]:
    actor: User = actor_of(request)
    return detail(services.retry_credit(actor, queries.spm_for(actor, spm_id)))


def sanction_out(notice: SanctionNotice) -> dict[str, Any]:
    return {
        "id": notice.pk,
        "satker_code": notice.satker.code,
        "level": notice.level,
        "since": notice.since,
        "months": notice.months,
        "up_amount_idr": notice.up_amount_idr,
        "cut_amount_idr": notice.cut_amount_idr,
        "detected_on": notice.detected_on,
        "decided_at": notice.decided_at,
        "decision_note": notice.decision_note,
    }


@router.get("/replenishment/sanctions", response=list[SanctionOut])
@paginate(CursorPagination, ordering=("-detected_on", "-id"))
def sanctions(request: HttpRequest) -> Any:
    return queries.sanctions(actor_of(request))


@router.post("/replenishment/sanctions/{notice_id}/decide", response=SanctionOut)
@idempotent()
def decide_cut(request: HttpRequest, notice_id: int, payload: DecideCutIn) -> dict[str, Any]:
    actor: User = actor_of(request)
    notice = queries.sanctions(actor).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(_("Data tidak ditemukan."))
    return sanction_out(services.decide_cut(actor, notice, note=payload.note))
