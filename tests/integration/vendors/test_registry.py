"""Who sees which vendors: the KPPN's registry with its filters (only vendors partnered with
the satkers it pays), the partner satker, and vendors, which see themselves only.

The expected sets are written by hand from the vendors made here; other vendors (e.g. the demo
set's, when loaded) may also appear in a list, but then only if they lie in the caller's reach
and pass the filter, which is checked row by row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import NotFound
from digipay.vendors import services
from digipay.vendors.models import Vendor
from digipay.vendors.rules import UmkmClass, VendorStatus

from .conftest import (
    KPPN_A,
    KPPN_B,
    PP_A,
    PP_B,
    SATKER_A,
    SATKER_B,
    SATKER_C,
    Api,
    register,
    user,
    verified,
)

pytestmark = pytest.mark.usefixtures("vw")


@pytest.fixture
def vendors() -> dict[str, Vendor]:
    alfa = verified(
        business_name="Alfa Kue Basah",
        partner_satker_code=SATKER_A,
        province_code="32",
        umkm_basis="SALES",
        umkm_amount_idr=500_000_000,
    )
    bravo = register(
        business_name="Bravo Konveksi",
        partner_satker_code=SATKER_C,
        province_code="31",
        regency="Jakarta Timur",
        umkm_basis="CAPITAL",
        umkm_amount_idr=3_000_000_000,
    )
    charlie = verified(
        business_name="Charlie Kopi Sangrai",
        partner_satker_code=SATKER_A,
        province_code="31",
        regency="Jakarta Selatan",
        umkm_basis="SALES",
        umkm_amount_idr=20_000_000_000,
    )
    services.suspend_vendor(user(KPPN_A), charlie, reason="Diperiksa KPPN atas laporan satker.")
    delta = verified(
        business_name="Delta Kue Kering",
        partner_satker_code=SATKER_B,
        province_code="32",
        umkm_basis="SALES",
        umkm_amount_idr=400_000_000,
    )
    return {"alfa": alfa, "bravo": bravo, "charlie": charlie, "delta": delta}


def partner_codes(kppn_code: str) -> set[str]:
    return set(
        Organisation.objects.filter(kind="SATKER", parent__code=kppn_code).values_list(
            "code", flat=True
        )
    )


def check(
    rows: list[dict[str, Any]], vendors: dict[str, Vendor], expected: set[str], **filters: str
) -> None:
    """Exactly ``expected`` among our vendors; every other row in reach and passing the filters."""
    by_id = {v.pk: name for name, v in vendors.items()}
    assert {by_id[r["id"]] for r in rows if r["id"] in by_id} == expected, filters
    for row in rows:
        if "status" in filters:
            assert row["status"] == filters["status"]
        if "province" in filters:
            assert row["province_code"] == filters["province"]
        if "umkm_class" in filters:
            assert row["umkm_class"] == filters["umkm_class"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"alfa", "bravo", "charlie"}),
        ({"status": VendorStatus.VERIFIED}, {"alfa"}),
        ({"status": VendorStatus.PENDING}, {"bravo"}),
        ({"status": VendorStatus.SUSPENDED}, {"charlie"}),
        ({"status": VendorStatus.REJECTED}, set()),
        ({"province": "32"}, {"alfa"}),  # not Delta: Jawa Barat too, but another KPPN's
        ({"province": "31"}, {"bravo", "charlie"}),
        ({"umkm_class": UmkmClass.MIKRO}, {"alfa"}),
        ({"umkm_class": UmkmClass.KECIL}, {"bravo"}),
        ({"umkm_class": UmkmClass.MENENGAH}, {"charlie"}),
        ({"q": "kue"}, {"alfa"}),  # not "Delta Kue Kering"
        ({"q": "KOPI"}, {"charlie"}),
        ({"q": "delta"}, set()),
        ({"status": VendorStatus.VERIFIED, "province": "31"}, set()),
        ({"province": "31", "umkm_class": UmkmClass.KECIL}, {"bravo"}),
    ],
)
def test_kppn_registry_filters(
    api: Callable[[str], Api],
    vendors: dict[str, Vendor],
    filters: dict[str, str],
    expected: set[str],
) -> None:
    rows = api(KPPN_A).all("/api/v1/vendors", **filters)
    check(rows, vendors, expected, **filters)
    mine = partner_codes("019")
    for row in rows:
        vendor = Vendor.objects.select_related("partner_satker").get(pk=row["id"])
        assert vendor.partner_satker.code in mine, "a vendor of another KPPN's satker"
    if "q" in filters:
        needle = filters["q"].lower()
        assert all(needle in r["business_name"].lower() for r in rows)


def test_search_by_the_vendors_code(api: Callable[[str], Api], vendors: dict[str, Vendor]) -> None:
    code = vendors["bravo"].organisation.code
    rows = api(KPPN_A).all("/api/v1/vendors", q=code.lower())
    assert [r["id"] for r in rows] == [vendors["bravo"].pk]
    assert rows[0]["code"] == code
    assert api(KPPN_B).all("/api/v1/vendors", q=code) == []


def test_the_other_kppn_sees_only_its_own(
    api: Callable[[str], Api], vendors: dict[str, Vendor]
) -> None:
    kppn_b = api(KPPN_B)
    rows = kppn_b.all("/api/v1/vendors")
    check(rows, vendors, {"delta"})
    mine = partner_codes("030")
    assert all(Vendor.objects.get(pk=r["id"]).partner_satker.code in mine for r in rows)
    for name in ("alfa", "bravo", "charlie"):
        vendor = vendors[name]
        assert kppn_b.get(f"/api/v1/vendors/{vendor.pk}").status_code == 404
        assert kppn_b.get(f"/api/v1/vendors/{vendor.pk}/decisions").status_code == 404
        assert kppn_b.get(f"/api/v1/vendors/{vendor.pk}/documents").status_code == 404
        assert kppn_b.get(f"/api/v1/vendors/{vendor.pk}/bank-accounts").status_code == 404
    assert api(KPPN_A).get(f"/api/v1/vendors/{vendors['delta'].pk}").status_code == 404


def test_a_satker_sees_its_own_partners(
    api: Callable[[str], Api], vendors: dict[str, Vendor]
) -> None:
    check(api(PP_A).all("/api/v1/vendors"), vendors, {"alfa", "charlie"})
    check(api(PP_B).all("/api/v1/vendors"), vendors, {"delta"})
    assert api(PP_A).get(f"/api/v1/vendors/{vendors['bravo'].pk}").status_code == 404
    queue = api(PP_A).get("/api/v1/vendors/verification-queue").json()
    assert vendors["bravo"].pk not in [v["id"] for v in queue]  # satker C's, not A's
    queue_c = api("pengadaan@652840.demo.digipay.id").get("/api/v1/vendors/verification-queue")
    assert vendors["bravo"].pk in [v["id"] for v in queue_c.json()]


def test_a_vendor_admin_sees_and_edits_only_its_own_vendor(
    api: Callable[[str], Api], vendors: dict[str, Vendor]
) -> None:
    alfa, bravo = vendors["alfa"], vendors["bravo"]
    client = api(alfa.email)
    rows = client.all("/api/v1/vendors")
    assert [r["id"] for r in rows] == [alfa.pk]
    assert client.get("/api/v1/vendors/me").json()["id"] == alfa.pk
    for name in ("bravo", "charlie", "delta"):
        other = vendors[name]
        base = f"/api/v1/vendors/{other.pk}"
        assert client.get(base).status_code == 404
        response = client.patch(base, {"phone": "081299990000"})
        assert response.status_code == 404, response.content
        assert client.get(f"{base}/documents").status_code == 404
        assert client.get(f"{base}/bank-accounts").status_code == 404
        upload = client.upload(
            f"{base}/documents/LICENCE", "x.pdf", b"%PDF-1.4\n", "application/pdf"
        )
        assert upload.status_code == 404
        account = client.post(
            f"{base}/bank-accounts",
            {"bank_code": "002", "account_no": "034601000456302", "holder_name": "CV Sinar Jaya"},
        )
        assert account.status_code == 404
        assert client.post(f"{base}/resubmit").status_code == 404
    assert Vendor.objects.get(pk=bravo.pk).phone == bravo.phone
    with pytest.raises(NotFound):
        services.update_vendor(user(alfa.email), bravo, phone="081299990000")
