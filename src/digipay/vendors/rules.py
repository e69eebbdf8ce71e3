"""Pure rules of vendors: identity numbers, UMKM class, the verification state table, the
Suket PPh Final's validity and the bank-account name match. No database access here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp


class VendorStatus(models.TextChoices):
    PENDING = "PENDING", gettext_lazy("Menunggu verifikasi")
    VERIFIED = "VERIFIED", gettext_lazy("Terverifikasi")
    REJECTED = "REJECTED", gettext_lazy("Ditolak, perlu perbaikan")
    SUSPENDED = "SUSPENDED", gettext_lazy("Dibekukan")


class LegalForm(models.TextChoices):
    PERORANGAN = "PERORANGAN", gettext_lazy("Usaha perseorangan")
    UD = "UD", gettext_lazy("Usaha Dagang (UD)")
    CV = "CV", gettext_lazy("Persekutuan Komanditer (CV)")
    FIRMA = "FIRMA", gettext_lazy("Firma")
    PT = "PT", gettext_lazy("Perseroan Terbatas (PT)")
    PT_PERORANGAN = "PT_PERORANGAN", gettext_lazy("PT Perorangan")
    KOPERASI = "KOPERASI", gettext_lazy("Koperasi")


class LicenceKind(models.TextChoices):
    NIB = "NIB", gettext_lazy("NIB (Nomor Induk Berusaha)")
    SIUP = "SIUP", gettext_lazy("SIUP")
    SKU_DESA = "SKU_DESA", gettext_lazy("Surat keterangan usaha dari desa/kelurahan")


class UmkmClass(models.TextChoices):
    MIKRO = "MIKRO", gettext_lazy("Usaha mikro")
    KECIL = "KECIL", gettext_lazy("Usaha kecil")
    MENENGAH = "MENENGAH", gettext_lazy("Usaha menengah")


class UmkmBasis(models.TextChoices):
    """PP 7/2021: new businesses are classed by their capital (excluding land and buildings),
    existing ones by their annual sales."""

    CAPITAL = "CAPITAL", gettext_lazy("Modal usaha (usaha baru)")
    SALES = "SALES", gettext_lazy("Hasil penjualan tahunan")


class SuketStatus(models.TextChoices):
    NONE = "NONE", gettext_lazy("Tidak ada")
    PENDING = "PENDING", gettext_lazy("Menunggu verifikasi")
    VERIFIED = "VERIFIED", gettext_lazy("Terverifikasi")
    REJECTED = "REJECTED", gettext_lazy("Ditolak")


class BankAccountStatus(models.TextChoices):
    UNCHECKED = "UNCHECKED", gettext_lazy("Belum dicek")
    VERIFIED = "VERIFIED", gettext_lazy("Nama sesuai")
    MISMATCH = "MISMATCH", gettext_lazy("Nama tidak sesuai (diblokir)")
    NOT_FOUND = "NOT_FOUND", gettext_lazy("Rekening tidak ditemukan")
    CHECK_FAILED = "CHECK_FAILED", gettext_lazy("Pengecekan gagal, coba lagi")


class DocumentKind(models.TextChoices):
    LICENCE = "LICENCE", gettext_lazy("Dokumen izin usaha")
    SUKET = "SUKET", gettext_lazy("Suket PPh Final")


# --- UMKM class (PP 7/2021 art. 35) ---------------------------------------------------------

JUTA = 1_000_000
MILIAR = 1_000_000_000
# Upper bounds, inclusive, per basis: (class, ceiling).
UMKM_CEILINGS: Mapping[str, tuple[tuple[str, int], ...]] = {
    UmkmBasis.CAPITAL: (
        (UmkmClass.MIKRO, 1 * MILIAR),
        (UmkmClass.KECIL, 5 * MILIAR),
        (UmkmClass.MENENGAH, 10 * MILIAR),
    ),
    UmkmBasis.SALES: (
        (UmkmClass.MIKRO, 2 * MILIAR),
        (UmkmClass.KECIL, 15 * MILIAR),
        (UmkmClass.MENENGAH, 50 * MILIAR),
    ),
}


def umkm_class(*, basis: str, amount_idr: int) -> str | None:
    """The UMKM class for a declared capital or annual sales; None for a large business."""
    if basis not in UMKM_CEILINGS:
        raise ValueError(f"unknown basis {basis!r}")
    if amount_idr < 0:
        raise ValueError("amount must not be negative")
    for klass, ceiling in UMKM_CEILINGS[basis]:
        if amount_idr <= ceiling:
            return klass
    return None


SMALL_CLASSES = frozenset({UmkmClass.MIKRO, UmkmClass.KECIL})


# --- identity numbers ---------------------------------------------------------------------

NO_NPWP = "0" * 15


def clean_nik(value: str) -> str | None:
    """The 16-digit NIK (region and birth date checked), or None when invalid."""
    try:
        return str(stdnum_nik.validate(value or ""))
    except StdnumError:
        return None


def clean_npwp(value: str) -> str | None:
    """The NPWP as digits (15 or 16), ``NO_NPWP`` for 15 zeros, or None when invalid.

    The 16-digit form is a NIK or "0" + the 15-digit form (PMK 112/2022)."""
    digits = re.sub(r"[.\-\s]", "", value or "")
    if digits in (NO_NPWP, "0" + NO_NPWP):
        return NO_NPWP
    if not re.fullmatch(r"\d{15}|\d{16}", digits):
        return None
    if len(digits) == 16 and not digits.startswith("0"):
        return digits if clean_nik(digits) else None
    try:
        stdnum_npwp.validate(digits)
    except StdnumError:
        return None
    return digits


def has_npwp(npwp: str) -> bool:
    return bool(npwp) and npwp != NO_NPWP


def clean_nib(value: str) -> str | None:
    digits = re.sub(r"\s", "", value or "")
    return digits if re.fullmatch(r"\d{13}", digits) else None


def clean_kbli(values: list[str] | str) -> list[str] | None:
    """KBLI 2020 codes are five digits; at least one, no duplicates (order kept)."""
    items = values.replace(";", ",").split(",") if isinstance(values, str) else list(values)
    codes = [c.strip() for c in items if c and c.strip()]
    if not codes or not all(re.fullmatch(r"\d{5}", c) for c in codes):
        return None
    return list(dict.fromkeys(codes))


def clean_phone(value: str) -> str | None:
    """An Indonesian phone number as +62…, from 08…, 628… or +628… forms."""
    digits = re.sub(r"[\s\-().]", "", value or "")
    if digits.startswith("+62"):
        digits = digits[3:]
    elif digits.startswith("62"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return None
    if not re.fullmatch(r"[1-9]\d{7,12}", digits):
        return None
    return "+62" + digits


def mask(value: str, keep: int = 4) -> str:
    """Personal numbers in pages, exports and logs: only the last digits."""
    if not value:
        return ""
    return "•" * max(len(value) - keep, 0) + value[-keep:]


# --- verification state table -------------------------------------------------------------


class VendorAction(models.TextChoices):
    RESUBMIT = "RESUBMIT", gettext_lazy("Ajukan ulang")
    VERIFY = "VERIFY", gettext_lazy("Verifikasi")
    REJECT = "REJECT", gettext_lazy("Tolak")
    SUSPEND = "SUSPEND", gettext_lazy("Bekukan")
    REINSTATE = "REINSTATE", gettext_lazy("Aktifkan kembali")
    REVERIFY = "REVERIFY", gettext_lazy("Perubahan data, verifikasi ulang")


# (from, action) → to. Anything else is refused.
TRANSITIONS: Mapping[tuple[str, str], str] = {
    (VendorStatus.REJECTED, VendorAction.RESUBMIT): VendorStatus.PENDING,
    (VendorStatus.PENDING, VendorAction.VERIFY): VendorStatus.VERIFIED,
    (VendorStatus.PENDING, VendorAction.REJECT): VendorStatus.REJECTED,
    (VendorStatus.PENDING, VendorAction.SUSPEND): VendorStatus.SUSPENDED,
    (VendorStatus.VERIFIED, VendorAction.SUSPEND): VendorStatus.SUSPENDED,
    (VendorStatus.REJECTED, VendorAction.SUSPEND): VendorStatus.SUSPENDED,
    (VendorStatus.VERIFIED, VendorAction.REVERIFY): VendorStatus.PENDING,
}


def next_status(current: str, action: str, *, before_suspension: str = "") -> str | None:
    """The status after ``action``, or None when the action is not allowed now. Lifting a
    suspension returns the vendor to where it was: it skips no verification."""
    if action == VendorAction.REINSTATE:
        if current != VendorStatus.SUSPENDED:
            return None
        return before_suspension or VendorStatus.PENDING
    return TRANSITIONS.get((current, action))


def can_sell(*, status: str, organisation_active: bool) -> bool:
    """Only verified, active vendors publish products and receive orders."""
    return status == VendorStatus.VERIFIED and organisation_active


# Editing these after verification sends the vendor back to verification.
IDENTITY_FIELDS = frozenset(
    {"business_name", "legal_form", "licence_kind", "licence_number", "npwp", "is_pkp"}
)
SUKET_FIELDS = frozenset({"suket_number", "suket_valid_from", "suket_valid_until"})


def reasons_error(reasons: str) -> str | None:
    if len(" ".join((reasons or "").split())) < 10:
        return _("Tuliskan alasan yang jelas (minimal 10 karakter).")
    return None


# --- Suket PPh Final ------------------------------------------------------------------------

SUKET_REMINDER_DAYS = 30


class SuketState(models.TextChoices):
    NONE = "NONE", gettext_lazy("Tidak ada Suket")
    NOT_VERIFIED = "NOT_VERIFIED", gettext_lazy("Belum diverifikasi")
    NOT_YET_VALID = "NOT_YET_VALID", gettext_lazy("Belum berlaku")
    VALID = "VALID", gettext_lazy("Berlaku")
    EXPIRING = "EXPIRING", gettext_lazy("Segera berakhir")
    EXPIRED = "EXPIRED", gettext_lazy("Kedaluwarsa")


@dataclass(frozen=True, slots=True)
class Suket:
    number: str
    valid_from: date | None
    valid_until: date | None
    status: str


def suket_state(suket: Suket, on: date) -> str:
    if not suket.number or suket.valid_from is None or suket.valid_until is None:
        return SuketState.NONE
    if suket.status != SuketStatus.VERIFIED:
        return SuketState.NOT_VERIFIED
    if on < suket.valid_from:
        return SuketState.NOT_YET_VALID
    if on > suket.valid_until:
        return SuketState.EXPIRED
    if suket.valid_until - on < timedelta(days=SUKET_REMINDER_DAYS):
        return SuketState.EXPIRING
    return SuketState.VALID


def suket_valid_on(suket: Suket, on: date) -> bool:
    """Whether PPh final (0.5%) applies to a payment on ``on`` instead of PPh 22/23."""
    return suket_state(suket, on) in (SuketState.VALID, SuketState.EXPIRING)


def suket_error(*, number: str, valid_from: date | None, valid_until: date | None) -> str | None:
    if not number and valid_from is None and valid_until is None:
        return None
    if not number.strip() or valid_from is None or valid_until is None:
        return _("Suket PPh Final memerlukan nomor, tanggal mulai dan tanggal akhir berlaku.")
    if valid_until < valid_from:
        return _("Tanggal akhir Suket harus setelah tanggal mulai.")
    return None


# --- bank account name match ----------------------------------------------------------------

# Words a bank may add or drop around a holder's name; they carry no identity.
_NAME_NOISE = frozenset(
    {"PT", "CV", "UD", "TBK", "PERSERO", "KOPERASI", "FA", "FIRMA", "SDR", "SDRI", "BPK", "IBU"}
)


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9 ]+", " ", text).upper().split()
    return " ".join(w for w in words if w not in _NAME_NOISE)


def names_match(holder_name: str, bank_name: str) -> bool:
    """The declared holder name against the name the bank returned, ignoring case,
    punctuation and legal-form words. Anything else is a mismatch that blocks the account."""
    a, b = normalise_name(holder_name), normalise_name(bank_name)
    return bool(a) and a == b


def holder_is_vendor(holder_name: str, *, business_name: str, owner_name: str) -> bool:
    """Payments go to the vendor's own account: the declared holder is the business or its
    owner. Banks shorten and lengthen names ("CV Sinar Jaya" / "SINAR JAYA ABADI"), so one
    name's words contained in the other's is enough; a different name is not."""
    holder = set(normalise_name(holder_name).split())
    if not holder:
        return False
    for name in (business_name, owner_name):
        words = set(normalise_name(name).split())
        if words and (words <= holder or holder <= words):
            return True
    return False


def bank_account_error(*, bank_code: str, account_no: str, holder_name: str) -> str | None:
    if not re.fullmatch(r"\d{3}", bank_code or ""):
        return _("Kode bank harus 3 digit.")
    if not re.fullmatch(r"\d{6,20}", account_no or ""):
        return _("Nomor rekening harus 6–20 digit angka.")
    if len(normalise_name(holder_name)) < 3:
        return _("Nama pemilik rekening wajib diisi.")
    return None


# --- uploaded documents ---------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_SIGNATURES: Mapping[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


def document_type(head: bytes, size: int) -> tuple[str | None, str | None]:
    """(content type, error): documents are PDF, JPEG or PNG by their first bytes, ≤ 5 MB."""
    if size <= 0:
        return None, _("Berkas kosong.")
    if size > MAX_DOCUMENT_BYTES:
        return None, _("Berkas terlalu besar (maksimal 5 MB).")
    for content_type, magic in DOCUMENT_SIGNATURES.items():
        if head.startswith(magic):
            return content_type, None
    return None, _("Jenis berkas tidak didukung: unggah PDF, JPEG atau PNG.")
