"""Card bill rules, pure (no database, no network): states, the billing month, the due date,
the line-by-line match of a bank bill against Digipay's card payments, and what may be done
with a bill in each state (decision: docs/adr/0022-kkp-card-bills.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.core import calendar, clock

# DOMAIN.md §5: the bill is due a configurable number of working days after it is issued
# (settings.DIGIPAY_KKP_BILL_DUE_WORKDAYS); used only when the bank gives no due date.
DEFAULT_DUE_WORKDAYS = 5
MAX_REASON = 1000
# The issuer's booking cut-off: a charge Digipay finished less than this before the Jakarta
# month ends may be booked by the bank on the 1st of the next month (its day closes early), so
# it may be billed next month instead (ADR 0022, "Matching").
BANK_BOOKING_CUTOFF = timedelta(hours=2)


class CardBillState(models.TextChoices):
    RECEIVED = "RECEIVED", gettext_lazy("Diterima dari bank")
    # The PPK found mismatches and recorded why: nothing is payable until the bank's corrected
    # bill is fetched again and matches.
    DISPUTED = "DISPUTED", gettext_lazy("Disanggah PPK")
    VERIFIED = "VERIFIED", gettext_lazy("Diverifikasi PPK")
    PAYING = "PAYING", gettext_lazy("Sedang dibayar")
    PAID = "PAID", gettext_lazy("Lunas")


class LineMatch(models.TextChoices):
    MATCHED = "MATCHED", gettext_lazy("Cocok")
    AMOUNT_DIFFERS = "AMOUNT_DIFFERS", gettext_lazy("Nilai berbeda")
    # A bill line with no Digipay card payment behind it.
    NO_PAYMENT = "NO_PAYMENT", gettext_lazy("Tidak ada pembayaran Digipay")
    # A Digipay card payment of the month that the bank did not bill.
    NOT_BILLED = "NOT_BILLED", gettext_lazy("Tidak ada di tagihan bank")
    # A Digipay card payment of the month's last hours (after the bank's booking cut-off) that
    # the bank did not bill this month: expected on next month's bill, not a mismatch here.
    NEXT_BILL = "NEXT_BILL", gettext_lazy("Diharapkan di tagihan berikutnya")


class DueDateSource(models.TextChoices):
    BANK = "BANK", gettext_lazy("Dari bank")
    RULE = "RULE", gettext_lazy("Aturan hari kerja")


FETCH_REPLACEABLE = (CardBillState.RECEIVED, CardBillState.DISPUTED)
# Line results that do not stop verification.
NOT_MISMATCH = (LineMatch.MATCHED, LineMatch.NEXT_BILL)
PAYABLE = (CardBillState.VERIFIED,)


# --- billing month ---------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month; ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text or ""):
        raise ValueError("billing month must be YYYY-MM")
    return date(int(text[:4]), int(text[5:7]), 1)


def month_text(month: date) -> str:
    return month.strftime("%Y-%m")


def previous_month(today: date) -> date:
    """The month before ``today``'s (the one a bill fetched today is for)."""
    if today.month == 1:
        return date(today.year - 1, 12, 1)
    return date(today.year, today.month - 1, 1)


def next_month(month: date) -> date:
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)


def month_error(month: date, today: date) -> str | None:
    """A bill can be fetched for a month that has begun: an ended month's is the bank's
    final bill; the current month's is the running bill (charges so far), which the
    Bendahara may look at to catch a mismatch early but the PPK cannot verify yet."""
    if month.day != 1:
        return _("Bulan tagihan tidak valid.")
    if month > today:
        return _("Bulan tagihan belum dimulai.")
    return None


def month_ended(month: date, today: date) -> bool:
    """The bank closes a month's bill when the month ends (Jakarta)."""
    return next_month(month) <= today


def month_end(month: date) -> datetime:
    """The instant the (Jakarta) month ends: midnight starting the next month."""
    return datetime.combine(next_month(month), time.min, tzinfo=clock.JAKARTA)


def fetched_final(month: date, fetched_at: datetime) -> bool:
    """A bill fetched after its month ended is the bank's final bill; one fetched before is
    the running bill (charges so far), which must be fetched again before it is verified."""
    return fetched_at >= month_end(month)


def after_cutoff(moment: datetime, month: date) -> bool:
    """Whether a charge finished at ``moment`` is from ``month``'s last hours, after the
    bank's booking cut-off (the bank may bill it next month)."""
    end = month_end(month)
    return end - BANK_BOOKING_CUTOFF <= moment < end


def jakarta_month(moment: datetime) -> date:
    """The Jakarta calendar month of an instant (the bank bills by Jakarta month)."""
    local = moment.astimezone(clock.JAKARTA)
    return date(local.year, local.month, 1)


def due_date(month: date, *, bank_due: date | None, workdays: int) -> tuple[date, str]:
    """The bank's due date if it gives one; otherwise ``workdays`` working days after the
    month ends (the bill is issued on the first day of the next month)."""
    if bank_due is not None:
        return bank_due, DueDateSource.BANK
    issued = next_month(month)
    # The issue day counts as day 0 even when it is a holiday: the count starts after it.
    return calendar.add_working_days(issued, workdays), DueDateSource.RULE


def is_overdue(state: str, due: date, today: date) -> bool:
    """Past the due date and not paid (a bill still being paid counts: the bank has not
    confirmed it)."""
    return state != CardBillState.PAID and today > due


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankLine:
    """One charge on the bank's bill."""

    bank_reference: str
    partner_reference_no: str
    amount_idr: int


@dataclass(frozen=True, slots=True)
class CardPayment:
    """One Digipay card charge (a DONE CARD_CHARGE instruction) that the bill may contain."""

    instruction_id: int
    bank_reference: str
    partner_reference_no: str
    amount_idr: int
    in_month: bool  # made in the billing month (if not billed, it is missing from the bill)
    # Made in the month's last hours, after the bank's booking cut-off: if not billed, it is
    # expected on next month's bill (NEXT_BILL), not missing.
    at_edge: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    line_index: int | None  # the bank line (None for a Digipay payment not billed)
    instruction_id: int | None
    match: str
    digipay_amount_idr: int | None


def match_lines(lines: Sequence[BankLine], payments: Iterable[CardPayment]) -> list[Match]:
    """Pair each bank line with a Digipay card payment by reference — the bank's reference
    number, or the partner reference Digipay sent (both are unique per charge) — then compare
    amounts to the rupiah. Digipay payments of the month that no line names are reported as
    not billed — or, made after the bank's booking cut-off on the month's last day, as expected
    on the next bill. A payment pairs with at most one line: a second line naming it has
    none."""
    by_ref: dict[str, CardPayment] = {}
    pool = list(payments)
    for p in pool:
        if p.bank_reference:
            by_ref.setdefault("B:" + p.bank_reference, p)
        if p.partner_reference_no:
            by_ref.setdefault("P:" + p.partner_reference_no, p)
    used: set[int] = set()
    out: list[Match] = []
    for index, line in enumerate(lines):
        found = by_ref.get("B:" + line.bank_reference) if line.bank_reference else None
        if found is None and line.partner_reference_no:
            found = by_ref.get("P:" + line.partner_reference_no)
        if found is None or found.instruction_id in used:
            out.append(Match(index, None, LineMatch.NO_PAYMENT, None))
            continue
        used.add(found.instruction_id)
        same = found.amount_idr == line.amount_idr
        out.append(
            Match(
                index,
                found.instruction_id,
                LineMatch.MATCHED if same else LineMatch.AMOUNT_DIFFERS,
                found.amount_idr,
            )
        )
    for p in pool:
        if p.in_month and p.instruction_id not in used:
            found_match = LineMatch.NEXT_BILL if p.at_edge else LineMatch.NOT_BILLED
            out.append(Match(None, p.instruction_id, found_match, p.amount_idr))
    return out


def all_match(matches: Iterable[Match]) -> bool:
    """Every line matches and nothing is missing (a payment expected on the next bill is not
    missing)."""
    return all(m.match in NOT_MISMATCH for m in matches)


# --- decisions -------------------------------------------------------------------------------


def verify_error(
    state: str, *, matches: bool, ended: bool = True, final: bool = True
) -> str | None:
    if state != CardBillState.RECEIVED:
        return _("Tagihan ini tidak menunggu verifikasi.")
    if not ended:
        return _("Bulan tagihan belum berakhir; tagihan berjalan belum dapat diverifikasi.")
    if not final:
        return _(
            "Tagihan ini diambil sebelum bulan tagihan berakhir; ambil tagihan final dari bank "
            "terlebih dahulu."
        )
    if not matches:
        return _(
            "Tagihan tidak cocok dengan pembayaran kartu di Digipay; catat sanggahan untuk "
            "baris yang berbeda."
        )
    return None


def dispute_error(
    state: str, *, matches: bool, reason: str, ended: bool = True, final: bool = True
) -> str | None:
    if state != CardBillState.RECEIVED:
        return _("Tagihan ini tidak menunggu verifikasi.")
    if not ended:
        return _("Bulan tagihan belum berakhir; tagihan berjalan belum dapat disanggah.")
    if not final:
        return _(
            "Tagihan ini diambil sebelum bulan tagihan berakhir; ambil tagihan final dari bank "
            "terlebih dahulu."
        )
    if matches:
        return _("Semua baris tagihan cocok; tidak ada yang perlu disanggah.")
    if not reason.strip():
        return _("Alasan sanggahan wajib diisi.")
    if len(reason) > MAX_REASON:
        return _("Alasan sanggahan paling banyak %(n)d karakter.") % {"n": MAX_REASON}
    return None


def pay_error(state: str, *, total_idr: int, paid_idr: int = 0) -> str | None:
    """``paid_idr``: what the bank said, at the latest fetch, was already paid on the bill.
    Digipay pays a bill only whole: anything paid outside Digipay (part or all) is refused
    (ADR 0022, "Payment") — the ledger, the card line and the GUP KKP read the whole total."""
    if state == CardBillState.PAYING:
        return _("Tagihan ini sedang dibayar.")
    if state == CardBillState.PAID:
        return _("Tagihan ini sudah lunas.")
    if state != CardBillState.VERIFIED:
        return _("Tagihan harus diverifikasi PPK sebelum dibayar.")
    if total_idr <= 0:
        return _("Tagihan bernilai nol tidak perlu dibayar.")
    if paid_idr > 0:
        return _(
            "Bank mencatat Rp%(paid)s dari tagihan ini sudah dibayar di luar Digipay; Digipay "
            "hanya membayar tagihan secara utuh. Selesaikan dengan bank penerbit kartu."
        ) % {"paid": f"{paid_idr:,}".replace(",", ".")}
    return None


def bill_remark(card_ref: str, month: date) -> str:
    """The transfer's remark: the bank recognises a card bill payment by it (and by the
    destination, its card settlement account). ``KKP <cardRef> <YYYY-MM>``."""
    return f"KKP {card_ref} {month_text(month)}"
