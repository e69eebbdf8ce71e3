"""Pure tax rules: the engine over effective-dated rule rows (DOMAIN.md §6). No database here.

The engine gets the case (invoice date, collector channel, vendor facts, lines) and the rule
rows, and returns every figure with its explanation:

1. For each tax and line, the one row in force on the date for that tax, the collector channel
   and the line (goods/services, luxury or not) applies — if the vendor meets the tax's
   condition (``TAX_VENDOR_CONDITION``: PPN needs a PKP; PPh 22/23 apply without a valid Suket
   PPh Final; PPh final only with one). No row: the tax does not apply to that line.
2. Lines under the same row form a group: DPP = the row's base fraction × the group's price
   (11/12 for DPP nilai lain; rounded down first only if the row says so), tax = DPP × rate
   (the row's rate without NPWP when the vendor has none). Exact ``Fraction`` arithmetic.
3. A row's threshold (the Rp2 juta small-payment exemption) is measured on the whole payment,
   excluding or including PPN as the row says, and is lost when the purchase was split.
   Below it, or on a row that does not collect (KKP), the collector does not collect the tax:
   PPN and PPh final are then accounted for by the vendor itself (``SELF_ACCOUNTED``), PPh
   22/23 are simply not due.
4. Each tax is rounded down to a whole rupiah once, at the end (the part the collector collects
   on its own, being its own deposit). Per-line figures share the invoice's figure by the
   largest remainder, so that they add up to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.core.errors import DomainError, ValidationFailed
from digipay.core.money import format_idr


class Tax(models.TextChoices):
    PPN = "PPN", gettext_lazy("PPN")
    PPH22 = "PPH22", gettext_lazy("PPh 22")
    PPH23 = "PPH23", gettext_lazy("PPh 23")
    PPH_FINAL = "PPH_FINAL", gettext_lazy("PPh final")


class Collector(models.TextChoices):
    BENDAHARA = "BENDAHARA", gettext_lazy("Bendahara Pengeluaran")
    PIHAK_LAIN = "PIHAK_LAIN", gettext_lazy("Pihak lain yang ditunjuk")
    KKP = "KKP", gettext_lazy("Kartu Kredit Pemerintah")


class LineKind(models.TextChoices):
    GOODS = "goods", gettext_lazy("barang")
    SERVICES = "services", gettext_lazy("jasa")


class KindCondition(models.TextChoices):
    ALL = "ALL", gettext_lazy("barang dan jasa")
    GOODS = "GOODS", gettext_lazy("barang")
    SERVICES = "SERVICES", gettext_lazy("jasa")


class LuxuryCondition(models.TextChoices):
    ANY = "ANY", gettext_lazy("mewah maupun tidak")
    LUXURY = "LUXURY", gettext_lazy("barang mewah")
    NON_LUXURY = "NON_LUXURY", gettext_lazy("bukan barang mewah")


class BaseRounding(models.TextChoices):
    EXACT = "EXACT", gettext_lazy("DPP tidak dibulatkan sebelum dikalikan tarif")
    FLOOR = "FLOOR", gettext_lazy("DPP dibulatkan ke bawah ke rupiah penuh sebelum dikalikan tarif")


class ThresholdBasis(models.TextChoices):
    EXCL_PPN = "EXCL_PPN", gettext_lazy("nilai pembayaran tidak termasuk PPN")
    INCL_PPN = "INCL_PPN", gettext_lazy("nilai pembayaran termasuk PPN")


# How the explanation names each channel as the one that collects (or not).
COLLECTOR_PHRASE: Mapping[str, Any] = {
    Collector.BENDAHARA: gettext_lazy("oleh Bendahara Pengeluaran"),
    Collector.PIHAK_LAIN: gettext_lazy("oleh pihak lain yang ditunjuk"),
    Collector.KKP: gettext_lazy("pada pembayaran dengan KKP"),
}

TAX_ORDER: tuple[str, ...] = (Tax.PPN, Tax.PPH22, Tax.PPH23, Tax.PPH_FINAL)
# The names the quote uses for each tax (JSON keys, ``withheld_by_collector``).
OUTPUT_KEY: Mapping[str, str] = {
    Tax.PPN: "ppn",
    Tax.PPH22: "pph22",
    Tax.PPH23: "pph23",
    Tax.PPH_FINAL: "pph_final",
}
# The vendor's own taxes: when the collector does not collect them, the vendor accounts for
# them itself. PPh 22 and PPh 23 exist only when collected/withheld.
SELF_ACCOUNTED = frozenset({Tax.PPN, Tax.PPH_FINAL})
# Which vendor fact a tax needs (DOMAIN.md §6): "pkp", "no_suket" (PPh final replaces PPh
# 22/23 for a vendor with a valid Suket PPh Final on the invoice date), "suket".
TAX_VENDOR_CONDITION: Mapping[str, str] = {
    Tax.PPN: "pkp",
    Tax.PPH22: "no_suket",
    Tax.PPH23: "no_suket",
    Tax.PPH_FINAL: "suket",
}

MAX_LINES = 500
MAX_DENOMINATOR = 1_000_000
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = 1_000_000_000_000  # Rp1 triliun


# --- the case -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # LineKind
    quantity: int
    unit_price: int  # whole rupiah, excluding PPN
    luxury: bool = False

    @property
    def base(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class VendorFacts:
    pkp: bool
    has_npwp: bool
    # The vendor holds a verified Suket PPh Final; with a period, it counts only inside it.
    final_tax_certificate: bool = False
    final_tax_certificate_valid_from: date | None = None
    final_tax_certificate_valid_until: date | None = None

    def suket_valid_on(self, on: date) -> bool:
        if not self.final_tax_certificate:
            return False
        start, end = self.final_tax_certificate_valid_from, self.final_tax_certificate_valid_until
        return (start is None or start <= on) and (end is None or on <= end)


@dataclass(frozen=True, slots=True)
class TaxCase:
    date: date
    collector: str  # Collector
    vendor: VendorFacts
    lines: tuple[Line, ...]
    # Part of a split purchase (pemecahan transaksi): small-payment exemptions do not apply.
    split: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    code: str = "validation_error"  # "tax_rule_overlap": a conflict with existing rows


def case_problem(case: TaxCase) -> Problem | None:
    """Why the case cannot be quoted, or None."""
    if case.collector not in Collector.values:
        return Problem(
            "collector", _("Kanal pemungut harus salah satu dari: BENDAHARA, PIHAK_LAIN, KKP.")
        )
    vendor = case.vendor
    if vendor.pkp and not vendor.has_npwp:
        return Problem("vendor.pkp", _("Vendor PKP wajib memiliki NPWP."))
    if vendor.final_tax_certificate and not vendor.has_npwp:
        return Problem(
            "vendor.final_tax_certificate",
            _("Suket PPh Final hanya dimiliki wajib pajak yang memiliki NPWP."),
        )
    start, end = vendor.final_tax_certificate_valid_from, vendor.final_tax_certificate_valid_until
    if not vendor.final_tax_certificate and (start is not None or end is not None):
        return Problem(
            "vendor.final_tax_certificate",
            _("Masa berlaku Suket PPh Final hanya diisi bila vendor memiliki Suket."),
        )
    if start is not None and end is not None and end < start:
        return Problem(
            "vendor.final_tax_certificate_valid_until",
            _("Tanggal akhir Suket PPh Final harus sama dengan atau setelah tanggal mulai."),
        )
    if not case.lines:
        return Problem("lines", _("Faktur harus memiliki paling sedikit satu baris."))
    if len(case.lines) > MAX_LINES:
        return Problem("lines", _("Faktur paling banyak %(max)d baris.") % {"max": MAX_LINES})
    for number, line in enumerate(case.lines):
        where = f"lines[{number}]"
        if line.kind not in LineKind.values:
            return Problem(
                f"{where}.kind", _("Jenis baris harus goods (barang) atau services (jasa).")
            )
        if not _is_int(line.quantity) or not 1 <= line.quantity <= MAX_QUANTITY:
            return Problem(
                f"{where}.quantity",
                _("Kuantitas harus bilangan bulat 1 sampai %(max)s.")
                % {"max": f"{MAX_QUANTITY:,}".replace(",", ".")},
            )
        if not _is_int(line.unit_price) or not 1 <= line.unit_price <= MAX_UNIT_PRICE:
            return Problem(
                f"{where}.unit_price",
                _("Harga satuan harus rupiah bulat 1 sampai %(max)s (tidak termasuk PPN).")
                % {"max": format_idr(MAX_UNIT_PRICE)},
            )
        if line.luxury and line.kind != LineKind.GOODS:
            return Problem(f"{where}.luxury", _("Hanya barang yang dapat berupa barang mewah."))
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- the rule rows ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One tax rule row, as the engine sees it (``models.TaxRule.as_row()``)."""

    id: int
    tax: str
    collector: str
    kind: str  # KindCondition
    luxury: str  # LuxuryCondition
    rate: Fraction
    valid_from: date
    valid_to: date | None = None  # inclusive; None = open
    rate_without_npwp: Fraction | None = None  # None: the same rate
    base_fraction: Fraction = Fraction(1)  # 11/12: DPP nilai lain
    base_rounding: str = BaseRounding.EXACT
    threshold_idr: int | None = None  # the payment at most this is exempt (unless split)
    threshold_basis: str = ThresholdBasis.EXCL_PPN
    collected: bool = True  # False: the collector never collects it on this channel
    legal_basis: str = ""

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def matches(self, tax: str, collector: str, line: Line) -> bool:
        return (
            self.tax == tax
            and self.collector == collector
            and _kind_covers(self.kind, line.kind)
            and _luxury_covers(self.luxury, line.luxury)
        )

    def rate_for(self, *, has_npwp: bool) -> Fraction:
        if not has_npwp and self.rate_without_npwp is not None:
            return self.rate_without_npwp
        return self.rate


def _kind_covers(condition: str, kind: str) -> bool:
    return condition == KindCondition.ALL or (
        (condition == KindCondition.GOODS) == (kind == LineKind.GOODS)
    )


def _luxury_covers(condition: str, luxury: bool) -> bool:
    return condition == LuxuryCondition.ANY or (condition == LuxuryCondition.LUXURY) == luxury


def rule_problem(row: RuleRow) -> Problem | None:
    """Why a new rule row is not acceptable in itself, or None (overlaps: ``schedule_problem``)."""
    choices = (
        ("tax", row.tax, Tax),
        ("collector", row.collector, Collector),
        ("kind", row.kind, KindCondition),
        ("luxury", row.luxury, LuxuryCondition),
        ("base_rounding", row.base_rounding, BaseRounding),
        ("threshold_basis", row.threshold_basis, ThresholdBasis),
    )
    for name, value, enum in choices:
        if value not in enum.values:
            return Problem(
                name,
                _("Nilai %(field)s harus salah satu dari: %(values)s.")
                % {"field": name, "values": ", ".join(enum.values)},
            )
    for name, rate in (("rate", row.rate), ("rate_without_npwp", row.rate_without_npwp)):
        if rate is not None and not 0 <= rate <= 1:
            return Problem(name, _("Tarif harus antara 0% dan 100%."))
    fractions: tuple[tuple[str, Fraction | None], ...] = (
        ("rate", row.rate),
        ("rate_without_npwp", row.rate_without_npwp),
        ("base_fraction", row.base_fraction),
    )
    for field_name, fraction in fractions:
        # Real rates are simple fractions (11/100, 11/12); a huge denominator is a typo, and
        # would not fit the database's integer columns.
        if fraction is not None and fraction.denominator > MAX_DENOMINATOR:
            return Problem(
                field_name, _("Tarif atau pengali terlalu rinci: penyebut paling besar 1.000.000.")
            )
    if not 0 < row.base_fraction <= 1:
        return Problem("base_fraction", _("Pengali DPP harus lebih dari 0 dan paling besar 1."))
    if row.threshold_idr is not None and row.threshold_idr < 0:
        return Problem("threshold_idr", _("Batas nilai pembayaran tidak boleh negatif."))
    if row.valid_to is not None and row.valid_to < row.valid_from:
        return Problem("valid_to", _("Tanggal akhir harus sama dengan atau setelah tanggal mulai."))
    if row.tax == Tax.PPH22 and row.kind != KindCondition.GOODS:
        return Problem("kind", _("PPh 22 hanya dikenakan atas pembelian barang."))
    if row.tax == Tax.PPH23 and row.kind != KindCondition.SERVICES:
        return Problem("kind", _("PPh 23 hanya dikenakan atas jasa."))
    if row.luxury == LuxuryCondition.LUXURY and row.kind == KindCondition.SERVICES:
        return Problem("luxury", _("Hanya barang yang dapat berupa barang mewah."))
    if row.tax not in SELF_ACCOUNTED and not row.collected:
        return Problem(
            "collected",
            _(
                "PPh 22 dan PPh 23 hanya ada bila dipungut/dipotong; bila tidak dipungut, "
                "cukup tidak ada aturannya."
            ),
        )
    return None


def rows_overlap(a: RuleRow, b: RuleRow) -> bool:
    """Whether two rows could both apply to the same line on the same date."""
    return (
        a.tax == b.tax
        and a.collector == b.collector
        and _conditions_intersect(a.kind, b.kind, KindCondition.ALL)
        and _conditions_intersect(a.luxury, b.luxury, LuxuryCondition.ANY)
        and a.valid_from <= (b.valid_to or date.max)
        and b.valid_from <= (a.valid_to or date.max)
    )


def _conditions_intersect(a: str, b: str, wildcard: str) -> bool:
    return wildcard in (a, b) or a == b


def supersedes(new: RuleRow, old: RuleRow) -> bool:
    """A new open-ended row replaces an open-ended row of the same key that began earlier: the
    old one is closed the day before (a rule change is a new row; old dates keep old rules)."""
    return (
        (new.tax, new.collector, new.kind, new.luxury)
        == (old.tax, old.collector, old.kind, old.luxury)
        and new.valid_to is None
        and old.valid_to is None
        and old.valid_from < new.valid_from
    )


def schedule_problem(
    new: RuleRow, existing: Iterable[RuleRow], *, today: date
) -> tuple[Problem | None, RuleRow | None]:
    """(why the new row cannot be added, None) or (None, the open row it supersedes or None)."""
    if new.valid_from <= today:
        return (
            Problem(
                "valid_from",
                _(
                    "Aturan pajak tidak boleh berlaku surut: faktur lama tetap memakai aturan "
                    "pada tanggalnya. Pilih tanggal mulai besok atau sesudahnya."
                ),
            ),
            None,
        )
    conflicts = [row for row in existing if rows_overlap(new, row)]
    if len(conflicts) == 1 and supersedes(new, conflicts[0]):
        return None, conflicts[0]
    if conflicts:
        other = min(conflicts, key=lambda row: row.valid_from)
        return (
            Problem(
                "valid_from",
                _(
                    "Aturan ini bertumpang tindih dengan aturan #%(id)s (%(rule)s, berlaku "
                    "%(period)s). Untuk pajak, kanal pemungut dan syarat yang sama hanya boleh "
                    "ada satu aturan pada satu tanggal; pilih periode lain."
                )
                % {"id": other.id, "rule": describe_row(other), "period": period_text(other)},
                code="tax_rule_overlap",
            ),
            None,
        )
    return None, None


def describe_row(row: RuleRow) -> str:
    return ", ".join(
        (
            str(Tax(row.tax).label),
            str(Collector(row.collector).label),
            str(KindCondition(row.kind).label),
            str(LuxuryCondition(row.luxury).label),
        )
    )


def period_text(row: RuleRow) -> str:
    start = row.valid_from.strftime("%d/%m/%Y")
    if row.valid_to is None:
        return _("sejak %(start)s") % {"start": start}
    return f"{start}–{row.valid_to.strftime('%d/%m/%Y')}"


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaxFigure:
    tax: str
    amount: int  # the tax on the invoice
    collected: int  # the part the collector collects/withholds (its own deposit)

    @property
    def accounted_by_vendor(self) -> int:
        return self.amount - self.collected


@dataclass(frozen=True, slots=True)
class LineResult:
    line: int  # 1-based
    kind: str
    luxury: bool
    quantity: int
    unit_price: int
    base: int
    taxes: Mapping[str, int]  # OUTPUT_KEY → this line's share of the invoice figure


@dataclass(frozen=True, slots=True)
class Note:
    """One explained figure or decision."""

    figure: str  # "ppn", "pph22", ..., "base", "gross_total", "net_to_vendor", "vendor"
    text: str
    lines: tuple[int, ...] = ()  # 1-based
    rule_id: int | None = None
    amount: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteResult:
    date: date
    collector: str
    split: bool
    base: int
    dpp_nilai_lain: Fraction | None
    taxes: Mapping[str, TaxFigure]  # by Tax
    gross_total: int
    lines: tuple[LineResult, ...]
    explanation: tuple[Note, ...]

    def amount(self, tax: str) -> int:
        return self.taxes[tax].amount

    @property
    def collected_total(self) -> int:
        return sum(figure.collected for figure in self.taxes.values())

    @property
    def net_to_vendor(self) -> int:
        return self.gross_total - self.collected_total

    @property
    def withheld_by_collector(self) -> tuple[str, ...]:
        return tuple(OUTPUT_KEY[t] for t in TAX_ORDER if self.taxes[t].collected > 0)

    @property
    def accounted_by_vendor(self) -> tuple[str, ...]:
        return tuple(OUTPUT_KEY[t] for t in TAX_ORDER if self.taxes[t].accounted_by_vendor > 0)


# --- the engine ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    row: RuleRow
    lines: list[int]  # 0-based
    price: int = 0
    dpp: Fraction = Fraction(0)
    rate: Fraction = Fraction(0)
    exact: Fraction = Fraction(0)
    collected: bool = False
    levied: bool = False


def floor_idr(value: Fraction) -> int:
    """Round an exact amount down to a whole rupiah (the tax rule; amounts are never < 0)."""
    return value.numerator // value.denominator


def quote(case: TaxCase, rows: Iterable[RuleRow]) -> QuoteResult:
    """Every tax of the case under the rule rows in force on its date (see the module doc)."""
    problem = case_problem(case)
    if problem is not None:
        raise ValidationFailed(problem.message, details={"field": problem.field})
    in_force = [row for row in rows if row.in_force(case.date)]
    when = case.date.strftime("%d/%m/%Y")
    if not in_force:
        raise ValidationFailed(
            _("Belum ada aturan pajak yang berlaku pada tanggal %(date)s.") % {"date": when},
            code="tax_rules_missing",
            details={"field": "date"},
        )
    notes: list[Note] = []
    suket = case.vendor.suket_valid_on(case.date)
    notes.extend(_vendor_notes(case, suket))
    groups: dict[str, list[_Group]] = {}
    for tax in TAX_ORDER:
        groups[tax] = _match(tax, case, in_force, suket, notes)

    base_total = sum(line.base for line in case.lines)
    for tax in TAX_ORDER:
        for group in groups[tax]:
            _compute(group, case)
    ppn_charged = floor_idr(sum((g.exact for g in groups[Tax.PPN]), Fraction(0)))
    by = str(COLLECTOR_PHRASE[case.collector])
    for tax in TAX_ORDER:
        for group in groups[tax]:
            exempt, threshold_note = _threshold(group, case, base_total, ppn_charged)
            group.collected = group.row.collected and not exempt
            group.levied = tax in SELF_ACCOUNTED or group.collected
            notes.append(_group_note(tax, group, by))
            if threshold_note is not None:
                notes.append(threshold_note)

    figures: dict[str, TaxFigure] = {}
    line_taxes: list[dict[str, int]] = [{} for _line in case.lines]
    for tax in TAX_ORDER:
        levied = [g for g in groups[tax] if g.levied]
        amount = floor_idr(sum((g.exact for g in levied), Fraction(0)))
        collected = floor_idr(sum((g.exact for g in levied if g.collected), Fraction(0)))
        figures[tax] = TaxFigure(tax=tax, amount=amount, collected=collected)
        shares = [Fraction(0)] * len(case.lines)
        for group in levied:
            for index in group.lines:
                shares[index] += group.exact * case.lines[index].base / group.price
        for index, share in enumerate(allocate(amount, shares)):
            line_taxes[index][OUTPUT_KEY[tax]] = share
        if levied:
            notes.append(_total_note(tax, figures[tax], levied))

    dpp_parts = [g.dpp for g in groups[Tax.PPN] if g.row.base_fraction != 1]
    gross = base_total + figures[Tax.PPN].amount
    collected_total = sum(figure.collected for figure in figures.values())
    notes.insert(
        0,
        Note(
            "base",
            _("Dasar (harga tidak termasuk PPN): jumlah kuantitas × harga satuan = %(base)s.")
            % {"base": format_idr(base_total)},
            lines=tuple(range(1, len(case.lines) + 1)),
            amount=base_total,
        ),
    )
    notes.append(
        Note(
            "gross_total",
            _("Bruto faktur = dasar %(base)s + PPN %(ppn)s = %(gross)s.")
            % {
                "base": format_idr(base_total),
                "ppn": format_idr(figures[Tax.PPN].amount),
                "gross": format_idr(gross),
            },
            amount=gross,
        )
    )
    withheld = [str(Tax(t).label) for t in TAX_ORDER if figures[t].collected > 0]
    notes.append(
        Note(
            "net_to_vendor",
            _(
                "Diterima vendor = bruto %(gross)s − dipungut/dipotong %(by)s "
                "%(collected)s (%(taxes)s) = %(net)s."
            )
            % {
                "gross": format_idr(gross),
                "by": by,
                "collected": format_idr(collected_total),
                "taxes": ", ".join(withheld) or _("tidak ada"),
                "net": format_idr(gross - collected_total),
            },
            amount=gross - collected_total,
        )
    )
    return QuoteResult(
        date=case.date,
        collector=case.collector,
        split=case.split,
        base=base_total,
        dpp_nilai_lain=sum(dpp_parts, Fraction(0)) if dpp_parts else None,
        taxes=figures,
        gross_total=gross,
        lines=tuple(
            LineResult(
                line=index + 1,
                kind=line.kind,
                luxury=line.luxury,
                quantity=line.quantity,
                unit_price=line.unit_price,
                base=line.base,
                taxes=line_taxes[index],
            )
            for index, line in enumerate(case.lines)
        ),
        explanation=tuple(notes),
    )


def _vendor_notes(case: TaxCase, suket: bool) -> list[Note]:
    vendor = case.vendor
    notes = [
        Note(
            "vendor",
            _("Vendor PKP: PPN dikenakan.")
            if vendor.pkp
            else _("Vendor bukan PKP: tidak ada PPN."),
        )
    ]
    if not vendor.has_npwp:
        notes.append(Note("vendor", _("Vendor tanpa NPWP: berlaku tarif tanpa NPWP bila ada.")))
    if suket:
        notes.append(
            Note(
                "vendor",
                _(
                    "Suket PPh Final berlaku pada %(date)s: PPh final 0,5%% (PP 55/2022) "
                    "menggantikan PPh 22/PPh 23."
                )
                % {"date": case.date.strftime("%d/%m/%Y")},
            )
        )
    elif not vendor.final_tax_certificate:
        notes.append(
            Note(
                "vendor",
                _("Vendor tidak memiliki Suket PPh Final: PPh final tidak dikenakan."),
            )
        )
    else:
        notes.append(
            Note(
                "vendor",
                _(
                    "Suket PPh Final tidak berlaku pada %(date)s (masa berlaku %(start)s s.d. "
                    "%(end)s): PPh 22/PPh 23 berlaku."
                )
                % {
                    "date": case.date.strftime("%d/%m/%Y"),
                    "start": _date_or_dash(vendor.final_tax_certificate_valid_from),
                    "end": _date_or_dash(vendor.final_tax_certificate_valid_until),
                },
            )
        )
    return notes


def _date_or_dash(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "–"


def _vendor_meets(tax: str, case: TaxCase, suket: bool) -> bool:
    condition = TAX_VENDOR_CONDITION[tax]
    if condition == "pkp":
        return case.vendor.pkp
    if condition == "suket":
        return suket
    return not suket


def _match(
    tax: str, case: TaxCase, rows: Sequence[RuleRow], suket: bool, notes: list[Note]
) -> list[_Group]:
    """The groups of lines under each applicable row of ``tax``; notes for lines without one."""
    key = OUTPUT_KEY[tax]
    if not _vendor_meets(tax, case, suket):
        return []
    by_row: dict[int, _Group] = {}
    unmatched: list[int] = []
    for index, line in enumerate(case.lines):
        found = [row for row in rows if row.matches(tax, case.collector, line)]
        if len(found) > 1:
            raise DomainError(
                _(
                    "Aturan pajak bertumpang tindih (%(rules)s): hubungi Admin DJPb untuk "
                    "memperbaiki tabel aturan pajak."
                )
                % {"rules": ", ".join(f"#{row.id}" for row in found)},
                code="tax_rules_conflict",
                details={"rules": [row.id for row in found]},
            )
        if found:
            row = found[0]
            by_row.setdefault(row.id, _Group(row=row, lines=[])).lines.append(index)
        else:
            unmatched.append(index)
    if unmatched:
        notes.append(
            Note(
                key,
                _(
                    "%(tax)s tidak dikenakan atas baris %(lines)s: tidak ada aturan %(tax)s "
                    "untuk kanal %(collector)s yang berlaku pada %(date)s bagi baris itu."
                )
                % {
                    "tax": Tax(tax).label,
                    "lines": _lines_text(unmatched),
                    "collector": case.collector,
                    "date": case.date.strftime("%d/%m/%Y"),
                },
                lines=tuple(i + 1 for i in unmatched),
                amount=0,
            )
        )
    return list(by_row.values())


def _compute(group: _Group, case: TaxCase) -> None:
    row = group.row
    group.price = sum(case.lines[i].base for i in group.lines)
    dpp = row.base_fraction * group.price
    if row.base_rounding == BaseRounding.FLOOR:
        dpp = Fraction(floor_idr(dpp))
    group.dpp = dpp
    group.rate = row.rate_for(has_npwp=case.vendor.has_npwp)
    group.exact = dpp * group.rate


def _threshold(
    group: _Group, case: TaxCase, base_total: int, ppn_charged: int
) -> tuple[bool, Note | None]:
    """Whether the small-payment exemption of the group's row applies, and why."""
    row = group.row
    if row.threshold_idr is None or not row.collected:
        return False, None
    key = OUTPUT_KEY[row.tax]
    label = Tax(row.tax).label
    limit = format_idr(row.threshold_idr)
    if case.split:
        return False, Note(
            key,
            _(
                "Batas %(limit)s untuk %(tax)s (aturan #%(id)s) tidak berlaku: pembelian "
                "ini bagian dari transaksi yang dipecah (pemecahan transaksi)."
            )
            % {"limit": limit, "tax": label, "id": row.id},
            lines=_one_based(group.lines),
            rule_id=row.id,
        )
    if row.threshold_basis == ThresholdBasis.INCL_PPN:
        measure = base_total + ppn_charged
    else:
        measure = base_total
    exempt = measure <= row.threshold_idr
    values = {
        "measure": format_idr(measure),
        "basis": ThresholdBasis(row.threshold_basis).label,
        "limit": limit,
        "tax": label,
        "id": row.id,
    }
    if exempt:
        text = _(
            "Pembayaran %(measure)s (%(basis)s) tidak lebih dari batas %(limit)s (aturan "
            "#%(id)s) dan tidak dipecah: %(tax)s tidak dipungut/dipotong."
        )
    else:
        text = _(
            "Pembayaran %(measure)s (%(basis)s) melebihi batas %(limit)s (aturan #%(id)s): "
            "%(tax)s dipungut/dipotong."
        )
    return exempt, Note(
        key, text % values, lines=_one_based(group.lines), rule_id=row.id, amount=measure
    )


def _group_note(tax: str, group: _Group, by: str) -> Note:
    row = group.row
    price = format_idr(group.price)
    if row.base_fraction == 1:
        dpp_text = _("harga %(price)s") % {"price": price}
    else:
        dpp_text = _("DPP nilai lain %(fraction)s × %(price)s = %(dpp)s") % {
            "fraction": f"{row.base_fraction.numerator}/{row.base_fraction.denominator}",
            "price": price,
            "dpp": exact_idr(row.base_fraction * group.price),
        }
        if row.base_rounding == BaseRounding.FLOOR:
            dpp_text += _(", dibulatkan ke bawah menjadi %(dpp)s") % {"dpp": exact_idr(group.dpp)}
    rate = percent(group.rate)
    if group.rate != row.rate:
        rate = _("%(rate)s (tarif tanpa NPWP)") % {"rate": rate}
    if group.collected:
        who = _("dipungut/dipotong %(by)s") % {"by": by}
    elif group.levied:
        who = _("tidak dipungut %(by)s: disetor sendiri oleh vendor") % {"by": by}
    else:
        who = _("tidak dikenakan")
    text = _(
        "%(tax)s baris %(lines)s: %(dpp)s; × %(rate)s = %(exact)s; %(who)s. Aturan #%(id)s "
        "(berlaku %(period)s; %(basis)s)."
    ) % {
        "tax": Tax(tax).label,
        "lines": _lines_text(group.lines),
        "rate": rate,
        "dpp": dpp_text,
        "exact": exact_idr(group.exact),
        "who": who,
        "id": row.id,
        "period": period_text(row),
        "basis": row.legal_basis or "-",
    }
    return Note(OUTPUT_KEY[tax], text, lines=_one_based(group.lines), rule_id=row.id)


def _total_note(tax: str, figure: TaxFigure, levied: Sequence[_Group]) -> Note:
    exact = sum((g.exact for g in levied), Fraction(0))
    text = _(
        "%(tax)s = %(amount)s (jumlah eksak %(exact)s dibulatkan ke bawah ke rupiah penuh): "
        "dipungut/dipotong %(collected)s, disetor sendiri oleh vendor %(own)s."
    ) % {
        "tax": Tax(tax).label,
        "amount": format_idr(figure.amount),
        "exact": exact_idr(exact),
        "collected": format_idr(figure.collected),
        "own": format_idr(figure.accounted_by_vendor),
    }
    return Note(OUTPUT_KEY[tax], text, amount=figure.amount)


def _one_based(indexes: Iterable[int]) -> tuple[int, ...]:
    return tuple(i + 1 for i in indexes)


def _lines_text(indexes: Iterable[int]) -> str:
    return ", ".join(str(i + 1) for i in indexes)


def allocate(total: int, shares: Sequence[Fraction]) -> list[int]:
    """Split ``total`` over the lines by their exact shares: each gets its share rounded down,
    and the rupiah left go to the largest remainders (earlier lines first on ties)."""
    floors = [floor_idr(share) for share in shares]
    left = total - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return floors


def estimate_gross(
    rows: Iterable[RuleRow],
    *,
    on: date,
    collector: str,
    vendor: VendorFacts,
    lines: Sequence[Line],
    split: bool = False,
) -> int:
    """What leaves the UP for these lines (price + PPN): the amount an order's hold covers."""
    case = TaxCase(date=on, collector=collector, vendor=vendor, lines=tuple(lines), split=split)
    return quote(case, rows).gross_total


# --- presentation -------------------------------------------------------------------------


def percent(rate: Fraction) -> str:
    """12/100 → '12%', 3/200 → '1,5%', anything not a finite decimal → '1/3'."""
    value = rate * 100
    if value.denominator == 1:
        return f"{value.numerator}%"
    for places in range(1, 7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            whole, frac = divmod(scaled.numerator, 10**places)
            return f"{whole},{frac:0{places}d}%"
    return f"{rate.numerator}/{rate.denominator}"


def exact_idr(value: Fraction) -> str:
    """An exact amount for people: 'Rp 9.166.666,66…' (two decimals, '…' when cut short)."""
    whole = floor_idr(value)
    cents_exact = (value - whole) * 100
    cents = floor_idr(cents_exact)
    more = "…" if cents_exact != cents else ""
    return f"{format_idr(whole)},{cents:02d}{more}"


def parse_fraction(text: str) -> Fraction:
    """'12%', '1,5%', '3/200', '0.015' or '11/12' → an exact Fraction (never float); raises
    ValueError or ZeroDivisionError on anything else."""
    raw = text.strip().replace(" ", "").replace(",", ".")
    if not raw:
        raise ValueError("empty")
    if raw.endswith("%"):
        return Fraction(raw[:-1]) / 100
    return Fraction(raw)


def fraction_text(value: Fraction | None) -> str | None:
    """3/200 → '3/200', 12 → '12', None → None (exact, for JSON and the audit log)."""
    if value is None:
        return None
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def as_dict(result: QuoteResult) -> dict[str, Any]:
    """The quote as JSON-ready data (the API's ``TaxQuoteOut`` and ``digipay tax-quote``)."""
    dpp = result.dpp_nilai_lain
    return {
        "date": result.date.isoformat(),
        "collector": result.collector,
        "split": result.split,
        "base": result.base,
        "dpp_nilai_lain": floor_idr(dpp) if dpp is not None else None,
        "dpp_nilai_lain_exact": fraction_text(dpp) if dpp is not None else None,
        **{OUTPUT_KEY[t]: result.taxes[t].amount for t in TAX_ORDER},
        "taxes": [
            {
                "tax": OUTPUT_KEY[t],
                "label": str(Tax(t).label),
                "amount": result.taxes[t].amount,
                "withheld_by_collector": result.taxes[t].collected,
                "accounted_by_vendor": result.taxes[t].accounted_by_vendor,
            }
            for t in TAX_ORDER
        ],
        "withheld_by_collector": list(result.withheld_by_collector),
        "accounted_by_vendor": list(result.accounted_by_vendor),
        "collected_total": result.collected_total,
        "gross_total": result.gross_total,
        "net_to_vendor": result.net_to_vendor,
        "lines": [
            {
                "line": line.line,
                "kind": line.kind,
                "luxury": line.luxury,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "base": line.base,
                **{OUTPUT_KEY[t]: line.taxes[OUTPUT_KEY[t]] for t in TAX_ORDER},
            }
            for line in result.lines
        ],
        "explanation": [
            {
                "figure": note.figure,
                "lines": list(note.lines),
                "rule_id": note.rule_id,
                "amount": note.amount,
                "text": note.text,
            }
            for note in result.explanation
        ],
    }
