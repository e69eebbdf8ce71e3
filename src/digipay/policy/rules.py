"""Pure policy rules: the known keys, their units and how a new value may be scheduled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    IDR = "IDR", _("Rupiah")
    RATIO = "RATIO", _("Rasio")
    DAYS = "DAYS", _("Hari kalender")
    WORKDAYS = "WORKDAYS", _("Hari kerja")
    COUNT = "COUNT", _("Kali")
    MONTHS = "MONTHS", _("Bulan")


class PolicyKey(models.TextChoices):
    PAYMENT_LIMIT_GENERAL = "PAYMENT_LIMIT_GENERAL", _("Batas pembayaran UP per penerima (umum)")
    PAYMENT_LIMIT_DIGIPAY_UMKM_PDN = (
        "PAYMENT_LIMIT_DIGIPAY_UMKM_PDN",
        _("Batas per penerima: Digipay, UMKM mikro/kecil, produk dalam negeri"),
    )
    UP_CEILING = "UP_CEILING", _("Batas besaran UP tanpa persetujuan Kanwil")
    UP_MAX_FRACTION = "UP_MAX_FRACTION", _("Bagian maksimum pagu UP setahun untuk UP")
    KKP_SHARE = "KKP_SHARE", _("Porsi UP KKP (bawaan)")
    GUP_THRESHOLD = "GUP_THRESHOLD", _("Ambang GUP Tunai (bagian UP Tunai terpakai)")
    AUTO_CANCEL_PPK_WORKDAYS = (
        "AUTO_CANCEL_PPK_WORKDAYS",
        _("Batal otomatis bila PPK tidak menanggapi"),
    )
    AUTO_CANCEL_VENDOR_DAYS = (
        "AUTO_CANCEL_VENDOR_DAYS",
        _("Batal otomatis bila vendor tidak menanggapi"),
    )
    NEGO_MAX_ROUNDS = "NEGO_MAX_ROUNDS", _("Batas putaran negosiasi per pihak")
    SPLIT_BLOCKS = (
        "SPLIT_BLOCKS",
        _("Pemecahan transaksi diblokir (1) atau hanya ditandai untuk PPK (0)"),
    )
    SANCTION_WARNING_MONTHS = (
        "SANCTION_WARNING_MONTHS",
        _("Peringatan KPPN bila tidak ada GUP sejak UP diberikan (bulan)"),
    )
    SANCTION_CUT_MONTHS = (
        "SANCTION_CUT_MONTHS",
        _("Pemotongan UP bila tidak ada GUP sejak UP diberikan (bulan)"),
    )
    SANCTION_CUT_RATIO = "SANCTION_CUT_RATIO", _("Besaran pemotongan UP (bagian dari UP)")


UNIT_OF: dict[str, str] = {
    PolicyKey.PAYMENT_LIMIT_GENERAL: Unit.IDR,
    PolicyKey.PAYMENT_LIMIT_DIGIPAY_UMKM_PDN: Unit.IDR,
    PolicyKey.UP_CEILING: Unit.IDR,
    PolicyKey.UP_MAX_FRACTION: Unit.RATIO,
    PolicyKey.KKP_SHARE: Unit.RATIO,
    PolicyKey.GUP_THRESHOLD: Unit.RATIO,
    PolicyKey.AUTO_CANCEL_PPK_WORKDAYS: Unit.WORKDAYS,
    PolicyKey.AUTO_CANCEL_VENDOR_DAYS: Unit.DAYS,
    PolicyKey.NEGO_MAX_ROUNDS: Unit.COUNT,
    PolicyKey.SPLIT_BLOCKS: Unit.COUNT,
    PolicyKey.SANCTION_WARNING_MONTHS: Unit.MONTHS,
    PolicyKey.SANCTION_CUT_MONTHS: Unit.MONTHS,
    PolicyKey.SANCTION_CUT_RATIO: Unit.RATIO,
}


@dataclass(frozen=True, slots=True)
class Period:
    valid_from: date
    valid_to: date | None


def value_error(key: str, value: Fraction) -> str | None:
    unit = UNIT_OF.get(key)
    if unit is None:
        return str(_("Kebijakan tidak dikenal."))
    if unit == Unit.RATIO:
        if not 0 <= value <= 1:
            return str(_("Rasio harus antara 0 dan 1 (0%–100%)."))
    elif value.denominator != 1 or value < 0:
        return str(_("Nilai harus bilangan bulat tidak negatif."))
    return None


def schedule_error(*, valid_from: date, today: date, current: Period | None) -> str | None:
    """A new value starts today or later, and after the start of the value it replaces."""
    if valid_from < today:
        return str(
            _("Nilai baru tidak boleh berlaku surut; pilih tanggal mulai hari ini atau sesudahnya.")
        )
    if current is not None and valid_from <= current.valid_from:
        return str(_("Tanggal mulai harus setelah tanggal mulai nilai yang berlaku."))
    return None


def parse_value(text: str, unit: str) -> Fraction:
    """'50000000', '40%', '1/12' or '0.4' → an exact Fraction (never float)."""
    raw = text.strip().replace(" ", "")
    if unit == Unit.IDR:
        raw = raw.replace(".", "").replace("Rp", "").replace("rp", "")
    if raw.endswith("%"):
        return Fraction(raw[:-1].replace(",", ".")) / 100
    return Fraction(raw.replace(",", "."))


def display(value: Fraction, unit: str) -> str:
    if unit == Unit.RATIO:
        percent = value * 100
        if percent.denominator == 1:
            return f"{percent.numerator}%"
        return f"{value.numerator}/{value.denominator}"
    return str(value.numerator)
