"""Treasury and policy over HTTP: pages show the UP position in rupiah; the API serves the
position, the ledger with drill-down, cards and policy; other tenants see nothing."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.accounts.models import User
from digipay.ledger.models import Entry
from digipay.treasury.models import KkpCard


def test_satker_pages_show_the_up_position(world: dict[str, Any], login_client: Any) -> None:
    client = login_client("bendahara@415256.demo.digipay.id")
    response = client.get("/up/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rp 300.000.000" in html
    assert "Rp 200.000.000" in html
    assert 'data-testid="tunai-available"><strong>Rp 300.000.000' in html
    ledger = client.get(f"/up/{world['satker_a'].pk}/buku-besar/").content.decode()
    assert "UP_ADVANCE" in ledger
    entry = Entry.objects.filter(tenant_id=world["satker_a"].pk, reason_code="UP_ADVANCE").get()
    detail = client.get(f"/buku-besar/entri/{entry.pk}/").content.decode()
    assert "UP_TUNAI" in detail
    assert "UP_RECEIVABLE" in detail
    assert "Rp 500.000.000" in detail
    cards = client.get(f"/kkp/{world['satker_a'].pk}/").content.decode()
    assert "•••• 4821" in cards
    assert "Rp 50.000.000" in cards


def test_other_satkers_cannot_see_the_position(world: dict[str, Any], login_client: Any) -> None:
    client = login_client("bendahara@527010.demo.digipay.id")
    satker_a = world["satker_a"].pk
    assert client.get(f"/up/{satker_a}/").status_code == 404
    assert client.get(f"/up/{satker_a}/buku-besar/").status_code == 404
    assert client.get(f"/kkp/{satker_a}/").status_code == 404
    entry = Entry.objects.filter(tenant_id=satker_a).first()
    assert entry is not None
    assert client.get(f"/buku-besar/entri/{entry.pk}/").status_code == 404


def test_kppn_records_up_through_the_page(world: dict[str, Any], login_client: Any) -> None:
    from digipay.accounts import services as accounts

    kppn_admin = User.objects.get(email="admin@kppn019.demo.digipay.id")
    satker = accounts.register_organisation(
        kppn_admin,
        kind="SATKER",
        code="990002",
        name="Satker Halaman",
        parent=world["kppn_a"],
        ministry_code="015",
    )
    client = login_client("admin@kppn019.demo.digipay.id")
    page = client.get(f"/up/{satker.pk}/catat-up/")
    assert page.status_code == 200
    too_much = client.post(
        f"/up/{satker.pk}/catat-up/",
        {
            "fiscal_year": "2026",
            "funding_source": "RM",
            "sp2d_number": "X1",
            "sp2d_date": "15/01/2026",
            "annual_budget_idr": "1200000000",
            "amount_idr": "100000001",
        },
    )
    assert too_much.status_code == 200
    assert "1/12" in too_much.content.decode()
    ok = client.post(
        f"/up/{satker.pk}/catat-up/",
        {
            "fiscal_year": "2026",
            "funding_source": "RM",
            "sp2d_number": "X1",
            "sp2d_date": "15/01/2026",
            "annual_budget_idr": "1200000000",
            "amount_idr": "100000000",
        },
    )
    assert ok.status_code == 302
    html = client.get(f"/up/{satker.pk}/").content.decode()
    assert "Rp 60.000.000" in html
    assert "Rp 40.000.000" in html


def test_policy_page_lists_rules_and_only_djpb_edits(
    world: dict[str, Any], login_client: Any
) -> None:
    html = login_client("pemesan@415256.demo.digipay.id").get("/kebijakan/").content.decode()
    assert "Rp 50.000.000" in html
    assert "Rp 200.000.000" in html
    assert "1/12" in html
    assert "Jadwalkan nilai baru" not in html
    admin = login_client("admin@djpb.demo.digipay.id")
    assert "Jadwalkan nilai baru" in admin.get("/kebijakan/").content.decode()
    refused = admin.post(
        "/kebijakan/",
        {"key": "GUP_THRESHOLD", "value": "abc", "valid_from": "01/01/2099", "legal_basis": "x"},
    )
    assert "tidak dapat dibaca" in refused.content.decode()
    ok = admin.post(
        "/kebijakan/",
        {
            "key": "GUP_THRESHOLD",
            "value": "40%",
            "valid_from": "01/01/2099",
            "legal_basis": "PMK uji",
        },
    )
    assert ok.status_code == 302


def test_api_position_entries_and_cards(world: dict[str, Any], api_as: Any) -> None:
    satker = world["satker_a"].pk
    api = api_as("ppk@415256.demo.digipay.id")
    position = api.get(f"/api/v1/treasury/satkers/{satker}/up").json()
    assert position["tunai"]["available_idr"] == 300_000_000
    assert position["kkp"]["allocated_idr"] == 200_000_000
    assert position["kkp_share"] == "2/5"
    entries = api.get(f"/api/v1/treasury/satkers/{satker}/entries").json()["results"]
    assert {e["reason_code"] for e in entries} >= {"UP_ADVANCE", "CARD_LIMIT_SET"}
    detail = api.get(f"/api/v1/treasury/entries/{entries[-1]['id']}").json()
    assert sum(p["amount_idr"] for p in detail["postings"]) == 0
    cards = api.get(f"/api/v1/treasury/satkers/{satker}/cards").json()
    assert cards[0]["card"]["last4"] == "4821"
    other = api_as("ppk@527010.demo.digipay.id")
    assert other.get(f"/api/v1/treasury/satkers/{satker}/up").status_code == 404
    assert other.get(f"/api/v1/treasury/entries/{entries[-1]['id']}").status_code == 404


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("admin@415256.demo.digipay.id", 201),
        ("bendahara@415256.demo.digipay.id", 201),
        ("ppk@415256.demo.digipay.id", 403),
        ("admin@527010.demo.digipay.id", 404),
    ],
)
def test_api_card_issuing_permissions(
    world: dict[str, Any], api_as: Any, email: str, status: int
) -> None:
    ppk = User.objects.get(email="pengadaan@415256.demo.digipay.id")
    before = KkpCard.objects.count()
    response = api_as(
        email
    ).post(
        f"/api/v1/treasury/satkers/{world['satker_a'].pk}/cards",
        {
            "cardholder_id": ppk.pk,
            "bank_id": KkpCard.objects.first().bank_id,  # type: ignore[union-attr]
            "bank_card_ref": f"BRI-{email[:5]}",
            "last4": "7788",
            "card_limit_idr": 5_000_000,
            "issued_on": "2026-02-01",
        },
    )
    assert response.status_code == status, response.json()
    assert KkpCard.objects.count() == before + (1 if status == 201 else 0)


def test_api_policy_rules(world: dict[str, Any], api_as: Any) -> None:
    rules = api_as("pemesan@415256.demo.digipay.id").get("/api/v1/policy/rules").json()
    by_key = {r["key"]: r for r in rules}
    assert by_key["UP_MAX_FRACTION"]["value"] == "1/12"
    assert by_key["PAYMENT_LIMIT_DIGIPAY_UMKM_PDN"]["value"] == "200000000"
    created = api_as("admin@djpb.demo.digipay.id").post(
        "/api/v1/policy/rules",
        {"key": "NEGO_MAX_ROUNDS", "value": "3", "valid_from": "2099-01-01", "legal_basis": "uji"},
    )
    assert created.status_code == 201


def test_kppn_extends_tup_and_records_the_return_through_pages(
    world: dict[str, Any], login_client: Any
) -> None:
    from datetime import date

    from digipay.treasury import services
    from digipay.treasury.models import UpAllocation, UpReturn

    kppn_admin = User.objects.get(email="admin@kppn019.demo.digipay.id")
    satker = world["satker_c"]
    tup = services.record_tup(
        kppn_admin,
        satker=satker,
        amount_idr=10_000_000,
        sp2d_number="TUP-9",
        sp2d_date=date(2026, 3, 1),
        reason="Darurat",
    )
    client = login_client("admin@kppn019.demo.digipay.id")
    assert "Perpanjang" in client.get(f"/up/{satker.pk}/").content.decode()
    extended = client.post(f"/tup/{tup.pk}/perpanjang/", {"reason": "Belum selesai"})
    assert extended.status_code == 302
    tup.refresh_from_db()
    assert tup.due_date == date(2026, 5, 1)
    returned = client.post(
        f"/up/{satker.pk}/pengembalian/",
        {"fiscal_year": "2026", "deposit_reference": "NTPN-0001", "returned_on": "30/12/2026"},
    )
    assert returned.status_code == 302
    row = UpReturn.objects.get(satker=satker)
    assert (row.tunai_idr, row.kkp_idr) == (310_000_000, 200_000_000)
    assert UpAllocation.objects.filter(satker=satker).count() == 2


def test_api_tup_extension_and_return_need_the_paying_kppn(
    world: dict[str, Any], api_as: Any
) -> None:
    satker = world["satker_a"].pk
    other = api_as("admin@kppn030.demo.digipay.id")
    response = other.post(
        f"/api/v1/treasury/satkers/{satker}/up-return",
        {"fiscal_year": 2026, "deposit_reference": "N", "returned_on": "2026-12-30"},
    )
    assert response.status_code == 404
    own = api_as("admin@kppn019.demo.digipay.id")
    ok = own.post(
        f"/api/v1/treasury/satkers/{satker}/up-return",
        {"fiscal_year": 2026, "deposit_reference": "N-1", "returned_on": "2026-12-30"},
    )
    assert ok.status_code == 201
    assert ok.json()["tunai_idr"] == 300_000_000
    again = own.post(
        f"/api/v1/treasury/satkers/{satker}/up-return",
        {"fiscal_year": 2026, "deposit_reference": "N-2", "returned_on": "2026-12-31"},
    )
    assert again.status_code == 409
