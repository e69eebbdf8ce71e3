"""DJPb admins add tax rule rows: behind the gate, audited, never overlapping, never
retroactive; an old invoice keeps the rules of its date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from digipay.accounts.models import User
from digipay.audit import queries as audit_queries
from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, PermissionDenied, ValidationFailed
from digipay.tax import services
from digipay.tax.models import TaxRule
from tests.integration.tax.cases import case, goods

DJPB_ADMIN = "admin@djpb.demo.digipay.id"
TODAY = datetime(2027, 6, 1, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


def _ppn_13(actor: User, **changes: Any) -> TaxRule:
    arguments: dict[str, Any] = {
        "tax": "PPN",
        "collector": "BENDAHARA",
        "kind": "ALL",
        "luxury": "NON_LUXURY",
        "rate": Fraction(13, 100),
        "base_fraction": Fraction(11, 12),
        "threshold_idr": 2_000_000,
        "threshold_basis": "INCL_PPN",
        "valid_from": date(2027, 7, 1),
        "legal_basis": "Uji: PPN 13% × DPP nilai lain 11/12",
    }
    return services.add_tax_rule(actor, **(arguments | changes))


def _ppn(on: str, price: int = 12_000_000) -> int:
    result = services.quote_json(json.dumps(case(goods(price), date=on)))
    return int(result["ppn"])


def test_a_djpb_admin_adds_a_row_that_supersedes_the_open_one(world: dict[str, Any]) -> None:
    admin = User.objects.get(email=DJPB_ADMIN)
    old = TaxRule.objects.get(
        tax="PPN", collector="BENDAHARA", luxury="NON_LUXURY", valid_to__isnull=True
    )
    events = AuditEvent.objects.count()
    with clock.frozen(TODAY):
        rule = _ppn_13(admin)
    old.refresh_from_db()
    assert old.valid_to == date(2027, 6, 30)
    assert (rule.rate_numerator, rule.rate_denominator) == (13, 100)
    assert rule.created_by_id == admin.pk
    # An invoice keeps the rules of its date.
    assert _ppn("2025-03-03") == 1_320_000  # 11% of 12,000,000
    assert _ppn("2027-06-30") == 1_320_000
    assert _ppn("2027-07-01") == 1_430_000  # 13% × 11/12 × 12,000,000
    event = AuditEvent.objects.get(action="tax_rule.added", object_id=str(rule.pk))
    assert AuditEvent.objects.count() == events + 1
    assert event.actor_id == admin.pk
    assert event.tenant_id == world["djpb"].pk
    assert event.before == {"superseded_rule_id": old.pk, "valid_to": None}
    assert event.after["rate"] == "13/100"
    assert event.after["superseded_rule_valid_to"] == "2027-06-30"
    _checked, broken = audit_queries.verify_all()
    assert not broken


@pytest.mark.parametrize(
    "email",
    [
        "admin@kppn019.demo.digipay.id",
        "admin@kanwil31.demo.digipay.id",
        "bendahara@415256.demo.digipay.id",
        "auditor@itjen.demo.digipay.id",
        "admin@umkm-0001.demo.digipay.id",
    ],
)
def test_only_djpb_admins_may_add_rows(world: dict[str, Any], email: str) -> None:
    rows, events = TaxRule.objects.count(), AuditEvent.objects.count()
    with clock.frozen(TODAY), pytest.raises(PermissionDenied):
        _ppn_13(User.objects.get(email=email))
    assert (TaxRule.objects.count(), AuditEvent.objects.count()) == (rows, events)
    assert not TaxRule.objects.filter(valid_to=date(2027, 6, 30)).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "GOODS"},  # meets the open row for goods and services
        {"valid_to": date(2027, 12, 31)},  # bounded: would leave no row after it
        {"luxury": "ANY"},  # meets the luxury rows
        {"valid_from": date(2025, 1, 1)},  # the same start as the row in force (seen in 2024)
    ],
)
def test_overlapping_rows_are_refused(world: dict[str, Any], changes: dict[str, Any]) -> None:
    admin = User.objects.get(email=DJPB_ADMIN)
    rows, events = TaxRule.objects.count(), AuditEvent.objects.count()
    before = list(TaxRule.objects.values_list("pk", "valid_to").order_by("pk"))
    today = TODAY if "valid_from" not in changes else datetime(2024, 6, 1, tzinfo=UTC)
    with clock.frozen(today), pytest.raises(Conflict) as err:
        _ppn_13(admin, **changes)
    assert err.value.code == "tax_rule_overlap"
    assert err.value.status == 409
    assert "bertumpang tindih dengan aturan #" in err.value.message
    assert (TaxRule.objects.count(), AuditEvent.objects.count()) == (rows, events)
    assert list(TaxRule.objects.values_list("pk", "valid_to").order_by("pk")) == before


def test_a_second_row_from_the_same_day_is_refused(world: dict[str, Any]) -> None:
    admin = User.objects.get(email=DJPB_ADMIN)
    with clock.frozen(TODAY):
        _ppn_13(admin)
        with pytest.raises(Conflict):
            _ppn_13(admin, rate=Fraction(14, 100))
        later = _ppn_13(admin, rate=Fraction(14, 100), valid_from=date(2028, 1, 1))
    assert TaxRule.objects.get(rate_numerator=13).valid_to == date(2027, 12, 31)
    assert later.valid_to is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_from": date(2027, 5, 31)}, "valid_from"),  # retroactive
        ({"legal_basis": "  "}, "legal_basis"),
        ({"rate": Fraction(3, 2)}, "rate"),
        ({"tax": "PPH22", "kind": "SERVICES"}, "kind"),
    ],
)
def test_bad_rows_are_refused(world: dict[str, Any], changes: dict[str, Any], field: str) -> None:
    admin = User.objects.get(email=DJPB_ADMIN)
    rows = TaxRule.objects.count()
    with clock.frozen(TODAY), pytest.raises(ValidationFailed) as err:
        _ppn_13(admin, **changes)
    assert err.value.details["field"] == field
    assert TaxRule.objects.count() == rows


def test_the_tax_table_over_the_api(world: dict[str, Any], api_as: Any) -> None:
    listed = api_as("pemesan@415256.demo.digipay.id").get("/api/v1/tax/rules")
    assert listed.status_code == 200
    assert len(listed.json()) == 22
    pph22 = next(r for r in listed.json() if r["tax"] == "PPH22" and r["collector"] == "BENDAHARA")
    assert (pph22["rate"], pph22["rate_percent"], pph22["rate_without_npwp"]) == (
        "3/200",
        "1,5%",
        "3/100",
    )
    start = clock.today_jakarta() + timedelta(days=400)
    body = {
        "tax": "PPH23",
        "collector": "KKP",
        "kind": "SERVICES",
        "rate": "2,5%",
        "rate_without_npwp": "5%",
        "valid_from": start.isoformat(),
        "legal_basis": "Uji: tarif PPh 23 baru",
    }
    refused = api_as("ppk@415256.demo.digipay.id").post("/api/v1/tax/rules", body)
    assert refused.status_code == 403
    assert set(refused.json()) == {"code", "message", "details"}
    admin = api_as(DJPB_ADMIN)
    created = admin.post("/api/v1/tax/rules", body)
    assert created.status_code == 201, created.content
    assert (created.json()["rate"], created.json()["valid_to"]) == ("1/40", None)
    overlap = admin.post("/api/v1/tax/rules", {**body, "kind": "SERVICES", "rate": "3%"})
    assert overlap.status_code == 409
    assert overlap.json()["code"] == "tax_rule_overlap"
    assert "bertumpang tindih" in overlap.json()["message"]
    unreadable = admin.post("/api/v1/tax/rules", {**body, "rate": "dua persen"})
    assert unreadable.status_code == 422
    assert unreadable.json()["details"] == {"field": "rate"}
    kkp_services = case(
        {"kind": "services", "quantity": 1, "unit_price": 4_000_000}, collector="KKP"
    )
    after = services.quote_json(json.dumps({**kkp_services, "date": start.isoformat()}))
    assert after["pph23"] == 100_000
    before = services.quote_json(json.dumps({**kkp_services, "date": "2025-03-03"}))
    assert before["pph23"] == 80_000
