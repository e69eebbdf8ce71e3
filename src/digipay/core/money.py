"""Money as whole rupiah.

Amounts are Python ``int`` in the database (``BigIntegerField`` named ``*_idr``). ``Money`` wraps
an int for code that wants a type: it refuses float and Decimal (use ``Money.floor`` to bring an
exact tax amount back to whole rupiah), so a rounding error cannot sneak in through arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import SupportsIndex


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in whole rupiah (may be negative for ledger arithmetic)."""

    idr: int

    def __post_init__(self) -> None:
        if isinstance(self.idr, bool) or not isinstance(self.idr, int):
            raise TypeError("Money takes whole rupiah as int, never float or Decimal")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def floor(cls, value: Decimal | Fraction | int) -> Money:
        """Round an exact amount down to a whole rupiah (tax rule: round down, at the end)."""
        if isinstance(value, float):
            raise TypeError("float is not allowed in money arithmetic")
        if isinstance(value, Decimal):
            return cls(int(value.to_integral_value(rounding=ROUND_FLOOR)))
        if isinstance(value, Fraction):
            return cls(value.numerator // value.denominator)
        return cls(value)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.idr + other.idr)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.idr - other.idr)

    def __mul__(self, factor: SupportsIndex) -> Money:
        if isinstance(factor, float | Decimal | Fraction):
            return NotImplemented
        return Money(self.idr * int(factor))

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.idr)

    def __bool__(self) -> bool:
        return self.idr != 0

    def __str__(self) -> str:
        return format_idr(self.idr)


def format_idr(amount: int) -> str:
    """Format whole rupiah the Indonesian way: ``Rp 1.234.567`` (negative: ``-Rp 1.234``)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("format_idr takes whole rupiah as int")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}Rp {grouped}"
