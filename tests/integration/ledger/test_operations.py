"""Ledger operations: post, hold, post_hold (full/partial/explicit legs), void, correct,
idempotency, the no-negative guard, and validate_ledger catching tampering."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from digipay.ledger import queries
from digipay.ledger import services as ledger
from digipay.ledger.models import AccountBalance, Entry, Posting
from digipay.ledger.rules import Leg
from tests.integration.ledger.conftest import Book


def spend(book: Book, amount: int) -> list[Leg]:
    return [Leg(book.expense.pk, amount), Leg(book.up.pk, -amount)]


def test_advance_hold_post_partial_releases_the_rest(book: Book) -> None:
    book.advance(500_000_000, "adv-1")
    hold = ledger.hold(
        key="h-1",
        tenant_id=book.owner,
        reason_code="ORDER_APPROVED",
        legs=spend(book, 11_100_000),
        source_type="order",
        source_id="17",
    )
    up = queries.balance_of(book.up)
    assert (up.posted, up.held, up.available) == (500_000_000, 11_100_000, 488_900_000)
    assert hold.status == "pending"
    ledger.post_hold(key="p-1", hold_id=hold.pk, amount=9_000_000)
    up = queries.balance_of(book.up)
    assert (up.posted, up.held, up.available) == (491_000_000, 0, 491_000_000)
    assert queries.balance_of(book.expense).posted == 9_000_000
    hold.refresh_from_db()
    assert hold.status == "posted"
    assert queries.validate_ledger() == []
    assert queries.total_of_all_postings() == 0


def test_explicit_legs_split_a_hold_into_vendor_and_tax(book: Book) -> None:
    book.advance(20_000_000, "adv")
    hold = ledger.hold(
        key="h",
        tenant_id=book.owner,
        reason_code="ORDER_APPROVED",
        legs=[Leg(book.expense.pk, 10_000_000), Leg(book.up.pk, -10_000_000)],
    )
    # Not within the hold: a credit to the vendor account was never held.
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.post_hold(
            key="p",
            hold_id=hold.pk,
            legs=[
                Leg(book.expense.pk, 10_000_000),
                Leg(book.up.pk, -9_850_000),
                Leg(book.tax.pk, -150_000),
            ],
        )
    assert exc.value.code == "not_in_hold"
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.post_hold(key="p", hold_id=hold.pk, amount=10_000_001)
    assert exc.value.code == "exceeds_hold"
    assert not Entry.objects.filter(idempotency_key="p").exists()


def test_void_releases_and_a_hold_resolves_once(book: Book) -> None:
    book.advance(1_000_000, "adv")
    hold = ledger.hold(key="h", tenant_id=book.owner, reason_code="R", legs=spend(book, 600_000))
    ledger.void_hold(key="v", hold_id=hold.pk)
    assert queries.balance_of(book.up).available == 1_000_000
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.post_hold(key="p", hold_id=hold.pk)
    assert exc.value.code == "already_resolved"
    with pytest.raises(ledger.LedgerError):
        ledger.void_hold(key="v2", hold_id=hold.pk)
    hold.refresh_from_db()
    assert hold.status == "voided"
    # Even behind the service, the database refuses a second resolution.
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            idempotency_key="x",
            content_hash="x",
            kind="VOID_HOLD",
            tenant_id=book.owner,
            reason_code="R",
            resolves=hold,
            created_at=hold.created_at,
        )


def test_available_never_goes_below_zero(book: Book) -> None:
    book.advance(1_000_000, "adv")
    ledger.hold(key="h1", tenant_id=book.owner, reason_code="R", legs=spend(book, 700_000))
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.hold(key="h2", tenant_id=book.owner, reason_code="R", legs=spend(book, 300_001))
    assert exc.value.code == "insufficient_funds"
    with pytest.raises(ledger.LedgerError):
        ledger.post(key="p", tenant_id=book.owner, reason_code="R", legs=spend(book, 300_001))
    ledger.hold(key="h3", tenant_id=book.owner, reason_code="R", legs=spend(book, 300_000))
    assert queries.balance_of(book.up).available == 0
    # The database's own guard, behind the service:
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountBalance.objects.filter(account=book.up).update(credits_pending=1_000_001)


def test_replay_returns_the_first_entry_and_refuses_other_content(book: Book) -> None:
    book.advance(5_000_000, "adv")
    first = ledger.hold(key="same", tenant_id=book.owner, reason_code="R", legs=spend(book, 100))
    for _ in range(10):
        again = ledger.hold(
            key="same", tenant_id=book.owner, reason_code="R", legs=spend(book, 100)
        )
        assert again.pk == first.pk
    assert queries.balance_of(book.up).held == 100
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.hold(key="same", tenant_id=book.owner, reason_code="R", legs=spend(book, 101))
    assert exc.value.code == "idempotency_key_reused"
    p1 = ledger.post_hold(key="ph", hold_id=first.pk, amount=50)
    assert ledger.post_hold(key="ph", hold_id=first.pk, amount=50).pk == p1.pk
    assert Entry.objects.count() == 3


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([Leg(1, 5)], "too_few_legs"),
        ([Leg(1, 5), Leg(2, -4)], "unbalanced"),
        ([Leg(1, 0), Leg(2, 0)], "zero_leg"),
    ],
)
def test_bad_entries_are_refused_and_write_nothing(book: Book, legs: list[Leg], code: str) -> None:
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.post(key="bad", tenant_id=book.owner, reason_code="R", legs=legs)
    assert exc.value.code == code
    assert Entry.objects.count() == 0


def test_correction_reverses_and_replaces(book: Book) -> None:
    book.advance(2_000_000, "adv")
    wrong = ledger.post(key="w", tenant_id=book.owner, reason_code="PAY", legs=spend(book, 150_000))
    fix = ledger.correct(
        key="c", entry_id=wrong.pk, reason_code="TYPO", replacement=spend(book, 105_000)
    )
    assert fix.corrects_id == wrong.pk
    assert queries.balance_of(book.expense).posted == 105_000
    assert queries.balance_of(book.up).posted == 1_895_000
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.correct(key="c2", entry_id=wrong.pk, reason_code="AGAIN")
    assert exc.value.code == "already_corrected"
    assert queries.validate_ledger() == []


def _tamper(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_verify_reports_a_posting_altered_behind_the_apps_back(book: Book) -> None:
    book.advance(1_000_000, "adv")
    entry = ledger.post(key="p", tenant_id=book.owner, reason_code="R", legs=spend(book, 1_000))
    call_command("ledger", "verify")
    posting = entry.postings.get(account=book.expense)
    _tamper("UPDATE ledger_posting SET amount = %s WHERE id = %s", [9_000, posting.pk])
    problems = queries.validate_ledger()
    assert {p.check for p in problems} >= {"balanced", "balances"}
    with pytest.raises(CommandError, match="pelanggaran"):
        call_command("ledger", "verify")


def test_verify_reports_a_balanced_pair_altered_together(book: Book) -> None:
    book.advance(1_000_000, "adv")
    entry = ledger.post(key="p", tenant_id=book.owner, reason_code="R", legs=spend(book, 1_000))
    for posting in entry.postings.all():
        _tamper(
            "UPDATE ledger_posting SET amount = %s WHERE id = %s", [posting.amount * 2, posting.pk]
        )
    checks = {p.check for p in queries.validate_ledger()}
    assert "balances" in checks
    assert "balanced" not in checks


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["ledger_entry", "ledger_posting"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {t} SET id = id WHERE id = %s", "DELETE FROM {t} WHERE id = %s"]
)
def test_postgres_refuses_update_and_delete(book: Book, table: str, statement: str) -> None:
    entry = ledger.post(
        key="adv",
        tenant_id=book.owner,
        reason_code="R",
        legs=[Leg(book.up.pk, 10), Leg(book.fund.pk, -10)],
    )
    row_id = entry.pk if table == "ledger_entry" else entry.postings.first().pk  # type: ignore[union-attr]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(t=table), [row_id])
    assert Posting.objects.filter(entry=entry).count() == 2
