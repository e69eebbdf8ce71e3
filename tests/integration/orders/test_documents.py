"""The Surat Pesanan register and the public check of printed documents: each satker numbers
its Surat Pesanan in one series per year, given when the PPK approves; anyone holding a
printed Surat Pesanan or BAST can check its number and verification code (the QR code opens
the check page), which is keyed with the installation's DOCUMENT_KEY, not SECRET_KEY."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.test import Client

from digipay.core import clock
from digipay.orders import documents, services
from digipay.orders.models import Order
from digipay.orders.rules import OrderState as S

from .conftest import Shop, fresh, lines_of


def test_surat_pesanan_numbers_run_per_satker_per_year(shop: Shop) -> None:
    code = shop.satker.code
    with clock.frozen(datetime(2026, 12, 30, 10, tzinfo=clock.JAKARTA)):
        first = shop.at(S.MENUNGGU_VENDOR)
        second = shop.at(S.MENUNGGU_VENDOR)
    assert (fresh(first).sp_number, fresh(second).sp_number) == (
        f"SP/{code}/2026/00001",
        f"SP/{code}/2026/00002",
    )
    with clock.frozen(datetime(2027, 1, 4, 10, tzinfo=clock.JAKARTA)):
        third = shop.at(S.MENUNGGU_VENDOR)
    assert fresh(third).sp_number == f"SP/{code}/2027/00001"  # a new register each year
    assert documents.surat_pesanan(third).number == f"SP/{code}/2027/00001"


def test_no_number_before_approval_and_none_for_a_rejection(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_PPK)
    assert fresh(order).sp_number == ""
    services.reject_order(shop.ppk, order, reason="Anggaran dialihkan ke kegiatan lain.")
    assert fresh(order).sp_number == ""


def test_a_genuine_document_checks_out_on_the_public_page(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    (line,) = lines_of(order)
    shop.ship(order, {line.pk: 3})
    order = shop.receive(order, {line.pk: 3})
    receipt = order.receipts.get()
    anonymous = Client()
    for document in (documents.surat_pesanan(order), documents.bast(order, receipt)):
        # The QR code carries the check page's address with the number and code.
        url = urlparse(document.qr_payload)
        assert url.path == "/dokumen/cek/"
        query = parse_qs(url.query)
        assert query == {"nomor": [document.number], "kode": [document.verification]}
        page = anonymous.get(url.path, query).content.decode()
        assert 'data-testid="document-genuine"' in page
        assert document.number in page
        assert order.vendor.business_name in page
        # Typed by hand from the printout: groups of 8, any case.
        typed = anonymous.get(
            "/dokumen/cek/",
            {"nomor": document.number.lower(), "kode": document.verification_groups.upper()},
        ).content.decode()
        assert 'data-testid="document-genuine"' in typed
        # Never the people who signed it.
        assert shop.ppk.full_name not in page
        assert shop.penerima.full_name not in page


def test_an_altered_or_unknown_document_does_not(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    sp = documents.surat_pesanan(order)
    anonymous = Client()
    wrong_code = sp.verification[:-1] + ("0" if sp.verification[-1] != "0" else "1")
    for number, code in (
        (sp.number, wrong_code),
        ("SP/999999/2026/00001", sp.verification),
        ("BAST-20260101-000001-01", sp.verification),
        ("INV-1", sp.verification),
    ):
        page = anonymous.get("/dokumen/cek/", {"nomor": number, "kode": code}).content.decode()
        assert 'data-testid="document-unknown"' in page, number
        assert 'data-testid="document-genuine"' not in page
    empty = anonymous.get("/dokumen/cek/").content.decode()
    assert "document-unknown" not in empty  # nothing asked yet: just the form


def test_the_code_depends_on_the_document_key_not_the_secret_key(shop: Shop, settings: Any) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    settings.DOCUMENT_KEY = "document-key-1"
    printed = documents.surat_pesanan(order).verification
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    assert documents.surat_pesanan(order).verification == printed
    assert documents.check_document(documents.sp_number(fresh(order)), printed) is not None
    settings.DOCUMENT_KEY = "document-key-2"
    assert documents.surat_pesanan(order).verification != printed
    assert documents.check_document(documents.sp_number(fresh(order)), printed) is None


def test_orders_approved_before_the_register_keep_their_old_number(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    Order.objects.filter(pk=order.pk).update(sp_number="")
    old = "SP-" + order.number.removeprefix("DP-")
    sp = documents.surat_pesanan(order)
    assert sp.number == old
    assert documents.check_document(old, sp.verification) is not None
