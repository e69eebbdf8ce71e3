"""Pure rules of replenishment: the GUP threshold (exact, at the boundary), SPM numbers, the
tax codes SPAN wants, what SPAN would refuse in a listing, the sanction calendar and the cut."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from digipay.replenishment import rules
from digipay.replenishment.rules import ListedInvoice, SanctionLevel

HALF = Fraction(1, 2)


@pytest.mark.parametrize(
    ("spent", "up", "ready"),
    [
        (150_000_000, 300_000_000, True),
        (149_999_999, 300_000_000, False),
        (150_000_001, 300_000_000, True),
        (1, 1, True),
        (0, 300_000_000, False),
        (5, 0, False),
        (150_000_000, 300_000_001, False),  # half of an odd amount rounds up
        (150_000_001, 300_000_001, True),
    ],
)
def test_gup_threshold_is_exact(spent: int, up: int, ready: bool) -> None:
    assert rules.gup_ready(spent=spent, up_tunai=up, threshold=HALF) is ready


def test_threshold_amount_rounds_up() -> None:
    assert rules.threshold_amount(300_000_000, HALF) == 150_000_000
    assert rules.threshold_amount(300_000_001, HALF) == 150_000_001
    assert rules.threshold_amount(100, Fraction(1, 3)) == 34
    assert rules.gup_ready(spent=34, up_tunai=100, threshold=Fraction(1, 3))
    assert not rules.gup_ready(spent=33, up_tunai=100, threshold=Fraction(1, 3))


def test_spm_numbers_carry_kind_satker_and_year() -> None:
    assert rules.spm_number("GUP", 1, "415256", 2026) == "00001/GUP/415256/2026"
    assert rules.spm_number("GUP_KKP", 12, "415256", 2026) == "00012/GUPKKP/415256/2026"
    assert rules.spm_number("PTUP", 3, "415256", 2027) == "00003/PTUP/415256/2027"
    assert len(rules.spm_number("GUP_KKP", 99999, "415256", 2026)) <= 40


def test_npwp16() -> None:
    assert rules.npwp16("07.390.996.2-411.000") == "0073909962411000"
    assert rules.npwp16("0073909962411000") == "0073909962411000"
    assert rules.npwp16("000000000000000") == "0000000000000000"
    assert rules.npwp16("") == "0000000000000000"


def test_tax_codes_map_names_to_account_codes_and_drop_zeros() -> None:
    assert rules.tax_codes({"PPN": 1_100_000, "PPH22": 150_000, "PPH23": 0}) == {
        "411211": 1_100_000,
        "411122": 150_000,
    }
    assert rules.tax_codes({"PPH_FINAL": 15_000}) == {"411128": 15_000}
    assert rules.tax_codes({}) == {}


def test_listing_errors() -> None:
    good = ListedInvoice(
        "INV/415256/2026/00001", 11_100_000, 9_850_000, {"411211": 1_100_000, "411122": 150_000}
    )
    assert rules.listing_error([good]) is None
    assert rules.listing_error([good, good]) is not None  # twice
    wrong_net = ListedInvoice("INV-2", 1_000, 999, {"411211": 2})
    assert rules.listing_error([wrong_net]) is not None
    bad_number = ListedInvoice("/INV 3", 1_000, 1_000, {})
    assert rules.listing_error([bad_number]) is not None
    zero = ListedInvoice("INV-4", 0, 0, {})
    assert rules.listing_error([zero]) is not None


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (date(2026, 3, 14), None),
        (date(2026, 3, 15), SanctionLevel.WARNING),
        (date(2026, 4, 14), SanctionLevel.WARNING),
        (date(2026, 4, 15), SanctionLevel.CUT),
        (date(2026, 12, 31), SanctionLevel.CUT),
    ],
)
def test_sanction_calendar(today: date, level: str | None) -> None:
    since = date(2026, 1, 15)
    assert rules.sanction_level(since=since, today=today, warning_months=2, cut_months=3) == level


def test_sanction_months_end_on_the_last_day_of_short_months() -> None:
    since = date(2026, 11, 30)
    assert (
        rules.sanction_level(since=since, today=date(2027, 1, 29), warning_months=2, cut_months=3)
        is None
    )
    assert (
        rules.sanction_level(since=since, today=date(2027, 1, 30), warning_months=2, cut_months=3)
        == SanctionLevel.WARNING
    )
    assert (
        rules.sanction_level(since=since, today=date(2027, 2, 28), warning_months=2, cut_months=3)
        == SanctionLevel.CUT
    )


def test_cut_amount_rounds_down() -> None:
    assert rules.cut_amount(500_000_000, Fraction(1, 4)) == 125_000_000
    assert rules.cut_amount(500_000_003, Fraction(1, 4)) == 125_000_000
    assert rules.cut_amount(0, Fraction(1, 4)) == 0
