"""The order's documents: the Surat Pesanan (issued when the PPK approves) and a BAST (berita
acara serah terima) per receipt, as PDF from HTML templates (xhtml2pdf: pure Python, no system
packages) and as a printable page.

Each document carries a QR code with its number and a verification hash: an HMAC (keyed with
the installation's ``DOCUMENT_KEY``) of the document's content, so Digipay can later confirm
that a printed copy matches what it issued, and nobody else can make a matching hash. The QR
code opens the public check page (``/dokumen/cek/``), which rebuilds the document from the
records and compares.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from xhtml2pdf import pisa  # type: ignore[import-untyped]

from digipay.accounts.models import Organisation
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.orders import queries, rules
from digipay.orders.models import Order, PaymentMethod, Receipt
from digipay.treasury.rules import FundingSource
from digipay.vendors.models import Vendor
from digipay.vendors.rules import mask

HASH_SALT = "digipay.orders.documents"
SURAT_PESANAN, BAST = "SURAT_PESANAN", "BAST"


@dataclass(frozen=True)
class DocumentLine:
    name: str
    sku: str
    quantity: int
    unit: str
    unit_price_idr: int
    total_idr: int


@dataclass(frozen=True)
class Signature:
    role: str
    party: str
    name: str
    signed_at: datetime | None


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    number: str
    issued_at: datetime
    order: Order
    satker: Organisation
    vendor: Vendor
    npwp: str
    lines: tuple[DocumentLine, ...]
    subtotal_idr: int
    ppn_idr: int
    total_idr: int
    payment_method: str
    funding_source: str
    note: str
    signatures: tuple[Signature, ...]
    verification: str

    @property
    def verification_groups(self) -> str:
        return " ".join(self.verification[i : i + 8] for i in range(0, len(self.verification), 8))

    @property
    def check_url(self) -> str:
        query = urlencode({"nomor": self.number, "kode": self.verification})
        return f"{settings.DIGIPAY_BASE_URL}{reverse('orders:check_document')}?{query}"

    @property
    def qr_payload(self) -> str:
        return self.check_url

    @property
    def qr_data_uri(self) -> str:
        out = io.BytesIO()
        segno.make(self.qr_payload, error="m").save(out, kind="png", scale=3, border=2)
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


def _masked_npwp(vendor: Vendor) -> str:
    if not vendor.npwp or set(vendor.npwp) == {"0"}:
        return _("Tidak memiliki NPWP")
    return mask(vendor.npwp)


def verification_hash(payload: dict[str, Any]) -> str:
    """HMAC-SHA256 of the document's content in canonical JSON."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return salted_hmac(
        HASH_SALT, text, secret=settings.DOCUMENT_KEY, algorithm="sha256"
    ).hexdigest()


def find_document(number: str) -> Document | None:
    """The issued document with this number (a Surat Pesanan or a BAST), rebuilt from the
    records; None if Digipay never issued it."""
    number = number.strip().upper()
    if number.startswith("BAST-"):
        receipt = Receipt.objects.filter(number=number).select_related("order").first()
        return bast(receipt.order, receipt) if receipt else None
    if number.startswith("SP"):
        order = Order.objects.filter(sp_number=number, approved_at__isnull=False).first()
        if order is None and number.startswith("SP-"):  # approved before the register
            order = Order.objects.filter(
                number="DP-" + number.removeprefix("SP-"), sp_number="", approved_at__isnull=False
            ).first()
        return surat_pesanan(order) if order else None
    return None


@dataclass(frozen=True)
class PublicFacts:
    """What the public check page shows of a genuine document: never the signatories."""

    title: str
    number: str
    issued: date | datetime
    satker_name: str
    satker_code: str
    vendor_name: str
    amount_idr: int


Checker = Callable[[str, str], PublicFacts | None]
_checkers: list[Checker] = []


def register_checker(checker: Checker) -> None:
    """Another app's documents join the public check page (invoicing registers its invoice,
    kuitansi, SPBy and withholding slips in its ``ready()``; orders cannot import it)."""
    if checker not in _checkers:
        _checkers.append(checker)


def check_public(number: str, code: str) -> PublicFacts | None:
    """The public facts of the document with this number and verification code, whichever
    app issued it; None if no app recognises the pair."""
    for checker in (_check_order_document, *_checkers):
        facts = checker(number, code)
        if facts is not None:
            return facts
    return None


def _check_order_document(number: str, code: str) -> PublicFacts | None:
    document = check_document(number, code)
    if document is None:
        return None
    return PublicFacts(
        title=str(document.title),
        number=document.number,
        issued=document.issued_at,
        satker_name=document.satker.name,
        satker_code=document.satker.code,
        vendor_name=document.vendor.business_name,
        amount_idr=document.total_idr,
    )


def check_document(number: str, code: str) -> Document | None:
    """The document if ``code`` is the verification code Digipay printed on it (spaces and
    case ignored), else None. Compared in constant time."""
    document = find_document(number)
    typed = "".join(code.split()).lower()
    if document is None or not constant_time_compare(typed, document.verification):
        return None
    return document


def _payload(
    kind: str, number: str, order: Order, issued_at: datetime, lines: tuple[DocumentLine, ...]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "number": number,
        "order": order.number,
        "issued_at": issued_at.isoformat(),
        "satker": order.satker.code,
        "vendor": order.vendor_organisation.code,
        "lines": [[x.sku, x.name, x.quantity, x.unit, x.unit_price_idr] for x in lines],
        "akun": order.akun,
        "payment_method": order.payment_method,
    }


def _labels(order: Order) -> tuple[str, str]:
    method = (
        str(PaymentMethod(order.payment_method).label)
        if order.payment_method in PaymentMethod.values
        else "-"
    )
    source = (
        str(FundingSource(order.funding_source).label)
        if order.funding_source in FundingSource.values
        else "-"
    )
    return method, source


def _order(order: Order) -> Order:
    return (
        Order.objects.select_related(
            "satker", "vendor", "vendor_organisation", "approved_by", "ppk", "card"
        )
        .prefetch_related("lines")
        .get(pk=order.pk)
    )


def sp_number(order: Order) -> str:
    """The register number given at approval (orders approved before the register existed
    keep the number derived from the order number)."""
    return order.sp_number or f"SP-{order.number.removeprefix('DP-')}"


def surat_pesanan(order: Order) -> Document:
    """The order letter, issued when the PPK approved: the ordered lines at the agreed prices,
    signed (electronically) by the PPK."""
    order = _order(order)
    if order.approved_at is None:
        raise NotFound(_("Surat Pesanan terbit setelah PPK menyetujui pesanan."))
    lines = tuple(
        DocumentLine(
            line.name,
            line.sku,
            line.quantity,
            line.unit,
            line.unit_price_idr,
            line.total_idr,
        )
        for line in order.lines.all()
        if not line.removed
    )
    number = sp_number(order)
    method, source = _labels(order)
    ppk = order.approved_by or order.ppk
    return Document(
        kind=SURAT_PESANAN,
        title=_("Surat Pesanan"),
        number=number,
        issued_at=order.approved_at,
        order=order,
        satker=order.satker,
        vendor=order.vendor,
        npwp=_masked_npwp(order.vendor),
        lines=lines,
        subtotal_idr=order.subtotal_idr,
        ppn_idr=order.ppn_estimate_idr,
        total_idr=order.total_idr,
        payment_method=method,
        funding_source=source,
        note=order.notes,
        signatures=(
            Signature(
                _("Pejabat Pembuat Komitmen"),
                order.satker.name,
                ppk.full_name if ppk else "",
                order.approved_at,
            ),
        ),
        verification=verification_hash(
            _payload(SURAT_PESANAN, number, order, order.approved_at, lines)
        ),
    )


def bast(order: Order, receipt: Receipt) -> Document:
    """The handover record of one receipt: what the Penerima Barang received, at the agreed
    prices, signed by the receiver and (for the vendor) by the vendor's owner."""
    order = _order(order)
    found = (
        Receipt.objects.filter(pk=receipt.pk, order=order)
        .select_related("received_by")
        .prefetch_related("lines__line")
        .first()
    )
    if found is None:
        raise NotFound(_("BAST tidak ditemukan."))
    receipt = found
    lines = tuple(
        DocumentLine(
            rl.line.name,
            rl.line.sku,
            rl.quantity,
            rl.line.unit,
            rl.line.unit_price_idr,
            rules.line_total(rl.quantity, rl.line.unit_price_idr),
        )
        for rl in receipt.lines.all()
    )
    subtotal = sum(line.total_idr for line in lines)
    ppn = queries.estimated_ppn(
        ((rl.line.kind, rl.quantity, rl.line.unit_price_idr) for rl in receipt.lines.all()),
        vendor_pkp=order.vendor_pkp,
        on=receipt.at.astimezone(clock.JAKARTA).date(),
    )
    method, source = _labels(order)
    return Document(
        kind=BAST,
        title=_("Berita Acara Serah Terima (BAST)"),
        number=receipt.number,
        issued_at=receipt.at,
        order=order,
        satker=order.satker,
        vendor=order.vendor,
        npwp=_masked_npwp(order.vendor),
        lines=lines,
        subtotal_idr=subtotal,
        ppn_idr=ppn,
        total_idr=subtotal + ppn,
        payment_method=method,
        funding_source=source,
        note=receipt.note,
        signatures=(
            Signature(
                _("Penerima Barang"),
                order.satker.name,
                receipt.received_by.full_name,
                receipt.at,
            ),
            Signature(
                _("Penyedia"),
                order.vendor.business_name,
                order.vendor.owner_name,
                None,
            ),
        ),
        verification=verification_hash(_payload(BAST, receipt.number, order, receipt.at, lines)),
    )


def _only_inline_resources(uri: str, rel: str) -> str:
    """xhtml2pdf may fetch images and stylesheets; a document needs none but its own QR code
    (a data: URI), so nothing else is fetched, neither from the network nor from disk."""
    return uri if uri.startswith("data:") else ""


def render_pdf(document: Document) -> bytes:
    html = render_to_string("orders/documents/pdf.html", {"doc": document})
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_only_inline_resources)
    if result.err:
        raise RuntimeError(f"PDF rendering failed for {document.number}")
    return out.getvalue()
