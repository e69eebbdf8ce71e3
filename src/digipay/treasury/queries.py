"""Reads: the UP position of a satker, its KKP share, allocations, cards, ledger views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from fractions import Fraction

from django.db.models import QuerySet, Sum

from digipay.accounts.models import Organisation
from digipay.core import clock
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Posting
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.treasury.models import CardStatus, KkpCard, KkpShareSetting, UpAllocation, UpKind

SPENDING_REASONS_EXCLUDED = ("UP_RETURN", "UP_ADVANCE", "TUP_ADVANCE", "GUP_REPLENISHED")


def kkp_share(satker: Organisation, on: date) -> Fraction:
    """The satker's KKP share: the Kanwil's latest setting, else the national policy."""
    setting = KkpShareSetting.objects.filter(satker=satker).first()
    if setting is not None:
        return Fraction(setting.share_numerator, setting.share_denominator)
    return policy.value_in_force(PolicyKey.KKP_SHARE, on)


def _balance(satker: Organisation, code: str) -> ledger_queries.Balance:
    """A satker account's balance; zero for an account never opened (reads create nothing)."""
    account = ledger_queries.account_by_code(int(satker.pk), code)
    if account is None:
        return ledger_queries.Balance(0, code, code, 0, 0, 0)
    return ledger_queries.balance_of(account)


def kkp_allocated(satker: Organisation) -> int:
    """UP KKP received and not returned: the satker's card ceiling."""
    return _balance(satker, "UP_FUND:KKP").posted


@dataclass(frozen=True, slots=True)
class Position:
    """One part of UP (Tunai or KKP) as the treasurer reads it."""

    label: str
    allocated: int
    posted: int
    held: int
    available: int
    spent_this_month: int

    @property
    def used_share(self) -> Fraction:
        return (
            Fraction(self.allocated - self.posted, self.allocated)
            if self.allocated
            else Fraction(0)
        )


def _spent_this_month(account_id: int, today: date) -> int:
    start = datetime.combine(today.replace(day=1), time.min, tzinfo=clock.JAKARTA)
    total = (
        Posting.objects.filter(
            account_id=account_id, amount__lt=0, pending=False, entry__created_at__gte=start
        )
        .exclude(entry__reason_code__in=SPENDING_REASONS_EXCLUDED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return -int(total or 0)


def up_position(satker: Organisation) -> dict[str, Position]:
    today = clock.today_jakarta()
    result = {}
    for key, label, code, funds in (
        ("tunai", "UP Tunai", "UP_TUNAI", ("UP_FUND:TUNAI", "UP_FUND:TUP")),
        ("kkp", "UP KKP", "UP_KKP", ("UP_FUND:KKP",)),
    ):
        balance = _balance(satker, code)
        allocated = sum(_balance(satker, f).posted for f in funds)
        spent = _spent_this_month(balance.account_id, today) if balance.account_id else 0
        result[key] = Position(
            label, allocated, balance.posted, balance.held, balance.available, spent
        )
    return result


def allocations_of(satker: Organisation) -> QuerySet[UpAllocation]:
    return UpAllocation.objects.filter(satker=satker).select_related("recorded_by")


def open_tups(satker: Organisation) -> QuerySet[UpAllocation]:
    return UpAllocation.objects.filter(satker=satker, kind=UpKind.TUP)


@dataclass(frozen=True, slots=True)
class CardLine:
    card: KkpCard
    available: int
    held: int


def cards_of(satker: Organisation) -> list[CardLine]:
    cards = KkpCard.objects.filter(satker=satker).select_related("cardholder", "bank")
    lines = []
    for card in cards:
        if card.status == CardStatus.CLOSED:
            lines.append(CardLine(card, 0, 0))
            continue
        balance = _balance(satker, f"KKP_CARD:{card.pk}")
        lines.append(CardLine(card, balance.available, balance.held))
    return lines
