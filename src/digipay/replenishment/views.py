"""Replenishment pages: the Bendahara's GUP readiness, SPMs and TUPs; the PPSPM's signature
queue; one SPM with the actions its viewer may take (sign, cancel, approve, reject, retry the
credit) and its printable form; the KPPN's queue and sanctions. Thin: the same services
decide; a DomainError becomes a message on the page."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digipay.accounts.models import User
from digipay.accounts.permissions import allows
from digipay.core.errors import DomainError, NotFound, ValidationFailed
from digipay.replenishment import queries, services
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmState
from digipay.treasury.models import UpAllocation, UpKind

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def overview_view(request: HttpRequest) -> HttpResponse:
    """The satker's replenishment page: GUP readiness, TUPs, its SPMs (paginated)."""
    actor = _actor(request)
    spms = queries.visible_spms(actor).order_by("-drafted_at", "-id")
    page = Paginator(spms, PAGE_SIZE).get_page(request.GET.get("page"))
    satker = None
    readiness = None
    tups: list[UpAllocation] = []
    with contextlib.suppress(DomainError):  # an overseer has no satker of its own
        satker = services.satker_for_reading(actor)
    if satker is not None:
        readiness = queries.gup_readiness(satker)
        tups = list(queries.open_tups(satker))
    return render(
        request,
        "replenishment/overview.html",
        {
            "page": page,
            "readiness": readiness,
            "tups": tups,
            "can_draft": satker is not None and allows(actor, "spm.draft", satker),
            "can_tup": satker is not None and allows(actor, "tup.request", satker),
            "can_sign": allows(actor, "spm.sign"),
        },
    )


@login_required
@require_POST
def draft_gup_view(request: HttpRequest) -> HttpResponse:
    try:
        spm = services.draft_gup(_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("replenishment:overview")
    messages.success(request, _("SPM-GUP %(number)s dibuat.") % {"number": spm.number})
    return redirect("replenishment:detail", spm_id=spm.pk)


@login_required
@require_POST
def draft_gup_kkp_view(request: HttpRequest) -> HttpResponse:
    try:
        spm = services.draft_gup_kkp(_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("replenishment:overview")
    messages.success(request, _("SPM-GUP KKP %(number)s dibuat.") % {"number": spm.number})
    return redirect("replenishment:detail", spm_id=spm.pk)


@login_required
def request_tup_view(request: HttpRequest) -> HttpResponse:
    error = ""
    values = {"amount_idr": "", "reason": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            raw = values["amount_idr"].replace(".", "").replace(" ", "")
            if not raw.isdigit():
                raise ValidationFailed(_("Besaran TUP harus angka rupiah tanpa desimal."))
            spm = services.request_tup(
                _actor(request), amount_idr=int(raw), reason=values["reason"]
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("SPM-TUP %(number)s dibuat.") % {"number": spm.number})
            return redirect("replenishment:detail", spm_id=spm.pk)
    return render(request, "replenishment/tup_form.html", {"error": error, "values": values})


@login_required
@require_POST
def draft_ptup_view(request: HttpRequest, tup_id: int) -> HttpResponse:
    actor = _actor(request)
    tup = UpAllocation.objects.filter(
        pk=tup_id, kind=UpKind.TUP, satker_id=actor.organisation_id
    ).first()
    if tup is None:
        raise NotFound(_("TUP tidak ditemukan."))
    try:
        spm = services.draft_ptup(actor, tup=tup)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("replenishment:overview")
    messages.success(request, _("SPM-PTUP %(number)s dibuat.") % {"number": spm.number})
    return redirect("replenishment:detail", spm_id=spm.pk)


@login_required
def sign_queue_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(
        request, "replenishment/sign_queue.html", {"spms": list(queries.sign_queue(actor))}
    )


def _act(request: HttpRequest, actor: User, spm: Spm) -> Spm:
    action = request.POST.get("action", "")
    if action == "sign":
        return services.sign_spm(actor, spm, otp=request.POST.get("otp", ""))
    if action == "cancel":
        return services.cancel_spm(actor, spm, reason=request.POST.get("reason", ""))
    if action == "approve":
        return services.approve_spm(actor, spm)
    if action == "reject":
        return services.reject_spm(actor, spm, reason=request.POST.get("reason", ""))
    if action == "retry_credit":
        return services.retry_credit(actor, spm)
    raise ValidationFailed(_("Tindakan tidak dikenal."))


@login_required
def detail_view(request: HttpRequest, spm_id: int) -> HttpResponse:
    actor = _actor(request)
    spm = queries.spm_for(actor, spm_id)
    error = ""
    if request.method == "POST":
        try:
            spm = _act(request, actor, spm)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("replenishment:detail", spm_id=spm.pk)
    is_kppn = allows(actor, "spm.decide", spm) and spm.kppn_id == actor.organisation_id
    deposits = queries.deposits_of(spm) if is_kppn else {}
    rows = [
        (
            line,
            deposits.get(int(line.payment_invoice.invoice_id), [])
            if line.payment_invoice is not None
            else [],
        )
        for line in queries.lines_of(spm)
    ]
    return render(
        request,
        "replenishment/detail.html",
        {
            "spm": spm,
            "rows": rows,
            "card_bills": list(spm.card_bills.select_related("card_bill__card")),
            "show_deposits": is_kppn,
            "error": error,
            "can_sign": spm.state == SpmState.DRAFT and allows(actor, "spm.sign", spm),
            "can_cancel": spm.state == SpmState.DRAFT and allows(actor, "spm.draft", spm),
            "can_decide": is_kppn and spm.state == SpmState.SUBMITTED,
            "can_retry": is_kppn
            and spm.state == SpmState.APPROVED
            and spm.credit_status in (CreditState.PENDING, CreditState.FAILED),
        },
    )


@login_required
def print_view(request: HttpRequest, spm_id: int) -> HttpResponse:
    spm = queries.spm_for(_actor(request), spm_id)
    # The document as drafted and signed: every line, also after a rejection freed them.
    lines = list(queries.lines_of(spm))
    bills = list(spm.card_bills.select_related("card_bill__card"))
    return render(
        request, "replenishment/print.html", {"spm": spm, "lines": lines, "card_bills": bills}
    )


@login_required
def kppn_queue_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    spms = queries.kppn_queue(actor)
    page = Paginator(spms, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "replenishment/kppn_queue.html", {"page": page})


@login_required
def sanctions_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    error = ""
    if request.method == "POST":
        notice = queries.sanctions(actor).filter(pk=request.POST.get("notice") or 0).first()
        try:
            if notice is None:
                raise NotFound(_("Data tidak ditemukan."))
            services.decide_cut(actor, notice, note=request.POST.get("note", ""))
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("replenishment:sanctions")
    notices = queries.sanctions(actor)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "replenishment/sanctions.html",
        {
            "page": page,
            "overdue": list(queries.overdue_tups(actor)),
            "error": error,
            "can_decide": allows(actor, "spm.decide"),
        },
    )
