"""One order from the cart to the BAST in a real browser, across the five satker and vendor
roles, each in its own browser session (signed in once: a TOTP code works once per device per
30-second window):

Pemesan puts a product in the cart, changes the quantity (htmx) and makes the order; the
Pejabat Pengadaan sends it for negotiation; the vendor admin accepts the offer; the Pejabat
Pengadaan sends it to the PPK; the PPK approves (Surat Pesanan PDF); the vendor confirms and
ships; the Penerima Barang receives everything (BAST PDF and its printable page) — all under
the strict CSP, with no console errors.

Run with: ``DIGIPAY_ALLOW_DEV_SECRET=1 .venv/bin/pytest tests/browser -m browser``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from digipay import demo as demo_set
from digipay.accounts import demo
from digipay.accounts.models import User
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductState
from digipay.orders.models import Order, Receipt
from digipay.orders.rules import OrderState

from .conftest import _CSP_LISTENER, DEFAULT_TIMEOUT_MS

if TYPE_CHECKING:
    from .conftest import PageProblems

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PEMESAN = "pemesan@415256.demo.digipay.id"
PP = "pengadaan@415256.demo.digipay.id"
PPK = "ppk@415256.demo.digipay.id"
PENERIMA = "penerima@415256.demo.digipay.id"
VENDOR = "admin@umkm-0001.demo.digipay.id"
SCREENSHOTS = Path("/tmp")  # noqa: S108 - where the other browser tests leave theirs


def current_totp() -> str:
    return f"{totp(bytes.fromhex(demo.DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6):06d}"


def watch(page: Page, problems: PageProblems) -> Page:
    """The same watchers as the ``page`` fixture, for the other roles' pages."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "/favicon.ico" not in message.location.get("url", ""):
            problems.console_errors.append(f"{message.text} @ {message.location}")

    def on_response(response: Response) -> None:
        if response.request.resource_type == "document" and response.request.frame == (
            page.main_frame
        ):
            problems.documents.append(response)
        if response.status >= 400:
            problems.http_errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("requestfailed", lambda r: problems.failed_requests.append(f"{r.url}: {r.failure}"))
    page.on("response", on_response)
    return page


def new_page(browser: Browser, problems: PageProblems) -> Page:
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.expose_binding(
        "__digipayCspViolation", lambda _source, text: problems.csp_violations.append(text)
    )
    context.add_init_script(_CSP_LISTENER)
    return watch(context.new_page(), problems)


def sign_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server.url + "/masuk/")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Kata sandi", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    if page.url.endswith("/masuk/verifikasi/"):
        page.get_by_label("Kode verifikasi (6 digit)").fill(current_totp())
        page.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + "/$"))


def open_order(page: Page, live_server: LiveServer, number: str) -> None:
    """From the order list (the to-do tab for operational roles) to the order page."""
    page.goto(live_server.url + "/pesanan/")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)


def state_is(page: Page, label: str) -> None:
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text(label)


def expect_pdf(page: Page, url: str, *, contains: str) -> None:
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages)
    assert contains in " ".join(text.split())


def add_to_cart(page: Page, live_server: LiveServer, product: Product, quantity: int) -> None:
    """From the product page: its "Tambah ke keranjang" form when the catalog shows it, else
    the same POST that form makes (with the page's CSRF token)."""
    page.goto(live_server.url + f"/katalog/produk/{product.pk}/")
    expect(page.get_by_role("heading", name=product.name)).to_be_visible()
    button = page.get_by_role("button", name="Tambah ke keranjang")
    if button.count():
        page.get_by_label("Jumlah", exact=True).fill(str(quantity))
        button.click()
    else:
        token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
        response = page.request.post(
            live_server.url + f"/pesanan/keranjang/tambah/{product.pk}/",
            form={"csrfmiddlewaretoken": token, "quantity": str(quantity)},
        )
        assert response.ok
        page.goto(live_server.url + "/pesanan/keranjang/")
    expect(page).to_have_url(re.compile(r"/pesanan/keranjang/$"))


def test_one_order_from_cart_to_bast_across_five_roles(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    page_problems: PageProblems,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_set.load(full=False)
    product = (
        Product.objects.filter(
            organisation__code="UMKM-0001", state=ProductState.READY, is_listed=True
        )
        .order_by("id")
        .first()
    )
    assert product is not None
    quantity = product.min_order + 2

    # 1. Pemesan: cart → quantity changed in place (htmx) → one order for the vendor.
    buyer = page
    sign_in(buyer, live_server, PEMESAN)
    add_to_cart(buyer, live_server, product, product.min_order)
    cart = buyer.locator("#cart")
    expect(cart.get_by_role("link", name=product.name)).to_be_visible()
    expect(cart.get_by_role("heading", name=product.vendor_name)).to_be_visible()
    buyer.evaluate("window.__digipayMarker = 'tetap'")
    cart.get_by_label(f"Jumlah {product.name}").fill(str(quantity))
    cart.get_by_role("button", name="Perbarui").click()
    expect(cart.get_by_role("status")).to_have_text("Keranjang diperbarui.")
    assert buyer.evaluate("window.__digipayMarker") == "tetap"  # swapped, not reloaded
    expect(cart.locator("tfoot")).to_contain_text(
        f"Rp {quantity * product.price_idr:,}".replace(",", ".")
    )
    buyer.get_by_role("button", name="Buat pesanan").click()
    expect(buyer).to_have_url(re.compile(r"/pesanan/\?dibuat=\d+$"))
    order = Order.objects.get(satker__code="415256")
    expect(buyer.get_by_role("link", name=order.number)).to_be_visible()
    buyer.screenshot(path=str(SCREENSHOTS / "browser-order-created.png"), full_page=True)

    # 2. Pejabat Pengadaan: sends it for negotiation with a lower price.
    pp = new_page(browser, page_problems)
    sign_in(pp, live_server, PP)
    open_order(pp, live_server, order.number)
    state_is(pp, "Menunggu Rincian Pemesanan")
    offer = product.price_idr - 1_000
    pp.get_by_label(f"Harga satuan {product.name} (Rp)").first.fill(str(offer))
    nego = pp.locator("form[data-action=nego]")
    nego.get_by_label("Pesan").fill("Mohon harga khusus untuk satker.")
    nego.get_by_role("button", name="Kirim untuk negosiasi").click()
    expect(pp.get_by_role("status").first).to_contain_text("dikirim ke vendor")
    state_is(pp, "Proses Nego")

    # 3. Vendor admin (2FA): accepts the offer.
    vendor = new_page(browser, page_problems)
    sign_in(vendor, live_server, VENDOR)
    open_order(vendor, live_server, order.number)
    expect(vendor.locator(".thread blockquote")).to_have_text("Mohon harga khusus untuk satker.")
    vendor.get_by_role("button", name="Setujui tawaran").click()
    state_is(vendor, "Nego Selesai")

    # 4. Pejabat Pengadaan: checkout to the PPK.
    pp.reload()
    state_is(pp, "Nego Selesai")
    checkout = pp.locator("form[data-action=ajukan]")
    ppk_user = User.objects.get(email=PPK)
    checkout.get_by_label("PPK", exact=True).select_option(str(ppk_user.pk))
    checkout.get_by_label("Metode pembayaran").select_option("TRANSFER")
    checkout.get_by_label("Akun belanja").fill("521211")
    checkout.get_by_label("Sumber dana").select_option("RM")
    checkout.get_by_label("Catatan").fill("Diantar ke ruang rapat lantai 2.")
    checkout.get_by_role("button", name="Kirim ke PPK").click()
    state_is(pp, "Menunggu Persetujuan PPK")

    # 5. PPK (2FA): approves; the Surat Pesanan is issued.
    ppk = new_page(browser, page_problems)
    sign_in(ppk, live_server, PPK)
    open_order(ppk, live_server, order.number)
    ppk.get_by_role("button", name="Setujui pesanan").click()
    state_is(ppk, "Menunggu Konfirmasi Vendor")
    sp_link = ppk.get_by_role("link", name="PDF").first
    expect(sp_link).to_have_attribute("href", f"/pesanan/{order.pk}/surat-pesanan.pdf")
    expect_pdf(
        ppk,
        live_server.url + f"/pesanan/{order.pk}/surat-pesanan.pdf",
        contains=order.number.removeprefix("DP-"),
    )

    # 6. Vendor: confirms and ships everything (the form starts at what remains).
    vendor.reload()
    vendor.get_by_role("button", name="Terima pesanan").click()
    state_is(vendor, "Diproses Vendor")
    ship = vendor.locator("form[data-action=kirim]")
    expect(ship.get_by_label(f"Jumlah {product.name}")).to_have_value(str(quantity))
    ship.get_by_label("Catatan pengiriman / nomor resi").fill("JNE 0123456789")
    ship.get_by_role("button", name="Kirim barang").click()
    state_is(vendor, "Dikirim")

    # 7. Penerima Barang: receives everything; the BAST is issued.
    receiver = new_page(browser, page_problems)
    sign_in(receiver, live_server, PENERIMA)
    open_order(receiver, live_server, order.number)
    expect(receiver.get_by_text("JNE 0123456789").first).to_be_visible()
    receive = receiver.locator("form[data-action=terima]")
    expect(receive.get_by_label(f"Jumlah {product.name}")).to_have_value(str(quantity))
    receive.get_by_role("button", name="Terima barang").click()
    state_is(receiver, "Diterima (BAST)")
    receipt = Receipt.objects.get(order=order)
    expect_pdf(
        receiver,
        live_server.url + f"/pesanan/{order.pk}/bast/{receipt.pk}.pdf",
        contains=receipt.number,
    )
    receiver.screenshot(path=str(SCREENSHOTS / "browser-order-received.png"), full_page=True)
    receiver.get_by_role("link", name="versi cetak").last.click()
    expect(receiver.get_by_role("heading", name="Berita Acara Serah Terima (BAST)")).to_be_visible()
    expect(receiver.get_by_text(receipt.number).first).to_be_visible()
    expect(receiver.locator(".doc-qr img")).to_be_visible()
    receiver.screenshot(path=str(SCREENSHOTS / "browser-order-bast.png"), full_page=True)

    order.refresh_from_db()
    assert order.state == OrderState.DITERIMA
    assert order.lines.get().unit_price_idr == offer
    assert [e.to_state for e in order.events.all()][-1] == OrderState.DITERIMA

    page_problems.assert_documents_have_csp()
    page_problems.assert_clean()
