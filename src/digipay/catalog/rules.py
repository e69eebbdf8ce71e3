"""Pure rules of the catalog: product states, what a product must hold, listing, the import
row format, search text normalisation (the same Snowball stemmer as PostgreSQL's
``indonesian`` configuration), and the cursor codec. No database access here."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ProductState(models.TextChoices):
    DRAFT = "DRAFT", gettext_lazy("Draf")
    PUBLISHED = "PUBLISHED", gettext_lazy("Tayang")
    READY = "READY", gettext_lazy("Siap dipesan")
    ARCHIVED = "ARCHIVED", gettext_lazy("Diarsipkan")


class ProductKind(models.TextChoices):
    GOODS = "GOODS", gettext_lazy("Barang")
    SERVICES = "SERVICES", gettext_lazy("Jasa")


class SortOrder(models.TextChoices):
    RELEVANCE = "relevance", gettext_lazy("Paling relevan")
    PRICE_ASC = "price", gettext_lazy("Harga terendah")
    PRICE_DESC = "-price", gettext_lazy("Harga tertinggi")
    NEWEST = "newest", gettext_lazy("Terbaru")


# Who may move a product from which state to which (the vendor's admin or staff).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    ProductState.DRAFT: frozenset({ProductState.PUBLISHED, ProductState.ARCHIVED}),
    ProductState.PUBLISHED: frozenset(
        {ProductState.READY, ProductState.DRAFT, ProductState.ARCHIVED}
    ),
    ProductState.READY: frozenset(
        {ProductState.PUBLISHED, ProductState.DRAFT, ProductState.ARCHIVED}
    ),
    ProductState.ARCHIVED: frozenset({ProductState.DRAFT}),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_listed(*, state: str, stock: int | None, vendor_sells: bool) -> bool:
    """Visible to buyers: a selling vendor's Published or Ready product; a Ready product with
    no stock left is hidden until restocked (services have no stock: ``None``)."""
    if not vendor_sells:
        return False
    if state == ProductState.PUBLISHED:
        return True
    return state == ProductState.READY and (stock is None or stock > 0)


def is_orderable(*, state: str, stock: int | None, min_order: int, vendor_sells: bool) -> bool:
    return vendor_sells and state == ProductState.READY and (stock is None or stock >= min_order)


UNITS = (
    "buah",
    "unit",
    "rim",
    "pak",
    "kotak",
    "lusin",
    "lembar",
    "set",
    "pasang",
    "botol",
    "liter",
    "kg",
    "gram",
    "meter",
    "roll",
    "dus",
    "porsi",
    "paket",
    "orang",
    "jam",
    "hari",
    "bulan",
    "kegiatan",
    "m2",
    "eksemplar",
    "tabung",
    "galon",
    "karung",
    "sak",
    "batang",
)

MAX_PRICE_IDR = 10_000_000_000  # Rp10 miliar: far above any UP purchase; catches typos


@dataclass(frozen=True, slots=True)
class ProductFacts:
    name: str
    description: str
    unit: str
    price_idr: int
    min_order: int
    stock: int | None
    kind: str
    is_pdn: bool
    tkdn_bp: int
    bmp_bp: int
    lead_time_days: int


def product_errors(p: ProductFacts) -> dict[str, str]:
    """Field → message for everything wrong with a product (empty when valid)."""
    errors: dict[str, str] = {}
    if not 3 <= len(p.name.strip()) <= 200:
        errors["name"] = _("Nama produk wajib diisi (3–200 karakter).")
    if len(p.description) > 5000:
        errors["description"] = _("Deskripsi paling panjang 5.000 karakter.")
    if p.unit not in UNITS:
        errors["unit"] = _("Satuan tidak dikenal.")
    if not 1 <= p.price_idr <= MAX_PRICE_IDR:
        errors["price_idr"] = _("Harga harus bilangan bulat rupiah lebih dari 0.")
    if p.min_order < 1:
        errors["min_order"] = _("Pemesanan minimal paling sedikit 1.")
    if p.stock is not None and p.stock < 0:
        errors["stock"] = _("Stok tidak boleh negatif.")
    if p.kind == ProductKind.GOODS and p.stock is None:
        errors["stock"] = _("Stok barang wajib diisi.")
    if p.kind not in ProductKind.values:
        errors["kind"] = _("Jenis produk harus barang atau jasa.")
    for field, value in (("tkdn_bp", p.tkdn_bp), ("bmp_bp", p.bmp_bp)):
        if not 0 <= value <= 10_000:
            errors[field] = _("Persentase harus antara 0 dan 100.")
    if not p.is_pdn and (p.tkdn_bp or p.bmp_bp):
        errors["tkdn_bp"] = _("TKDN dan BMP hanya diisi untuk produk dalam negeri (PDN).")
    if p.tkdn_bp + p.bmp_bp > 10_000:
        errors["bmp_bp"] = _("Jumlah TKDN dan BMP tidak boleh melebihi 100%.")
    if not 0 <= p.lead_time_days <= 365:
        errors["lead_time_days"] = _("Waktu pengiriman 0–365 hari.")
    return errors


def percent_to_bp(value: str | float | int) -> int | None:
    """'40', '40,5' or '40.25' percent → basis points (4000, 4050, 4025); None if invalid."""
    text = str(value).strip().replace(",", ".").rstrip("%").strip()
    if text == "":
        return 0
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", text):
        return None
    whole, _sep, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def bp_to_percent(bp: int) -> str:
    whole, frac = divmod(bp, 100)
    return f"{whole}" if frac == 0 else f"{whole},{frac:02d}".rstrip("0")


# --- images ---------------------------------------------------------------------------------

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_IMAGES_PER_PRODUCT = 6
THUMB_SIZE = 320
LARGE_SIZE = 1280


# --- search text ----------------------------------------------------------------------------

_stemmer = snowballstemmer.stemmer("indonesian")
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def stemmed(text: str) -> str:
    """Text as the stems PostgreSQL's ``indonesian`` configuration would index."""
    return " ".join(stem(w) for w in words(text))


def lexicon_words(text: str) -> set[str]:
    """Words worth remembering for typo correction: alphabetic, 3 to 30 letters."""
    return {w for w in words(text) if 3 <= len(w) <= 30 and w.isalpha()}


MAX_QUERY_WORDS = 8


def query_words(q: str) -> list[str]:
    return words(q)[:MAX_QUERY_WORDS]


# --- cursor ---------------------------------------------------------------------------------


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected: int) -> list[Any] | None:
    """The sort key values of the last row seen, or None for a malformed cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != expected:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    return values


# --- import rows ----------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "sku",
    "nama",
    "deskripsi",
    "kategori",
    "satuan",
    "harga",
    "min_pesan",
    "stok",
    "jenis",
    "pdn",
    "tkdn",
    "bmp",
    "waktu_kirim_hari",
    "wilayah_kirim",
)
MAX_IMPORT_ROWS = 5000
_TRUE = {"ya", "y", "true", "1", "yes"}
_FALSE = {"tidak", "t", "false", "0", "no", ""}


@dataclass(frozen=True, slots=True)
class ImportRow:
    sku: str
    name: str
    description: str
    category_code: str
    unit: str
    price_idr: int
    min_order: int
    stock: int | None
    kind: str
    is_pdn: bool
    tkdn_bp: int
    bmp_bp: int
    lead_time_days: int
    provinces: tuple[str, ...]
    nationwide: bool


def _int(value: Any) -> int | None:
    """A whole number from a cell: 12500, "12500", "12.500" (Indonesian thousands). Anything
    with a fraction ("12500.50", "12.500,50", 12500.5) is refused, never multiplied."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else None
    text = str(value if value is not None else "").strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    return int(text) if re.fullmatch(r"-?\d{1,15}", text) else None


SKU_PATTERN = r"[A-Za-z0-9._/\-]{1,40}"


def sku_error(sku: str) -> str | None:
    """One rule for the API, the pages and the import, so an export always imports back."""
    if not re.fullmatch(SKU_PATTERN, sku or ""):
        return _(
            "SKU wajib diisi (maks. 40): huruf, angka, titik, garis miring, garis bawah, strip."
        )
    return None


def parse_import_row(raw: Mapping[str, Any]) -> tuple[ImportRow | None, dict[str, str]]:
    """One row of a product import (CSV/XLSX, Indonesian headers) → a row or its errors."""
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        value = raw.get(key)
        return "" if value is None else str(value).strip()

    sku = text("sku")
    if problem := sku_error(sku):
        errors["sku"] = problem
    price = _int(raw.get("harga"))
    if price is None:
        errors["harga"] = _("Harga harus bilangan bulat rupiah (tanpa desimal).")
    min_order = _int(raw.get("min_pesan")) if text("min_pesan") else 1
    if min_order is None:
        errors["min_pesan"] = _("Pemesanan minimal harus bilangan bulat.")
    stock = _int(raw.get("stok")) if text("stok") else None
    if text("stok") and stock is None:
        errors["stok"] = _("Stok harus bilangan bulat.")
    lead = _int(raw.get("waktu_kirim_hari")) if text("waktu_kirim_hari") else 3
    if lead is None:
        errors["waktu_kirim_hari"] = _("Waktu kirim harus bilangan bulat hari.")
    kind_text = text("jenis").lower()
    kind = {"barang": ProductKind.GOODS, "jasa": ProductKind.SERVICES}.get(kind_text)
    if kind is None:
        errors["jenis"] = _("Jenis harus 'barang' atau 'jasa'.")
    pdn_text = text("pdn").lower()
    if pdn_text not in _TRUE | _FALSE:
        errors["pdn"] = _("PDN harus 'ya' atau 'tidak'.")
    tkdn, bmp = percent_to_bp(text("tkdn")), percent_to_bp(text("bmp"))
    if tkdn is None:
        errors["tkdn"] = _("TKDN harus persentase, contoh 40 atau 40,5.")
    if bmp is None:
        errors["bmp"] = _("BMP harus persentase, contoh 15.")
    regions = text("wilayah_kirim").upper()
    nationwide = regions in ("", "SEMUA", "NASIONAL")
    provinces: tuple[str, ...] = ()
    if not nationwide:
        provinces = tuple(dict.fromkeys(p.strip() for p in re.split(r"[;,]", regions) if p.strip()))
        if not all(re.fullmatch(r"\d{2}", p) for p in provinces):
            errors["wilayah_kirim"] = _(
                "Wilayah kirim: 'SEMUA' atau kode provinsi 2 digit dipisahkan titik koma."
            )
    if errors:
        return None, errors
    if price is None or min_order is None or lead is None or kind is None:
        raise AssertionError("unreachable: errors were reported above")
    if tkdn is None or bmp is None:
        raise AssertionError("unreachable: errors were reported above")
    row = ImportRow(
        sku=sku,
        name=" ".join(text("nama").split()),
        description=text("deskripsi"),
        category_code=text("kategori").upper(),
        unit=text("satuan").lower(),
        price_idr=price,
        min_order=min_order,
        stock=stock,
        kind=kind,
        is_pdn=pdn_text in _TRUE,
        tkdn_bp=tkdn,
        bmp_bp=bmp,
        lead_time_days=lead,
        provinces=provinces,
        nationwide=nationwide,
    )
    facts = ProductFacts(
        name=row.name,
        description=row.description,
        unit=row.unit,
        price_idr=row.price_idr,
        min_order=row.min_order,
        stock=row.stock,
        kind=row.kind,
        is_pdn=row.is_pdn,
        tkdn_bp=row.tkdn_bp,
        bmp_bp=row.bmp_bp,
        lead_time_days=row.lead_time_days,
    )
    field_names = {
        "name": "nama",
        "description": "deskripsi",
        "unit": "satuan",
        "price_idr": "harga",
        "min_order": "min_pesan",
        "stock": "stok",
        "kind": "jenis",
        "tkdn_bp": "tkdn",
        "bmp_bp": "bmp",
        "lead_time_days": "waktu_kirim_hari",
    }
    problems = {field_names[k]: v for k, v in product_errors(facts).items()}
    if problems:
        return None, problems
    return row, {}
