"""Vendor and catalog pages: who sees which page, registration (open and by invitation),
verification and rejection, suspension emptying the catalog, the product form and its state
buttons, import with a dry run, export, images, bank accounts and document downloads.

The vendors and products here are created through the services, not taken from the demo set
(the tests do not depend on the demo vendors' names or products). Owners' NIKs come from
region 3578 01 (Kota Surabaya), unlike the demo's 3171 and the other vendor tests' 3273.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from PIL import Image

from digipay.accounts import demo as accounts_demo
from digipay.accounts.models import User
from digipay.catalog import services as catalog
from digipay.catalog.models import Category, Product, ProductImage
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.integrations.banks.gateway import AccountInfo
from digipay.vendors import services
from digipay.vendors.models import Vendor, VendorBankAccount, VendorInvitation
from digipay.vendors.rules import BankAccountStatus, DocumentKind, VendorStatus
from tests.conftest import page_login

SATKER_A, SATKER_B = "415256", "527010"  # A: KPPN 019 (Kanwil DKI); B: KPPN 030 (Jawa Barat)
PP_A = "pengadaan@415256.demo.digipay.id"
PPK_A = "ppk@415256.demo.digipay.id"
PEMESAN_A = "pemesan@415256.demo.digipay.id"
PP_B = "pengadaan@527010.demo.digipay.id"
KPPN_A = "admin@kppn019.demo.digipay.id"
KPPN_B = "admin@kppn030.demo.digipay.id"
AUDITOR = "auditor@itjen.demo.digipay.id"  # granted Kanwil DKI Jakarta: satker A, not B

PASSWORD = accounts_demo.DEMO_PASSWORD
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def nik(serial: int) -> str:
    """A valid NIK: Kota Surabaya (3578 01), a man born 12/07/88, the serial."""
    return f"357801120788{serial:04d}"


def registration(**overrides: Any) -> services.Registration:
    n = next(_serial)
    data: dict[str, Any] = {
        "owner_name": f"Bambang Wijaya {n}",
        "owner_nik": nik(n),
        "email": f"pemilik{n}@toko.example.co.id",
        "phone": "0813 1111 2222",
        "password": PASSWORD,
        "business_name": f"UD Sumber Rejeki {n}",
        "legal_form": "UD",
        "licence_kind": "NIB",
        "licence_number": f"91203{n:08d}",
        "kbli_codes": ["47611"],
        "address": f"Jl. Pahlawan No. {n}, Kelurahan Alun-alun Contong",
        "province_code": "35",
        "regency": "Kota Surabaya",
        "npwp": "0" * 15,
        "is_pkp": False,
        "umkm_basis": "SALES",
        "umkm_amount_idr": 800_000_000,
        "partner_satker_code": SATKER_A,
    }
    data.update(overrides)
    return services.Registration(**data)


def user(email: str) -> User:
    return User.objects.get(email=email)


def make_vendor(*, partner: str = SATKER_A, verified: bool = True, **overrides: Any) -> Vendor:
    vendor = services.register_vendor(registration(partner_satker_code=partner, **overrides))
    if verified:
        pp = user(f"pengadaan@{partner}.demo.digipay.id")
        vendor = services.verify_vendor(pp, vendor)
    return Vendor.objects.select_related("organisation").get(pk=vendor.pk)


def vendor_client(vendor: Vendor) -> Client:
    """The vendor's admin signed in through the pages (2FA with the demo TOTP key)."""
    admin = User.objects.get(email=vendor.email)
    TOTPDevice.objects.get_or_create(
        user=admin, name="Uji", defaults={"key": accounts_demo.DEMO_TOTP_KEY_HEX, "confirmed": True}
    )
    return page_login(Client(), vendor.email, PASSWORD)


def leaf(code: str = "ATK-KERTAS") -> Category:
    return Category.objects.get(code=code)


def make_product(
    vendor: Vendor,
    name: str,
    *,
    state: str = ProductState.READY,
    price: int = 55_000,
    sku: str = "",
    stock: int | None = 40,
) -> Product:
    admin = User.objects.get(email=vendor.email)
    product = catalog.create_product(
        admin,
        vendor,
        catalog.ProductInput(
            sku=sku or f"SKU-{next(_serial)}",
            name=name,
            category_id=leaf().pk,
            unit="rim",
            price_idr=price,
            kind=ProductKind.GOODS,
            stock=stock,
            is_pdn=True,
            tkdn_bp=4050,
        ),
    )
    if state in (ProductState.PUBLISHED, ProductState.READY):
        product = catalog.change_state(admin, product, state=ProductState.PUBLISHED)
    if state == ProductState.READY:
        product = catalog.change_state(admin, product, state=ProductState.READY)
    return product


def registration_post(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    data: dict[str, Any] = {
        "partner_satker_code": SATKER_A,
        "owner_name": "Sri Wahyuni",
        "owner_nik": nik(n),
        "email": f"sri{n}@batik.example.co.id",
        "phone": "0812-7777-8888",
        "password": PASSWORD,
        "password2": PASSWORD,
        "business_name": "CV Batik Lestari",
        "legal_form": "CV",
        "licence_kind": "SIUP",
        "licence_number": "510/1234/SIUP/2024",
        "licence_file": SimpleUploadedFile("siup.pdf", PDF, content_type="application/pdf"),
        "kbli_codes": "13134, 47711",
        "address": "Jl. Kenjeran No. 88, Kelurahan Gading, Kecamatan Tambaksari",
        "province": "35",
        "regency": "Kota Surabaya",
        "npwp": "000000000000000",
        "umkm_basis": "SALES",
        "umkm_amount_idr": "Rp 1.200.000.000",
        "suket_number": "KET-00123/PP55/WPJ.11/2026",
        "suket_valid_from": "2026-01-01",
        "suket_valid_until": "2026-12-31",
        "suket_file": SimpleUploadedFile("suket.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def html(response: Any) -> str:
    return str(response.content.decode())


# --- who sees which page -----------------------------------------------------------------------


def test_pages_answer_the_right_roles_and_refuse_the_others(
    world: dict[str, Any], login_client: Any
) -> None:
    vendor_a = make_vendor(partner=SATKER_A)
    vendor_b = make_vendor(partner=SATKER_B)
    product = make_product(vendor_a, "Kertas HVS A4 70 gram Uji")
    anonymous = Client()
    assert anonymous.get("/vendor/daftar/").status_code == 200
    for path in ("/vendor/profil/", "/katalog/", "/vendor/registri/", f"/vendor/{vendor_a.pk}/"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/masuk/"), path

    cases: dict[str, list[tuple[str, int]]] = {
        PEMESAN_A: [
            ("/katalog/", 200),
            (f"/katalog/produk/{product.pk}/", 200),
            (f"/katalog/toko/{vendor_a.pk}/", 200),
            ("/vendor/profil/", 403),
            ("/vendor/rekening/", 403),
            ("/vendor/undangan/", 403),
            ("/vendor/verifikasi/", 403),
            ("/vendor/registri/", 403),
            (f"/vendor/{vendor_a.pk}/", 403),
            ("/katalog/produk-saya/", 403),
            ("/katalog/impor/", 403),
            ("/katalog/ekspor/csv/", 403),
        ],
        PP_A: [
            ("/vendor/undangan/", 200),
            ("/vendor/verifikasi/", 200),
            (f"/vendor/{vendor_a.pk}/", 200),
            (f"/vendor/{vendor_b.pk}/", 404),
            ("/katalog/", 200),
        ],
        PPK_A: [
            ("/vendor/verifikasi/", 200),
            (f"/vendor/{vendor_a.pk}/", 200),
            ("/vendor/undangan/", 403),
        ],
        KPPN_A: [
            ("/vendor/registri/", 200),
            (f"/vendor/{vendor_a.pk}/", 200),
            (f"/vendor/{vendor_b.pk}/", 404),
            ("/vendor/undangan/", 403),
            ("/vendor/verifikasi/", 403),
            ("/katalog/", 200),
        ],
        AUDITOR: [
            ("/vendor/registri/", 200),
            (f"/vendor/{vendor_a.pk}/", 200),
            (f"/vendor/{vendor_b.pk}/", 404),
        ],
    }
    # Each user signs in once: a TOTP code is accepted only once per device.
    clients = {email: login_client(email) for email in cases}
    for email, expected in cases.items():
        client = clients[email]
        for path, status in expected:
            assert client.get(path).status_code == status, (email, path)

    own = vendor_client(vendor_a)
    for path in (
        "/vendor/profil/",
        "/vendor/rekening/",
        "/katalog/produk-saya/",
        "/katalog/produk-saya/baru/",
        f"/katalog/produk-saya/{product.pk}/",
        "/katalog/impor/",
        f"/vendor/{vendor_a.pk}/",
    ):
        assert own.get(path).status_code == 200, path
    assert own.get("/vendor/verifikasi/").status_code == 403
    other = vendor_client(vendor_b)
    assert other.get(f"/vendor/{vendor_a.pk}/").status_code == 404
    assert other.get(f"/katalog/produk-saya/{product.pk}/").status_code == 404

    registry = html(clients[KPPN_A].get("/vendor/registri/"))
    assert vendor_a.business_name in registry
    assert vendor_b.business_name not in registry


def test_navigation_follows_the_role(world: dict[str, Any], login_client: Any) -> None:
    def nav(client: Client) -> str:
        page = html(client.get("/"))
        return page[page.index("Navigasi utama") : page.index("</nav>")]

    pp = nav(login_client(PP_A))
    assert "/katalog/" in pp
    assert "/vendor/undangan/" in pp
    assert "/vendor/verifikasi/" in pp
    assert "/vendor/registri/" not in pp
    kppn = nav(login_client(KPPN_A))
    assert "/vendor/registri/" in kppn
    assert "/katalog/" in kppn
    assert "/vendor/undangan/" not in kppn
    vendor = nav(vendor_client(make_vendor()))
    for path in (
        "/vendor/profil/",
        "/vendor/rekening/",
        "/katalog/produk-saya/",
        "/katalog/impor/",
    ):
        assert path in vendor, path
    assert "/pengguna/" in vendor  # the vendor's users (staff, couriers) live in accounts


# --- registration ----------------------------------------------------------------------------


def test_self_registration_creates_a_pending_vendor_with_its_documents(
    world: dict[str, Any],
) -> None:
    client = Client(enforce_csrf_checks=True)
    form = client.get("/vendor/daftar/")
    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html(form)
    assert 'enctype="multipart/form-data"' in html(form)
    assert client.post("/vendor/daftar/", registration_post()).status_code == 403  # no token

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(form))
    assert token is not None
    data = registration_post(csrfmiddlewaretoken=token.group(1))
    response = client.post("/vendor/daftar/", data)
    assert response.status_code == 302, html(response)[:3000]
    assert response["Location"] == "/vendor/daftar/selesai/"
    done = html(client.get(response["Location"]))
    assert "menunggu verifikasi" in done
    assert world["satker_a"].name in done
    assert 'href="/masuk/"' in done

    vendor = Vendor.objects.get(email=data["email"])
    assert vendor.status == VendorStatus.PENDING
    assert vendor.partner_satker_id == world["satker_a"].pk
    assert vendor.umkm_amount_idr == 1_200_000_000
    assert vendor.kbli_codes == ["13134", "47711"]
    assert vendor.owner_nik_last4 == data["owner_nik"][-4:]
    assert vendor.suket_status == "PENDING"
    kinds = set(vendor.documents.filter(is_current=True).values_list("kind", flat=True))
    assert kinds == {DocumentKind.LICENCE, DocumentKind.SUKET}


def test_registration_errors_stay_on_the_form(world: dict[str, Any]) -> None:
    client = Client()
    before = Vendor.objects.count()
    unknown_satker = client.post("/vendor/daftar/", registration_post(partner_satker_code="999999"))
    assert unknown_satker.status_code == 200
    assert "Satker mitra dengan kode 999999 tidak ditemukan" in html(unknown_satker)
    bad_nik = client.post("/vendor/daftar/", registration_post(owner_nik="3578019999990001"))
    assert "NIK tidak valid" in html(bad_nik)
    no_file = registration_post()
    del no_file["licence_file"]
    assert "Unggah berkas izin usaha" in html(client.post("/vendor/daftar/", no_file))
    not_a_pdf = registration_post(
        licence_file=SimpleUploadedFile("siup.pdf", b"bukan pdf", content_type="application/pdf")
    )
    assert "Jenis berkas tidak didukung" in html(client.post("/vendor/daftar/", not_a_pdf))
    assert Vendor.objects.count() == before


def test_registration_by_invitation_link(
    world: dict[str, Any], login_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pp = login_client(PP_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = pp.post(
            "/vendor/undangan/",
            {"email": "Pemilik@Kopi.example.co.id", "business_name": "Kopi Ijen"},
        )
    assert response.status_code == 200
    link = re.search(r'data-testid="invitation-link">([^<]+)<', html(response))
    assert link is not None
    path = "/" + link.group(1).split("/", 3)[3]
    assert path.startswith("/vendor/daftar/")
    assert len(mail.outbox) == 1
    assert path in mail.outbox[0].body
    assert "pemilik@kopi.example.co.id" in html(pp.get("/vendor/undangan/"))

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert world["satker_a"].name in html(page)
    assert 'name="partner_satker_code"' not in html(page)  # the partner is the inviting satker
    assert 'value="pemilik@kopi.example.co.id"' in html(page)

    data = registration_post(email="pemilik@kopi.example.co.id", business_name="Kopi Ijen Raung")
    del data["partner_satker_code"]
    response = visitor.post(path, data)
    assert response.status_code == 302, html(response)[:3000]
    vendor = Vendor.objects.get(email="pemilik@kopi.example.co.id")
    assert vendor.partner_satker_id == world["satker_a"].pk
    assert vendor.invited_by == user(PP_A)
    assert VendorInvitation.objects.get(vendor=vendor).accepted_at is not None

    used = visitor.get(path)
    assert used.status_code == 409
    assert "sudah digunakan" in html(used)
    unknown = visitor.get("/vendor/daftar/tidak-ada-undangan-seperti-ini-0123456789abcdef/")
    assert unknown.status_code == 404
    assert "Undangan tidak ditemukan" in html(unknown)


def test_expired_invitation_shows_a_friendly_page(world: dict[str, Any]) -> None:
    _invitation, token = services.invite_vendor(
        user(PP_A), satker=world["satker_a"], email="lama@usaha.example.co.id"
    )
    with clock.frozen(clock.now() + timedelta(days=15)):
        response = Client().get(f"/vendor/daftar/{token}/")
    assert response.status_code == 409
    assert "kedaluwarsa" in html(response)
    assert 'href="/vendor/daftar/"' in html(response)


# --- verification ----------------------------------------------------------------------------


def test_verification_and_rejection_through_the_pages(
    world: dict[str, Any], login_client: Any
) -> None:
    first = make_vendor(verified=False)
    second = make_vendor(verified=False)
    pp = login_client(PP_A)
    queue = html(pp.get("/vendor/verifikasi/"))
    assert first.business_name in queue
    assert second.business_name in queue
    detail = html(pp.get(f"/vendor/{first.pk}/"))
    assert f"/vendor/{first.pk}/verifikasi/" in detail
    assert "/bekukan/" not in detail  # suspension is the KPPN's

    outsider = login_client(PP_B)
    assert outsider.post(f"/vendor/{first.pk}/verifikasi/", {}).status_code == 404
    assert login_client(PEMESAN_A).post(f"/vendor/{first.pk}/verifikasi/", {}).status_code == 403

    response = pp.post(f"/vendor/{first.pk}/verifikasi/", {})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == VendorStatus.VERIFIED
    assert first.verified_by == user(PP_A)

    too_short = pp.post(f"/vendor/{second.pk}/tolak/", {"reject-reasons": "kurang"})
    assert too_short.status_code == 200
    assert "minimal 10 karakter" in html(too_short)
    second.refresh_from_db()
    assert second.status == VendorStatus.PENDING
    reasons = "Nomor NIB tidak sesuai dengan data OSS; unggah ulang izin usaha."
    assert pp.post(f"/vendor/{second.pk}/tolak/", {"reject-reasons": reasons}).status_code == 302
    second.refresh_from_db()
    assert second.status == VendorStatus.REJECTED
    assert reasons in html(pp.get(f"/vendor/{second.pk}/"))  # decision history

    owner = vendor_client(second)
    profile = html(owner.get("/vendor/profil/"))
    assert reasons in profile
    assert "Ajukan ulang" in profile
    assert "••••" + second.owner_nik_last4 in profile
    assert owner.post("/vendor/profil/ajukan-ulang/").status_code == 302
    second.refresh_from_db()
    assert second.status == VendorStatus.PENDING
    assert second.business_name in html(pp.get("/vendor/verifikasi/"))


def test_profile_edit_keeps_the_nik_and_reverifies_identity_changes(
    world: dict[str, Any],
) -> None:
    vendor = make_vendor()
    owner = vendor_client(vendor)
    page = html(owner.get("/vendor/profil/"))
    assert 'name="owner_nik"' not in page  # the NIK cannot be edited
    form = {
        "business_name": "UD Sumber Rejeki Baru",
        "legal_form": vendor.legal_form,
        "licence_kind": vendor.licence_kind,
        "licence_number": vendor.licence_number,
        "kbli_codes": ", ".join(vendor.kbli_codes),
        "address": vendor.address,
        "province": vendor.province_id,
        "regency": vendor.regency,
        "phone": vendor.phone,
        "npwp": vendor.npwp,
        "umkm_basis": vendor.umkm_basis,
        "umkm_amount_idr": str(vendor.umkm_amount_idr),
        "owner_nik": "3578011207880999",  # ignored: not a field of the form
    }
    response = owner.post("/vendor/profil/", form)
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.business_name == "UD Sumber Rejeki Baru"
    assert vendor.status == VendorStatus.PENDING  # identity changed: verified again
    assert vendor.owner_nik_last4 != "0999"
    bad = owner.post("/vendor/profil/", {**form, "npwp": "12345"})
    assert bad.status_code == 200
    assert "NPWP tidak valid" in html(bad)


# --- catalog: suspension empties the vendor's listing ---------------------------------------


def test_a_suspended_vendors_products_vanish_from_the_catalog(
    world: dict[str, Any], login_client: Any
) -> None:
    vendor = make_vendor()
    product = make_product(vendor, "Kertas HVS Sidu Uji Bekukan")
    buyer = login_client(PEMESAN_A)
    assert product.name in html(buyer.get("/katalog/", {"q": "kertas sidu"}))

    kppn = login_client(KPPN_A)
    assert "/bekukan/" in html(kppn.get(f"/vendor/{vendor.pk}/"))
    assert login_client(KPPN_B).get(f"/vendor/{vendor.pk}/").status_code == 404
    response = kppn.post(
        f"/vendor/{vendor.pk}/bekukan/",
        {"suspend-reasons": "Temuan pemeriksaan: harga tidak wajar dan barang fiktif."},
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.SUSPENDED

    assert product.name not in html(buyer.get("/katalog/", {"q": "kertas sidu"}))
    assert buyer.get(f"/katalog/produk/{product.pk}/").status_code == 404
    assert buyer.get(f"/katalog/toko/{vendor.pk}/").status_code == 404

    response = kppn.post(
        f"/vendor/{vendor.pk}/aktifkan/",
        {"reinstate-reasons": "Klarifikasi diterima, harga sudah diperbaiki."},
    )
    assert response.status_code == 302
    assert product.name in html(buyer.get("/katalog/", {"q": "kertas sidu"}))


# --- catalog search page ---------------------------------------------------------------------


def test_search_page_results_facets_htmx_and_cursor(
    world: dict[str, Any], login_client: Any
) -> None:
    vendor = make_vendor()
    for n in range(26):
        make_product(vendor, f"Kertas Fotokopi Merapikarsa Nomor {n}", price=40_000 + n)
    make_product(vendor, "Amplop Coklat Saptawira", state=ProductState.PUBLISHED)
    buyer = login_client(PEMESAN_A)

    page = buyer.get("/katalog/", {"q": "kertas merapikarsa", "sort": "price"})
    text = html(page)
    assert page.status_code == 200
    assert "26 produk" in text
    assert "Kertas Fotokopi Merapikarsa Nomor 0" in text
    assert "Rp 40.000" in text
    assert 'hx-get="/katalog/facet/?q=kertas+merapikarsa&amp;sort=price"' in text
    assert 'hx-trigger="load"' in text
    assert "PDN" in text
    assert "TKDN 40,5%" in text
    assert "Siap dipesan" in text
    next_link = re.search(r'href="(/katalog/\?[^"]*cursor=[^"]+)"', text)
    assert next_link is not None
    second = html(buyer.get(next_link.group(1).replace("&amp;", "&")))
    assert "Kertas Fotokopi Merapikarsa Nomor 25" in second
    assert "Kertas Fotokopi Merapikarsa Nomor 0<" not in second
    assert "Halaman pertama" in second

    fragment = buyer.get("/katalog/", {"q": "saptawira"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in html(fragment)
    assert "Amplop Coklat Saptawira" in html(fragment)
    assert "Tayang" in html(fragment)

    facets = html(buyer.get("/katalog/facet/", {"q": "merapikarsa"}))
    assert "Alat tulis kantor" in facets
    assert "(26)" in facets

    corrected = html(buyer.get("/katalog/", {"q": "merapikarso"}))
    assert "Menampilkan hasil untuk" in corrected
    assert "<strong>merapikarsa</strong>" in corrected

    filtered = html(buyer.get("/katalog/", {"q": "merapikarsa", "price_max": "40.001"}))
    assert "2 produk" in filtered
    invalid = buyer.get("/katalog/", {"price_min": "9000", "price_max": "10"})
    assert invalid.status_code == 200
    assert "Harga sampai harus lebih besar" in html(invalid)

    product = Product.objects.get(name="Amplop Coklat Saptawira")
    detail = html(buyer.get(f"/katalog/produk/{product.pk}/"))
    assert "Riwayat harga" in detail
    assert vendor.business_name in detail
    assert f"/katalog/toko/{vendor.pk}/" in detail
    store = html(buyer.get(f"/katalog/toko/{vendor.pk}/"))
    assert "27" in store  # listed products
    assert "Berikutnya" in store


# --- the vendor's products --------------------------------------------------------------------


def product_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sku": "KRT-A4-80",
        "name": "Kertas HVS A4 80 gram",
        "description": "Kertas putih untuk fotokopi dan printer.",
        "category": str(leaf().pk),
        "kind": "GOODS",
        "unit": "rim",
        "price_idr": "62.500",
        "min_order": "1",
        "stock": "150",
        "lead_time_days": "2",
        "is_pdn": "on",
        "tkdn": "40,5",
        "bmp": "",
        "delivery_provinces": ["35", "31"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_product_form_creates_a_product_and_the_state_buttons_move_it(
    world: dict[str, Any],
) -> None:
    vendor = make_vendor()
    owner = vendor_client(vendor)
    form = html(owner.get("/katalog/produk-saya/baru/"))
    assert 'value="rim"' in form
    assert "Kertas dan amplop" in form
    parent = Category.objects.get(code="ATK")
    assert f'<option value="{parent.pk}"' not in form  # only leaf categories

    refused = owner.post("/katalog/produk-saya/baru/", product_post(price_idr="0", tkdn="abc"))
    assert refused.status_code == 200
    assert "Isi persentase 0–100" in html(refused)
    not_pdn = owner.post("/katalog/produk-saya/baru/", product_post(is_pdn=None, tkdn="40"))
    assert not_pdn.status_code == 200
    assert "TKDN dan BMP hanya diisi untuk produk dalam negeri" in html(not_pdn)  # the rules'
    assert not Product.objects.filter(vendor=vendor).exists()

    response = owner.post("/katalog/produk-saya/baru/", product_post())
    assert response.status_code == 302, html(response)[:3000]
    product = Product.objects.get(vendor=vendor, sku="KRT-A4-80")
    assert response["Location"] == f"/katalog/produk-saya/{product.pk}/"
    assert product.state == ProductState.DRAFT
    assert product.price_idr == 62_500
    assert product.tkdn_bp == 4050
    assert not product.delivers_nationwide
    assert sorted(product.areas.values_list("province_id", flat=True)) == ["31", "35"]

    edit = html(owner.get(response["Location"]))
    assert "Tayangkan" in edit
    assert "Arsipkan" in edit
    for target in (ProductState.PUBLISHED, ProductState.READY, ProductState.DRAFT):
        moved = owner.post(f"/katalog/produk-saya/{product.pk}/status/", {"state": target})
        assert moved.status_code == 302
        product.refresh_from_db()
        assert product.state == target
    owner.post(f"/katalog/produk-saya/{product.pk}/status/", {"state": ProductState.ARCHIVED})
    product.refresh_from_db()
    assert product.state == ProductState.ARCHIVED
    assert not product.is_listed

    changed = owner.post(
        f"/katalog/produk-saya/{product.pk}/", product_post(price_idr="65000", sku=None)
    )
    assert changed.status_code == 302
    product.refresh_from_db()
    assert product.price_idr == 65_000
    assert product.sku == "KRT-A4-80"
    assert product.price_history.count() == 2

    listing = html(owner.get("/katalog/produk-saya/", {"state": "ARCHIVED"}))
    assert "Kertas HVS A4 80 gram" in listing


def test_an_unverified_vendor_cannot_publish_from_the_page(world: dict[str, Any]) -> None:
    vendor = make_vendor(verified=False)
    owner = vendor_client(vendor)
    response = owner.post("/katalog/produk-saya/baru/", product_post())
    assert response.status_code == 302
    product = Product.objects.get(vendor=vendor)
    moved = owner.post(
        f"/katalog/produk-saya/{product.pk}/status/", {"state": "PUBLISHED"}, follow=True
    )
    assert "Hanya vendor terverifikasi" in html(moved)
    product.refresh_from_db()
    assert product.state == ProductState.DRAFT


# --- import and export -----------------------------------------------------------------------

HEADER = (
    "sku;nama;deskripsi;kategori;satuan;harga;min_pesan;stok;jenis;pdn;tkdn;bmp;"
    "waktu_kirim_hari;wilayah_kirim"
)


def csv_file(*rows: str) -> SimpleUploadedFile:
    body = "\n".join([HEADER, *rows]).encode()
    return SimpleUploadedFile("produk.csv", body, content_type="text/csv")


def test_import_dry_run_shows_row_errors_and_changes_nothing(world: dict[str, Any]) -> None:
    vendor = make_vendor()
    owner = vendor_client(vendor)
    bad = csv_file(
        "IMP-1;Map Plastik Kancing;;ATK-ARSIP;buah;4500;1;100;barang;ya;30;;2;SEMUA",
        "IMP-2;Pulpen Gel Hitam;;ATK-TIDAK-ADA;pak;abc;1;10;barang;tidak;;;2;SEMUA",
    )
    response = owner.post("/katalog/impor/", {"file": bad})
    text = html(response)
    assert response.status_code == 200
    assert 'data-testid="import-errors"' in text
    assert "<td>3</td>" in text  # the bad row's number (row 1 is the header)
    assert "Harga harus bilangan bulat" in text
    assert 'name="confirm"' not in text
    assert not Product.objects.filter(vendor=vendor).exists()

    good = csv_file(
        "IMP-1;Map Plastik Kancing;;ATK-ARSIP;buah;4500;1;100;barang;ya;30;;2;SEMUA",
        "IMP-2;Pulpen Gel Hitam;;ATK-TULIS;pak;23000;1;10;barang;tidak;;;2;35;31",
    )
    checked = html(owner.post("/katalog/impor/", {"file": good}))
    assert 'name="confirm"' in checked
    assert "2 produk baru" in checked
    assert not Product.objects.filter(vendor=vendor).exists()  # a dry run writes nothing
    token = re.search(r'name="token" value="([0-9a-f]+)"', checked)
    assert token is not None

    assert owner.post("/katalog/impor/", {"confirm": "1", "token": "salah"}).status_code == 302
    assert not Product.objects.filter(vendor=vendor).exists()
    done = owner.post("/katalog/impor/", {"confirm": "1", "token": token.group(1)})
    assert done.status_code == 302
    assert set(Product.objects.filter(vendor=vendor).values_list("sku", flat=True)) == {
        "IMP-1",
        "IMP-2",
    }


def test_export_downloads_csv_and_xlsx(world: dict[str, Any], login_client: Any) -> None:
    vendor = make_vendor()
    make_product(vendor, "Tinta Printer Hitam Uji", sku="TNT-01")
    owner = vendor_client(vendor)
    listing = html(owner.get("/katalog/produk-saya/"))
    assert "/katalog/ekspor/csv/" in listing
    assert "/katalog/ekspor/xlsx/" in listing

    response = owner.get("/katalog/ekspor/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["sku"] for r in rows] == ["TNT-01"]
    assert rows[0]["tkdn"] == "40,5"

    response = owner.get("/katalog/ekspor/xlsx/")
    assert response.status_code == 200
    assert response.content.startswith(b"PK\x03\x04")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.cell(row=2, column=1).value == "TNT-01"
    assert owner.get("/katalog/ekspor/pdf/").status_code == 404
    assert login_client(PEMESAN_A).get("/katalog/ekspor/csv/").status_code == 403


# --- images ----------------------------------------------------------------------------------


def png(color: tuple[int, int, int] = (200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "PNG")
    return SimpleUploadedFile("foto.png", out.getvalue(), content_type="image/png")


def test_image_upload_then_the_thumbnail_is_served_only_to_those_who_may_see_it(
    world: dict[str, Any], login_client: Any
) -> None:
    vendor = make_vendor()
    listed = make_product(vendor, "Kertas Buram Uji Gambar")
    draft = make_product(vendor, "Kertas Draf Uji Gambar", state=ProductState.DRAFT)
    owner = vendor_client(vendor)
    for product in (listed, draft):
        response = owner.post(
            f"/katalog/produk-saya/{product.pk}/gambar/",
            {"image": png(), "alt_text": "Satu rim kertas"},
        )
        assert response.status_code == 302
    listed_image = ProductImage.objects.get(product=listed)
    draft_image = ProductImage.objects.get(product=draft)
    edit = html(owner.get(f"/katalog/produk-saya/{listed.pk}/"))
    assert f"/katalog/gambar/{listed_image.pk}/thumb/" in edit

    buyer = login_client(PEMESAN_A)
    response = buyer.get(f"/katalog/gambar/{listed_image.pk}/thumb/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    assert buyer.get(f"/katalog/gambar/{listed_image.pk}/large/").status_code == 200
    assert buyer.get(f"/katalog/gambar/{listed_image.pk}/asli/").status_code == 404
    assert buyer.get(f"/katalog/gambar/{draft_image.pk}/thumb/").status_code == 404
    results = html(buyer.get("/katalog/", {"q": "kertas buram"}))
    assert f"/katalog/gambar/{listed_image.pk}/thumb/" in results

    other = vendor_client(make_vendor())
    assert other.get(f"/katalog/gambar/{draft_image.pk}/thumb/").status_code == 404
    assert other.get(f"/katalog/gambar/{listed_image.pk}/thumb/").status_code == 200
    assert owner.get(f"/katalog/gambar/{draft_image.pk}/thumb/").status_code == 200
    assert Client().get(f"/katalog/gambar/{listed_image.pk}/thumb/").status_code == 302

    not_an_image = owner.post(
        f"/katalog/produk-saya/{listed.pk}/gambar/",
        {"image": SimpleUploadedFile("x.png", b"bukan gambar", content_type="image/png")},
        follow=True,
    )
    assert "bukan gambar yang valid" in html(not_an_image)
    removed = owner.post(f"/katalog/produk-saya/{listed.pk}/gambar/{listed_image.pk}/hapus/")
    assert removed.status_code == 302
    assert not ProductImage.objects.filter(pk=listed_image.pk).exists()


# --- bank accounts and documents -----------------------------------------------------------------


class FakeBank:
    def __init__(self, name: str) -> None:
        self.name = name

    def account_inquiry(self, *, account_no: str, bank_code: str, external_id: str) -> AccountInfo:
        return AccountInfo(account_no=account_no, account_name=self.name, bank_code=bank_code)


def test_bank_accounts_add_check_correct_and_make_primary(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    vendor = make_vendor(business_name="UD Sumber Rejeki Abadi")
    owner = vendor_client(vendor)
    assert "Belum ada rekening" in html(owner.get("/vendor/rekening/"))
    not_the_vendor = owner.post(
        "/vendor/rekening/",
        {"bank_code": "002", "account_no": "012345678901", "holder_name": "Orang Lain Sekali"},
    )
    assert "Pemilik rekening harus nama usaha" in html(not_the_vendor)
    assert not VendorBankAccount.objects.filter(vendor=vendor).exists()

    monkeypatch.setattr(services, "inquiry_gateway", lambda code: FakeBank("SUMBER REJEKI ABADI"))
    response = owner.post(
        "/vendor/rekening/",
        {"bank_code": "002", "account_no": "0123-4567-8901", "holder_name": "Sumber Rejeki"},
        follow=True,
    )
    text = html(response)
    assert "tidak sesuai" in text
    assert "SUMBER REJEKI ABADI" in text  # the name the bank returned
    assert "••••8901" in text
    assert "012345678901" not in text
    account = VendorBankAccount.objects.get(vendor=vendor)
    assert account.status == BankAccountStatus.MISMATCH

    owner.post(f"/vendor/rekening/{account.pk}/nama/", {"holder_name": "Sumber Rejeki Abadi"})
    account.refresh_from_db()
    assert account.status == BankAccountStatus.VERIFIED
    assert account.is_primary  # the first account

    monkeypatch.setattr(services, "inquiry_gateway", lambda code: FakeBank(vendor.owner_name))
    owner.post(
        "/vendor/rekening/",
        {"bank_code": "008", "account_no": "1300099988877", "holder_name": vendor.owner_name},
    )
    second = VendorBankAccount.objects.get(vendor=vendor, bank_code="008")
    assert second.status == BankAccountStatus.VERIFIED
    assert not second.is_primary
    owner.post(f"/vendor/rekening/{second.pk}/utama/")
    second.refresh_from_db()
    assert second.is_primary
    owner.post(f"/vendor/rekening/{account.pk}/hapus/")
    account.refresh_from_db()
    assert account.removed_at is not None
    duplicate = owner.post(
        "/vendor/rekening/",
        {"bank_code": "008", "account_no": "1300099988877", "holder_name": vendor.owner_name},
    )
    assert "sudah terdaftar" in html(duplicate)

    monkeypatch.setattr(services, "inquiry_gateway", _no_gateway)
    failed = owner.post(f"/vendor/rekening/{second.pk}/cek/", follow=True)
    assert "Pengecekan rekening gagal" in html(failed)


def _no_gateway(code: str) -> Any:
    raise LookupError(f"no bank profile for {code}")


def test_documents_are_streamed_only_to_those_who_may_see_the_vendor(
    world: dict[str, Any], login_client: Any
) -> None:
    vendor = make_vendor(
        verified=False,
        licence_kind="SIUP",
        licence_number="503/777/SIUP/2025",
        documents={"LICENCE": ("izin.pdf", io.BytesIO(PDF))},
    )
    document = vendor.documents.get(kind=DocumentKind.LICENCE)
    path = f"/vendor/{vendor.pk}/dokumen/{document.pk}/"
    assert path in html(login_client(PP_A).get(f"/vendor/{vendor.pk}/"))
    for email in (PP_A, PPK_A, KPPN_A):
        response = login_client(email).get(path)
        assert response.status_code == 200, email
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF
    assert login_client(PP_B).get(path).status_code == 404
    assert login_client(KPPN_B).get(path).status_code == 404
    assert login_client(PEMESAN_A).get(path).status_code == 403
    owner = vendor_client(vendor)
    assert "/media/" not in html(owner.get("/vendor/profil/"))
    replaced = owner.post(
        "/vendor/profil/dokumen/",
        {"kind": "LICENCE", "file": SimpleUploadedFile("izin-baru.pdf", PDF)},
    )
    assert replaced.status_code == 302
    assert vendor.documents.filter(kind=DocumentKind.LICENCE, is_current=True).count() == 1
    assert login_client(PP_A).get(path).status_code == 404  # the old file is not current


def test_registry_filters(world: dict[str, Any], login_client: Any) -> None:
    verified = make_vendor(business_name="CV Registri Terverifikasi")
    pending = make_vendor(verified=False, business_name="CV Registri Menunggu")
    kppn = login_client(KPPN_A)
    page = html(kppn.get("/vendor/registri/", {"status": "PENDING"}))
    assert pending.business_name in page
    assert verified.business_name not in page
    by_partner = html(kppn.get("/vendor/registri/", {"partner": SATKER_A, "q": "registri"}))
    assert pending.business_name in by_partner
    assert verified.business_name in by_partner
    assert "Tidak ada vendor" in html(kppn.get("/vendor/registri/", {"partner": "652840"}))
    fragment = kppn.get("/vendor/registri/", {"q": "menunggu"}, headers={"HX-Request": "true"})
    assert "<html" not in html(fragment)
    assert pending.business_name in html(fragment)
