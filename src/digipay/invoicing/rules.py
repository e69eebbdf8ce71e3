"""Pure rules of invoicing: the invoice's states and steps, the register numbers, the faktur
pajak number, credit-note arithmetic, deposit due dates and the monthly tax report. No
database access here (docs/adr/0016-invoices-and-tax-deposits.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.core import calendar
from digipay.tax.rules import TAX_ORDER, Collector, Line, LineKind, QuoteResult, Tax


class InvoiceState(models.TextChoices):
    UNVERIFIED = "UNVERIFIED", gettext_lazy("Belum diuji")
    RETURNED = "RETURNED", gettext_lazy("Dikembalikan")
    VERIFIED = "VERIFIED", gettext_lazy("Sudah diuji")
    # Set by the payments issue (the Bendahara pays a verified invoice); nothing here moves
    # an invoice to it.
    PAID = "PAID", gettext_lazy("Dibayar")


class Action(models.TextChoices):
    VENDOR_NUMBERS = "VENDOR_NUMBERS", gettext_lazy("Isi nomor tagihan dan faktur pajak")
    VERIFY = "VERIFY", gettext_lazy("Uji tagihan (sah)")
    RETURN = "RETURN", gettext_lazy("Kembalikan tagihan")
    CREDIT = "CREDIT", gettext_lazy("Terbitkan nota kredit")


class DepositStatus(models.TextChoices):
    OPEN = "OPEN", gettext_lazy("Belum disetor")
    # The Bendahara asked to deposit it: billing code, transfer and NTPN under way (payments).
    PROCESSING = "PROCESSING", gettext_lazy("Sedang disetor")
    # Deposited: the MPN gave its NTPN (the value stays PAID for the rows already stored).
    PAID = "PAID", gettext_lazy("Sudah disetor")
    VOID = "VOID", gettext_lazy("Batal (dikreditkan)")


S = InvoiceState


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    action: str
    target: str
    gate: str
    vendor_side: bool = False


# Every step on an invoice: (state, action) → target state, with its gate action.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.UNVERIFIED, Action.VENDOR_NUMBERS, S.UNVERIFIED, "invoice.vendor_edit", True),
    # A returned invoice comes back to the PPK when the vendor sends its numbers again.
    Transition(S.RETURNED, Action.VENDOR_NUMBERS, S.UNVERIFIED, "invoice.vendor_edit", True),
    Transition(S.UNVERIFIED, Action.VERIFY, S.VERIFIED, "invoice.verify"),
    Transition(S.UNVERIFIED, Action.RETURN, S.RETURNED, "invoice.verify"),
    Transition(S.UNVERIFIED, Action.CREDIT, S.UNVERIFIED, "invoice.credit"),
    Transition(S.RETURNED, Action.CREDIT, S.RETURNED, "invoice.credit"),
    Transition(S.VERIFIED, Action.CREDIT, S.VERIFIED, "invoice.credit"),
)


def transition(state: str, action: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.state == state and t.action == action), None)


def actions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.state == state]


# --- channel and lines ----------------------------------------------------------------------

# The order's payment method → the tax collector channel (DOMAIN.md §6).
COLLECTOR_BY_METHOD: Mapping[str, str] = {
    "TRANSFER": Collector.BENDAHARA,
    "KKP": Collector.KKP,
}

# The catalog's product kind (frozen on the order line) → the tax engine's line kind.
LINE_KIND: Mapping[str, str] = {"GOODS": LineKind.GOODS, "SERVICES": LineKind.SERVICES}


def collector_for(payment_method: str) -> str:
    try:
        return COLLECTOR_BY_METHOD[payment_method]
    except KeyError:
        raise ValueError(f"no tax collector for payment method {payment_method!r}") from None


def line_kind(kind: str) -> str:
    return LINE_KIND.get(kind.upper(), LineKind.GOODS)


# --- register numbers -------------------------------------------------------------------------


def register_prefix(kind: str, satker_code: str, year: int) -> str:
    return f"{kind}/{satker_code}/{year}/"


def register_number(kind: str, satker_code: str, year: int, sequence: int) -> str:
    """One series per satker, year and kind, like the Surat Pesanan register:
    ``INV/415256/2026/00017`` (invoices), ``KN/415256/2026/00002`` (credit notes)."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{register_prefix(kind, satker_code, year)}{sequence:05d}"


INVOICE, CREDIT_NOTE = "INV", "KN"


# --- faktur pajak number ----------------------------------------------------------------------

# e-Faktur (PER-03/PJ/2022): 16 digits = 2 transaction code + 1 status + 13 serial, written
# "010.000-25.00000001". Coretax (PER-11/PJ/2025 art. 37, from 2025): 17 digits = 2
# transaction code + 2 status + 13 serial. Transaction codes are 01-09 (e-Faktur), 01-10
# (Coretax).
_SEPARATORS = re.compile(r"[.\-\s]")


def clean_faktur_number(value: str) -> tuple[str | None, str | None]:
    """(the faktur number as digits, None) or (None, why it is not one). Empty is allowed
    (the vendor fills it in later)."""
    digits = _SEPARATORS.sub("", value or "")
    if not digits:
        return "", None
    if not digits.isdigit() or len(digits) not in (16, 17):
        return None, _(
            "Nomor faktur pajak harus 16 digit (e-Faktur, mis. 010.000-25.00000001) atau "
            "17 digit (Coretax, mis. 04002500000000001)."
        )
    code = int(digits[:2])
    top = 9 if len(digits) == 16 else 10
    if not 1 <= code <= top:
        return None, _(
            "Kode transaksi faktur pajak (dua digit pertama) harus 01 sampai %(top)02d."
        ) % {"top": top}
    if len(digits) == 16 and digits[2] not in "01":
        return None, _(
            "Kode status faktur pajak e-Faktur (digit ketiga) harus 0 (normal) atau 1 (pengganti)."
        )
    if set(digits[-8:]) == {"0"}:
        return None, _("Nomor seri faktur pajak tidak boleh nol semua.")
    return digits, None


def format_faktur_number(digits: str) -> str:
    """16 digits as e-Faktur writes them (010.000-25.00000001); 17 digits as Coretax does
    (plain digits)."""
    if len(digits) == 16:
        return f"{digits[:3]}.{digits[3:6]}-{digits[6:8]}.{digits[8:]}"
    return digits


def clean_vendor_invoice_number(value: str) -> tuple[str | None, str | None]:
    text = " ".join((value or "").split())
    if len(text) > 40:
        return None, _("Nomor tagihan vendor paling panjang 40 karakter.")
    if text and not re.fullmatch(r"[A-Za-z0-9./\-_ ]+", text):
        return None, _(
            "Nomor tagihan vendor hanya boleh berisi huruf, angka, spasi dan tanda . / - _"
        )
    return text, None


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaxAmount:
    amount: int  # the tax on the invoice
    collected: int  # the part the collector withholds/collects (its own deposit)


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of an invoice, a credit note or what is outstanding, in whole rupiah."""

    base: int
    taxes: Mapping[str, TaxAmount] = field(default_factory=dict)

    def amount(self, tax: str) -> int:
        found = self.taxes.get(tax)
        return found.amount if found else 0

    def collected(self, tax: str) -> int:
        found = self.taxes.get(tax)
        return found.collected if found else 0

    @property
    def ppn(self) -> int:
        return self.amount(Tax.PPN)

    @property
    def gross(self) -> int:
        return self.base + self.ppn

    @property
    def collected_total(self) -> int:
        return sum(self.collected(t) for t in TAX_ORDER)

    @property
    def net(self) -> int:
        return self.gross - self.collected_total

    @property
    def withheld(self) -> tuple[str, ...]:
        """The taxes the collector withholds/collects here, in the engine's order."""
        return tuple(t for t in TAX_ORDER if self.collected(t) > 0)


ZERO = Figures(0)


def figures_of(result: QuoteResult) -> Figures:
    return Figures(
        result.base,
        {
            t: TaxAmount(result.taxes[t].amount, result.taxes[t].collected)
            for t in TAX_ORDER
            if result.taxes[t].amount or result.taxes[t].collected
        },
    )


def minus(a: Figures, b: Figures) -> Figures:
    """``a − b`` figure by figure, never below zero."""
    taxes = {}
    for t in TAX_ORDER:
        # Each on its own: a credit that brings the payment under a threshold takes back
        # more of what was collected than of the tax itself (the vendor then accounts for it).
        amount = max(a.amount(t) - b.amount(t), 0)
        collected = max(a.collected(t) - b.collected(t), 0)
        if amount or collected:
            taxes[t] = TaxAmount(amount, collected)
    return Figures(max(a.base - b.base, 0), taxes)


def outstanding(invoice: Figures, credits: Iterable[Figures]) -> Figures:
    """What is still owed on an invoice: the invoice minus its credit notes, never negative."""
    left = invoice
    for credit in credits:
        left = minus(left, credit)
    return left


# --- credit notes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineBalance:
    """What is left of an invoice line after the credit notes so far."""

    line_id: int
    kind: str  # LineKind
    unit_price: int
    quantity: int  # units not credited
    value: int  # base not credited (quantity × price, less amounts credited)


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """Credit ``quantity`` units at the line's price, or ``amount`` rupiah off the line."""

    quantity: int = 0
    amount: int = 0

    def base(self, unit_price: int) -> int:
        return self.quantity * unit_price if self.quantity else self.amount


def credit_problem(
    balances: Mapping[int, LineBalance], requests: Mapping[int, CreditRequest]
) -> str | None:
    """Why these credits cannot be made, or None. A credit never goes beyond what is left of
    the invoice: neither more units than are left, nor more rupiah than the line's value."""
    if not requests or all(not r.quantity and not r.amount for r in requests.values()):
        return _("Isi paling sedikit satu baris yang dikreditkan (jumlah atau nilai).")
    for line_id, request in requests.items():
        balance = balances.get(line_id)
        if balance is None:
            return _("Baris tagihan tidak dikenal.")
        if request.quantity < 0 or request.amount < 0:
            return _("Jumlah dan nilai yang dikreditkan tidak boleh negatif.")
        if request.quantity and request.amount:
            return _("Satu baris dikreditkan menurut jumlah atau menurut nilai, tidak keduanya.")
        if request.quantity > balance.quantity:
            return _(
                "Jumlah yang dikreditkan (%(asked)d) melebihi sisa tagihan pada baris itu "
                "(%(left)d)."
            ) % {"asked": request.quantity, "left": balance.quantity}
        if request.base(balance.unit_price) > balance.value:
            return _(
                "Nilai yang dikreditkan melebihi sisa nilai baris itu pada tagihan (Rp %(left)s)."
            ) % {"left": f"{balance.value:,}".replace(",", ".")}
    return None


def balances_after(
    balances: Mapping[int, LineBalance], requests: Mapping[int, CreditRequest]
) -> dict[int, LineBalance]:
    out = dict(balances)
    for line_id, request in requests.items():
        b = out[line_id]
        out[line_id] = LineBalance(
            b.line_id,
            b.kind,
            b.unit_price,
            b.quantity - request.quantity,
            b.value - request.base(b.unit_price),
        )
    return out


def engine_lines(balances: Iterable[LineBalance]) -> tuple[Line, ...]:
    """The lines the tax engine quotes for what is left: a line whose value is still its
    quantity × price keeps them; a line reduced by an amount becomes 1 × its value."""
    lines = []
    for b in sorted(balances, key=lambda x: x.line_id):
        if b.value <= 0:
            continue
        if b.quantity and b.quantity * b.unit_price == b.value:
            lines.append(Line(kind=b.kind, quantity=b.quantity, unit_price=b.unit_price))
        else:
            lines.append(Line(kind=b.kind, quantity=1, unit_price=b.value))
    return tuple(lines)


# --- deposits ---------------------------------------------------------------------------------

# The tax account codes (kode akun pajak, MAP) of each deposit.
ACCOUNT_CODE: Mapping[str, str] = {
    Tax.PPH22: "411122",
    Tax.PPH23: "411124",
    Tax.PPH_FINAL: "411128",
    Tax.PPN: "411211",
}
DUE_DAY = 15


def tax_period(invoice_date: date) -> date:
    """The tax period (masa pajak) of an invoice: the first day of its month."""
    return invoice_date.replace(day=1)


def deposit_due_date(
    invoice_date: date, *, working_day: Callable[[date], bool] = calendar.is_working_day
) -> date:
    """The 15th of the month after the invoice date; the next working day when that is a
    weekend or a national holiday (PMK 81/2024: withheld/collected PPh and PPN by the 15th)."""
    first_next = (invoice_date.replace(day=28) + timedelta(days=4)).replace(day=1)
    due = first_next.replace(day=DUE_DAY)
    while not working_day(due):
        due += timedelta(days=1)
    return due


def is_overdue(*, status: str, due_date: date, today: date) -> bool:
    """Still to deposit (open, or being deposited) after its due date."""
    return status in (DepositStatus.OPEN, DepositStatus.PROCESSING) and today > due_date


def deposited_late(*, status: str, due_date: date, deposited_on: date | None) -> bool:
    """Deposited, but after its due date (the NTPN's date is what counts)."""
    return status == DepositStatus.PAID and deposited_on is not None and deposited_on > due_date


def late(*, status: str, due_date: date, deposited_on: date | None, today: date) -> bool:
    """Flagged overdue on the lists: still open past its due date, or deposited late."""
    return is_overdue(status=status, due_date=due_date, today=today) or deposited_late(
        status=status, due_date=due_date, deposited_on=deposited_on
    )


# --- the monthly tax report -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepositFact:
    tax: str
    account_code: str
    amount: int
    status: str
    due_date: date


@dataclass(frozen=True, slots=True)
class ReportRow:
    account_code: str
    tax: str
    collected: int  # withheld/collected on the month's verified invoices
    deposited: int
    outstanding: int
    overdue: int  # part of the outstanding past its due date
    count: int


def monthly_report(deposits: Iterable[DepositFact], *, today: date) -> list[ReportRow]:
    """Per tax account code: what the collector withheld/collected, what was deposited, what
    is still to deposit (and how much of it is overdue). Voided deposits do not count."""
    rows: dict[str, list[int]] = {}
    taxes: dict[str, str] = {}
    for d in deposits:
        if d.status == DepositStatus.VOID:
            continue
        row = rows.setdefault(d.account_code, [0, 0, 0, 0, 0])
        taxes[d.account_code] = d.tax
        row[0] += d.amount
        row[4] += 1
        if d.status == DepositStatus.PAID:
            row[1] += d.amount
        else:
            row[2] += d.amount
            if is_overdue(status=d.status, due_date=d.due_date, today=today):
                row[3] += d.amount
    return [
        ReportRow(code, taxes[code], *rows[code])
        for code in sorted(rows, key=lambda c: (TAX_ORDER.index(taxes[c]), c))
    ]


def report_total(rows: Iterable[ReportRow]) -> ReportRow:
    rows = list(rows)
    return ReportRow(
        "",
        "",
        sum(r.collected for r in rows),
        sum(r.deposited for r in rows),
        sum(r.outstanding for r in rows),
        sum(r.overdue for r in rows),
        sum(r.count for r in rows),
    )


def reason_error(reason: str) -> str | None:
    if len(" ".join((reason or "").split())) < 10:
        return _("Tuliskan alasan yang jelas (minimal 10 karakter).")
    return None
