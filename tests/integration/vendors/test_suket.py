"""The Suket PPh Final (DOMAIN.md §6, §8): declared with number and dates, checked by the
partner satker, valid for the final 0.5 % only between its dates, and a reminder e-mail once per
Suket in its last 30 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail

from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.vendors import queries, services
from digipay.vendors.models import Vendor
from digipay.vendors.rules import DocumentKind, SuketState, SuketStatus, VendorStatus

from .conftest import PDF, PP_A, PP_C, PPK_A, Api, admin_of, fresh, register, upload, user, verified

pytestmark = pytest.mark.usefixtures("vw")

NUMBER = "KET-00123/PP23/WPJ.09/KP.0803/2026"


def url(vendor: Vendor, tail: str = "") -> str:
    return f"/api/v1/vendors/{vendor.pk}{tail}"


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=clock.JAKARTA)


def test_suket_uploaded_then_accepted_by_the_partner(api: Callable[[str], Api]) -> None:
    vendor = verified()
    today = clock.today_jakarta()
    start, end = today - timedelta(days=100), today + timedelta(days=200)
    owner = api(vendor.email)
    response = owner.patch(
        url(vendor),
        {
            "suket_number": NUMBER,
            "suket_valid_from": start.isoformat(),
            "suket_valid_until": end.isoformat(),
        },
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["status"], out["suket_status"], out["suket_state"]) == (
        VendorStatus.VERIFIED,  # a Suket is no identity change: the vendor keeps selling
        SuketStatus.PENDING,
        SuketState.NOT_VERIFIED,
    )
    assert not fresh(vendor).suket_valid_on(today)  # not before the partner checked it
    assert vendor in queries.verification_queue(user(PP_A))

    partner = api(PP_A)
    response = partner.post(url(vendor, "/suket-decision"), {"accept": True})
    assert response.status_code == 422
    assert response.json()["code"] == "documents_missing"

    response = owner.upload(url(vendor, "/documents/SUKET"), "suket.pdf", PDF, "application/pdf")
    assert response.status_code == 201, response.content
    assert api(PP_C).post(url(vendor, "/suket-decision"), {"accept": True}).status_code == 404
    response = partner.post(url(vendor, "/suket-decision"), {"accept": True})
    assert response.status_code == 200, response.content
    assert response.json()["suket_status"] == SuketStatus.VERIFIED
    assert response.json()["suket_state"] == SuketState.VALID
    assert AuditEvent.objects.filter(
        action="vendor.suket_verified", object_id=str(vendor.pk), actor_id=user(PP_A).pk
    ).exists()
    assert partner.post(url(vendor, "/suket-decision"), {"accept": True}).status_code == 409

    after = fresh(vendor)
    assert not after.suket_valid_on(start - timedelta(days=1))
    assert after.suket_valid_on(start)
    assert after.suket_valid_on(today)
    assert after.suket_valid_on(end)
    assert not after.suket_valid_on(end + timedelta(days=1))
    assert after.suket_state(end - timedelta(days=29)) == SuketState.EXPIRING
    with clock.frozen(at_noon(end + timedelta(days=1))):
        owner = api(vendor.email)  # a token of that day (tokens live 30 days)
        response = owner.get(url(vendor))
        assert response.json()["suket_state"] == SuketState.EXPIRED
        expired = owner.get("/api/v1/vendors", suket="expired").json()["results"]
        assert [v["id"] for v in expired] == [vendor.pk]


def test_a_refused_suket_needs_reasons_and_never_applies() -> None:
    today = clock.today_jakarta()
    vendor = register(
        suket_number=NUMBER,
        suket_valid_from=today - timedelta(days=10),
        suket_valid_until=today + timedelta(days=300),
    )
    upload(vendor, DocumentKind.SUKET)
    with pytest.raises(ValidationFailed):
        services.decide_suket(user(PPK_A), vendor, accept=False, reasons="palsu")
    refused = services.decide_suket(
        user(PPK_A), vendor, accept=False, reasons="Nomor Suket tidak terdaftar di KPP."
    )
    assert refused.suket_status == SuketStatus.REJECTED
    assert not refused.suket_valid_on(today)
    assert AuditEvent.objects.filter(
        action="vendor.suket_rejected", object_id=str(vendor.pk)
    ).exists()
    with pytest.raises(Conflict):
        services.decide_suket(user(PPK_A), fresh(vendor), accept=True)


def test_a_suket_is_verified_together_with_the_business() -> None:
    today = clock.today_jakarta()
    vendor = verified(
        suket_number=NUMBER,
        suket_valid_from=today - timedelta(days=10),
        suket_valid_until=today + timedelta(days=300),
    )
    assert (vendor.status, vendor.suket_status) == (VendorStatus.VERIFIED, SuketStatus.VERIFIED)
    assert vendor.suket_valid_on(today)


def test_a_changed_suket_waits_for_the_partner_again_the_same_one_does_not() -> None:
    today = clock.today_jakarta()
    start, end = today - timedelta(days=10), today + timedelta(days=300)
    vendor = verified(suket_number=NUMBER, suket_valid_from=start, suket_valid_until=end)
    admin = admin_of(vendor)
    same = services.update_vendor(admin, vendor, suket_number=NUMBER, suket_valid_until=end)
    assert same.suket_status == SuketStatus.VERIFIED
    longer = services.update_vendor(
        admin, fresh(vendor), suket_valid_until=end + timedelta(days=365)
    )
    assert longer.suket_status == SuketStatus.PENDING
    assert not longer.suket_valid_on(today)  # the longer validity is not yet checked
    assert longer.status == VendorStatus.VERIFIED
    with pytest.raises(ValidationFailed) as exc:
        services.update_vendor(admin, fresh(vendor), suket_valid_until=start - timedelta(days=1))
    assert exc.value.details == {"field": "suket_number"}


# --- reminders ----------------------------------------------------------------------------------


def suket_vendor(until: date, *, verify_suket: bool = True) -> Vendor:
    today = clock.today_jakarta()
    vendor = register(
        suket_number=f"KET-{until:%Y%m%d}",
        suket_valid_from=today - timedelta(days=330),
        suket_valid_until=until,
    )
    upload(vendor, DocumentKind.SUKET)
    return services.verify_vendor(
        user(PP_A),
        fresh(vendor),
        accept_suket=verify_suket,
        suket_reasons="" if verify_suket else "Suket belum dilegalisasi.",
    )


def test_suket_reminders_once_per_suket_in_its_last_30_days(
    django_capture_on_commit_callbacks: Any,
) -> None:
    today = clock.today_jakarta()
    soon = suket_vendor(today + timedelta(days=10))
    last_day = suket_vendor(today)  # ends today: still valid today
    edge = suket_vendor(today + timedelta(days=29))
    later = suket_vendor(today + timedelta(days=45))
    thirty = suket_vendor(today + timedelta(days=30))
    expired = suket_vendor(today - timedelta(days=1))
    refused = suket_vendor(today + timedelta(days=10), verify_suket=False)
    expected = {soon.email, last_day.email, edge.email}
    never = {later.email, thirty.email, expired.email, refused.email}
    # The e-mail goes exactly to the Sukets the pages show as expiring.
    for vendor in (soon, last_day, edge):
        assert fresh(vendor).suket_state(today) == SuketState.EXPIRING
    for vendor in (later, thirty):
        assert fresh(vendor).suket_state(today) == SuketState.VALID

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.send_suket_reminders(today=today)
    recipients = [address for message in mail.outbox for address in message.to]
    assert expected <= set(recipients)
    assert not never & set(recipients)
    assert sent == len(mail.outbox) == len(recipients) == len(set(recipients))
    message = next(m for m in mail.outbox if m.to == [soon.email])
    assert soon.suket_number in message.body
    assert soon.business_name in message.body
    reminded = AuditEvent.objects.filter(action="vendor.suket_reminded", object_id=str(soon.pk))
    assert reminded.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = services.send_suket_reminders(today=today)
        tomorrow = services.send_suket_reminders(today=today + timedelta(days=1))
    assert again == 0
    assert tomorrow == len(mail.outbox) - sent
    mine = expected | never
    # Only "thirty", now in its last 29 days.
    assert [m.to for m in mail.outbox[sent:] if m.to[0] in mine] == [[thirty.email]]
    assert reminded.count() == 1

    # A renewed Suket is a new Suket: it is reminded again when its own end comes near.
    services.update_vendor(
        admin_of(soon), fresh(soon), suket_valid_until=today + timedelta(days=20)
    )
    upload(soon, DocumentKind.SUKET)
    services.decide_suket(user(PP_A), fresh(soon), accept=True)
    outbox = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_suket_reminders(today=today) == 1
    assert [m.to for m in mail.outbox[outbox:]] == [[soon.email]]
    assert reminded.count() == 2


def test_a_suspended_vendor_is_not_reminded(django_capture_on_commit_callbacks: Any) -> None:
    today = clock.today_jakarta()
    vendor = suket_vendor(today + timedelta(days=5))
    services.suspend_vendor(
        user("admin@kppn019.demo.digipay.id"), vendor, reason="Sedang diperiksa KPPN."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.send_suket_reminders(today=today)
    assert vendor.email not in [a for m in mail.outbox for a in m.to]
