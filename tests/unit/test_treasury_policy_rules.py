from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.policy import rules as policy_rules
from digipay.policy.rules import PolicyKey, Unit
from digipay.treasury import rules


def test_official_worked_example_splits_500_juta_into_300_and_200() -> None:
    # DOMAIN.md §5: DIPA UP-eligible Rp6 miliar/year → UP Rp500 juta → Tunai 300 + KKP 200.
    assert rules.split_up(500_000_000, Fraction(2, 5)) == (300_000_000, 200_000_000)


@given(st.integers(min_value=1, max_value=10**13), st.fractions(min_value=0, max_value=1))
def test_split_conserves_every_rupiah_and_rounds_kkp_down(amount: int, share: Fraction) -> None:
    tunai, kkp = rules.split_up(amount, share)
    assert tunai + kkp == amount
    assert kkp == amount * share.numerator // share.denominator
    assert 0 <= kkp <= amount


def _ceiling(amount: int, budget: int = 6_000_000_000, approval: str = "") -> str | None:
    return rules.up_ceiling_error(
        amount=amount,
        annual_budget=budget,
        max_fraction=Fraction(1, 12),
        ceiling=500_000_000,
        kanwil_approval_ref=approval,
    )


def test_up_ceiling_rules() -> None:
    assert _ceiling(500_000_000) is None
    assert "1/12" in (_ceiling(500_000_001) or "")  # 6 miliar / 12 = 500 juta exactly
    big_budget = 12_000_000_000
    assert "Kanwil" in (_ceiling(600_000_000, big_budget) or "")
    assert _ceiling(600_000_000, big_budget, approval="S-123/WPB.12/2026") is None
    assert _ceiling(0) is not None
    assert _ceiling(10, budget=0) is not None


@pytest.mark.parametrize(
    ("sp2d", "extensions", "due"),
    [
        (date(2026, 1, 31), 0, date(2026, 2, 28)),
        (date(2026, 3, 15), 1, date(2026, 5, 15)),
        (date(2026, 11, 30), 2, date(2027, 2, 28)),
    ],
)
def test_tup_due_dates(sp2d: date, extensions: int, due: date) -> None:
    assert rules.tup_due_date(sp2d, extensions) == due


@pytest.mark.parametrize(
    ("ref", "last4", "ok"),
    [
        ("BRI-KKP-415256-01", "4821", True),
        ("4111111111111111", "1111", False),  # a real-looking PAN (Luhn-valid) is refused
        ("ref 4111 1111 1111 1111", "1111", False),
        ("1234567890123", "0123", True),  # 13 digits, not Luhn-valid: a bank reference
        ("BRI-1", "48a1", False),
        ("", "4821", False),
    ],
)
def test_card_data_never_takes_a_card_number(ref: str, last4: str, ok: bool) -> None:
    assert (rules.card_data_error(bank_card_ref=ref, last4=last4) is None) is ok


def test_card_limit_within_satker_kkp() -> None:
    assert rules.card_limit_error(card_limit=50_000_000, satker_kkp=200_000_000) is None
    assert rules.card_limit_error(card_limit=200_000_001, satker_kkp=200_000_000)
    assert rules.card_limit_error(card_limit=0, satker_kkp=200_000_000)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("50000000", Unit.IDR, Fraction(50_000_000)),
        ("Rp50.000.000", Unit.IDR, Fraction(50_000_000)),
        ("40%", Unit.RATIO, Fraction(2, 5)),
        ("1/12", Unit.RATIO, Fraction(1, 12)),
        ("0,5", Unit.RATIO, Fraction(1, 2)),
        ("3", Unit.WORKDAYS, Fraction(3)),
    ],
)
def test_parse_policy_values_exactly(text: str, unit: str, value: Fraction) -> None:
    assert policy_rules.parse_value(text, unit) == value


def test_policy_value_checks() -> None:
    assert policy_rules.value_error(PolicyKey.KKP_SHARE, Fraction(2, 5)) is None
    assert policy_rules.value_error(PolicyKey.KKP_SHARE, Fraction(3, 2))
    assert policy_rules.value_error(PolicyKey.UP_CEILING, Fraction(1, 2))
    assert policy_rules.value_error(PolicyKey.NEGO_MAX_ROUNDS, Fraction(-1))


def test_policy_schedule_never_retroactive() -> None:
    today = date(2026, 11, 28)
    current = policy_rules.Period(date(2024, 1, 1), None)
    assert policy_rules.schedule_error(valid_from=today, today=today, current=current) is None
    assert policy_rules.schedule_error(valid_from=date(2026, 11, 27), today=today, current=current)
    future = policy_rules.Period(date(2027, 1, 1), None)
    assert policy_rules.schedule_error(valid_from=date(2026, 12, 1), today=today, current=future)
    assert policy_rules.display(Fraction(2, 5), Unit.RATIO) == "40%"
    assert policy_rules.display(Fraction(1, 12), Unit.RATIO) == "1/12"
