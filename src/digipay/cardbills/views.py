"""Card bill pages: the list (state tabs, overdue flags, the Bendahara's fetch form), one
bill with its line-by-line reconciliation and the actions the viewer may take (PPK: verify or
dispute; Bendahara: fetch again, pay with TOTP), and the printable verification sheet. Thin:
the services decide; a DomainError becomes a message on the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digipay.accounts.models import User
from digipay.accounts.permissions import allows
from digipay.cardbills import queries, rules, services
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core.errors import DomainError, NotFound

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _tabs() -> list[tuple[str, str]]:
    return [
        ("", _("Semua")),
        (CardBillState.RECEIVED, _("Menunggu verifikasi")),
        (CardBillState.DISPUTED, _("Disanggah")),
        (CardBillState.VERIFIED, _("Siap dibayar")),
        (CardBillState.PAYING, _("Sedang dibayar")),
        (CardBillState.PAID, _("Lunas")),
        ("OVERDUE", _("Lewat jatuh tempo")),
    ]


@login_required
def bill_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    state = request.GET.get("state", "")
    if state not in {key for key, _label in _tabs()}:
        state = ""
    page = Paginator(queries.visible_bills(actor, state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = queries.today()
    rows = [
        {"bill": b, "overdue": rules.is_overdue(b.state, b.due_date, today)}
        for b in page.object_list
    ]
    can_fetch = allows(actor, "card_bill.pay")
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "state": state,
        "tabs": _tabs(),
        "can_fetch": can_fetch,
        "cards": list(queries.fetchable_cards(actor)) if can_fetch else [],
        "default_month": rules.month_text(rules.previous_month(today)),
    }
    return render(request, "cardbills/list.html", context)


@login_required
@require_POST
def fetch_view(request: HttpRequest) -> HttpResponse:
    """The Bendahara fetches a card's bill of an ended month from the bank."""
    actor = _actor(request)
    card = queries.fetchable_cards(actor).filter(pk=_int(request.POST.get("card"))).first()
    if card is None:
        raise NotFound(_("Kartu KKP tidak ditemukan."))
    try:
        month = rules.parse_month(request.POST.get("month", ""))
    except ValueError:
        messages.error(request, _("Bulan tagihan tidak valid (format TTTT-BB)."))
        return redirect("cardbills:list")
    try:
        bill = services.fetch_bill(actor, card, month)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cardbills:list")
    return redirect("cardbills:detail", bill_id=bill.pk)


def _int(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _detail_context(actor: User, bill: CardBill) -> dict[str, Any]:
    running = not rules.month_ended(bill.billing_month, queries.today())
    # Read before the month ended: the running bill, to be fetched again before verification.
    final = rules.fetched_final(bill.billing_month, bill.fetched_at)
    return {
        "bill": bill,
        "rec": queries.reconciliation(bill),
        "overdue": queries.is_overdue(bill),
        "running": running,
        "stale": not running and not final and bill.state in rules.FETCH_REPLACEABLE,
        "can_verify": bill.state == CardBillState.RECEIVED
        and final
        and allows(actor, "card_bill.verify", bill),
        "can_pay": bill.state == CardBillState.VERIFIED
        and final
        and bill.paid_idr == 0
        and allows(actor, "card_bill.pay", bill),
        "can_refetch": (
            bill.state in rules.FETCH_REPLACEABLE
            or (bill.state == CardBillState.VERIFIED and not final)
        )
        and allows(actor, "card_bill.pay"),
    }


@login_required
def bill_detail_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    actor = _actor(request)
    bill = queries.bill_for(actor, bill_id)
    return render(request, "cardbills/detail.html", _detail_context(actor, bill))


@login_required
def sheet_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    """The printable verification sheet: every line, its Digipay payment and the flags."""
    actor = _actor(request)
    bill = queries.bill_for(actor, bill_id)
    return render(request, "cardbills/sheet.html", _detail_context(actor, bill))


def _act(request: HttpRequest, bill_id: int, done: str, action: Any) -> HttpResponse:
    actor = _actor(request)
    bill = queries.bill_for(actor, bill_id)
    try:
        action(actor, bill)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("cardbills:detail", bill_id=bill.pk)


@login_required
@require_POST
def verify_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    return _act(request, bill_id, _("Tagihan KKP diverifikasi."), services.verify_bill)


@login_required
@require_POST
def dispute_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        bill_id,
        _("Sanggahan dicatat."),
        lambda actor, bill: services.dispute_bill(actor, bill, reason=reason),
    )


@login_required
@require_POST
def pay_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    otp = request.POST.get("otp", "")
    return _act(
        request,
        bill_id,
        _("Pembayaran tagihan KKP dikirim ke bank."),
        lambda actor, bill: services.pay_bill(actor, bill, otp=otp),
    )


@login_required
@require_POST
def refetch_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    return _act(
        request,
        bill_id,
        _("Tagihan diambil ulang dari bank."),
        lambda actor, bill: services.fetch_bill(actor, bill.card, bill.billing_month),
    )
