"""Who hears about an order's step (the next actor, in-app and by e-mail through the worker),
and the reminders before the scheduler's auto-cancel deadlines (DOMAIN.md §4: "every
transition is … notified to the parties")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.notifications import services as notifications
from digipay.orders import rules
from digipay.orders.models import Order
from digipay.orders.rules import OrderState, Side

VENDOR_DESK = (Role.VENDOR_ADMIN, Role.VENDOR_STAFF)
BUYER_DESK = (Role.PEJABAT_PENGADAAN, Role.PPK)
A = rules.Action
# Proposals after confirmation: who must answer (or decide) next.
TO_VENDOR = frozenset(
    {A.BUYER_ASK_CANCEL, A.BUYER_REFUSE_CANCEL, A.BUYER_ASK_DATE, A.BUYER_AGREE_DATE}
    | {A.BUYER_REFUSE_DATE, A.BUYER_ESCALATE}
)
TO_BUYER = frozenset(
    {A.VENDOR_ASK_CANCEL, A.VENDOR_REFUSE_CANCEL, A.VENDOR_ASK_DATE, A.VENDOR_AGREE_DATE}
    | {A.VENDOR_REFUSE_DATE, A.VENDOR_ESCALATE}
)


def _satker(order: Order, *roles: str) -> list[User]:
    return list(
        User.objects.filter(organisation_id=order.satker_id, role__in=roles, is_active=True)
    )


def _vendor(order: Order, *roles: str) -> list[User]:
    return list(
        User.objects.filter(
            organisation_id=order.vendor_organisation_id, role__in=roles, is_active=True
        )
    )


def _kppn(order: Order) -> list[User]:
    """The help desk of the KPPN above the satker."""
    parent = Organisation.objects.filter(pk=order.satker_id).values_list("parent_id", flat=True)
    return list(
        User.objects.filter(organisation_id__in=parent, role=Role.KPPN_ADMIN, is_active=True)
    )


def recipients(order: Order, action: str) -> list[User]:
    """The people whose turn it is after ``action`` (or who must know the order ended)."""
    state = order.state
    if state not in rules.TERMINAL:
        escalated = _kppn(order) if action in (A.BUYER_ESCALATE, A.VENDOR_ESCALATE) else []
        if action in TO_VENDOR:
            return escalated + _vendor(order, *VENDOR_DESK)
        if action in TO_BUYER:
            return escalated + _satker(order, *BUYER_DESK)
        if action == A.KPPN_CONTINUE:
            return _satker(order, *BUYER_DESK) + _vendor(order, *VENDOR_DESK)
    if state == OrderState.PROSES_NEGO:
        vendor_acted = action in (rules.Action.VENDOR_COUNTER,)
        return (
            _satker(order, Role.PEJABAT_PENGADAAN) if vendor_acted else _vendor(order, *VENDOR_DESK)
        )
    if state in (OrderState.MENUNGGU_RINCIAN, OrderState.NEGO_SELESAI):
        return _satker(order, Role.PEJABAT_PENGADAAN)
    if state == OrderState.MENUNGGU_PPK:
        return [order.ppk] if order.ppk is not None else _satker(order, Role.PPK)
    if state in (OrderState.MENUNGGU_VENDOR, OrderState.KOMPLAIN):
        return _vendor(order, *VENDOR_DESK)
    if state == OrderState.DIPROSES:
        return _vendor(order, *VENDOR_DESK, Role.VENDOR_COURIER)
    if state == OrderState.DIKIRIM:
        return _satker(order, Role.PENERIMA_BARANG)
    if state == OrderState.DITERIMA:
        return _satker(order, Role.BENDAHARA, Role.PPK)
    if state in (OrderState.DITOLAK, OrderState.DIBATALKAN):
        people = [*_satker(order, Role.PEJABAT_PENGADAAN), order.created_by]
        if order.approved_at is not None or action == rules.Action.DECLINE:
            people += _vendor(order, *VENDOR_DESK)
        return people
    return []


def announce(order: Order, action: str, actor: User | None) -> None:
    """Tell the next actors (never the person who just acted)."""
    people = [u for u in recipients(order, action) if actor is None or u.pk != actor.pk]
    if not people:
        return
    state = OrderState(order.state).label
    title = _("Pesanan %(number)s: %(state)s") % {"number": order.number, "state": state}
    body = _("%(action)s oleh %(who)s. Nilai pesanan Rp%(total)s.") % {
        "action": rules.Action(action).label if action in rules.Action.values else action,
        "who": actor.full_name if actor is not None else _("sistem"),
        "total": f"{order.total_idr:,}".replace(",", "."),
    }
    if order.close_reason and order.state in rules.TERMINAL:
        body += " " + _("Alasan: %(reason)s") % {"reason": order.close_reason}
    notifications.notify(_unique(people), title=title, body=body, link=f"/pesanan/{order.pk}/")


def _unique(users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for u in users:
        seen.setdefault(u.pk, u)
    return list(seen.values())


def send_deadline_reminders(now: datetime | None = None) -> int:
    """Once per order: the PPK on the last working day before auto-cancel, the vendor when
    less than a day is left to confirm."""
    now = now or clock.now()
    today = now.astimezone(clock.JAKARTA).date()
    sent = 0
    due = Order.objects.filter(
        Q(state=OrderState.MENUNGGU_PPK, ppk_deadline=today, ppk_reminded_at__isnull=True)
        | Q(
            state=OrderState.MENUNGGU_VENDOR,
            vendor_deadline__lte=now + timedelta(days=1),
            vendor_deadline__gt=now,
            vendor_reminded_at__isnull=True,
        )
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update(of=("self",)).select_related("ppk").get(pk=pk)
            if order.state == OrderState.MENUNGGU_PPK and order.ppk_reminded_at is None:
                people = [order.ppk] if order.ppk else _satker(order, Role.PPK)
                order.ppk_reminded_at = now
                order.save(update_fields=["ppk_reminded_at"])
                side = Side.BUYER
            elif order.state == OrderState.MENUNGGU_VENDOR and order.vendor_reminded_at is None:
                people = _vendor(order, *VENDOR_DESK)
                order.vendor_reminded_at = now
                order.save(update_fields=["vendor_reminded_at"])
                side = Side.VENDOR
            else:
                continue
            title = _("Pengingat: pesanan %(number)s segera batal otomatis") % {
                "number": order.number
            }
            body = (
                _("Hari ini hari kerja terakhir untuk menyetujui atau menolak pesanan ini.")
                if side == Side.BUYER
                else _("Konfirmasi pesanan ini sebelum %(deadline)s.")
                % {
                    "deadline": order.vendor_deadline.astimezone(clock.JAKARTA).strftime(
                        "%d/%m/%Y %H:%M"
                    )
                    if order.vendor_deadline
                    else ""
                }
            )
            notifications.notify(people, title=title, body=body, link=f"/pesanan/{order.pk}/")
            sent += 1
    return sent
