"""Which products buyers see: state (Draft, Published, Ready with or without stock, Archived)
and the vendor's status (verified, pending, suspended and reinstated, sent back to
verification by an identity change)."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.catalog import search, services
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core.errors import Conflict, PermissionDenied, ValidationFailed
from digipay.vendors import services as vendor_services
from digipay.vendors.rules import VendorStatus

from .conftest import PENGADAAN, SATKER_USER, CatalogKit


def found(q: str = "", **params: Any) -> set[int]:
    page = search.search(search.SearchParams(q=q, limit=100, **params))
    return {p.pk for p in page.items}


def fresh(product: Product) -> Product:
    return Product.objects.get(pk=product.pk)


def test_drafts_are_not_searchable_published_ones_are(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Cahaya Stapler Nusantara")
    draft = kit.product(
        seller,
        "Stapler besar kapasitas 100 lembar",
        state=ProductState.DRAFT,
        category="ATK-PERLENGKAPAN",
    )
    buyer = api(SATKER_USER)
    assert found("stapler") == set()
    assert found(vendor_id=seller.vendor.pk) == set()
    assert buyer.get(f"/api/v1/catalog/products/{draft.pk}").status_code == 404
    assert api(seller.admin).get(f"/api/v1/catalog/products/{draft.pk}").status_code == 200

    published = services.change_state(seller.admin, draft, state=ProductState.PUBLISHED)
    assert published.is_listed
    assert published.published_at is not None
    assert found("stapler") == {draft.pk}
    assert buyer.get(f"/api/v1/catalog/products/{draft.pk}").status_code == 200

    services.change_state(seller.admin, published, state=ProductState.DRAFT)
    assert found("stapler") == set()
    services.change_state(seller.admin, fresh(draft), state=ProductState.PUBLISHED)
    services.change_state(seller.admin, fresh(draft), state=ProductState.ARCHIVED)
    assert found("stapler") == set()
    assert buyer.get(f"/api/v1/catalog/products/{draft.pk}").status_code == 404


def test_a_ready_product_without_stock_is_hidden_until_restocked(kit: CatalogKit) -> None:
    seller = kit.seller("CV Cahaya Stapler Nusantara")
    product = kit.product(
        seller,
        "Isi staples nomor 10",
        stock=5,
        state=ProductState.READY,
        category="ATK-PERLENGKAPAN",
    )
    assert fresh(product).is_listed
    assert found("staples") == {product.pk}

    services.update_product(seller.admin, product, stock=0)
    assert not fresh(product).is_listed
    assert found("staples") == set()
    assert found(vendor_id=seller.vendor.pk) == set()

    services.update_product(seller.admin, product, stock=12)
    assert fresh(product).is_listed
    assert found("staples") == {product.pk}

    # Published (not yet orderable) stays visible without stock; Ready needs stock to start.
    other = kit.product(seller, "Isi staples nomor 3", stock=0, category="ATK-PERLENGKAPAN")
    assert found("staples") == {product.pk, other.pk}
    with pytest.raises(ValidationFailed) as refused:
        services.change_state(seller.admin, other, state=ProductState.READY)
    assert refused.value.details["field"] == "stock"
    assert fresh(other).state == ProductState.PUBLISHED
    # A service has no stock and is listed when Ready.
    service = kit.product(
        seller,
        "Jasa isi ulang staples",
        stock=None,
        kind=ProductKind.SERVICES,
        category="CETAK-JILID",
        unit="paket",
        state=ProductState.READY,
    )
    assert service.pk in found("staples")


def test_a_suspended_vendor_disappears_at_once_and_returns_when_reinstated(
    kit: CatalogKit, api: Any
) -> None:
    seller = kit.seller("UD Sumber Rejeki Tinta")
    other = kit.seller("CV Lain Sendiri")
    published = kit.product(seller, "Tinta isi ulang hitam 100 ml", category="ATK-TINTA")
    ready = kit.product(
        seller, "Tinta isi ulang biru 100 ml", category="ATK-TINTA", state=ProductState.READY
    )
    draft = kit.product(
        seller, "Tinta isi ulang merah 100 ml", category="ATK-TINTA", state=ProductState.DRAFT
    )
    bystander = kit.product(other, "Tinta stempel ungu", category="ATK-TINTA")
    buyer = api(SATKER_USER)
    assert found("tinta") == {published.pk, ready.pk, bystander.pk}

    kit.suspend(seller)
    assert seller.vendor.status == VendorStatus.SUSPENDED
    assert found("tinta") == {bystander.pk}
    assert found(vendor_id=seller.vendor.pk) == set()
    assert found("sumber rejeki") == set()
    assert buyer.get(f"/api/v1/catalog/products/{published.pk}").status_code == 404
    assert buyer.get(f"/api/v1/catalog/stores/{seller.vendor.pk}").status_code == 404
    with pytest.raises(PermissionDenied):
        services.change_state(seller.admin, draft, state=ProductState.PUBLISHED)
    # The vendor still sees its own products.
    own = api(seller.admin).get("/api/v1/catalog/my-products").json()
    assert {i["id"] for i in own["results"]} == {published.pk, ready.pk, draft.pk}

    kit.reinstate(seller)
    assert seller.vendor.status == VendorStatus.VERIFIED
    assert found("tinta") == {published.pk, ready.pk, bystander.pk}
    assert found("sumber rejeki") == {published.pk, ready.pk}
    assert buyer.get(f"/api/v1/catalog/products/{published.pk}").status_code == 200
    store = buyer.get(f"/api/v1/catalog/stores/{seller.vendor.pk}").json()
    assert store["listed_products"] == 2


def test_an_unverified_vendor_prepares_drafts_but_cannot_publish(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Baru Daftar Mandiri", verify=False)
    assert seller.vendor.status == VendorStatus.PENDING
    client = api(seller.admin)
    created = client.post(
        "/api/v1/catalog/products",
        {
            "sku": "BRD-01",
            "name": "Buku agenda kulit",
            "category_id": kit.category("ATK-PERLENGKAPAN").pk,
            "unit": "buah",
            "price_idr": 75_000,
            "kind": "GOODS",
            "stock": 20,
        },
    )
    assert created.status_code == 201, created.content
    product_id = created.json()["id"]
    assert created.json()["state"] == "DRAFT"
    assert created.json()["is_listed"] is False
    refused = client.post(f"/api/v1/catalog/products/{product_id}/state", {"state": "PUBLISHED"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "vendor_not_verified"
    product = Product.objects.get(pk=product_id)
    assert product.state == ProductState.DRAFT
    assert not product.is_listed
    assert found("agenda") == set()

    vendor_services.verify_vendor(kit.user(PENGADAAN), seller.vendor)
    ok = client.post(f"/api/v1/catalog/products/{product_id}/state", {"state": "PUBLISHED"})
    assert ok.status_code == 200, ok.content
    assert found("agenda") == {product_id}


def test_an_identity_change_hides_the_products_until_verified_again(kit: CatalogKit) -> None:
    seller = kit.seller("CV Sinar Pagi Sejahtera")
    product = kit.product(seller, "Gunting kertas besar", category="ATK-PERLENGKAPAN")
    assert found("gunting") == {product.pk}
    assert found("sinar pagi") == {product.pk}

    vendor_services.update_vendor(seller.admin, seller.vendor, business_name="CV Fajar Baru Abadi")
    seller.refresh()
    assert seller.vendor.status == VendorStatus.PENDING
    assert not fresh(product).is_listed
    assert fresh(product).vendor_name == "CV Fajar Baru Abadi"
    assert found("gunting") == set()
    with pytest.raises(PermissionDenied):
        services.change_state(seller.admin, fresh(product), state=ProductState.READY)

    vendor_services.verify_vendor(kit.user(PENGADAAN), seller.vendor)
    assert found("gunting") == {product.pk}
    assert found("fajar baru") == {product.pk}
    assert found("sinar pagi") == set()


def test_other_profile_changes_keep_the_listing_and_update_the_filters(kit: CatalogKit) -> None:
    seller = kit.seller("CV Pindah Alamat Jaya", province="31", sales_idr=1_000_000_000)
    product = kit.product(seller, "Penggaris besi 30 cm", category="ATK-PERLENGKAPAN")
    assert found(vendor_province="31", vendor_classes=("MIKRO",)) == {product.pk}

    vendor_services.update_vendor(
        seller.admin,
        seller.vendor,
        province_code="33",
        regency="Kota Semarang",
        umkm_amount_idr=10_000_000_000,
    )
    seller.refresh()
    assert seller.vendor.status == VendorStatus.VERIFIED
    assert found("penggaris") == {product.pk}
    assert found(vendor_province="31") == set()
    assert found(vendor_province="33", vendor_classes=("KECIL",)) == {product.pk}
    assert found(vendor_classes=("MIKRO",)) == set()


def test_invalid_state_moves_are_refused(kit: CatalogKit, api: Any) -> None:
    seller = kit.seller("CV Langkah Tertib")
    draft = kit.product(
        seller, "Klip kertas nomor 3", state=ProductState.DRAFT, category="ATK-PERLENGKAPAN"
    )
    with pytest.raises(Conflict) as refused:
        services.change_state(seller.admin, draft, state=ProductState.READY)
    assert refused.value.code == "invalid_transition"
    client = api(seller.admin)
    response = client.post(f"/api/v1/catalog/products/{draft.pk}/state", {"state": "READY"})
    assert response.status_code == 409
    response = client.post(f"/api/v1/catalog/products/{draft.pk}/state", {"state": "SOLD"})
    assert response.status_code == 422
    assert fresh(draft).state == ProductState.DRAFT
