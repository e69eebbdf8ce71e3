"""The catalog in a real browser: a satker user signs in, searches "kertas", narrows the
results with a filter (htmx swaps the results without reloading the page, the facet counts
arrive by their own request) and opens a product page — all under the strict CSP.

Run with: ``DIGIPAY_ALLOW_DEV_SECRET=1 .venv/bin/pytest tests/browser -m browser``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from digipay import demo as demo_set
from digipay.accounts import demo
from digipay.accounts.models import User
from digipay.catalog import services as catalog
from digipay.catalog.models import Category
from digipay.catalog.rules import ProductKind, ProductState
from digipay.vendors import services as vendors
from digipay.vendors.models import Vendor

if TYPE_CHECKING:
    from .conftest import PageProblems

# As in test_onboarding.py: the live server thread must see the data (transaction=True), and
# the migrations' reference data must survive the flush (serialized_rollback=True).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BUYER = "pemesan@415256.demo.digipay.id"
PP = "pengadaan@415256.demo.digipay.id"
SCREENSHOT = Path("/tmp/browser-catalog.png")  # noqa: S108 - requested location


def url(live_server: LiveServer, path: str) -> re.Pattern[str]:
    return re.compile(re.escape(live_server.url + path) + r"$")


def east_java_vendor() -> Vendor:
    """A verified vendor in Jawa Timur (35): the demo vendors are elsewhere, so the province
    filter leaves exactly this vendor's products."""
    vendor = vendors.register_vendor(
        vendors.Registration(
            owner_name="Hadi Santoso",
            owner_nik="3578011207889001",  # Kota Surabaya, born 12/07/88
            email="hadi@kertas-jatim.example.co.id",
            phone="0813 3000 4000",
            password="Kertas-Jatim-Bersinar-2026",
            business_name="UD Kertas Jatim Bersinar",
            legal_form="UD",
            licence_kind="NIB",
            licence_number="9120300000001",
            kbli_codes=["47611"],
            address="Jl. Rungkut Industri No. 12, Kota Surabaya",
            province_code="35",
            regency="Kota Surabaya",
            npwp="0" * 15,
            is_pkp=False,
            umkm_basis="SALES",
            umkm_amount_idr=900_000_000,
            partner_satker_code="415256",
        )
    )
    return vendors.verify_vendor(User.objects.get(email=PP), vendor)


def ready_product(vendor: Vendor, sku: str, name: str, price: int, *, image: bool) -> None:
    from PIL import Image

    admin = User.objects.get(email=vendor.email)
    product = catalog.create_product(
        admin,
        vendor,
        catalog.ProductInput(
            sku=sku,
            name=name,
            category_id=Category.objects.get(code="ATK-KERTAS").pk,
            unit="rim",
            price_idr=price,
            kind=ProductKind.GOODS,
            stock=100,
            is_pdn=True,
            tkdn_bp=4500,
        ),
    )
    catalog.change_state(admin, product, state=ProductState.PUBLISHED)
    catalog.change_state(admin, product, state=ProductState.READY)
    if image:
        out = io.BytesIO()
        Image.new("RGB", (400, 300), (240, 240, 230)).save(out, "PNG")
        catalog.add_image(admin, product, stream=out, alt_text=name)


def test_satker_user_searches_filters_with_htmx_and_opens_a_product(
    live_server: LiveServer,
    page: Page,
    page_problems: PageProblems,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_set.load(full=False)
    vendor = east_java_vendor()
    ready_product(vendor, "JTM-A4", "Kertas HVS A4 80 gram Jatim", 61_000, image=True)
    ready_product(vendor, "JTM-F4", "Kertas HVS F4 80 gram Jatim", 67_000, image=False)

    page.goto(live_server.url + "/masuk/")
    page.get_by_label("E-mail", exact=True).fill(BUYER)
    page.get_by_label("Kata sandi", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page).to_have_url(url(live_server, "/"))

    nav = page.get_by_role("navigation", name="Navigasi utama")
    nav.get_by_role("link", name="Katalog", exact=True).click()
    expect(page).to_have_url(url(live_server, "/katalog/"))
    expect(page.get_by_role("heading", name="Katalog", exact=True)).to_be_visible()

    page.get_by_label("Cari produk").fill("kertas")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page).to_have_url(re.compile(r"/katalog/\?q=kertas"))
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Kertas HVS A4 80 gram Jatim")).to_be_visible()
    expect(page.locator(".facets")).to_contain_text("Alat tulis kantor")  # loaded by htmx
    thumb = results.locator("img").first
    expect(thumb).to_be_visible()

    # A filter updates the results in place: the page is not reloaded (the marker survives).
    page.evaluate("window.__digipayMarker = 'tetap'")
    page.get_by_label("Provinsi vendor").select_option("35")
    expect(page).to_have_url(re.compile(r"province=35"))
    expect(page.get_by_test_id("result-total")).to_have_text("2 produk")
    expect(results.locator(".product-card")).to_have_count(2)
    for card in results.locator(".product-card").all():
        expect(card).to_contain_text("UD Kertas Jatim Bersinar")
    assert page.evaluate("window.__digipayMarker") == "tetap"
    expect(page.locator(".facets")).to_contain_text("Jawa Timur")

    results.get_by_role("link", name="Kertas HVS A4 80 gram Jatim").click()
    expect(page.get_by_role("heading", name="Kertas HVS A4 80 gram Jatim")).to_be_visible()
    expect(page.locator(".price").first).to_contain_text("Rp 61.000")
    expect(page.get_by_role("link", name="UD Kertas Jatim Bersinar")).to_be_visible()
    expect(page.get_by_role("heading", name="Riwayat harga")).to_be_visible()
    expect(page.locator(".gallery img")).to_be_visible()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page_problems.assert_documents_have_csp()
    page_problems.assert_clean()
