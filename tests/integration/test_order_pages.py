"""Order pages: the cart (add from the product page, update, remove, checkout), the order list
with its tabs, the order page showing exactly the steps the viewer may take (each step's form
works for the right user, is absent for the others, and shows the service's refusal), and the
Surat Pesanan and BAST as PDF.

Orders are set up through the services on the ``world`` fixture (satker 415256 and the demo
vendor UMKM-0001 with its Ready products). A TOTP code is accepted once per device per 30 s
window, so each test signs every user in once and keeps that client.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client

from digipay.accounts.models import User
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductState
from digipay.orders import services
from digipay.orders.models import CartLine, Order, PaymentMethod, Receipt
from digipay.orders.rules import OrderState
from digipay.treasury import queries as treasury_queries

SATKER = "415256"
PEMESAN = "pemesan@415256.demo.digipay.id"
PP = "pengadaan@415256.demo.digipay.id"
PPK = "ppk@415256.demo.digipay.id"
PENERIMA = "penerima@415256.demo.digipay.id"
BENDAHARA = "bendahara@415256.demo.digipay.id"
VENDOR = "admin@umkm-0001.demo.digipay.id"
OTHER_VENDOR = "admin@umkm-0002.demo.digipay.id"
OTHER_PP = "pengadaan@527010.demo.digipay.id"  # another satker (KPPN 030)
KPPN = "admin@kppn019.demo.digipay.id"  # oversees satker 415256
BANK = "operator@bank002.demo.digipay.id"

ALL_SLUGS = (
    "usul-batal",
    "setujui-batal",
    "tolak-batal",
    "bantuan-kppn",
    "kppn-batalkan",
    "kppn-lanjutkan",
    "usul-tanggal",
    "setujui-tanggal",
    "tolak-tanggal",
    "ubah",
    "nego",
    "tawar",
    "setujui-tawaran",
    "tolak-nego",
    "ajukan",
    "setujui",
    "tolak",
    "konfirmasi",
    "tolak-pesanan",
    "kirim",
    "terima",
    "komplain",
    "selesaikan-komplain",
    "batalkan",
)


def user(email: str) -> User:
    return User.objects.get(email=email)


def products(code: str = "UMKM-0001") -> list[Product]:
    found = list(
        Product.objects.filter(
            organisation__code=code, state=ProductState.READY, is_listed=True
        ).order_by("id")
    )
    assert len(found) >= 2, "the demo world has Ready products for the vendor"
    return found


def new_order(quantities: tuple[int, ...] = (3,)) -> Order:
    """An order of satker 415256 to UMKM-0001 (Menunggu Rincian Pemesanan)."""
    pemesan = user(PEMESAN)
    for product, quantity in zip(products(), quantities, strict=False):
        services.add_to_cart(pemesan, product=product, quantity=max(quantity, product.min_order))
    (order,) = services.checkout_cart(pemesan)
    return order


def submitted(order: Order, **overrides: Any) -> Order:
    values: dict[str, Any] = {
        "ppk": user(PPK),
        "payment_method": PaymentMethod.TRANSFER,
        "akun": "521211",
        "funding_source": "RM",
    }
    values.update(overrides)
    return services.submit_order(user(PP), order, services.Checkout(**values))


def approved(order: Order) -> Order:
    return services.approve_order(user(PPK), submitted(order))


def confirmed(order: Order) -> Order:
    return services.confirm_order(user(VENDOR), approved(order))


def shipped(order: Order) -> Order:
    order = confirmed(order)
    services.ship_order(
        user(VENDOR),
        order,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        tracking="JNE 1234567890",
    )
    return Order.objects.get(pk=order.pk)


def refreshed(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def action_forms(client: Client, order: Order) -> set[str]:
    """The step forms the order page offers this client."""
    response = client.get(f"/pesanan/{order.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    return {slug for slug in ALL_SLUGS if f'action="/pesanan/{order.pk}/{slug}/"' in html}


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return " ".join(text.split())


# --- the cart -------------------------------------------------------------------------------


def test_cart_add_update_remove_and_checkout_through_pages(
    world: dict[str, Any], login_client: Any
) -> None:
    first, second = products()[:2]
    buyer = login_client(PEMESAN)

    empty = buyer.get("/pesanan/keranjang/")
    assert empty.status_code == 200
    assert "Keranjang masih kosong" in empty.content.decode()

    response = buyer.post(
        f"/pesanan/keranjang/tambah/{first.pk}/", {"quantity": first.min_order + 1, "note": "A"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/pesanan/keranjang/"
    buyer.post(f"/pesanan/keranjang/tambah/{second.pk}/", {"quantity": second.min_order})
    page = buyer.get("/pesanan/keranjang/").content.decode()
    assert first.name in page
    assert second.name in page
    assert first.vendor_name in page
    assert "Tambah ke keranjang" not in page  # the cart page itself offers checkout
    assert "Buat pesanan" in page

    line = user(PEMESAN).cart.lines.get(product=first)
    assert line.quantity == first.min_order + 1
    # Plain POST: redirect back; htmx: the cart fragment only.
    response = buyer.post(
        f"/pesanan/keranjang/{line.pk}/ubah/",
        {f"baris{line.pk}-quantity": first.min_order + 4, f"baris{line.pk}-note": "Warna putih"},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.quantity, line.note) == (first.min_order + 4, "Warna putih")
    fragment = buyer.post(
        f"/pesanan/keranjang/{line.pk}/ubah/",
        {f"baris{line.pk}-quantity": 0, f"baris{line.pk}-note": ""},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'role="alert"' in body
    line.refresh_from_db()
    assert line.quantity == first.min_order + 4  # unchanged

    if first.stock is not None:  # the service's refusal shows on the line
        too_many = buyer.post(
            f"/pesanan/keranjang/{line.pk}/ubah/",
            {f"baris{line.pk}-quantity": first.stock + 1},
        )
        assert too_many.status_code == 200
        assert "Stok tidak mencukupi" in too_many.content.decode()

    second_line = user(PEMESAN).cart.lines.get(product=second)
    removed = buyer.post(
        f"/pesanan/keranjang/{second_line.pk}/hapus/", headers={"HX-Request": "true"}
    )
    assert removed.status_code == 200
    assert second.name not in removed.content.decode().split("dihapus dari keranjang")[1]

    response = buyer.post("/pesanan/keranjang/pesan/")
    assert response.status_code == 302
    order = Order.objects.get(satker__code=SATKER)
    assert response["Location"] == f"/pesanan/?dibuat={order.pk}"
    listing = buyer.get(response["Location"]).content.decode()
    assert order.number in listing
    assert "Pesanan yang baru dibuat" in listing
    assert order.lines.get().quantity == first.min_order + 4
    assert not user(PEMESAN).cart.lines.exists()

    again = buyer.post("/pesanan/keranjang/pesan/", follow=True)
    assert "Keranjang masih kosong" in again.content.decode()


def test_only_the_pemesan_has_a_cart_and_only_listed_products_go_in(
    world: dict[str, Any], login_client: Any
) -> None:
    product = products()[0]
    pp = login_client(PP)
    assert pp.get("/pesanan/keranjang/").status_code == 403
    assert pp.post(f"/pesanan/keranjang/tambah/{product.pk}/", {"quantity": 1}).status_code == 403

    buyer = login_client(PEMESAN)
    assert buyer.get(f"/pesanan/keranjang/tambah/{product.pk}/").status_code == 405
    assert buyer.post("/pesanan/keranjang/tambah/999999/", {"quantity": 1}).status_code == 404
    product.state = ProductState.PUBLISHED  # listed, but no longer orderable
    product.save(update_fields=["state"])
    refused = buyer.post(
        f"/pesanan/keranjang/tambah/{product.pk}/", {"quantity": product.min_order}, follow=True
    )
    assert "tidak dapat dipesan" in refused.content.decode()
    assert not CartLine.objects.filter(cart__user__email=PEMESAN).exists()


# --- the list -------------------------------------------------------------------------------


def test_order_list_tabs_todo_and_scope(world: dict[str, Any], login_client: Any) -> None:
    waiting = new_order()
    at_ppk = submitted(new_order())

    pp = login_client(PP)
    page = pp.get("/pesanan/").content.decode()
    assert 'aria-current="page">Perlu tindakan' in page
    assert waiting.number in page
    assert at_ppk.number not in page
    everything = pp.get("/pesanan/?status=semua").content.decode()
    assert waiting.number in everything
    assert at_ppk.number in everything
    only_ppk = pp.get("/pesanan/?status=MENUNGGU_PPK", headers={"HX-Request": "true"})
    fragment = only_ppk.content.decode()
    assert "<html" not in fragment
    assert at_ppk.number in fragment
    assert waiting.number not in fragment
    assert re.search(r"Menunggu Persetujuan PPK <span class=\"count\">1</span>", fragment)

    ppk = login_client(PPK)
    assert at_ppk.number in ppk.get("/pesanan/").content.decode()

    buyer = login_client(PEMESAN)
    mine = buyer.get("/pesanan/").content.decode()
    assert "Perlu tindakan" not in mine  # no to-do list for the Pemesan
    assert waiting.number in mine
    assert at_ppk.number in mine

    vendor = login_client(VENDOR)
    assert "Tidak ada pesanan yang menunggu" in vendor.get("/pesanan/").content.decode()
    # The order still being composed is not the vendor's business yet; the submitted one is.
    vendor_all = vendor.get("/pesanan/?status=semua").content.decode()
    assert waiting.number not in vendor_all
    assert at_ppk.number in vendor_all

    kppn = login_client(KPPN)
    # The KPPN's list opens on its to-do (escalated cancellations): none here.
    assert waiting.number not in kppn.get("/pesanan/").content.decode()
    assert waiting.number in kppn.get("/pesanan/?status=semua").content.decode()
    outsider = login_client(OTHER_PP)
    assert waiting.number not in outsider.get("/pesanan/?status=semua").content.decode()
    assert "Belum ada pesanan" in outsider.get("/pesanan/?status=semua").content.decode()
    other_vendor = login_client(OTHER_VENDOR)
    assert waiting.number not in other_vendor.get("/pesanan/?status=semua").content.decode()
    assert login_client(BANK).get("/pesanan/").status_code == 403


def test_order_list_pages_and_needs_a_login(
    world: dict[str, Any], login_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digipay.orders import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    numbers = [new_order().number for _ in range(3)]
    buyer = login_client(PEMESAN)
    first = buyer.get("/pesanan/?status=MENUNGGU_RINCIAN").content.decode()
    assert "Halaman 1 dari 2" in first
    assert "?status=MENUNGGU_RINCIAN&amp;page=2" in first
    second = buyer.get("/pesanan/?status=MENUNGGU_RINCIAN&page=2").content.decode()
    assert sum(number in first for number in numbers) == 2
    assert sum(number in second for number in numbers) == 1
    assert buyer.get("/pesanan/?status=BUKAN").status_code == 200  # unknown tab: the default

    anonymous = Client()
    for path in ("/pesanan/", "/pesanan/keranjang/", "/pesanan/1/", "/pesanan/1/surat-pesanan.pdf"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/masuk/")


# --- the order page: who sees which step -----------------------------------------------------


def test_each_role_sees_only_its_steps(world: dict[str, Any], login_client: Any) -> None:
    order = new_order()
    clients = {email: login_client(email) for email in (PEMESAN, PP, PPK, PENERIMA, VENDOR)}

    assert action_forms(clients[PP], order) == {"ubah", "nego", "ajukan", "batalkan"}
    for email in (PEMESAN, PPK, PENERIMA):
        assert action_forms(clients[email], order) == set(), email
    assert clients[VENDOR].get(f"/pesanan/{order.pk}/").status_code == 404  # still composing

    submitted(order)
    assert action_forms(clients[PPK], order) == {"setujui", "tolak", "batalkan"}
    for email in (PEMESAN, PP, PENERIMA, VENDOR):
        assert action_forms(clients[email], order) == set(), email

    services.approve_order(user(PPK), order)
    assert action_forms(clients[VENDOR], order) == {"konfirmasi", "tolak-pesanan"}
    assert action_forms(clients[PPK], order) == {"batalkan"}
    assert action_forms(clients[PP], order) == set()

    services.confirm_order(user(VENDOR), order)
    # Cancelling after the vendor confirmed needs both parties: each side may only propose it
    # (or a new delivery date) — no one-sided "batalkan".
    proposals = {"usul-batal", "usul-tanggal"}
    assert action_forms(clients[VENDOR], order) == {"kirim"} | proposals
    assert action_forms(clients[PP], order) == proposals
    assert action_forms(clients[PPK], order) == proposals
    assert action_forms(clients[PENERIMA], order) == set()

    services.ship_order(user(VENDOR), order, quantities={line.pk: 1 for line in order.lines.all()})
    assert action_forms(clients[PENERIMA], order) == {"terima", "komplain"}
    assert action_forms(clients[PEMESAN], order) == set()


def test_a_step_posted_by_the_wrong_user_is_refused(
    world: dict[str, Any], login_client: Any
) -> None:
    order = submitted(new_order())
    buyer, vendor, outsider = login_client(PEMESAN), login_client(VENDOR), login_client(OTHER_PP)
    assert buyer.post(f"/pesanan/{order.pk}/setujui/").status_code == 403
    assert vendor.post(f"/pesanan/{order.pk}/setujui/").status_code == 404  # not its tenant
    assert outsider.post(f"/pesanan/{order.pk}/setujui/").status_code == 404
    assert outsider.get(f"/pesanan/{order.pk}/").status_code == 404
    pp = login_client(PP)
    assert pp.post(f"/pesanan/{order.pk}/konfirmasi/").status_code == 409  # not from this state
    assert pp.post(f"/pesanan/{order.pk}/nego/", {"nego-message": "x"}).status_code == 409
    assert pp.post(f"/pesanan/{order.pk}/tidak-ada/").status_code == 404
    assert pp.get(f"/pesanan/{order.pk}/setujui/").status_code == 405
    assert refreshed(order).state == OrderState.MENUNGGU_PPK
    services.approve_order(user(PPK), order)
    assert pp.post(f"/pesanan/{order.pk}/konfirmasi/").status_code == 404  # the vendor's step
    assert vendor.post(f"/pesanan/{order.pk}/batalkan/", {}).status_code == 404
    assert refreshed(order).state == OrderState.MENUNGGU_VENDOR


# --- the order page: each step's form ---------------------------------------------------------


def test_details_and_negotiation_through_the_forms(
    world: dict[str, Any], login_client: Any
) -> None:
    order = new_order((3, 2))
    first, second = order.lines.order_by("id")
    wanted = first.quantity + 2
    pp, vendor = login_client(PP), login_client(VENDOR)

    unchanged = pp.post(
        f"/pesanan/{order.pk}/ubah/",
        {f"ubah-line_{first.pk}": first.quantity, f"ubah-line_{second.pk}": second.quantity},
    )
    assert unchanged.status_code == 200
    assert "Tidak ada perubahan" in unchanged.content.decode()

    # Edit: change a quantity and remove a line.
    response = pp.post(
        f"/pesanan/{order.pk}/ubah/",
        {
            f"ubah-line_{first.pk}": wanted,
            f"ubah-line_{second.pk}": second.quantity,
            f"ubah-remove_{second.pk}": "on",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.quantity == wanted
    assert second.removed
    order = refreshed(order)
    assert order.subtotal_idr == first.quantity * first.unit_price_idr

    # Send for negotiation with a price per line and a message.
    offer = first.list_price_idr - 1_000
    response = pp.post(
        f"/pesanan/{order.pk}/nego/",
        {f"nego-line_{first.pk}": f"Rp {offer:,}".replace(",", "."), "nego-message": "Mohon"},
    )
    assert response.status_code == 302
    assert refreshed(order).state == OrderState.PROSES_NEGO
    assert action_forms(pp, order) == {"batalkan"}  # the vendor's turn
    assert action_forms(vendor, order) == {"tawar", "setujui-tawaran", "tolak-nego"}
    page = vendor.get(f"/pesanan/{order.pk}/").content.decode()
    assert "Negosiasi" in page
    assert "Mohon" in page

    counter = offer + 500
    response = vendor.post(
        f"/pesanan/{order.pk}/tawar/",
        {f"tawar-line_{first.pk}": counter, "tawar-message": "Harga terbaik kami"},
    )
    assert response.status_code == 302
    assert action_forms(pp, order) == {"tawar", "setujui-tawaran", "batalkan"}
    assert pp.post(f"/pesanan/{order.pk}/setujui-tawaran/").status_code == 302
    order = refreshed(order)
    assert order.state == OrderState.NEGO_SELESAI
    first.refresh_from_db()
    assert first.unit_price_idr == counter
    detail = pp.get(f"/pesanan/{order.pk}/").content.decode()
    assert "Harga terbaik kami" in detail
    assert "Nego Selesai" in detail


def test_vendor_refuses_the_negotiation_with_a_message(
    world: dict[str, Any], login_client: Any
) -> None:
    order = new_order()
    line = order.lines.get()
    services.send_for_negotiation(user(PP), order, prices={line.pk: line.list_price_idr - 100})
    vendor = login_client(VENDOR)
    short = vendor.post(f"/pesanan/{order.pk}/tolak-nego/", {"tolak-nego-message": "Tidak"})
    assert short.status_code == 200
    assert "minimal 10 karakter" in short.content.decode()
    assert refreshed(order).state == OrderState.PROSES_NEGO
    response = vendor.post(
        f"/pesanan/{order.pk}/tolak-nego/",
        {"tolak-nego-message": "Harga katalog sudah harga terendah."},
    )
    assert response.status_code == 302
    assert refreshed(order).state == OrderState.MENUNGGU_RINCIAN


def test_checkout_form_shows_the_services_refusal_and_then_reaches_the_ppk(
    world: dict[str, Any], login_client: Any
) -> None:
    order = new_order()
    pp = login_client(PP)
    page = pp.get(f"/pesanan/{order.pk}/").content.decode()
    ppk = user(PPK)
    assert f'<option value="{ppk.pk}">{ppk.full_name}</option>' in page
    satker = order.satker
    assert satker.address.split("\n")[0] in page or not satker.address  # default address
    card = treasury_queries.cards_of(satker)[0].card
    assert f"•••• {card.last4}" in page

    data = {
        "ajukan-ppk": ppk.pk,
        "ajukan-payment_method": "TRANSFER",
        "ajukan-akun": "12345",  # not 6 digits: the form says so
        "ajukan-funding_source": "RM",
        "ajukan-delivery_address": "",
        "ajukan-requested_date": "",
        "ajukan-notes": "",
    }
    response = pp.post(f"/pesanan/{order.pk}/ajukan/", data)
    assert response.status_code == 200
    assert "harus 6 digit angka" in response.content.decode()

    data["ajukan-akun"] = "411111"  # 6 digits, but not a spending account: the service says so
    response = pp.post(f"/pesanan/{order.pk}/ajukan/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "52xxxx atau 53xxxx" in html
    assert 'id="id_ajukan-akun_error"' in html  # on the field it names
    assert refreshed(order).state == OrderState.MENUNGGU_RINCIAN

    data.update(
        {
            "ajukan-akun": "521211",
            "ajukan-payment_method": "KKP",
            "ajukan-card": card.pk,
            "ajukan-requested_date": "2030-01-15",
            "ajukan-notes": "Antar ke lantai 3",
        }
    )
    response = pp.post(f"/pesanan/{order.pk}/ajukan/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = refreshed(order)
    assert order.state == OrderState.MENUNGGU_PPK
    assert (order.ppk_id, order.payment_method, order.card_id) == (ppk.pk, "KKP", card.pk)
    assert order.notes == "Antar ke lantai 3"
    assert order.delivery_address  # the satker's address by default


def test_ppk_rejects_with_a_reason_and_approves_another(
    world: dict[str, Any], login_client: Any
) -> None:
    first, second = submitted(new_order()), submitted(new_order())
    ppk = login_client(PPK)
    short = ppk.post(f"/pesanan/{first.pk}/tolak/", {"tolak-reason": "Tidak"})
    assert short.status_code == 200
    assert "minimal 10 karakter" in short.content.decode()
    assert (
        ppk.post(
            f"/pesanan/{first.pk}/tolak/", {"tolak-reason": "Anggaran akun ini sudah habis."}
        ).status_code
        == 302
    )
    first = refreshed(first)
    assert first.state == OrderState.DITOLAK
    assert "Anggaran akun ini sudah habis." in ppk.get(f"/pesanan/{first.pk}/").content.decode()

    assert ppk.post(f"/pesanan/{second.pk}/setujui/").status_code == 302
    second = refreshed(second)
    assert second.state == OrderState.MENUNGGU_VENDOR
    assert second.hold_entry_id is not None
    page = ppk.get(f"/pesanan/{second.pk}/").content.decode()
    assert f"/pesanan/{second.pk}/surat-pesanan.pdf" in page


def test_vendor_declines_and_ppk_cancels_with_reasons(
    world: dict[str, Any], login_client: Any
) -> None:
    declined, cancelled = approved(new_order()), approved(new_order())
    vendor, ppk = login_client(VENDOR), login_client(PPK)
    assert (
        vendor.post(
            f"/pesanan/{declined.pk}/tolak-pesanan/",
            {"tolak-pesanan-reason": "Stok habis sampai bulan depan."},
        ).status_code
        == 302
    )
    assert refreshed(declined).state == OrderState.DIBATALKAN
    assert (
        ppk.post(
            f"/pesanan/{cancelled.pk}/batalkan/",
            {"batalkan-reason": "Kebutuhan sudah dipenuhi dari persediaan."},
        ).status_code
        == 302
    )
    assert refreshed(cancelled).state == OrderState.DIBATALKAN


def test_confirm_ship_receive_in_parts(world: dict[str, Any], login_client: Any) -> None:
    order = approved(new_order((4,)))
    line = order.lines.get()
    vendor, receiver = login_client(VENDOR), login_client(PENERIMA)
    assert vendor.post(f"/pesanan/{order.pk}/konfirmasi/").status_code == 302
    assert refreshed(order).state == OrderState.DIPROSES

    page = vendor.get(f"/pesanan/{order.pk}/").content.decode()
    assert f'name="kirim-line_{line.pk}" value="{line.quantity}"' in page  # what remains
    too_many = vendor.post(
        f"/pesanan/{order.pk}/kirim/", {f"kirim-line_{line.pk}": line.quantity + 1}
    )
    assert too_many.status_code == 200
    assert "melebihi sisa" in too_many.content.decode()
    assert f'id="id_kirim-line_{line.pk}_error"' in too_many.content.decode()  # on its line
    response = vendor.post(
        f"/pesanan/{order.pk}/kirim/",
        {f"kirim-line_{line.pk}": 3, "kirim-tracking": "Kurir sendiri, plat B 1234 XY"},
    )
    assert response.status_code == 302
    assert refreshed(order).state == OrderState.DIKIRIM

    response = receiver.post(
        f"/pesanan/{order.pk}/terima/", {f"terima-line_{line.pk}": 2, "terima-note": "Baik"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.shipped_quantity, line.received_quantity) == (3, 2)
    receipt = Receipt.objects.get(order=order)
    page = receiver.get(f"/pesanan/{order.pk}/").content.decode()
    assert f"/pesanan/{order.pk}/bast/{receipt.pk}.pdf" in page
    assert "Kurir sendiri, plat B 1234 XY" in page

    assert (
        vendor.post(f"/pesanan/{order.pk}/kirim/", {f"kirim-line_{line.pk}": 1}).status_code == 302
    )
    receiver.post(f"/pesanan/{order.pk}/terima/", {f"terima-line_{line.pk}": 2})
    assert refreshed(order).state == OrderState.DITERIMA
    assert Receipt.objects.filter(order=order).count() == 2


def test_complaint_and_its_resolution(world: dict[str, Any], login_client: Any) -> None:
    order = shipped(new_order((3,)))
    line = order.lines.get()
    receiver, vendor = login_client(PENERIMA), login_client(VENDOR)
    response = receiver.post(
        f"/pesanan/{order.pk}/komplain/",
        {
            "komplain-kind": "DAMAGED",
            "komplain-description": "Satu dus basah dan kertasnya rusak.",
            f"komplain-line_{line.pk}": 1,
        },
    )
    assert response.status_code == 302
    assert refreshed(order).state == OrderState.KOMPLAIN
    # Besides answering, the vendor may propose a cancellation or a new date for the replacement.
    assert action_forms(vendor, order) == {"selesaikan-komplain", "usul-batal", "usul-tanggal"}
    assert action_forms(receiver, order) == set()
    page = vendor.get(f"/pesanan/{order.pk}/").content.decode()
    assert "Satu dus basah" in page
    assert "Menunggu tanggapan vendor" in page

    response = vendor.post(
        f"/pesanan/{order.pk}/selesaikan-komplain/",
        {
            "selesaikan-komplain-resolution": "REDUCE",
            "selesaikan-komplain-response": "Disepakati jumlah dikurangi satu dus.",
            f"selesaikan-komplain-line_{line.pk}": 2,
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 2
    assert refreshed(order).state == OrderState.DIKIRIM
    assert "Jumlah dikurangi" in receiver.get(f"/pesanan/{order.pk}/").content.decode()


# --- documents ------------------------------------------------------------------------------


def test_surat_pesanan_and_bast_pdfs(world: dict[str, Any], login_client: Any) -> None:
    order = new_order((2,))
    pp, vendor, outsider = login_client(PP), login_client(VENDOR), login_client(OTHER_PP)
    assert pp.get(f"/pesanan/{order.pk}/surat-pesanan.pdf").status_code == 404  # not yet
    order = shipped(order)
    line = order.lines.get()
    receipt = services.receive_order(user(PENERIMA), order, quantities={line.pk: 2}, note="")

    for client in (pp, vendor):
        response = client.get(f"/pesanan/{order.pk}/surat-pesanan.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        text = pdf_text(response.content)
        assert order.number.removeprefix("DP-") in text
        assert "Surat Pesanan" in text
        assert "415256" in text
        assert line.name in text
        assert "521211" in text
        assert user(PPK).full_name in text

    bast = vendor.get(f"/pesanan/{order.pk}/bast/{receipt.pk}.pdf")
    assert bast.status_code == 200
    assert bast["Content-Type"] == "application/pdf"
    text = pdf_text(bast.content)
    assert receipt.number in text
    assert order.number in text
    assert user(PENERIMA).full_name in text
    assert "Penerima Barang" in text

    printable = pp.get(f"/pesanan/{order.pk}/bast/{receipt.pk}/")
    assert printable.status_code == 200
    assert receipt.number in printable.content.decode()
    assert pp.get(f"/pesanan/{order.pk}/surat-pesanan/").status_code == 200

    assert outsider.get(f"/pesanan/{order.pk}/surat-pesanan.pdf").status_code == 404
    assert outsider.get(f"/pesanan/{order.pk}/bast/{receipt.pk}.pdf").status_code == 404
    other = new_order()
    assert pp.get(f"/pesanan/{other.pk}/bast/{receipt.pk}.pdf").status_code == 404
    assert (
        login_client(OTHER_VENDOR).get(f"/pesanan/{order.pk}/surat-pesanan.pdf").status_code == 404
    )


@pytest.mark.parametrize("pkp", [True, False])
def test_bast_totals_follow_the_vendor_tax_status(world: dict[str, Any], pkp: bool) -> None:
    from digipay.orders import documents

    order = shipped(new_order((2,)))
    Order.objects.filter(pk=order.pk).update(vendor_pkp=pkp)
    line = order.lines.get()
    receipt = services.receive_order(user(PENERIMA), order, quantities={line.pk: 1})
    document = documents.bast(order, receipt)
    assert document.subtotal_idr == line.unit_price_idr
    assert document.ppn_idr == (line.unit_price_idr * 11 // 100 if pkp else 0)
    assert document.total_idr == document.subtotal_idr + document.ppn_idr
    assert [(x.quantity, x.total_idr) for x in document.lines] == [(1, line.unit_price_idr)]
    sp = documents.surat_pesanan(order)
    assert sp.number == Order.objects.get(pk=order.pk).sp_number
    assert sp.number.startswith(f"SP/{order.satker.code}/")
    assert len(sp.verification) == 64
    assert sp.verification != document.verification
    assert sp.verification == documents.surat_pesanan(order).verification  # stable
    assert sp.qr_data_uri.startswith("data:image/png;base64,")
