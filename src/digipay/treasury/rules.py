"""Pure treasury rules: UP ceiling, the Tunai/KKP split, TUP due dates, card data hygiene."""

from __future__ import annotations

import calendar
import re
from datetime import date
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import luhn

from digipay.core.money import format_idr


class FundingSource(models.TextChoices):
    RM = "RM", gettext_lazy("Rupiah Murni")
    PNBP = "PNBP", gettext_lazy("PNBP")
    BLU = "BLU", gettext_lazy("BLU")
    PHLN = "PHLN", gettext_lazy("Pinjaman/Hibah Luar Negeri")
    SBSN = "SBSN", gettext_lazy("SBSN")


MAX_TUP_EXTENSIONS = 2


def up_ceiling_error(
    *,
    amount: int,
    annual_budget: int,
    max_fraction: Fraction,
    ceiling: int,
    kanwil_approval_ref: str,
) -> str | None:
    """UP ≤ max_fraction × the UP-eligible annual budget; ≤ ceiling unless the Kanwil approved."""
    if amount <= 0:
        return _("Besaran UP harus lebih dari nol.")
    if annual_budget <= 0:
        return _("Pagu yang dapat dibayarkan melalui UP harus diisi.")
    limit = annual_budget * max_fraction
    if amount > limit:
        return _("UP melebihi %(fraction)s pagu UP setahun (paling banyak %(limit)s).") % {
            "fraction": f"{max_fraction.numerator}/{max_fraction.denominator}",
            "limit": format_idr(int(limit)),
        }
    if amount > ceiling and not kanwil_approval_ref.strip():
        return _("UP di atas %(ceiling)s memerlukan nomor persetujuan Kanwil DJPb.") % {
            "ceiling": format_idr(ceiling)
        }
    return None


def split_up(amount: int, kkp_share: Fraction) -> tuple[int, int]:
    """(Tunai, KKP): the KKP part is rounded down so the cash part never loses a rupiah."""
    if not 0 <= kkp_share <= 1:
        raise ValueError("share must be within [0, 1]")
    kkp = amount * kkp_share.numerator // kkp_share.denominator
    return amount - kkp, kkp


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tup_due_date(sp2d_date: date, extensions: int) -> date:
    """TUP is accounted for within a month of its SP2D; each extension adds a month."""
    return add_months(sp2d_date, 1 + extensions)


_DIGITS = re.compile(r"\d+")


def card_data_error(*, bank_card_ref: str, last4: str) -> str | None:
    """Only the bank's reference and the last 4 digits may be stored — never a card number."""
    if not re.fullmatch(r"\d{4}", last4 or ""):
        return _("Empat digit terakhir kartu harus 4 angka.")
    ref = (bank_card_ref or "").strip()
    if not ref:
        return _("Referensi kartu dari bank wajib diisi.")
    compact = re.sub(r"[\s-]", "", ref)
    for run in _DIGITS.findall(compact):
        if 13 <= len(run) <= 19 and luhn.is_valid(run):
            return _(
                "Referensi tampak seperti nomor kartu. Jangan pernah memasukkan nomor kartu; "
                "gunakan referensi kartu dari bank."
            )
    return None


def card_limit_error(*, card_limit: int, satker_kkp: int) -> str | None:
    if card_limit <= 0:
        return _("Limit kartu harus lebih dari nol.")
    if card_limit > satker_kkp:
        return _("Limit kartu melebihi UP KKP satker (%(kkp)s).") % {"kkp": format_idr(satker_kkp)}
    return None
