"""Ledger fixtures: a satker-like book with an asset that must not go negative."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from digipay.ledger import services as ledger
from digipay.ledger.models import Account, AccountKind
from digipay.ledger.rules import Leg, Side


@dataclass
class Book:
    owner: int
    up: Account  # UP Tunai: asset, must not go negative
    fund: Account  # UP fund advanced by the treasury: liability
    expense: Account
    vendor: Account
    tax: Account

    def advance(self, amount: int, key: str) -> None:
        ledger.post(
            key=key,
            tenant_id=self.owner,
            reason_code="UP_ADVANCE",
            legs=[Leg(self.up.pk, amount), Leg(self.fund.pk, -amount)],
        )


def make_book(owner: int) -> Book:
    def acc(code: str, kind: str, side: str, guard: bool = False) -> Account:
        return ledger.open_account(
            owner_id=owner,
            code=code,
            name=code,
            kind=kind,
            normal_side=side,
            must_not_go_negative=guard,
        )

    return Book(
        owner=owner,
        up=acc("UP_TUNAI", AccountKind.ASSET, Side.DEBIT, guard=True),
        fund=acc("UP_FUND", AccountKind.LIABILITY, Side.CREDIT),
        expense=acc("EXPENSE:521211", AccountKind.EXPENSE, Side.DEBIT),
        vendor=acc("VENDOR_PAYABLE:1", AccountKind.LIABILITY, Side.CREDIT),
        tax=acc("TAX_PAYABLE:PPH22", AccountKind.LIABILITY, Side.CREDIT),
    )


@pytest.fixture
def book(db: None) -> Book:
    return make_book(1001)
