"""A vendor's own products over the API: validation (422 naming the field, nothing written),
the price history, tenant isolation between vendors and from satker users, and the audit
trail of every change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from digipay.audit.models import AuditEvent
from digipay.catalog.models import PriceChange, Product
from digipay.catalog.rules import ProductState

from .conftest import SATKER_USER, CatalogKit, Seller

PRODUCTS = "/api/v1/catalog/products"


def payload(kit: CatalogKit, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "HVS-A4-80",
        "name": "Kertas HVS A4 80 gram",
        "category_id": kit.category("ATK-KERTAS").pk,
        "unit": "rim",
        "price_idr": 55_000,
        "kind": "GOODS",
        "description": "500 lembar per rim",
        "stock": 40,
        "is_pdn": True,
        "tkdn_bp": 4050,
        "bmp_bp": 1000,
        "delivery_provinces": ["31", "32"],
    }
    body.update(changes)
    return body


def events(product_id: int, prefix: str = "product.") -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="catalog.product", object_id=str(product_id), action__startswith=prefix
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def field_of(response: Any) -> str:
    """The field a 422 names: a service error's ``details.field`` or the request schema's."""
    details = response.json()["details"]
    if "field" in details:
        return str(details["field"])
    return str(details["errors"][0]["loc"][-1])


def test_a_vendor_creates_a_draft_product(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    response = api(seller.admin).post(PRODUCTS, payload(kit))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "DRAFT"
    assert body["is_listed"] is False
    assert (body["price_idr"], body["tkdn"], body["bmp"]) == (55_000, "40,5", "10")
    assert body["delivers_nationwide"] is False
    assert body["vendor_name"] == "CV Kertas Rapi Sentosa"
    product = Product.objects.get(pk=body["id"])
    assert sorted(product.areas.values_list("province_id", flat=True)) == ["31", "32"]
    assert product.created_by == seller.admin
    history = list(
        PriceChange.objects.filter(product=product).values_list("price_idr", "previous_idr")
    )
    assert history == [(55_000, None)]
    assert events(product.pk) == ["product.created"]


CREATE_ERRORS = [
    ({"price_idr": 0}, "price_idr"),
    ({"price_idr": -5}, "price_idr"),
    ({"price_idr": 12_500.5}, "price_idr"),
    ({"price_idr": "12.500,50"}, "price_idr"),
    ({"price_idr": 20_000_000_000}, "price_idr"),
    ({"stock": -1}, "stock"),
    ({"stock": None}, "stock"),  # goods need a stock
    ({"is_pdn": False}, "tkdn_bp"),  # TKDN without PDN
    ({"tkdn_bp": 6000, "bmp_bp": 5000}, "bmp_bp"),  # TKDN + BMP above 100 %
    ({"tkdn_bp": 10_001, "bmp_bp": 0}, "tkdn_bp"),
    ({"unit": "ton"}, "unit"),
    ({"name": "AB"}, "name"),
    ({"kind": "BARANG"}, "kind"),
    ({"min_order": 0}, "min_order"),
    ({"delivery_provinces": ["99"]}, "delivery_provinces"),
    ({"sku": ""}, "sku"),
]


@pytest.mark.parametrize(("changes", "field"), CREATE_ERRORS)
def test_invalid_products_are_refused_and_nothing_is_written(
    kit: CatalogKit, api: Any, changes: dict[str, Any], field: str
) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    response = api(seller.admin).post(PRODUCTS, payload(kit, **changes))
    assert response.status_code == 422, response.content
    assert field_of(response) == field
    assert not Product.objects.filter(vendor=seller.vendor).exists()
    assert not PriceChange.objects.exists()
    assert not AuditEvent.objects.filter(action="product.created").exists()


@pytest.mark.parametrize("code", ["ATK", "KEBERSIHAN", None])
def test_a_product_belongs_to_a_known_leaf_category(
    kit: CatalogKit, api: Any, code: str | None
) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    category_id = kit.category(code).pk if code else 999_999
    response = api(seller.admin).post(PRODUCTS, payload(kit, category_id=category_id))
    assert response.status_code == 422, response.content
    assert field_of(response) == "category_id"
    assert not Product.objects.filter(vendor=seller.vendor).exists()


def test_a_sku_is_unique_per_vendor(kit: CatalogKit, api: Any) -> None:
    first, second = kit.seller("CV Kertas Rapi Sentosa"), kit.seller("UD Kertas Lain")
    assert api(first.admin).post(PRODUCTS, payload(kit)).status_code == 201
    again = api(first.admin).post(PRODUCTS, payload(kit, name="Kertas HVS A4 70 gram"))
    assert again.status_code == 422
    assert field_of(again) == "sku"
    assert api(second.admin).post(PRODUCTS, payload(kit)).status_code == 201
    assert Product.objects.filter(sku="HVS-A4-80").count() == 2


UPDATE_ERRORS = [
    ({"price_idr": 0}, "price_idr"),
    ({"price_idr": 12_500.5}, "price_idr"),
    ({"price_idr": None}, "price_idr"),
    ({"stock": -1}, "stock"),
    ({"is_pdn": False}, "tkdn_bp"),
    ({"tkdn_bp": 9001}, "bmp_bp"),  # 90,01 % + the 10 % BMP already there
    ({"unit": "ton"}, "unit"),
    ({"category_id": "ATK"}, "category_id"),
    ({"delivery_provinces": ["31", "XX"]}, "delivery_provinces"),
]


@pytest.mark.parametrize(("changes", "field"), UPDATE_ERRORS)
def test_invalid_edits_are_refused_and_nothing_changes(
    kit: CatalogKit, api: Any, changes: dict[str, Any], field: str
) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    client = api(seller.admin)
    product_id = client.post(PRODUCTS, payload(kit)).json()["id"]
    before = Product.objects.get(pk=product_id)
    if changes.get("category_id") == "ATK":
        changes = {"category_id": kit.category("ATK").pk}
    response = client.patch(f"{PRODUCTS}/{product_id}", changes)
    assert response.status_code == 422, response.content
    assert field_of(response) == field
    after = Product.objects.get(pk=product_id)
    assert after.audit_state() == before.audit_state()
    assert after.category_path == before.category_path
    assert sorted(after.areas.values_list("province_id", flat=True)) == ["31", "32"]
    assert PriceChange.objects.filter(product_id=product_id).count() == 1
    assert events(product_id) == ["product.created"]


def test_price_changes_are_kept_in_the_history(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    client = api(seller.admin)
    product_id = client.post(PRODUCTS, payload(kit)).json()["id"]

    changed = client.patch(f"{PRODUCTS}/{product_id}", {"price_idr": 57_500})
    assert changed.status_code == 200, changed.content
    assert changed.json()["price_idr"] == 57_500
    same = client.patch(f"{PRODUCTS}/{product_id}", {"price_idr": 57_500, "stock": 80})
    assert same.status_code == 200
    other = client.patch(f"{PRODUCTS}/{product_id}", {"description": "Putih, 500 lembar"})
    assert other.status_code == 200
    cheaper = client.patch(f"{PRODUCTS}/{product_id}", {"price_idr": 54_000})
    assert cheaper.status_code == 200

    history = list(
        PriceChange.objects.filter(product_id=product_id)
        .order_by("id")
        .values_list("price_idr", "previous_idr", "changed_by")
    )
    assert history == [
        (55_000, None, seller.admin.pk),
        (57_500, 55_000, seller.admin.pk),
        (54_000, 57_500, seller.admin.pk),
    ]
    prices = client.get(f"{PRODUCTS}/{product_id}/prices").json()
    assert [(p["price_idr"], p["previous_idr"]) for p in prices] == [
        (54_000, 57_500),
        (57_500, 55_000),
        (55_000, None),
    ]
    client.post(f"{PRODUCTS}/{product_id}/state", {"state": "PUBLISHED"})
    seen = api(SATKER_USER).get(f"{PRODUCTS}/{product_id}/prices")
    assert seen.status_code == 200
    assert len(seen.json()) == 3


def test_every_change_is_audited(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    client = api(seller.admin)
    product_id = client.post(PRODUCTS, payload(kit)).json()["id"]
    client.patch(f"{PRODUCTS}/{product_id}", {"price_idr": 60_000})
    client.post(f"{PRODUCTS}/{product_id}/state", {"state": "PUBLISHED"})
    client.post(f"{PRODUCTS}/{product_id}/state", {"state": "READY"})
    assert events(product_id) == [
        "product.created",
        "product.updated",
        "product.state_changed",
        "product.state_changed",
    ]
    updated = AuditEvent.objects.get(object_id=str(product_id), action="product.updated")
    assert (updated.before["price_idr"], updated.after["price_idr"]) == (55_000, 60_000)
    assert updated.actor_id == seller.admin.pk
    assert updated.tenant_id == seller.vendor.organisation_id
    ready = (
        AuditEvent.objects.filter(object_id=str(product_id), action="product.state_changed")
        .order_by("-seq")
        .first()
    )
    assert ready is not None
    assert (ready.before["state"], ready.after["state"]) == ("PUBLISHED", "READY")


def _two_vendors(kit: CatalogKit) -> tuple[Seller, Seller, Product, Product]:
    a = kit.seller("CV Vendor Anggrek")
    b = kit.seller("CV Vendor Bougenvil")
    draft = kit.product(b, "Map plastik kancing", category="ATK-ARSIP", state=ProductState.DRAFT)
    listed = kit.product(b, "Map gantung folio", category="ATK-ARSIP")
    return a, b, draft, listed


def test_a_vendor_cannot_touch_another_vendors_products(kit: CatalogKit, api: Any) -> None:
    a, b, draft, listed = _two_vendors(kit)
    client = api(a.admin)
    for product in (draft, listed):
        before = Product.objects.get(pk=product.pk).audit_state()
        url = f"{PRODUCTS}/{product.pk}"
        assert client.patch(url, {"price_idr": 1}).status_code == 404
        assert client.post(f"{url}/state", {"state": "ARCHIVED"}).status_code == 404
        assert client.upload(f"{url}/images", "image", "a.png", b"\x89PNG....").status_code == 404
        assert client.delete(f"{url}/images/1").status_code == 404
        assert Product.objects.get(pk=product.pk).audit_state() == before
    # B's draft is invisible to A; B's listed product is in the catalog for everyone.
    assert client.get(f"{PRODUCTS}/{draft.pk}").status_code == 404
    assert client.get(f"{PRODUCTS}/{draft.pk}/prices").status_code == 404
    assert client.get(f"{PRODUCTS}/{listed.pk}").status_code == 200
    mine = client.get("/api/v1/catalog/my-products").json()["results"]
    assert mine == []
    assert api(b.admin).get(f"{PRODUCTS}/{draft.pk}").status_code == 200
    theirs = api(b.admin).get("/api/v1/catalog/my-products").json()["results"]
    assert {p["id"] for p in theirs} == {draft.pk, listed.pk}
    assert events(draft.pk) == ["product.created"]


def test_satker_users_cannot_manage_products(kit: CatalogKit, api: Any) -> None:
    _a, _b, draft, listed = _two_vendors(kit)
    for email in (SATKER_USER, "ppk@415256.demo.digipay.id", "admin@kppn019.demo.digipay.id"):
        client = api(email)
        created = client.post(PRODUCTS, payload(kit))
        assert created.status_code in (403, 404), created.content
        assert client.patch(f"{PRODUCTS}/{listed.pk}", {"price_idr": 1}).status_code == 404
        state = client.post(f"{PRODUCTS}/{listed.pk}/state", {"state": "DRAFT"})
        assert state.status_code == 404
        assert client.get(f"{PRODUCTS}/{draft.pk}").status_code == 404
        assert client.get("/api/v1/catalog/my-products").status_code in (403, 404)
    assert not Product.objects.filter(sku="HVS-A4-80").exists()
    assert Product.objects.get(pk=listed.pk).price_idr == 10_000


def test_anonymous_calls_are_refused(kit: CatalogKit) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    anonymous = Client().post(PRODUCTS, payload(kit), content_type="application/json")
    assert anonymous.status_code == 401
    assert not Product.objects.filter(vendor=seller.vendor).exists()


def test_tkdn_and_bmp_may_add_up_to_exactly_100_percent(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Kertas Rapi Sentosa")
    client = api(seller.admin)
    response = client.post(PRODUCTS, payload(kit, tkdn_bp=9000, bmp_bp=1000))
    assert response.status_code == 201, response.content
    assert (response.json()["tkdn"], response.json()["bmp"]) == ("90", "10")
    edited = client.patch(f"{PRODUCTS}/{response.json()['id']}", {"tkdn_bp": 8550, "bmp_bp": 1450})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["tkdn"], edited.json()["bmp"]) == ("85,5", "14,5")
