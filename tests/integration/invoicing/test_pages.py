"""The invoicing pages: the "Tagihan" list (tabs, counts, empty states, the menu link), the
invoice page with its figures and explanation and exactly the allowed forms, each step as a
form post (403/404/409/422 where they belong), the four PDFs (text checked with pypdf, the
slips with NPWP/NITKU of both parties), deposits and the monthly report with its XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from digipay.core import clock
from digipay.invoicing import documents, services
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import InvoiceState

from .conftest import (
    BENDAHARA,
    JUTA,
    PPK,
    VENDOR_1,
    VENDOR_2,
    Shop,
    email,
    invoice_of,
    make_product,
    received,
    user,
)

JULY = datetime(2026, 7, 20, 12, 0, tzinfo=clock.JAKARTA)
Login = Callable[[str], Client]
SATKER_NPWP = "0005312269077000"
VENDOR_NPWP = "0015260185407000"  # UMKM-0001: 01.526.018.5-407.000


@pytest.fixture
def invoice(shop: Shop) -> Invoice:
    return invoice_of(received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)], at=JULY))


def pdf_text(response: object) -> str:
    content = response.content  # type: ignore[attr-defined]
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_list_menu_and_empty_state(login_client: Login, world: object) -> None:
    page = login_client(BENDAHARA).get("/tagihan/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'href="/tagihan/"' in text  # the menu link
    assert "Belum ada tagihan" in text or "Tidak ada tagihan yang menunggu" in text
    assert login_client(email("pemesan")).get("/tagihan/").status_code == 403


def test_list_shows_the_invoice_to_each_side(login_client: Login, invoice: Invoice) -> None:
    clients = {who: login_client(who) for who in (BENDAHARA, PPK, VENDOR_1)}
    for who, client in clients.items():
        text = client.get("/tagihan/?status=semua").content.decode()
        assert invoice.number in text, who
    assert (
        invoice.number not in login_client(VENDOR_2).get("/tagihan/?status=semua").content.decode()
    )
    todo = clients[PPK].get("/tagihan/").content.decode()
    assert "Perlu tindakan" in todo
    assert invoice.number in todo


def test_detail_page_and_other_tenants(login_client: Login, invoice: Invoice) -> None:
    ppk = login_client(PPK)
    page = ppk.get(f"/tagihan/{invoice.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Penjelasan setiap angka" in text
    assert "9.850.000" in text
    assert 'data-action="uji"' in text
    assert 'data-action="nota-kredit"' in text
    assert 'data-action="nomor-vendor"' not in text
    vendor_text = login_client(VENDOR_1).get(f"/tagihan/{invoice.pk}/").content.decode()
    assert 'data-action="nomor-vendor"' in vendor_text
    assert 'data-action="uji"' not in vendor_text
    assert login_client(VENDOR_2).get(f"/tagihan/{invoice.pk}/").status_code == 404
    assert login_client(email("ppk", "527010")).get(f"/tagihan/{invoice.pk}/").status_code == 404


def test_steps_through_the_pages(login_client: Login, invoice: Invoice) -> None:
    vendor = login_client(VENDOR_1)
    bad = vendor.post(
        f"/tagihan/{invoice.pk}/nomor-vendor/",
        {"nomor-vendor-vendor_invoice_number": "A-1", "nomor-vendor-tax_invoice_number": "99"},
    )
    assert bad.status_code == 422
    assert "16 digit" in bad.content.decode()
    ok = vendor.post(
        f"/tagihan/{invoice.pk}/nomor-vendor/",
        {
            "nomor-vendor-vendor_invoice_number": "A-1",
            "nomor-vendor-tax_invoice_number": "020.000-26.00000001",
        },
    )
    assert ok.status_code == 302
    assert login_client(BENDAHARA).post(f"/tagihan/{invoice.pk}/uji/").status_code == 403
    assert vendor.post(f"/tagihan/{invoice.pk}/uji/").status_code == 404
    ppk = login_client(PPK)
    line = invoice.lines.get()
    credit = ppk.post(
        f"/tagihan/{invoice.pk}/nota-kredit/",
        {f"nota-kredit-qty_{line.pk}": "1", "nota-kredit-reason": "Satu unit tidak sesuai."},
    )
    assert credit.status_code == 302
    assert ppk.post(f"/tagihan/{invoice.pk}/uji/").status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.VERIFIED
    assert ppk.post(f"/tagihan/{invoice.pk}/uji/").status_code == 409
    text = ppk.get(f"/tagihan/{invoice.pk}/").content.decode()
    assert "KN/415256/" in text
    assert "411122" in text


def test_every_pdf_renders_and_slips_carry_both_tax_identities(
    login_client: Login, invoice: Invoice
) -> None:
    services.verify_invoice(user(PPK), invoice)
    bendahara = login_client(BENDAHARA)
    slugs = [slug for slug, _title in documents.available(Invoice.objects.get(pk=invoice.pk))]
    assert slugs == ["tagihan", "kuitansi", "spby", "bukti-ppn", "bukti-pph22"]
    texts = {}
    for slug in slugs:
        response = bendahara.get(f"/tagihan/{invoice.pk}/dokumen/{slug}.pdf")
        assert response.status_code == 200, slug
        assert response["Content-Type"] == "application/pdf"
        texts[slug] = pdf_text(response)
    assert invoice.number in texts["tagihan"]
    assert "9.850.000" in texts["spby"]
    assert "Sembilan juta delapan ratus lima puluh ribu rupiah" in texts["kuitansi"]
    for slug in ("bukti-ppn", "bukti-pph22"):
        assert SATKER_NPWP in texts[slug]
        assert SATKER_NPWP + "000000" in texts[slug]
        assert VENDOR_NPWP in texts[slug]
        assert VENDOR_NPWP + "000000" in texts[slug]
    assert "411122" in texts["bukti-pph22"]
    assert "150.000" in texts["bukti-pph22"]
    # The vendor sees its own full NPWP; an overseer sees it masked.
    assert VENDOR_NPWP in pdf_text(
        login_client(VENDOR_1).get(f"/tagihan/{invoice.pk}/dokumen/bukti-pph22.pdf")
    )
    kppn = pdf_text(
        login_client("admin@kppn019.demo.digipay.id").get(
            f"/tagihan/{invoice.pk}/dokumen/bukti-pph22.pdf"
        )
    )
    assert VENDOR_NPWP not in kppn
    assert SATKER_NPWP in kppn
    assert bendahara.get(f"/tagihan/{invoice.pk}/dokumen/bukti-pph23.pdf").status_code == 404


def test_another_vendor_cannot_open_the_documents(login_client: Login, invoice: Invoice) -> None:
    other = login_client(VENDOR_2)
    for slug in ("tagihan", "kuitansi", "spby", "bukti-ppn"):
        assert other.get(f"/tagihan/{invoice.pk}/dokumen/{slug}.pdf").status_code == 404


def test_documents_can_be_checked(invoice: Invoice) -> None:
    doc = documents.build(invoice, documents.SPBY)
    assert doc.number.startswith("SPBY/415256/")
    assert documents.check_document(doc.number, doc.verification_groups) is not None
    assert documents.check_document(doc.number, "0" * 64) is None
    assert documents.check_document("SPBY/415256/2026/99999", doc.verification) is None


def test_deposits_and_report_pages_and_xlsx(login_client: Login, invoice: Invoice) -> None:
    services.verify_invoice(user(PPK), invoice)
    bendahara = login_client(BENDAHARA)
    deposits = bendahara.get("/tagihan/setoran-pajak/")
    assert deposits.status_code == 200
    assert "411211" in deposits.content.decode()
    report = bendahara.get("/tagihan/laporan-pajak/?masa=2026-07")
    assert report.status_code == 200
    assert "1.250.000" in report.content.decode()
    empty = bendahara.get("/tagihan/laporan-pajak/?masa=2026-06").content.decode()
    assert "Tidak ada pajak" in empty
    xlsx = bendahara.get("/tagihan/laporan-pajak.xlsx?masa=2026-07")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    total = next(r for r in rows if r and r[0] == "Jumlah")
    expected = sum(TaxDeposit.objects.filter(invoice=invoice).values_list("amount_idr", flat=True))
    assert total[2] == expected == 1_250_000
    by_code = {r[0]: r[2] for r in rows if r and r[0] in ("411211", "411122")}
    assert by_code == {"411211": 1_100_000, "411122": 150_000}
    assert len(list(book.worksheets[1].iter_rows())) == 3  # header + two deposits
    assert login_client(VENDOR_1).get("/tagihan/laporan-pajak/").status_code == 403
    kppn = login_client("admin@kppn019.demo.digipay.id")
    assert kppn.get("/tagihan/laporan-pajak/?satker=415256&masa=2026-07").status_code == 200
    assert (
        login_client("admin@kppn030.demo.digipay.id")
        .get("/tagihan/setoran-pajak/?satker=415256")
        .status_code
        == 404
    )


def test_invoicing_documents_check_out_on_the_public_page(shop: Shop) -> None:
    """The QR code of an invoice, kuitansi, SPBy or slip opens the same public check page as
    the Surat Pesanan and BAST (``orders.documents.register_checker``)."""
    from urllib.parse import parse_qs, urlparse

    from django.test import Client

    invoice = invoice_of(received(shop, [(make_product("UMKM-0001", price=2_500_000), 2)]))
    anonymous = Client()
    for kind in (documents.INVOICE, documents.KUITANSI, documents.SPBY):
        doc = documents.build(invoice, kind, full_identity=False)
        url = urlparse(doc.check_url)
        page = anonymous.get(url.path, parse_qs(url.query)).content.decode()
        assert 'data-testid="document-genuine"' in page, kind
        assert doc.number in page
        wrong = anonymous.get(url.path, {"nomor": doc.number, "kode": "0" * 64}).content.decode()
        assert 'data-testid="document-unknown"' in wrong


def test_the_xlsx_never_carries_a_formula(login_client: Login, invoice: Invoice) -> None:
    """A vendor's name is the vendor's own text: "=HYPERLINK(…)" must reach the treasurer's
    spreadsheet as text, not as a formula."""
    from digipay.vendors.models import Vendor

    Vendor.objects.filter(pk=invoice.vendor_id).update(
        business_name='=HYPERLINK("http://127.0.0.1/x","klik")'
    )
    services.verify_invoice(user(PPK), invoice)
    xlsx = login_client(BENDAHARA).get("/tagihan/laporan-pajak.xlsx?masa=2026-07")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names
    assert all(name.startswith("'=") for name in names)


def test_slips_show_the_engines_dpp_and_the_rule_rate(shop: Shop) -> None:
    """DOMAIN.md §6's rounding example (3.453.454 of goods, PKP, Bendahara, 2025 rules): the
    PPN slip shows DPP nilai lain 3.165.666 at 12%, the PPh 22 slip the price at 1,5%."""
    invoice = invoice_of(received(shop, [(make_product("UMKM-0001", price=3_453_454), 1)], at=JULY))
    ppn = documents.build(invoice, documents.SLIP, tax="PPN", full_identity=True).slip
    pph22 = documents.build(invoice, documents.SLIP, tax="PPH22", full_identity=True).slip
    assert (ppn["dpp"], ppn["rate"], ppn["amount"]) == (3_165_666, "12%", 379_879)
    assert (pph22["dpp"], pph22["rate"], pph22["amount"]) == (3_453_454, "1,5%", 51_801)


def test_a_credited_mixed_invoice_shows_what_is_left_on_its_slips(shop: Shop) -> None:
    """Rp10 juta of goods + Rp5 juta of services; Rp4 juta credited on the goods: the PPh 22
    slip shows DPP 6.000.000 at 1,5% (not the original 10 juta at a made-up rate)."""
    from digipay.invoicing.rules import CreditRequest

    from .conftest import make_service

    goods = make_product("UMKM-0001", price=10 * JUTA)
    service = make_service("UMKM-0001", price=5 * JUTA)
    invoice = invoice_of(received(shop, [(goods, 1), (service, 1)], at=JULY))
    goods_line = invoice.lines.get(kind="goods")
    services.issue_credit_note(
        user(PPK),
        invoice,
        lines={goods_line.pk: CreditRequest(amount=4 * JUTA)},
        reason="Harga barang salah ketik pada BAST.",
    )
    pph22 = documents.build(invoice, documents.SLIP, tax="PPH22", full_identity=True).slip
    pph23 = documents.build(invoice, documents.SLIP, tax="PPH23", full_identity=True).slip
    assert (pph22["dpp"], pph22["rate"], pph22["amount"]) == (6 * JUTA, "1,5%", 90_000)
    assert (pph23["dpp"], pph23["rate"], pph23["amount"]) == (5 * JUTA, "2%", 100_000)
