"""Pure rules of replenishment: SPM kinds and states, the GUP threshold, SPM numbers, what
SPAN accepts of a listed invoice, the replenishment-age sanction. No database access."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy

from digipay.invoicing.rules import ACCOUNT_CODE
from digipay.treasury.rules import add_months


class SpmKind(models.TextChoices):
    GUP = "GUP", gettext_lazy("SPM-GUP")
    GUP_KKP = "GUP_KKP", gettext_lazy("SPM-GUP KKP")
    TUP = "TUP", gettext_lazy("SPM-TUP")
    PTUP = "PTUP", gettext_lazy("SPM-PTUP")


class SpmState(models.TextChoices):
    DRAFT = "DRAFT", gettext_lazy("Draf (menunggu tanda tangan PPSPM)")
    SIGNED = "SIGNED", gettext_lazy("Ditandatangani, dikirim ke SPAN")
    SUBMITTED = "SUBMITTED", gettext_lazy("Menunggu keputusan KPPN")
    APPROVED = "APPROVED", gettext_lazy("Disetujui, SP2D terbit")
    REJECTED = "REJECTED", gettext_lazy("Ditolak")
    CANCELLED = "CANCELLED", gettext_lazy("Dibatalkan")


class CreditState(models.TextChoices):
    """The SP2D's credit to the treasurer's account, as SPAN reports it."""

    NOT_YET = "", gettext_lazy("Belum ada SP2D")
    PENDING = "PENDING", gettext_lazy("Menunggu bank")
    CREDITED = "CREDITED", gettext_lazy("Dikreditkan ke rekening Bendahara")
    FAILED = "FAILED", gettext_lazy("Gagal dikreditkan")
    NONE = "NONE", gettext_lazy("SP2D nihil (tanpa uang)")


class SanctionLevel(models.TextChoices):
    WARNING = "WARNING", gettext_lazy("Peringatan")
    CUT = "CUT", gettext_lazy("Pemotongan UP")


# States in which an SPM still claims its invoices (a rejected or cancelled one frees them).
LIVE_STATES = frozenset({SpmState.DRAFT, SpmState.SIGNED, SpmState.SUBMITTED, SpmState.APPROVED})
# Kinds whose SP2D puts money into the treasurer's account.
MONEY_KINDS = frozenset({SpmKind.GUP, SpmKind.GUP_KKP, SpmKind.TUP})

_SLUG = {SpmKind.GUP: "GUP", SpmKind.GUP_KKP: "GUPKKP", SpmKind.TUP: "TUP", SpmKind.PTUP: "PTUP"}
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,63}$")


def spm_number(kind: str, seq: int, satker_code: str, year: int) -> str:
    """``00001/GUP/415256/2026``: SPAN keeps numbers unique per satker for ever, so the year
    and the kind are part of it (a GUP and a TUP never collide)."""
    return f"{seq:05d}/{_SLUG[SpmKind(kind)]}/{satker_code}/{year}"


def gup_ready(*, spent: int, up_tunai: int, threshold: Fraction) -> bool:
    """GUP Tunai may be asked once the spent part reaches the threshold (policy, 50%) of the
    UP Tunai given; compared exactly, never in float."""
    if up_tunai <= 0 or spent <= 0:
        return False
    return spent * threshold.denominator >= threshold.numerator * up_tunai


def threshold_amount(up_tunai: int, threshold: Fraction) -> int:
    """The smallest whole-rupiah spend that reaches the threshold (rounded up)."""
    return -((-up_tunai * threshold.numerator) // threshold.denominator)


def npwp16(npwp: str) -> str:
    """SPAN wants 16 digits: a 15-digit NPWP is prefixed with 0 (DJP's NPWP-16 rule)."""
    digits = re.sub(r"\D", "", npwp or "")
    if len(digits) == 15:
        return "0" + digits
    if len(digits) == 16:
        return digits
    return "0" * 16


def tax_codes(taxes: Mapping[str, int]) -> dict[str, int]:
    """Taxes by name (PPN, PPH22, ...) → by tax account code (411211, 411122, ...), zeros
    dropped (SPAN wants amounts ≥ 1)."""
    out: dict[str, int] = {}
    for tax, amount in taxes.items():
        if int(amount) > 0:
            code = ACCOUNT_CODE[tax]
            out[code] = out.get(code, 0) + int(amount)
    return out


@dataclass(frozen=True, slots=True)
class ListedInvoice:
    number: str
    gross: int
    net: int
    taxes: Mapping[str, int]  # by tax account code


def listing_error(invoices: list[ListedInvoice]) -> str | None:
    """What SPAN would refuse in a list of invoices, checked before anything is sent: the
    number's alphabet, net = gross − taxes, each number once."""
    seen: set[str] = set()
    for invoice in invoices:
        if not _NUMBER.match(invoice.number):
            return f"invalid invoice number {invoice.number!r}"
        if invoice.gross < 1 or invoice.net < 0:
            return f"invalid amounts of {invoice.number}"
        if invoice.gross - sum(invoice.taxes.values()) != invoice.net:
            return f"net of {invoice.number} is not gross minus taxes"
        if invoice.number in seen:
            return f"{invoice.number} listed twice"
        seen.add(invoice.number)
    return None


def sanction_level(*, since: date, today: date, warning_months: int, cut_months: int) -> str | None:
    """No GUP for ``warning_months`` after ``since`` (the UP, or the last GUP's SP2D) → a
    warning; ``cut_months`` → the UP is cut. ``None`` while neither has passed."""
    if today >= add_months(since, cut_months):
        return SanctionLevel.CUT
    if today >= add_months(since, warning_months):
        return SanctionLevel.WARNING
    return None


def cut_amount(up_amount: int, ratio: Fraction) -> int:
    """The cut, rounded down to a whole rupiah (the satker keeps the odd rupiah)."""
    return up_amount * ratio.numerator // ratio.denominator
