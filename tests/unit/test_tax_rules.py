"""The pure tax engine (digipay.tax.rules) over the seeded rule rows of DOMAIN.md §6.

The rows are the ones the data migration ``tax/0002_seed`` writes (read from the migration, so
the unit tests check the seeded figures without a database); a few tests use hand-made rows
to exercise the settings (DPP rounding, threshold basis) and the overlap rules.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digipay.core.errors import DomainError, ValidationFailed
from digipay.tax import rules
from digipay.tax.rules import Line, QuoteResult, RuleRow, TaxCase, VendorFacts

_SEED = importlib.import_module("digipay.tax.migrations.0002_seed")


def _row(row_id: int, data: dict[str, Any]) -> RuleRow:
    no_npwp = None
    if data.get("rate_no_npwp_numerator") is not None:
        no_npwp = Fraction(data["rate_no_npwp_numerator"], data["rate_no_npwp_denominator"])
    return RuleRow(
        id=row_id,
        tax=data["tax"],
        collector=data["collector"],
        kind=data["kind"],
        luxury=data["luxury"],
        rate=Fraction(data["rate_numerator"], data["rate_denominator"]),
        rate_without_npwp=no_npwp,
        base_fraction=Fraction(data.get("base_numerator", 1), data.get("base_denominator", 1)),
        base_rounding=data.get("base_rounding", "EXACT"),
        threshold_idr=data.get("threshold_idr"),
        threshold_basis=data.get("threshold_basis", "EXCL_PPN"),
        collected=data.get("collected", True),
        valid_from=data["valid_from"],
        valid_to=data.get("valid_to"),
        legal_basis=data["legal_basis"],
    )


ROWS: tuple[RuleRow, ...] = tuple(_row(i, d) for i, d in enumerate(_SEED._rows(), start=1))

PKP = VendorFacts(pkp=True, has_npwp=True)
NON_PKP = VendorFacts(pkp=False, has_npwp=True)
NO_NPWP = VendorFacts(pkp=False, has_npwp=False)
SUKET = VendorFacts(pkp=False, has_npwp=True, final_tax_certificate=True)
D2025 = date(2025, 3, 3)  # "2025 rules" (after the luxury change of 1 February)


def goods(price: int, quantity: int = 1, *, luxury: bool = False) -> Line:
    return Line(kind="goods", quantity=quantity, unit_price=price, luxury=luxury)


def services(price: int, quantity: int = 1) -> Line:
    return Line(kind="services", quantity=quantity, unit_price=price)


def quote(
    *lines: Line,
    vendor: VendorFacts = PKP,
    collector: str = "BENDAHARA",
    on: date = D2025,
    split: bool = False,
    rows: tuple[RuleRow, ...] = ROWS,
) -> QuoteResult:
    case = TaxCase(date=on, collector=collector, vendor=vendor, lines=lines, split=split)
    return rules.quote(case, rows)


def figures(result: QuoteResult) -> dict[str, Any]:
    data = rules.as_dict(result)
    keys = ("base", "ppn", "pph22", "pph23", "pph_final", "gross_total", "net_to_vendor")
    return {key: data[key] for key in keys} | {"withheld": data["withheld_by_collector"]}


# --- DOMAIN.md §6 worked examples (2025 rules, collector BENDAHARA unless noted) -----------


def test_worked_example_goods_pkp() -> None:
    result = quote(goods(10_000_000))
    assert figures(result) == {
        "base": 10_000_000,
        "ppn": 1_100_000,
        "pph22": 150_000,
        "pph23": 0,
        "pph_final": 0,
        "gross_total": 11_100_000,
        "net_to_vendor": 9_850_000,
        "withheld": ["ppn", "pph22"],
    }
    # "plus the two deposits = 11,100,000"
    assert result.net_to_vendor + result.amount("PPN") + result.amount("PPH22") == 11_100_000
    assert result.dpp_nilai_lain == Fraction(27_500_000, 3)  # 11/12 × 10,000,000


def test_worked_example_goods_pkp_via_pihak_lain() -> None:
    result = quote(goods(10_000_000), collector="PIHAK_LAIN")
    assert figures(result) == {
        "base": 10_000_000,
        "ppn": 1_100_000,
        "pph22": 50_000,
        "pph23": 0,
        "pph_final": 0,
        "gross_total": 11_100_000,
        "net_to_vendor": 9_950_000,
        "withheld": ["ppn", "pph22"],
    }


def test_worked_example_services_pkp() -> None:
    result = quote(services(5_000_000))
    assert figures(result) == {
        "base": 5_000_000,
        "ppn": 550_000,
        "pph22": 0,
        "pph23": 100_000,
        "pph_final": 0,
        "gross_total": 5_550_000,
        "net_to_vendor": 4_900_000,
        "withheld": ["ppn", "pph23"],
    }


def test_worked_example_goods_pkp_paid_by_kkp() -> None:
    result = quote(goods(10_000_000), collector="KKP")
    assert figures(result) == {
        "base": 10_000_000,
        "ppn": 1_100_000,  # on the invoice, but not collected: the PKP accounts for it
        "pph22": 0,
        "pph23": 0,
        "pph_final": 0,
        "gross_total": 11_100_000,  # the card is charged 11,100,000
        "net_to_vendor": 11_100_000,
        "withheld": [],
    }
    assert result.accounted_by_vendor == ("ppn",)
    assert result.taxes["PPN"].collected == 0


def test_worked_example_goods_non_pkp_with_suket() -> None:
    result = quote(goods(3_000_000), vendor=SUKET)
    assert figures(result) == {
        "base": 3_000_000,
        "ppn": 0,
        "pph22": 0,
        "pph23": 0,
        "pph_final": 15_000,
        "gross_total": 3_000_000,
        "net_to_vendor": 2_985_000,
        "withheld": ["pph_final"],
    }


def test_worked_example_rounding() -> None:
    result = quote(goods(3_453_454))
    # 3,453,454 × 11/100 = 379,879.94 → 379,879; × 1.5% = 51,801.81 → 51,801.
    assert result.amount("PPN") == 379_879
    assert result.amount("PPH22") == 51_801
    assert result.net_to_vendor == 3_453_454 + 379_879 - 379_879 - 51_801


# --- thresholds and splitting ---------------------------------------------------------------


@pytest.mark.parametrize(("price", "pph22"), [(2_000_000, 0), (2_000_001, 30_000)])
def test_pph22_floor_is_at_most_2_juta_excluding_ppn(price: int, pph22: int) -> None:
    result = quote(goods(price), vendor=NON_PKP)
    assert result.amount("PPH22") == pph22
    assert result.net_to_vendor == price - pph22
    threshold = [n for n in result.explanation if n.figure == "pph22" and n.amount == price]
    assert threshold, "the explanation names the threshold and the measured payment"
    assert "Rp 2.000.000" in threshold[0].text


@pytest.mark.parametrize(
    ("price", "gross", "collected"),
    [
        (1_801_801, 1_999_999, False),  # PPN 198,198
        (1_801_802, 2_000_000, False),  # PPN 198,198 (198,198.22): at most 2 juta incl. PPN
        (1_801_803, 2_000_001, True),
    ],
)
def test_bendahara_ppn_threshold_is_measured_including_ppn(
    price: int, gross: int, collected: bool
) -> None:
    result = quote(goods(price))
    assert result.gross_total == gross
    assert result.amount("PPN") == 198_198
    assert (result.taxes["PPN"].collected == 198_198) is collected
    assert ("ppn" in result.accounted_by_vendor) is not collected
    assert result.amount("PPH22") == 0  # price ≤ 2 juta excluding PPN


def test_ppn_collected_but_no_pph22_between_the_two_bases() -> None:
    result = quote(goods(1_900_000))  # 1.9 juta excl. PPN, 2,109,000 incl.
    assert result.withheld_by_collector == ("ppn",)
    assert result.amount("PPH22") == 0
    assert result.net_to_vendor == 1_900_000


def test_a_split_purchase_loses_the_small_payment_exemptions() -> None:
    whole = quote(goods(2_000_000), vendor=NON_PKP)
    split = quote(goods(2_000_000), vendor=NON_PKP, split=True)
    assert whole.amount("PPH22") == 0
    assert split.amount("PPH22") == 30_000
    assert any("dipecah" in n.text for n in split.explanation)
    small_pkp = quote(goods(1_000_000), split=True)
    assert small_pkp.withheld_by_collector == ("ppn", "pph22")
    assert small_pkp.taxes["PPN"].collected == 110_000
    assert small_pkp.amount("PPH22") == 15_000


def test_pihak_lain_has_no_small_payment_floor() -> None:
    result = quote(goods(1_000_000), collector="PIHAK_LAIN")
    assert result.amount("PPH22") == 5_000
    assert result.taxes["PPN"].collected == 110_000


def test_the_floor_is_measured_on_the_whole_payment() -> None:
    # Goods of 1.5 juta in a payment of 2.5 juta: the payment is above the floor.
    result = quote(goods(1_500_000), services(1_000_000), vendor=NON_PKP)
    assert result.amount("PPH22") == 22_500
    assert result.amount("PPH23") == 20_000


# --- vendor facts -------------------------------------------------------------------------


def test_a_suket_expiring_between_two_invoices() -> None:
    vendor = VendorFacts(
        pkp=False,
        has_npwp=True,
        final_tax_certificate=True,
        final_tax_certificate_valid_from=date(2024, 4, 1),
        final_tax_certificate_valid_until=date(2025, 3, 31),
    )
    last_day = quote(goods(5_000_000), vendor=vendor, on=date(2025, 3, 31))
    assert (last_day.amount("PPH_FINAL"), last_day.amount("PPH22")) == (25_000, 0)
    assert last_day.net_to_vendor == 4_975_000
    day_after = quote(goods(5_000_000), vendor=vendor, on=date(2025, 4, 1))
    assert (day_after.amount("PPH_FINAL"), day_after.amount("PPH22")) == (0, 75_000)
    assert day_after.net_to_vendor == 4_925_000
    assert any("Suket PPh Final tidak berlaku" in n.text for n in day_after.explanation)
    before = quote(goods(5_000_000), vendor=vendor, on=date(2024, 3, 31))
    assert before.amount("PPH22") == 75_000


def test_a_vendor_without_npwp_pays_the_higher_rates() -> None:
    assert quote(goods(10_000_000), vendor=NO_NPWP).amount("PPH22") == 300_000
    assert quote(services(5_000_000), vendor=NO_NPWP).amount("PPH23") == 200_000
    # PIHAK_LAIN's 0.5% has no higher rate in DOMAIN.md.
    assert quote(goods(10_000_000), vendor=NO_NPWP, collector="PIHAK_LAIN").amount("PPH22") == (
        50_000
    )
    explained = quote(goods(10_000_000), vendor=NO_NPWP).explanation
    assert any("3% (tarif tanpa NPWP)" in note.text for note in explained)


def test_a_non_pkp_vendor_charges_no_ppn() -> None:
    result = quote(goods(10_000_000), vendor=NON_PKP)
    assert result.amount("PPN") == 0
    assert result.gross_total == 10_000_000
    assert result.net_to_vendor == 9_850_000


def test_suket_on_kkp_goods_is_accounted_by_the_vendor_and_services_still_withheld() -> None:
    goods_only = quote(goods(3_000_000), vendor=SUKET, collector="KKP")
    assert goods_only.amount("PPH_FINAL") == 15_000
    assert goods_only.withheld_by_collector == ()
    assert goods_only.accounted_by_vendor == ("pph_final",)
    assert goods_only.net_to_vendor == 3_000_000
    svc = quote(services(3_000_000), vendor=SUKET, collector="KKP")
    assert svc.withheld_by_collector == ("pph_final",)
    assert svc.net_to_vendor == 2_985_000


def test_suket_below_the_floor_is_accounted_by_the_vendor() -> None:
    result = quote(goods(1_500_000), vendor=SUKET)
    assert result.amount("PPH_FINAL") == 7_500
    assert result.withheld_by_collector == ()
    assert result.net_to_vendor == 1_500_000


def test_kkp_services_still_have_pph23_withheld() -> None:
    result = quote(services(5_000_000), collector="KKP")
    assert result.withheld_by_collector == ("pph23",)
    assert result.accounted_by_vendor == ("ppn",)
    assert result.net_to_vendor == 5_550_000 - 100_000


# --- mixed invoices, dates, luxury --------------------------------------------------------


def test_a_mixed_goods_and_services_invoice() -> None:
    result = quote(goods(1_500_000, quantity=2), services(2_000_000))
    assert figures(result) == {
        "base": 5_000_000,
        "ppn": 550_000,
        "pph22": 45_000,  # 1.5% of the goods' 3,000,000
        "pph23": 40_000,  # 2% of the services' 2,000,000
        "pph_final": 0,
        "gross_total": 5_550_000,
        "net_to_vendor": 5_550_000 - 550_000 - 45_000 - 40_000,
        "withheld": ["ppn", "pph22", "pph23"],
    }
    goods_line, services_line = rules.as_dict(result)["lines"]
    assert (goods_line["base"], goods_line["ppn"], goods_line["pph22"]) == (
        3_000_000,
        330_000,
        45_000,
    )
    assert goods_line["pph23"] == 0
    assert (services_line["ppn"], services_line["pph22"], services_line["pph23"]) == (
        220_000,
        0,
        40_000,
    )


def test_invoice_dated_2024_12_31_vs_2025_01_01() -> None:
    old = quote(goods(1_000), on=date(2024, 12, 31))
    new = quote(goods(1_000), on=date(2025, 1, 1))
    assert old.amount("PPN") == new.amount("PPN") == 110
    assert old.dpp_nilai_lain is None  # 11% of the price
    assert new.dpp_nilai_lain == Fraction(11_000, 12)  # 12% of DPP nilai lain 11/12
    old_rule = {n.rule_id for n in old.explanation if n.figure == "ppn" and n.rule_id}
    new_rule = {n.rule_id for n in new.explanation if n.figure == "ppn" and n.rule_id}
    assert old_rule
    assert new_rule
    assert old_rule.isdisjoint(new_rule)
    # 11% of the price and 12% of 11/12 of it are the same amount, exactly.
    assert quote(goods(3_453_454), on=date(2024, 12, 31)).amount("PPN") == 379_879


@pytest.mark.parametrize(
    ("on", "ppn"),
    [
        (date(2024, 12, 31), 110_000),  # 11% of the price
        (date(2025, 1, 1), 110_000),  # January 2025: 12% × DPP nilai lain 11/12
        (date(2025, 1, 31), 110_000),
        (date(2025, 2, 1), 120_000),  # 12% of the price
        (date(2026, 6, 1), 120_000),
    ],
)
def test_a_luxury_line_in_january_vs_february_2025(on: date, ppn: int) -> None:
    assert quote(goods(1_000_000, luxury=True), on=on).amount("PPN") == ppn
    assert quote(goods(1_000_000), on=on).amount("PPN") == 110_000


def test_luxury_and_non_luxury_lines_on_one_invoice() -> None:
    result = quote(goods(1_000_000, luxury=True), goods(1_000_000), on=date(2025, 2, 1))
    assert result.amount("PPN") == 230_000
    assert [line.taxes["ppn"] for line in result.lines] == [120_000, 110_000]


def test_no_rules_before_1_april_2022() -> None:
    with pytest.raises(ValidationFailed) as err:
        quote(goods(1_000), on=date(2022, 3, 31))
    assert err.value.code == "tax_rules_missing"
    assert quote(goods(1_000), on=date(2022, 4, 1)).amount("PPN") == 110


# --- settings on the rule rows ------------------------------------------------------------


def _with_ppn(**changes: Any) -> tuple[RuleRow, ...]:
    return tuple(
        replace(row, **changes) if row.tax == "PPN" and row.valid_from == date(2025, 1, 1) else row
        for row in ROWS
    )


def test_dpp_nilai_lain_rounding_is_a_setting_on_the_row() -> None:
    # DOMAIN.md §6: a Rp1,000 price gives Rp110 (exact DPP) or Rp109 (DPP rounded down first).
    assert quote(goods(1_000)).amount("PPN") == 110
    floored = quote(goods(1_000), rows=_with_ppn(base_rounding="FLOOR"))
    assert floored.amount("PPN") == 109
    assert floored.dpp_nilai_lain == 916
    assert any("dibulatkan ke bawah menjadi Rp 916" in n.text for n in floored.explanation)


def test_the_ppn_threshold_basis_is_a_setting_on_the_row() -> None:
    including = quote(goods(1_900_000))
    excluding = quote(goods(1_900_000), rows=_with_ppn(threshold_basis="EXCL_PPN"))
    assert including.taxes["PPN"].collected == 209_000
    assert excluding.taxes["PPN"].collected == 0
    assert excluding.taxes["PPN"].accounted_by_vendor == 209_000


def test_overlapping_rows_are_refused_by_the_engine() -> None:
    extra = replace(ROWS[0], id=999, valid_from=date(2022, 4, 1), valid_to=None)
    with pytest.raises(DomainError) as err:
        quote(goods(1_000), rows=(*ROWS, extra))
    assert err.value.code == "tax_rules_conflict"


def test_the_seeded_rows_never_overlap() -> None:
    for i, a in enumerate(ROWS):
        assert rules.rule_problem(a) is None, a
        for b in ROWS[i + 1 :]:
            assert not rules.rows_overlap(a, b), (a.id, b.id)


# --- adding rows: overlap, supersession, no retroactive change ----------------------------


def _new(**changes: Any) -> RuleRow:
    base = RuleRow(
        id=0,
        tax="PPN",
        collector="BENDAHARA",
        kind="ALL",
        luxury="NON_LUXURY",
        rate=Fraction(13, 100),
        base_fraction=Fraction(11, 12),
        valid_from=date(2027, 1, 1),
        legal_basis="uji",
    )
    return replace(base, **changes)


def test_a_new_open_row_supersedes_the_open_row_of_the_same_key() -> None:
    problem, superseded = rules.schedule_problem(_new(), ROWS, today=date(2026, 6, 1))
    assert problem is None
    assert superseded is not None
    assert (superseded.tax, superseded.kind, superseded.luxury, superseded.valid_to) == (
        "PPN",
        "ALL",
        "NON_LUXURY",
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "GOODS"},  # a narrower condition meets the open ALL row
        {"valid_to": date(2027, 6, 30)},  # a bounded row would leave a gap after it
        {"luxury": "ANY"},  # meets the luxury rows too
        {"valid_from": date(2025, 1, 1)},  # same start as the row in force
    ],
)
def test_overlapping_rows_are_refused_with_a_message(changes: dict[str, Any]) -> None:
    problem, superseded = rules.schedule_problem(_new(**changes), ROWS, today=date(2024, 12, 31))
    assert superseded is None
    assert problem is not None
    assert problem.code == "tax_rule_overlap"
    assert "bertumpang tindih dengan aturan #" in problem.message


def test_a_row_for_another_collector_does_not_overlap() -> None:
    other = [r for r in ROWS if r.collector != "BENDAHARA"]
    assert rules.schedule_problem(_new(), other, today=date(2026, 1, 1)) == (None, None)


def test_rows_never_start_in_the_past() -> None:
    problem, _superseded = rules.schedule_problem(_new(), ROWS, today=date(2027, 1, 2))
    assert problem is not None
    assert "berlaku surut" in problem.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate": Fraction(101, 100)}, "rate"),
        ({"rate_without_npwp": Fraction(-1, 100)}, "rate_without_npwp"),
        ({"base_fraction": Fraction(0)}, "base_fraction"),
        ({"tax": "PPH22", "kind": "SERVICES"}, "kind"),
        ({"tax": "PPH23", "kind": "GOODS"}, "kind"),
        ({"tax": "PPH22", "kind": "GOODS", "collected": False}, "collected"),
        ({"kind": "SERVICES", "luxury": "LUXURY"}, "luxury"),
        ({"valid_to": date(2026, 12, 31)}, "valid_to"),
        ({"collector": "BANK"}, "collector"),
        ({"threshold_idr": -1}, "threshold_idr"),
    ],
)
def test_bad_rows_are_refused(changes: dict[str, Any], field: str) -> None:
    problem = rules.rule_problem(_new(**changes))
    assert problem is not None
    assert problem.field == field


# --- bad cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_changes", "field"),
    [
        ({"vendor": VendorFacts(pkp=True, has_npwp=False)}, "vendor.pkp"),
        (
            {"vendor": VendorFacts(pkp=False, has_npwp=False, final_tax_certificate=True)},
            "vendor.final_tax_certificate",
        ),
        (
            {
                "vendor": VendorFacts(
                    pkp=False,
                    has_npwp=True,
                    final_tax_certificate=True,
                    final_tax_certificate_valid_from=date(2025, 2, 1),
                    final_tax_certificate_valid_until=date(2025, 1, 1),
                )
            },
            "vendor.final_tax_certificate_valid_until",
        ),
        ({"lines": ()}, "lines"),
        ({"lines": (services(1_000), Line("services", 1, 1_000, luxury=True))}, "lines[1].luxury"),
        ({"lines": (goods(0),)}, "lines[0].unit_price"),
        ({"lines": (goods(1_000, quantity=0),)}, "lines[0].quantity"),
        ({"lines": (Line("rent", 1, 1_000),)}, "lines[0].kind"),
        ({"collector": "BANK"}, "collector"),
    ],
)
def test_bad_cases_are_refused_in_bahasa_indonesia(
    case_changes: dict[str, Any], field: str
) -> None:
    case = replace(
        TaxCase(date=D2025, collector="BENDAHARA", vendor=PKP, lines=(goods(1_000),)),
        **case_changes,
    )
    with pytest.raises(ValidationFailed) as err:
        rules.quote(case, ROWS)
    assert err.value.details == {"field": field}
    assert err.value.status == 422


# --- helpers --------------------------------------------------------------------------------


def test_estimate_gross_is_price_plus_ppn() -> None:
    lines = [goods(10_000_000), services(5_000_000)]
    for collector in ("BENDAHARA", "PIHAK_LAIN", "KKP"):
        assert (
            rules.estimate_gross(ROWS, on=D2025, collector=collector, vendor=PKP, lines=lines)
            == 16_650_000
        )
    assert (
        rules.estimate_gross(ROWS, on=D2025, collector="KKP", vendor=NON_PKP, lines=lines)
        == 15_000_000
    )


def test_allocate_gives_the_rupiah_left_to_the_largest_remainders() -> None:
    shares = [Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)]
    assert rules.allocate(1, shares) == [1, 0, 0]
    assert rules.allocate(3, [Fraction(5, 2), Fraction(1, 2)]) == [3, 0]
    assert rules.allocate(0, [Fraction(0)]) == [0]


@pytest.mark.parametrize(
    ("rate", "text"),
    [(Fraction(12, 100), "12%"), (Fraction(3, 200), "1,5%"), (Fraction(1, 3), "1/3")],
)
def test_percent(rate: Fraction, text: str) -> None:
    assert rules.percent(rate) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [("12%", Fraction(12, 100)), ("1,5%", Fraction(3, 200)), ("11/12", Fraction(11, 12))],
)
def test_parse_fraction(text: str, value: Fraction) -> None:
    assert rules.parse_fraction(text) == value


# --- properties -----------------------------------------------------------------------------

collectors = st.sampled_from(["BENDAHARA", "PIHAK_LAIN", "KKP"])
quantities = st.integers(min_value=1, max_value=1_000)
prices = st.integers(min_value=1, max_value=2_000_000_000)


@st.composite
def lines_strategy(draw: st.DrawFn, *, luxury: bool = True) -> tuple[Line, ...]:
    count = draw(st.integers(min_value=1, max_value=5))
    out = []
    for _ in range(count):
        kind = draw(st.sampled_from(["goods", "services"]))
        is_luxury = luxury and kind == "goods" and draw(st.booleans())
        out.append(Line(kind, draw(quantities), draw(prices), luxury=is_luxury))
    return tuple(out)


@st.composite
def vendors(draw: st.DrawFn) -> VendorFacts:
    has_npwp = draw(st.booleans())
    pkp = has_npwp and draw(st.booleans())
    suket = has_npwp and draw(st.booleans())
    start = until = None
    if suket and draw(st.booleans()):
        start = draw(st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31)))
        until = start + timedelta(days=draw(st.integers(min_value=0, max_value=1_000)))
    return VendorFacts(
        pkp=pkp,
        has_npwp=has_npwp,
        final_tax_certificate=suket,
        final_tax_certificate_valid_from=start,
        final_tax_certificate_valid_until=until,
    )


@settings(max_examples=300)
@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    collectors,
    lines_strategy(luxury=False),
    st.booleans(),
)
def test_non_luxury_ppn_from_2025_is_floor_of_11_percent_of_the_price(
    on: date, collector: str, lines: tuple[Line, ...], split: bool
) -> None:
    result = quote(*lines, on=on, collector=collector, split=split)
    price = sum(line.base for line in lines)
    assert result.amount("PPN") == price * 11 // 100
    for line in lines:
        single = quote(line, on=on, collector=collector)
        assert single.amount("PPN") == line.base * 11 // 100


@settings(max_examples=300)
@given(
    st.dates(min_value=date(2022, 4, 1), max_value=date(2030, 12, 31)),
    collectors,
    vendors(),
    lines_strategy(),
    st.booleans(),
)
def test_invariants_of_every_quote(
    on: date, collector: str, vendor: VendorFacts, lines: tuple[Line, ...], split: bool
) -> None:
    result = quote(*lines, vendor=vendor, collector=collector, on=on, split=split)
    price = sum(line.base for line in lines)
    assert result.base == price
    for tax, figure in result.taxes.items():
        assert figure.amount >= 0
        assert 0 <= figure.collected <= figure.amount
        assert sum(line.taxes[rules.OUTPUT_KEY[tax]] for line in result.lines) == figure.amount
        assert all(line.taxes[rules.OUTPUT_KEY[tax]] >= 0 for line in result.lines)
    collected = sum(result.taxes[t].collected for t in rules.TAX_ORDER)
    assert result.net_to_vendor + collected == result.gross_total
    assert result.gross_total == price + result.amount("PPN")
    assert 0 <= result.net_to_vendor <= result.gross_total
    if not vendor.pkp:
        assert result.amount("PPN") == 0
    suket = vendor.suket_valid_on(on)
    if suket:
        assert result.amount("PPH22") == result.amount("PPH23") == 0
    else:
        assert result.amount("PPH_FINAL") == 0
    if collector == "KKP":
        assert result.amount("PPH22") == 0
        assert result.taxes["PPN"].collected == 0
    data = rules.as_dict(result)
    assert set(data["withheld_by_collector"]) == {
        rules.OUTPUT_KEY[t] for t in rules.TAX_ORDER if result.taxes[t].collected
    }
    assert data["net_to_vendor"] == data["gross_total"] - data["collected_total"]


def test_a_row_cannot_start_today() -> None:
    """Invoices dated today were already quoted under today's rows: a row starting today would
    give one day two rule sets (a credit note on this morning's invoice would be quoted under
    other rates than the invoice)."""
    problem, _superseded = rules.schedule_problem(
        _new(valid_from=date(2027, 1, 1)), ROWS, today=date(2027, 1, 1)
    )
    assert problem is not None
    assert problem.field == "valid_from"
    assert (
        rules.schedule_problem(_new(valid_from=date(2027, 1, 2)), ROWS, today=date(2027, 1, 1))[0]
        is None
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"rate": Fraction(1, 10**22)},
        {"rate_without_npwp": Fraction(3, 1_000_001)},
        {"base_fraction": Fraction(999_999, 1_000_001)},
    ],
)
def test_absurdly_fine_rates_are_refused(changes: dict[str, Any]) -> None:
    problem = rules.rule_problem(_new(**changes))
    assert problem is not None
    assert problem.field == next(iter(changes))
    assert "penyebut" in problem.message


@settings(max_examples=200)
@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    st.lists(st.tuples(st.integers(1, 50), st.integers(1, 5_000_000)), min_size=1, max_size=6),
    st.booleans(),
)
def test_bendahara_goods_taxes_match_independent_formulas(
    on: date, items: list[tuple[int, int]], has_npwp: bool
) -> None:
    """Independently of the engine's own bookkeeping: goods from a vendor (PKP when it has an
    NPWP) paid by the Bendahara. Above the floors, PPN = floor(price × 11/100) and PPh 22 =
    floor(price × 1,5%) (3% without NPWP) are collected, and the vendor receives price + PPN
    minus exactly those two amounts."""
    lines = tuple(goods(price, quantity) for quantity, price in items)
    price = sum(quantity * unit for quantity, unit in items)
    vendor = VendorFacts(pkp=has_npwp, has_npwp=has_npwp)
    result = quote(*lines, vendor=vendor, on=on)
    ppn = price * 11 // 100 if has_npwp else 0
    pph22 = price * (15 if has_npwp else 30) // 1000 if price > 2_000_000 else 0
    ppn_collected = ppn if price + ppn > 2_000_000 else 0
    assert result.amount("PPN") == ppn
    assert result.taxes["PPN"].collected == ppn_collected
    assert result.amount("PPH22") == pph22
    assert result.taxes["PPH22"].collected == pph22
    assert result.gross_total == price + ppn
    assert result.net_to_vendor == price + ppn - ppn_collected - pph22
