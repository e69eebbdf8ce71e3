"""Random sequences of ledger operations against a plain Python model of the balances.

A Hypothesis state machine advances UP money to three satkers, holds (sometimes more than is
available), posts holds in full or in part, voids them, corrects posted entries (which may
legitimately fail when the money was already spent), spends directly, and replays earlier
operations with their idempotency key — with the same content (same entry back, nothing
changes) and with other content (``idempotency_key_reused``). After every step the ledger
must validate, sum to zero, and show exactly the balances the model predicts.

The three satkers' books are opened once per test; each example then runs inside a savepoint
that ``teardown`` rolls back, so every example starts from zero balances and
``validate_ledger`` (which scans the whole table) only sees that example's rows. Nothing is
deleted, which PostgreSQL's append-only triggers would refuse, so this works on both SQLite
and PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from digipay.ledger import queries
from digipay.ledger import services as ledger
from digipay.ledger.models import Account, Entry
from digipay.ledger.rules import EntryKind, Leg
from tests.integration.ledger.conftest import Book, make_book

SATKERS = 3
MAX_ADVANCE = 5_000_000

SETTINGS = settings(
    max_examples=200,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_key_numbers = itertools.count()

Deltas = dict[int, int]  # account id → change of its posted balance (normal side)


def new_key(prefix: str) -> str:
    return f"sm-{prefix}-{next(_key_numbers)}"


def spend_legs(book: Book, amount: int) -> list[Leg]:
    return [Leg(book.expense.pk, amount), Leg(book.up.pk, -amount)]


def advance_legs(book: Book, amount: int) -> list[Leg]:
    return [Leg(book.up.pk, amount), Leg(book.fund.pk, -amount)]


def spend_deltas(book: Book, amount: int) -> Deltas:
    return {book.expense.pk: amount, book.up.pk: -amount}


def advance_deltas(book: Book, amount: int) -> Deltas:
    return {book.up.pk: amount, book.fund.pk: amount}


def combine(*parts: Deltas) -> Deltas:
    total: Deltas = {}
    for part in parts:
        for account_id, amount in part.items():
            total[account_id] = total.get(account_id, 0) + amount
    return total


def negate(deltas: Deltas) -> Deltas:
    return {account_id: -amount for account_id, amount in deltas.items()}


@dataclass
class Done:
    """A successful operation: its entry, and how to issue it again with the same key."""

    kind: str
    key: str
    entry_id: int
    same: Callable[[], Entry]  # identical content: must return the same entry
    other: Callable[[], Entry]  # different content: must be refused


@dataclass
class PendingHold:
    book: int
    entry_id: int
    amount: int


@dataclass
class Posted:
    """A POST, POST_HOLD or CORRECT entry that has not been corrected yet."""

    book: int
    entry_id: int
    kind: str  # what a replacement looks like: "advance" or "spend"
    deltas: Deltas


@dataclass
class Model:
    posted: dict[int, int] = field(default_factory=dict)
    held: dict[int, int] = field(default_factory=dict)
    entries: int = 0

    def available(self, account: Account) -> int:
        return self.posted.get(account.pk, 0) - self.held.get(account.pk, 0)

    def apply(self, deltas: Deltas) -> None:
        for account_id, amount in deltas.items():
            self.posted[account_id] = self.posted.get(account_id, 0) + amount

    def hold(self, account: Account, amount: int) -> None:
        self.held[account.pk] = self.held.get(account.pk, 0) + amount


def expect_refusal(call: Callable[[], Entry], code: str) -> None:
    with pytest.raises(ledger.LedgerError) as exc:
        call()
    assert exc.value.code == code, exc.value


class LedgerMachine(RuleBasedStateMachine):
    opened_books: ClassVar[list[Book]] = []  # set by the test: the satkers, at zero balances

    def __init__(self) -> None:
        super().__init__()
        self.books = list(self.opened_books)
        assert len(self.books) == SATKERS
        self.model = Model()
        self.done: list[Done] = []
        self.pending: list[PendingHold] = []
        self.resolved: list[PendingHold] = []  # posted or voided
        self.posted: list[Posted] = []  # not corrected yet
        self.corrected: list[int] = []
        # One savepoint per example, rolled back in teardown (see the module docstring).
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # Helpers -----------------------------------------------------------------------------------

    def guard_allows(self, book: Book, deltas: Deltas) -> bool:
        return self.model.available(book.up) + deltas.get(book.up.pk, 0) >= 0

    def succeeded(self, entry: Entry, key: str, kind: str) -> None:
        assert entry.idempotency_key == key
        assert entry.kind == kind
        self.model.entries += 1

    def refused_without_trace(self, call: Callable[[], Entry], key: str, code: str) -> None:
        expect_refusal(call, code)
        assert not Entry.objects.filter(idempotency_key=key).exists()

    def amount_near(self, data: st.DataObject, available: int, label: str) -> int:
        """Mostly affordable amounts, often exactly the available one, often just above."""
        choices = [st.just(available + 1), st.integers(available + 1, available + MAX_ADVANCE)]
        if available > 0:  # listed first: Hypothesis leans towards the first alternatives
            choices = [st.integers(1, available), st.just(available), *choices]
        return data.draw(st.one_of(choices), label=label)

    # Rules -------------------------------------------------------------------------------------

    @initialize(advances=st.lists(st.integers(0, MAX_ADVANCE), min_size=SATKERS, max_size=SATKERS))
    def first_advances(self, advances: list[int]) -> None:
        for index, amount in enumerate(advances):
            if amount:
                self.advance(index, amount)

    @rule(index=st.integers(0, SATKERS - 1), amount=st.integers(1, MAX_ADVANCE))
    def advance(self, index: int, amount: int) -> None:
        book = self.books[index]
        key = new_key("advance")

        def issue(value: int) -> Callable[[], Entry]:
            return lambda: ledger.post(
                key=key,
                tenant_id=book.owner,
                reason_code="UP_ADVANCE",
                legs=advance_legs(book, value),
            )

        entry = issue(amount)()
        self.succeeded(entry, key, EntryKind.POST)
        deltas = advance_deltas(book, amount)
        self.model.apply(deltas)
        self.done.append(Done("advance", key, entry.pk, issue(amount), issue(amount + 1)))
        self.posted.append(Posted(index, entry.pk, "advance", deltas))

    @rule(index=st.integers(0, SATKERS - 1), data=st.data())
    def spend(self, index: int, data: st.DataObject) -> None:
        """A direct payment out of UP (a POST), refused when more than is available."""
        book = self.books[index]
        amount = self.amount_near(data, self.model.available(book.up), "amount")
        key = new_key("spend")

        def issue(reason: str) -> Callable[[], Entry]:
            return lambda: ledger.post(
                key=key, tenant_id=book.owner, reason_code=reason, legs=spend_legs(book, amount)
            )

        deltas = spend_deltas(book, amount)
        if not self.guard_allows(book, deltas):
            self.refused_without_trace(issue("PAY"), key, "insufficient_funds")
            return
        entry = issue("PAY")()
        self.succeeded(entry, key, EntryKind.POST)
        self.model.apply(deltas)
        self.done.append(Done("spend", key, entry.pk, issue("PAY"), issue("PAY_OTHER")))
        self.posted.append(Posted(index, entry.pk, "spend", deltas))

    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, SATKERS - 1), label="satker")
        book = self.books[index]
        amount = self.amount_near(data, self.model.available(book.up), "amount")
        key = new_key("hold")

        def issue(value: int) -> Callable[[], Entry]:
            return lambda: ledger.hold(
                key=key,
                tenant_id=book.owner,
                reason_code="ORDER_APPROVED",
                legs=spend_legs(book, value),
                source_type="order",
                source_id=key,
            )

        if amount > self.model.available(book.up):
            self.refused_without_trace(issue(amount), key, "insufficient_funds")
            return
        entry = issue(amount)()
        self.succeeded(entry, key, EntryKind.HOLD)
        self.model.hold(book.up, amount)
        self.done.append(Done("hold", key, entry.pk, issue(amount), issue(amount + 1)))
        self.pending.append(PendingHold(index, entry.pk, amount))

    @precondition(lambda self: self.pending or self.resolved)
    @rule(data=st.data())
    def resolve_hold(self, data: st.DataObject) -> None:
        """post_hold in full (no amount, or the whole amount) or in part, or void_hold; mostly
        of a pending hold, sometimes of one already resolved (refused: already_resolved)."""
        if self.pending and (not self.resolved or data.draw(st.integers(0, 4), label="which")):
            held, pending = data.draw(st.sampled_from(self.pending), label="hold"), True
        else:
            held, pending = data.draw(st.sampled_from(self.resolved), label="resolved"), False
        book = self.books[held.book]
        how = data.draw(st.sampled_from(["void", "post", "post all", "post part"]), label="how")
        amount = {"post": None, "post all": held.amount, "void": None}.get(how)
        if how == "post part":
            amount = data.draw(st.integers(1, held.amount), label="amount")
        kind = EntryKind.VOID_HOLD if how == "void" else EntryKind.POST_HOLD
        key = new_key(kind.lower())

        def post() -> Entry:
            return ledger.post_hold(key=key, hold_id=held.entry_id, amount=amount)

        def void() -> Entry:
            return ledger.void_hold(key=key, hold_id=held.entry_id, memo="batal")

        same, other = (void, post) if kind == EntryKind.VOID_HOLD else (post, void)
        if not pending:
            self.refused_without_trace(same, key, "already_resolved")
            return
        entry = same()
        self.succeeded(entry, key, kind)
        assert entry.resolves_id == held.entry_id
        self.model.hold(book.up, -held.amount)
        self.pending.remove(held)
        self.resolved.append(held)
        self.done.append(Done(kind.lower(), key, entry.pk, same, other))
        if kind == EntryKind.POST_HOLD:
            deltas = spend_deltas(book, held.amount if amount is None else amount)
            self.model.apply(deltas)
            self.posted.append(Posted(held.book, entry.pk, "spend", deltas))

    @precondition(lambda self: self.posted or self.corrected)
    @rule(data=st.data(), with_replacement=st.booleans())
    def correct(self, data: st.DataObject, with_replacement: bool) -> None:
        """Reverse a posted entry, with or without replacement legs. Reversing an advance that
        was spent or held meanwhile is refused; a second correction of an entry too."""
        if not self.posted or (self.corrected and not data.draw(st.integers(0, 4), label="which")):
            entry_id = data.draw(st.sampled_from(self.corrected), label="corrected entry")
            key = new_key("correct")
            self.refused_without_trace(
                lambda: ledger.correct(key=key, entry_id=entry_id, reason_code="AGAIN"),
                key,
                "already_corrected",
            )
            return
        original = data.draw(st.sampled_from(self.posted), label="entry")
        book = self.books[original.book]
        replacement: list[Leg] = []
        replacement_deltas: Deltas = {}
        if with_replacement:
            amount = data.draw(st.integers(1, MAX_ADVANCE), label="replacement")
            if original.kind == "advance":
                replacement = advance_legs(book, amount)
                replacement_deltas = advance_deltas(book, amount)
            else:
                replacement = spend_legs(book, amount)
                replacement_deltas = spend_deltas(book, amount)
        key = new_key("correct")

        def issue(reason: str) -> Callable[[], Entry]:
            return lambda: ledger.correct(
                key=key, entry_id=original.entry_id, reason_code=reason, replacement=replacement
            )

        deltas = combine(negate(original.deltas), replacement_deltas)
        if not self.guard_allows(book, deltas):
            self.refused_without_trace(issue("TYPO"), key, "insufficient_funds")
            return
        entry = issue("TYPO")()
        self.succeeded(entry, key, EntryKind.CORRECT)
        assert entry.corrects_id == original.entry_id
        self.model.apply(deltas)
        self.posted.remove(original)
        self.corrected.append(original.entry_id)
        self.done.append(Done("correct", key, entry.pk, issue("TYPO"), issue("OTHER")))
        # A correction is itself a posted entry that can be corrected (reversed) in turn.
        self.posted.append(Posted(original.book, entry.pk, original.kind, deltas))

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        """Issue an earlier operation again with its key: the same content returns the same
        entry; other content is refused. Either way nothing changes (checked by the invariant)."""
        kind = data.draw(st.sampled_from(sorted({done.kind for done in self.done})), label="kind")
        earlier = data.draw(
            st.sampled_from([done for done in self.done if done.kind == kind]), label="operation"
        )
        assert earlier.same().pk == earlier.entry_id
        expect_refusal(earlier.other, "idempotency_key_reused")
        assert Entry.objects.get(idempotency_key=earlier.key).pk == earlier.entry_id

    # Invariants --------------------------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self) -> None:
        assert queries.validate_ledger() == []
        assert queries.total_of_all_postings() == 0
        owners = [book.owner for book in self.books]
        assert Entry.objects.filter(tenant_id__in=owners).count() == self.model.entries
        for book in self.books:
            for account in (book.up, book.fund, book.expense):
                balance = queries.balance_of(account)
                posted = self.model.posted.get(account.pk, 0)
                held = self.model.held.get(account.pk, 0)
                assert (balance.posted, balance.held, balance.available) == (
                    posted,
                    held,
                    posted - held,
                ), account.code
                if account.must_not_go_negative:
                    assert balance.available >= 0


def test_random_operation_sequences_keep_the_ledger_consistent(db: None) -> None:
    class Machine(LedgerMachine):
        opened_books = [make_book(owner) for owner in range(9_001, 9_001 + SATKERS)]

    run_state_machine_as_test(Machine, settings=SETTINGS)
