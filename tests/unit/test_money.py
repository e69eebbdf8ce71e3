from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.core.money import Money, format_idr


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp 0"),
        (999, "Rp 999"),
        (1_234_567, "Rp 1.234.567"),
        (11_100_000, "Rp 11.100.000"),
        (-2_500, "-Rp 2.500"),
    ],
)
def test_format_idr_uses_dots_for_thousands(amount: int, text: str) -> None:
    assert format_idr(amount) == text
    assert str(Money(amount)) == text


@pytest.mark.parametrize("bad", [1.5, Decimal("10"), "10", True])
def test_money_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError):
        Money(bad)  # type: ignore[arg-type]


def test_money_arithmetic_stays_integer() -> None:
    assert Money(100) + Money(50) == Money(150)
    assert Money(100) - Money(150) == Money(-50)
    assert Money(7) * 3 == Money(21)
    with pytest.raises(TypeError):
        Money(7) * 1.1  # type: ignore[operator]


def test_floor_rounds_down_exact_values() -> None:
    # DOMAIN.md §6: non-luxury PPN from 2025 equals floor(price × 11/100), computed exactly.
    assert Money.floor(Fraction(3_453_454 * 11, 100)) == Money(379_879)
    assert Money.floor(Decimal("51801.81")) == Money(51_801)
    assert Money.floor(Fraction(-1, 3)) == Money(-1)
    with pytest.raises(TypeError):
        Money.floor(0.5)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**15))
def test_format_idr_round_trips(amount: int) -> None:
    text = format_idr(amount)
    assert text.startswith("Rp ")
    assert int(text[3:].replace(".", "")) == amount
