"""Overdue bills are flagged (pages, API filter) and reminded once a day; the KPPN of the
satker sees its bills; the worker jobs and the settlement listener are registered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from digipay.cardbills import services
from digipay.cardbills.models import CardBill
from digipay.core import clock
from digipay.notifications.models import Notification
from digipay.payments import services as payments
from digipay.payments.rules import Purpose
from digipay.worker import registry

from .conftest import BENDAHARA, PPK, CardBank, Shop, user
from .test_cardbills import after, card_paid, fetch, month_of

Run = Callable[[], int]
KPPN_A = "admin@kppn019.demo.digipay.id"


def test_an_unpaid_bill_past_due_is_flagged_and_reminded(
    shop: Shop, bank: CardBank, run_worker: Run, api_as: Any
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    bill = fetch(month)
    late = after(month) + timedelta(days=20)
    assert bill.due_date < late.date()
    with clock.frozen(after(month)):
        ppk = api_as(PPK)
        assert ppk.get(f"/api/v1/card-bills/{bill.pk}").json()["overdue"] is False
        assert ppk.get("/api/v1/card-bills", state="OVERDUE").json()["items"] == []
        assert services.remind_overdue() == 0
    with clock.frozen(late):
        ppk = api_as(PPK)
        assert ppk.get(f"/api/v1/card-bills/{bill.pk}").json()["overdue"] is True
        [row] = ppk.get("/api/v1/card-bills", state="OVERDUE").json()["items"]
        assert row["id"] == bill.pk
        last = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert services.remind_overdue() == 1
        told = Notification.objects.filter(id__gt=last, title="Tagihan KKP lewat jatuh tempo")
        assert {n.recipient_id for n in told} == {user(BENDAHARA).pk, user(PPK).pk}
        # The KPPN of the satker sees the bill (read-only), flagged.
        kppn = api_as(KPPN_A)
        [seen] = kppn.get("/api/v1/card-bills").json()["items"]
        assert (seen["id"], seen["overdue"], seen["satker_code"]) == (bill.pk, True, "415256")
        assert kppn.post(f"/api/v1/card-bills/{bill.pk}/verify").status_code in (403, 404)
    assert CardBill.objects.get(pk=bill.pk).verified_by is None


def test_the_jobs_and_the_listener_are_registered() -> None:
    names = {job.name for job in registry.jobs()}
    assert {"cardbills.fetch_bills", "cardbills.remind_overdue"} <= names
    assert services._transfer_settled in payments._listeners[Purpose.CARD_BILL]
