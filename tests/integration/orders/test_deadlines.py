"""The scheduler's automatic cancellations with a frozen clock (DOMAIN.md §4 steps 4–5): the
PPK has AUTO_CANCEL_PPK_WORKDAYS (3) working days — weekends and national holidays do not
count — and the vendor AUTO_CANCEL_VENDOR_DAYS (5) calendar days; any hold is released."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from digipay.audit.models import AuditEvent
from digipay.core import calendar, clock
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.ledger.rules import EntryKind
from digipay.orders import services
from digipay.orders.models import Order, OrderEvent
from digipay.orders.rules import Action
from digipay.orders.rules import OrderState as S

from .conftest import Shop, fresh, tunai


def jakarta(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.JAKARTA)


def run_scheduler(at: datetime) -> int:
    with clock.frozen(at):
        return services.auto_cancel_overdue()


def assert_auto_cancelled(order: Order, why: str) -> None:
    order = fresh(order)
    assert order.state == S.DIBATALKAN
    assert why in order.close_reason
    event = OrderEvent.objects.filter(order=order).last()
    assert event is not None
    assert (event.action, event.actor_id) == (Action.AUTO_CANCEL, None)
    audit = AuditEvent.objects.filter(object_type="orders.order", object_id=str(order.pk)).last()
    assert audit is not None
    assert (audit.action, audit.actor_id) == ("order.auto_cancel", None)


def test_ppk_deadline_skips_christmas_and_the_weekend(shop: Shop) -> None:
    assert calendar.is_holiday(date(2026, 12, 25))  # Friday
    submitted = jakarta(date(2026, 12, 23), 10)  # Wednesday
    with clock.frozen(submitted):
        order = shop.at(S.MENUNGGU_PPK)
        later = shop.submit(shop.order())
    # Thu 24, (Fri 25 Christmas, Sat, Sun), Mon 28, Tue 29.
    assert order.ppk_deadline == date(2026, 12, 29)
    assert later.ppk_deadline == date(2026, 12, 29)
    with clock.frozen(jakarta(date(2026, 12, 28), 9)):
        shop.approve(later)  # the PPK answered this one in time

    assert run_scheduler(jakarta(date(2026, 12, 28), 23, 59)) == 0
    # The last working day, to its very end: not yet.
    assert run_scheduler(jakarta(date(2026, 12, 29), 23, 59)) == 0
    assert fresh(order).state == S.MENUNGGU_PPK
    # The day after: cancelled, and only the silent one.
    assert run_scheduler(jakarta(date(2026, 12, 30), 0, 1)) == 1
    assert_auto_cancelled(order, "PPK")
    assert fresh(order).hold_entry_id is None
    assert fresh(later).state == S.MENUNGGU_VENDOR
    # Idempotent: a second run finds nothing more.
    assert run_scheduler(jakarta(date(2026, 12, 30), 0, 2)) == 0


def test_ppk_deadline_counts_from_the_jakarta_date_not_the_utc_date(shop: Shop) -> None:
    # 00:30 on Tuesday 22/12 in Jakarta is still Monday 21/12 17:30 in UTC.
    with clock.frozen(jakarta(date(2026, 12, 22), 0, 30)):
        order = shop.at(S.MENUNGGU_PPK)
    # From Tuesday 22: Wed 23, Thu 24, (Christmas, weekend) Mon 28. From the UTC Monday it
    # would have been Thursday 24.
    assert order.ppk_deadline == date(2026, 12, 28)
    assert run_scheduler(jakarta(date(2026, 12, 28), 23, 0)) == 0
    # 00:05 on Tuesday 29 in Jakarta is still Monday 28 in UTC: the Jakarta date decides.
    assert run_scheduler(jakarta(date(2026, 12, 29), 0, 5)) == 1


def test_vendor_deadline_five_days_then_the_hold_is_voided(shop: Shop) -> None:
    before = tunai(shop.satker)
    approved_at = jakarta(date(2026, 12, 23), 10)
    with clock.frozen(jakarta(date(2026, 12, 22), 9)):
        order = shop.at(S.MENUNGGU_PPK)
        answered = shop.at(S.MENUNGGU_PPK)
    with clock.frozen(approved_at):
        order = shop.approve(order)
        answered = shop.approve(answered)
    assert order.vendor_deadline == approved_at + timedelta(days=5)
    assert tunai(shop.satker) == before - order.total_idr - answered.total_idr
    with clock.frozen(jakarta(date(2026, 12, 24), 8)):
        shop.confirm(answered)

    # Calendar days, not working days: the deadline is Monday 28/12 10:00 despite Christmas.
    assert run_scheduler(jakarta(date(2026, 12, 28), 9, 59)) == 0
    assert fresh(order).state == S.MENUNGGU_VENDOR
    assert run_scheduler(jakarta(date(2026, 12, 28), 10, 1)) == 1
    assert_auto_cancelled(order, "Vendor")
    order = fresh(order)
    void = Entry.objects.get(resolves_id=order.hold_entry_id)
    assert void.kind == EntryKind.VOID_HOLD
    assert tunai(shop.satker) == before - answered.total_idr  # exactly the one hold released
    assert fresh(answered).state == S.DIPROSES
    assert ledger_queries.validate_ledger() == []
    assert run_scheduler(jakarta(date(2026, 12, 29), 10)) == 0
