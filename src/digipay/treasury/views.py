"""Treasury pages: UP position, the satker's ledger with drill-down, UP/TUP/KKP-share forms for
the KPPN and Kanwil, and KKP card management."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from digipay.accounts import permissions
from digipay.accounts.forms import add_domain_error
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import SATKER_STAFF_ROLES, OrgKind, Role, role_allows
from digipay.core import clock
from digipay.core.errors import DomainError, NotFound
from digipay.ledger import queries as ledger_queries
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.treasury import forms, queries, services
from digipay.treasury.models import CardStatus, KkpCard, UpAllocation, UpKind


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _satker(pk: int) -> Organisation:
    satker = (
        Organisation.objects.filter(pk=pk, kind=OrgKind.SATKER).select_related("parent").first()
    )
    if satker is None:
        raise NotFound(_("Data tidak ditemukan."))
    return satker


@login_required
def my_up_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.role not in SATKER_STAFF_ROLES | {Role.SATKER_ADMIN}:
        return redirect("accounts:satker_list")
    return redirect("treasury:up_position", satker_id=actor.organisation_id)


@login_required
def up_position_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.view", satker)
    position = queries.up_position(satker)
    today = clock.today_jakarta()
    threshold = policy.value_in_force(PolicyKey.GUP_THRESHOLD, today)
    tunai = position["tunai"]
    return render(
        request,
        "treasury/up_position.html",
        {
            "satker": satker,
            "position": position,
            "allocations": queries.allocations_of(satker),
            "kkp_share": queries.kkp_share(satker, today) * 100,
            "gup_ready": tunai.allocated > 0 and tunai.used_share >= threshold,
            "gup_threshold": threshold * 100,
            "can_record": actor.role == Role.KPPN_ADMIN,
            "can_set_share": actor.role == Role.KANWIL_ADMIN,
            "can_view_cards": role_allows([actor.role], "card.view"),
            "cards": queries.cards_of(satker),
        },
    )


@login_required
def ledger_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.view", satker)
    page = Paginator(ledger_queries.entries_of([satker.pk]), 25).get_page(request.GET.get("page"))
    return render(request, "treasury/ledger.html", {"satker": satker, "page": page})


@login_required
def entry_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = _actor(request)
    entry = ledger_queries.entry_with_postings(entry_id)
    if entry is None:
        raise NotFound(_("Data tidak ditemukan."))
    satker = _satker(entry.tenant_id)
    permissions.require(actor, "up.view", satker)
    owners = {
        o.pk: o
        for o in Organisation.objects.filter(
            pk__in={p.account.owner_id for p in entry.postings.all()}
        )
    }
    return render(
        request, "treasury/entry.html", {"satker": satker, "entry": entry, "owners": owners}
    )


def _service_form(
    request: HttpRequest,
    form: django_forms.Form,
    *,
    satker: Organisation,
    title: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The one shape of the KPPN/Kanwil forms: parse, call the service, show its refusal on the
    form or go back to the UP position with a message."""
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("treasury:up_position", satker_id=satker.pk)
    return render(request, "treasury/form.html", {"form": form, "satker": satker, "title": title})


@login_required
def record_up_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.record", satker)
    initial = {"fiscal_year": clock.today_jakarta().year, "funding_source": "RM"}
    return _service_form(
        request,
        forms.UpForm(request.POST or None, initial=initial),
        satker=satker,
        title=_("Catat UP dari SP2D-UP"),
        done=_("UP dicatat dan dibukukan."),
        act=lambda data: services.record_up(actor, satker=satker, **data),
    )


@login_required
def record_tup_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.record", satker)
    return _service_form(
        request,
        forms.TupForm(request.POST or None),
        satker=satker,
        title=_("Catat TUP"),
        done=_("TUP dicatat dan dibukukan."),
        act=lambda data: services.record_tup(actor, satker=satker, **data),
    )


@login_required
def return_up_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.record", satker)
    initial = {"fiscal_year": clock.today_jakarta().year}
    return _service_form(
        request,
        forms.UpReturnForm(request.POST or None, initial=initial),
        satker=satker,
        title=_("Catat pengembalian sisa UP"),
        done=_("Pengembalian sisa UP dicatat dan dibukukan."),
        act=lambda data: services.return_up(actor, satker=satker, **data),
    )


@login_required
def extend_tup_view(request: HttpRequest, tup_id: int) -> HttpResponse:
    actor = _actor(request)
    tup = UpAllocation.objects.filter(pk=tup_id, kind=UpKind.TUP).select_related("satker").first()
    if tup is None:
        raise NotFound(_("Data tidak ditemukan."))
    permissions.require(actor, "up.record", tup)
    return _service_form(
        request,
        forms.TupExtendForm(request.POST or None),
        satker=tup.satker,
        title=_("Perpanjang TUP"),
        done=_("Batas pertanggungjawaban TUP diperpanjang."),
        act=lambda data: services.extend_tup(actor, tup, reason=data["reason"]),
    )


@login_required
def kkp_share_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "up.set_kkp_share", satker)
    current = queries.kkp_share(satker, clock.today_jakarta())
    return _service_form(
        request,
        forms.KkpShareForm(request.POST or None, initial={"share_percent": int(current * 100)}),
        satker=satker,
        title=_("Ubah porsi UP KKP"),
        done=_("Porsi UP KKP diubah untuk UP berikutnya."),
        act=lambda data: services.set_kkp_share(
            actor,
            satker=satker,
            share=Fraction(data["share_percent"], 100),
            reason=data["reason"],
        ),
    )


@login_required
def cards_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = _satker(satker_id)
    permissions.require(actor, "card.view", satker)
    can_manage = role_allows([actor.role], "card.manage") and actor.organisation_id == satker.pk
    staff = User.objects.filter(
        organisation=satker,
        is_active=True,
        role__in=[Role.PPK, Role.PEJABAT_PENGADAAN, Role.BENDAHARA, Role.KPA, Role.PEMESAN],
    )
    banks = Organisation.objects.filter(kind=OrgKind.BANK).order_by("name")
    form = forms.CardForm(
        request.POST if "issue" in request.POST else None,
        cardholders=[(u.pk, f"{u.full_name} — {u.get_role_display()}") for u in staff],
        banks=[(b.pk, f"{b.name} ({b.code})") for b in banks],
    )
    if request.method == "POST" and can_manage:
        try:
            if "issue" in request.POST:
                if form.is_valid():
                    data = form.cleaned_data
                    services.issue_kkp_card(
                        actor,
                        satker=satker,
                        cardholder=staff.get(pk=data["cardholder"]),
                        bank=banks.get(pk=data["bank"]),
                        bank_card_ref=data["bank_card_ref"],
                        last4=data["last4"],
                        card_limit_idr=data["card_limit_idr"],
                        issued_on=data["issued_on"],
                    )
                    messages.success(request, _("Kartu KKP dicatat."))
                    return redirect("treasury:cards", satker_id=satker.pk)
            else:
                card = KkpCard.objects.filter(
                    pk=request.POST.get("card", "0") or 0, satker=satker
                ).first()
                if card is None:
                    raise NotFound(_("Data tidak ditemukan."))
                if "card_limit_idr" in request.POST:
                    limit_form = forms.CardLimitForm(request.POST)
                    if limit_form.is_valid():
                        services.change_card_limit(actor, card, **limit_form.cleaned_data)
                        messages.success(request, _("Limit kartu diubah."))
                    else:
                        messages.error(request, _("Limit tidak valid."))
                else:
                    status_form = forms.CardStatusForm(request.POST)
                    if status_form.is_valid():
                        services.set_card_status(actor, card, **status_form.cleaned_data)
                        messages.success(request, _("Status kartu diubah."))
                    else:
                        messages.error(request, _("Status dan alasan wajib diisi."))
                return redirect("treasury:cards", satker_id=satker.pk)
        except DomainError as exc:
            if "issue" in request.POST:
                add_domain_error(form, exc)
            else:
                messages.error(request, exc.message)
                return redirect("treasury:cards", satker_id=satker.pk)
    return render(
        request,
        "treasury/cards.html",
        {
            "satker": satker,
            "lines": queries.cards_of(satker),
            "form": form,
            "can_manage": can_manage,
            "statuses": CardStatus.choices,
        },
    )
