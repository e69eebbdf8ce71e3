"""Pure ledger arithmetic: legs, balance effects, the no-negative rule, idempotency hashes."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    DEBIT = "D", _("Debit")
    CREDIT = "C", _("Kredit")


class EntryKind(models.TextChoices):
    POST = "POST", _("Posting langsung")
    HOLD = "HOLD", _("Pencadangan (hold)")
    POST_HOLD = "POST_HOLD", _("Realisasi hold")
    VOID_HOLD = "VOID_HOLD", _("Pembatalan hold")
    CORRECT = "CORRECT", _("Koreksi")


STATUS_LABELS = {
    "pending": _("dicadangkan"),
    "posted": _("tercatat"),
    "voided": _("dibatalkan"),
}


class LedgerRuleError(ValueError):
    """A request the ledger refuses; ``code`` is stable for callers and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Leg:
    """One line of an entry: an account id and a signed amount (+ debit, − credit)."""

    account_id: int
    amount: int


@dataclass(slots=True)
class Counters:
    """TigerBeetle-style balance counters of one account, all ≥ 0."""

    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    def add(self, amount: int, *, pending: bool, sign: int = 1) -> None:
        value = abs(amount) * sign
        if amount > 0:
            if pending:
                self.debits_pending += value
            else:
                self.debits_posted += value
        elif pending:
            self.credits_pending += value
        else:
            self.credits_posted += value


def validate_legs(legs: Sequence[Leg]) -> None:
    """Whole-rupiah, non-zero amounts on at least two legs that sum to zero."""
    if len(legs) < 2:
        raise LedgerRuleError("too_few_legs", str(_("Entri membutuhkan sedikitnya dua baris.")))
    for leg in legs:
        if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
            raise LedgerRuleError("not_integer", str(_("Nilai harus rupiah bulat (int).")))
        if leg.amount == 0:
            raise LedgerRuleError("zero_leg", str(_("Baris entri tidak boleh bernilai nol.")))
    if sum(leg.amount for leg in legs) != 0:
        raise LedgerRuleError("unbalanced", str(_("Debit dan kredit entri tidak seimbang.")))


def merge_legs(legs: Iterable[Leg]) -> dict[tuple[int, int], int]:
    """Held amounts per (account, direction), direction +1 debit / −1 credit, as positives."""
    held: dict[tuple[int, int], int] = defaultdict(int)
    for leg in legs:
        held[(leg.account_id, 1 if leg.amount > 0 else -1)] += abs(leg.amount)
    return dict(held)


def check_within_hold(held_legs: Sequence[Leg], posting_legs: Sequence[Leg]) -> None:
    """A hold may be posted for less than it holds, never more, and only on its own legs."""
    held = merge_legs(held_legs)
    for key, amount in merge_legs(posting_legs).items():
        if key not in held:
            raise LedgerRuleError(
                "not_in_hold", str(_("Realisasi memakai akun atau arah yang tidak ada di hold."))
            )
        if amount > held[key]:
            raise LedgerRuleError(
                "exceeds_hold", str(_("Realisasi melebihi jumlah yang dicadangkan."))
            )


def scale_legs(legs: Sequence[Leg], amount: int) -> list[Leg]:
    """Partial posting of a two-leg hold for ``amount`` (the common case: one payer, one payee)."""
    if len(legs) != 2:
        raise LedgerRuleError(
            "needs_postings", str(_("Hold dengan lebih dari dua baris perlu rincian realisasi."))
        )
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise LedgerRuleError("not_integer", str(_("Nilai harus rupiah bulat (int).")))
    if amount <= 0:
        raise LedgerRuleError("zero_leg", str(_("Nilai realisasi harus positif.")))
    return [Leg(leg.account_id, amount if leg.amount > 0 else -amount) for leg in legs]


def available(normal_side: str, c: Counters) -> int:
    """Posted balance on the account's normal side minus what is held against it."""
    if normal_side == Side.DEBIT:
        return c.debits_posted - c.credits_posted - c.credits_pending
    return c.credits_posted - c.debits_posted - c.debits_pending


def posted_balance(normal_side: str, c: Counters) -> int:
    if normal_side == Side.DEBIT:
        return c.debits_posted - c.credits_posted
    return c.credits_posted - c.debits_posted


def held_amount(normal_side: str, c: Counters) -> int:
    return c.credits_pending if normal_side == Side.DEBIT else c.debits_pending


def content_hash(operation: str, payload: Mapping[str, object]) -> str:
    """What an idempotency key stands for: the operation and its canonical content."""
    text = json.dumps({"op": operation, **payload}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def legs_payload(legs: Sequence[Leg]) -> list[list[int]]:
    return sorted([leg.account_id, leg.amount] for leg in legs)
