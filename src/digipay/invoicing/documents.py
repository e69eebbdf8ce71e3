"""The invoice's documents as PDF (xhtml2pdf, like the orders app's): the invoice (tagihan),
the kuitansi (receipt of payment, to be signed by the vendor), the SPBy (Surat Perintah
Bayar: the PPK's order to the Bendahara to pay the net amount into the vendor's account) and
one withholding slip (bukti potong/pungut) per tax the collector withholds/collects.

Each carries a verification code: an HMAC (keyed with ``DOCUMENT_KEY``) of its content, so
Digipay can later confirm that a printed copy matches what it issued (``check_document``).
Amounts are what is outstanding: the invoice minus its credit notes.

The slips show the full NPWP/NITKU of both parties; ``full_identity=False`` (overseers)
masks the vendor's NPWP and bank account (``vendors.rules.mask``).
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
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

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.core.errors import NotFound
from digipay.invoicing import queries, rules
from digipay.invoicing.models import Invoice
from digipay.orders.documents import PublicFacts
from digipay.tax.models import TaxRule
from digipay.tax.rules import OUTPUT_KEY, Collector, Tax, percent
from digipay.vendors.models import Vendor, VendorBankAccount
from digipay.vendors.rules import BankAccountStatus, mask

HASH_SALT = "digipay.invoicing.documents"
INVOICE, KUITANSI, SPBY, SLIP = "TAGIHAN", "KUITANSI", "SPBY", "BUKTI_POTONG"
# URL slug → document kind; slips are "bukti-<tax output key>" (bukti-pph22, bukti-ppn, …).
SLUGS = {"tagihan": INVOICE, "kuitansi": KUITANSI, "spby": SPBY}
NUMBER_PREFIX = {INVOICE: "INV", KUITANSI: "KW", SPBY: "SPBY"}
SLIP_PREFIX = "BP-"


@dataclass(frozen=True)
class DocLine:
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
class Party:
    name: str
    npwp: str  # NPWP-16 (or a masked one, or "NIK …" for a vendor without NPWP)
    nitku: str
    address: str


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    number: str
    issued_on: date
    invoice: Invoice
    satker: Organisation
    vendor: Vendor
    withholder: Party
    payee: Party
    lines: tuple[DocLine, ...]
    figures: rules.Figures
    credited: bool
    facts: tuple[tuple[str, str], ...]
    signatures: tuple[Signature, ...]
    verification: str
    amount_idr: int  # the document's own amount (kuitansi/SPBy: net; slip: the tax)
    amount_words: str = ""
    slip: dict[str, Any] = field(default_factory=dict)

    @property
    def verification_groups(self) -> str:
        return " ".join(self.verification[i : i + 8] for i in range(0, len(self.verification), 8))

    @property
    def check_url(self) -> str:
        query = urlencode({"nomor": self.number, "kode": self.verification})
        return f"{settings.DIGIPAY_BASE_URL}{reverse('orders:check_document')}?{query}"

    @property
    def qr_data_uri(self) -> str:
        out = io.BytesIO()
        segno.make(self.check_url, error="m").save(out, kind="png", scale=3, border=2)
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")

    @property
    def filename(self) -> str:
        return self.number.replace("/", "-") + ".pdf"

    @property
    def taxes(self) -> list[tuple[str, str, int, int]]:
        """(label, account code, amount, withheld) of each tax on the document's figures."""
        return [
            (
                str(Tax(t).label),
                rules.ACCOUNT_CODE[t],
                self.figures.amount(t),
                self.figures.collected(t),
            )
            for t in (Tax.PPN, Tax.PPH22, Tax.PPH23, Tax.PPH_FINAL)
            if self.figures.amount(t) or self.figures.collected(t)
        ]


def verification_hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return salted_hmac(
        HASH_SALT, text, secret=settings.DOCUMENT_KEY, algorithm="sha256"
    ).hexdigest()


def document_number(invoice: Invoice, kind: str, tax: str = "") -> str:
    """INV/415256/2026/00001 → KW/…, SPBY/…, BP-PPH22/… (one series with the invoice)."""
    rest = invoice.number.split("/", 1)[1]
    if kind == SLIP:
        return f"{SLIP_PREFIX}{tax}/{rest}"
    return f"{NUMBER_PREFIX[kind]}/{rest}"


# --- parties ------------------------------------------------------------------------------


def _vendor_npwp16(npwp: str) -> str:
    return npwp if len(npwp) == 16 else "0" + npwp


def _has_npwp(npwp: str) -> bool:
    return bool(npwp) and set(npwp) != {"0"}


def _payee(invoice: Invoice, *, full_identity: bool) -> Party:
    vendor = invoice.vendor
    if _has_npwp(invoice.vendor_npwp):
        npwp16 = _vendor_npwp16(invoice.vendor_npwp)
        nitku = npwp16 + "000000"  # the vendor's head office
        if not full_identity:
            npwp16, nitku = mask(npwp16), mask(nitku)
    else:
        npwp16 = _("NIK ••••••••••••%(last4)s (tanpa NPWP)") % {"last4": vendor.owner_nik_last4}
        nitku = "-"
    return Party(vendor.business_name, npwp16, nitku, vendor.address)


def _withholder(satker: Organisation) -> Party:
    return Party(satker.name, satker.npwp or "-", satker.nitku or "-", satker.address)


def _person(satker: Organisation, role: str) -> str:
    found = (
        User.objects.filter(organisation=satker, role=role, is_active=True)
        .order_by("id")
        .values_list("full_name", flat=True)
        .first()
    )
    return found or ""


def _bank_account(vendor: Vendor, *, full_identity: bool) -> str:
    account = (
        VendorBankAccount.objects.filter(
            vendor=vendor, removed_at__isnull=True, status=BankAccountStatus.VERIFIED
        )
        .order_by("-is_primary", "id")
        .first()
        or VendorBankAccount.objects.filter(vendor=vendor, removed_at__isnull=True)
        .order_by("-is_primary", "id")
        .first()
    )
    if account is None:
        return _("Belum ada rekening")
    number = account.account_no if full_identity else account.masked_account_no
    return f"{account.bank_code} {number} a.n. {account.holder_name}"


# --- terbilang ----------------------------------------------------------------------------

_ONES = (
    "",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
)


def terbilang(n: int) -> str:
    """A whole rupiah amount in Indonesian words (for the kuitansi): 1250000 → 'satu juta dua
    ratus lima puluh ribu'."""
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "nol"
    return " ".join(_words(n).split())


def _words(n: int) -> str:
    if n < 12:
        return _ONES[n]
    if n < 20:
        return f"{_ONES[n - 10]} belas"
    if n < 100:
        return f"{_ONES[n // 10]} puluh {_words(n % 10)}"
    if n < 200:
        return f"seratus {_words(n - 100)}"
    if n < 1000:
        return f"{_ONES[n // 100]} ratus {_words(n % 100)}"
    if n < 2000:
        return f"seribu {_words(n - 1000)}"
    for size, name in ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")):
        if n >= size:
            return f"{_words(n // size)} {name} {_words(n % size)}"
    return ""


# --- the documents ------------------------------------------------------------------------


def _load(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_related(
            "satker", "vendor", "order", "receipt", "verified_by", "order__approved_by"
        )
        .prefetch_related("lines", "taxes")
        .get(pk=invoice.pk)
    )


def _lines(invoice: Invoice) -> tuple[DocLine, ...]:
    return tuple(
        DocLine(x.name, x.sku, x.quantity, x.unit, x.unit_price_idr, x.base_idr)
        for x in invoice.lines.all()
    )


def _payload(
    kind: str, number: str, invoice: Invoice, f: rules.Figures, extra: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "number": number,
        "invoice": invoice.number,
        "date": invoice.invoice_date.isoformat(),
        "satker": invoice.satker.code,
        "vendor": invoice.vendor_organisation_id,
        "base": f.base,
        "taxes": {OUTPUT_KEY[t]: [f.amount(t), f.collected(t)] for t in f.taxes},
        "extra": extra,
    }


def build(invoice: Invoice, kind: str, *, tax: str = "", full_identity: bool = True) -> Document:
    """One of the invoice's documents (``kind``: INVOICE, KUITANSI, SPBY, or SLIP with its
    ``tax``)."""
    invoice = _load(invoice)
    left = queries.outstanding(invoice)
    credited = invoice.credit_notes.exists()
    satker, vendor = invoice.satker, invoice.vendor
    number = document_number(invoice, kind, tax)
    payee = _payee(invoice, full_identity=full_identity)
    withholder = _withholder(satker)
    ppk_name = invoice.verified_by.full_name if invoice.verified_by else _person(satker, Role.PPK)
    bendahara = _person(satker, Role.BENDAHARA)
    base_facts: list[tuple[str, str]] = [
        (_("Nomor tagihan"), invoice.number),
        (_("BAST"), invoice.receipt.number),
        (_("Pesanan"), invoice.order.number),
        (_("Tanggal tagihan"), invoice.invoice_date.strftime("%d/%m/%Y")),
        (_("Nomor tagihan vendor"), invoice.vendor_invoice_number or "-"),
        (
            _("Nomor faktur pajak"),
            rules.format_faktur_number(invoice.tax_invoice_number)
            if invoice.tax_invoice_number
            else "-",
        ),
        (_("Pemungut"), str(dict(_collectors()).get(invoice.collector, invoice.collector))),
    ]
    common: dict[str, Any] = {
        "invoice": invoice,
        "satker": satker,
        "vendor": vendor,
        "withholder": withholder,
        "payee": payee,
        "credited": credited,
        "issued_on": invoice.invoice_date,
    }
    if kind == INVOICE:
        f = invoice.figures() if not credited else left
        return Document(
            kind=kind,
            title=_("Tagihan"),
            number=number,
            lines=_lines(invoice),
            figures=f,
            facts=tuple(base_facts),
            signatures=(
                Signature(_("Penyedia"), vendor.business_name, vendor.owner_name, None),
                Signature(
                    _("Diuji oleh Pejabat Pembuat Komitmen"),
                    satker.name,
                    ppk_name,
                    invoice.verified_at,
                ),
            ),
            verification=verification_hash(_payload(kind, number, invoice, f, None)),
            amount_idr=f.gross,
            **common,
        )
    if kind in (KUITANSI, SPBY):
        account = _bank_account(vendor, full_identity=full_identity)
        facts = [
            *base_facts,
            (_("Akun belanja"), invoice.order.akun or "-"),
            (_("Rekening tujuan"), account),
        ]
        if kind == KUITANSI:
            signatures: tuple[Signature, ...] = (
                Signature(_("Setuju dibayar: PPK"), satker.name, ppk_name, invoice.verified_at),
                Signature(_("Lunas dibayar: Bendahara Pengeluaran"), satker.name, bendahara, None),
                Signature(_("Yang menerima"), vendor.business_name, vendor.owner_name, None),
            )
            title = _("Kuitansi")
        else:
            signatures = (
                Signature(
                    _("Pejabat Pembuat Komitmen / KPA"), satker.name, ppk_name, invoice.verified_at
                ),
                Signature(_("Bendahara Pengeluaran"), satker.name, bendahara, None),
            )
            title = _("Surat Perintah Bayar (SPBy)")
        return Document(
            kind=kind,
            title=title,
            number=number,
            lines=_lines(invoice),
            figures=left,
            facts=tuple(facts),
            signatures=signatures,
            verification=verification_hash(_payload(kind, number, invoice, left, None)),
            amount_idr=left.net,
            amount_words=terbilang(left.net).capitalize() + " rupiah",
            **common,
        )
    if kind == SLIP:
        if tax not in rules.ACCOUNT_CODE or left.collected(tax) <= 0:
            raise NotFound(_("Bukti potong/pungut ini tidak ada pada tagihan tersebut."))
        dpp, rate = _slip_basis(invoice, tax)
        amount = left.collected(tax)
        slip = {
            "tax": str(Tax(tax).label),
            "account_code": rules.ACCOUNT_CODE[tax],
            "period": invoice.invoice_date.strftime("%m/%Y"),
            "dpp": dpp,
            "rate": rate,
            "amount": amount,
            "pungut": tax in (Tax.PPN, Tax.PPH22),
        }
        title = (
            _("Bukti Pemungutan %(tax)s") if slip["pungut"] else _("Bukti Pemotongan %(tax)s")
        ) % {"tax": slip["tax"]}
        return Document(
            kind=kind,
            title=title,
            number=number,
            lines=(),
            figures=left,
            facts=tuple(base_facts),
            signatures=(
                Signature(
                    _("Pemotong/pemungut: Bendahara Pengeluaran"),
                    satker.name,
                    bendahara,
                    invoice.verified_at,
                ),
            ),
            verification=verification_hash(_payload(kind, number, invoice, left, slip)),
            amount_idr=amount,
            slip=slip,
            **common,
        )
    raise NotFound(_("Dokumen tidak dikenal."))


def _collectors() -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in Collector]


def available(invoice: Invoice) -> list[tuple[str, str]]:
    """(slug, title) of the documents this invoice has: the invoice, kuitansi and SPBy, and a
    slip per tax withheld/collected on what is outstanding."""
    out = [("tagihan", _("Tagihan")), ("kuitansi", _("Kuitansi")), ("spby", _("SPBy"))]
    left = queries.outstanding(invoice)
    for tax in left.withheld:
        out.append(
            (
                f"bukti-{OUTPUT_KEY[tax].replace('_', '-')}",
                _("Bukti potong/pungut %(tax)s") % {"tax": Tax(tax).label},
            )
        )
    return out


def by_slug(invoice: Invoice, slug: str, *, full_identity: bool) -> Document:
    if slug in SLUGS:
        return build(invoice, SLUGS[slug], full_identity=full_identity)
    if slug.startswith("bukti-"):
        key = slug.removeprefix("bukti-").replace("-", "_")
        tax = next((t for t, k in OUTPUT_KEY.items() if k == key), "")
        return build(invoice, SLIP, tax=tax, full_identity=full_identity)
    raise NotFound(_("Dokumen tidak dikenal."))


def _current_quote(invoice: Invoice) -> dict[str, Any]:
    """The engine's quote of what the invoice is now: the latest credit note's quote of what
    was left, or the invoice's own."""
    last = invoice.credit_notes.order_by("-issued_at", "-id").first()
    return dict(last.quote_after) if last is not None and last.quote_after else dict(invoice.quote)


def _slip_basis(invoice: Invoice, tax: str) -> tuple[int, str]:
    """The DPP and the rate a withholding slip shows, from the engine's own figures: the base
    of the lines that carry the tax (DPP nilai lain for PPN where the rule row applies one) and
    the rule row's rate — never a rate reconstructed by dividing amounts."""
    quote = _current_quote(invoice)
    key = OUTPUT_KEY[tax]
    rule_ids = sorted(
        {n["rule_id"] for n in quote.get("explanation", []) if n["figure"] == key and n["rule_id"]}
    )
    rows = [r.as_row() for r in TaxRule.objects.filter(pk__in=rule_ids).order_by("pk")]
    has_npwp = bool(invoice.vendor_npwp) and set(invoice.vendor_npwp) != {"0"}
    rates = sorted({r.rate_for(has_npwp=has_npwp) for r in rows})
    taxed = [line for line in quote.get("lines", []) if line.get(key)]
    base = sum(int(line["base"]) for line in taxed)
    if tax == Tax.PPN and quote.get("dpp_nilai_lain") is not None and rows:
        fraction = rows[0].base_fraction
        dpp = int(base * fraction) if all(r.base_fraction == fraction for r in rows) else base
    else:
        dpp = base
    return dpp, " / ".join(percent(rate) for rate in rates) or "-"


def find_document(number: str) -> Document | None:
    """The invoicing document with this number (INV/…, KW/…, SPBY/…, BP-<TAX>/…), rebuilt from
    the records; None if Digipay never issued it. For the public check page."""
    number = number.strip().upper()
    head, _sep, rest = number.partition("/")
    invoice = Invoice.objects.filter(number=f"INV/{rest}").first()
    if invoice is None:
        return None
    kinds = {v: k for k, v in NUMBER_PREFIX.items()}
    try:
        if head in kinds:
            return build(invoice, kinds[head], full_identity=False)
        if head.startswith(SLIP_PREFIX):
            return build(invoice, SLIP, tax=head.removeprefix(SLIP_PREFIX), full_identity=False)
    except NotFound:
        return None
    return None


def check_document(number: str, code: str) -> Document | None:
    document = find_document(number)
    typed = "".join(code.split()).lower()
    if document is None or not constant_time_compare(typed, document.verification):
        return None
    return document


def public_facts(number: str, code: str) -> PublicFacts | None:
    """For the public check page (``orders.documents.register_checker``): what anyone may know
    of a genuine invoicing document."""
    document = check_document(number, code)
    if document is None:
        return None
    return PublicFacts(
        title=str(document.title),
        number=document.number,
        issued=document.issued_on,
        satker_name=document.satker.name,
        satker_code=document.satker.code,
        vendor_name=document.vendor.business_name,
        amount_idr=document.amount_idr,
    )


def _only_inline_resources(uri: str, rel: str) -> str:
    return uri if uri.startswith("data:") else ""


def render_pdf(document: Document) -> bytes:
    html = render_to_string("invoicing/documents/pdf.html", {"doc": document})
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_only_inline_resources)
    if result.err:
        raise RuntimeError(f"PDF rendering failed for {document.number}")
    return out.getvalue()
