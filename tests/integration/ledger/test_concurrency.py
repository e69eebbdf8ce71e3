"""The ledger under concurrent writers (PostgreSQL only; skipped on SQLite).

A stress run: many threads, each with its own database connection, hold, post (in full or in
part) and void against five satkers with amounts near the available balance, so that
``insufficient_funds`` and ``already_resolved`` races happen all the time. Afterwards the ledger
must validate, no guarded account may be below zero, money must sum to zero, and the final
balances must equal what the successful operations add up to.

Then idempotency under concurrency: the same operation replayed with one key — ten times in a
row, and ten times at once from threads released together by a barrier — leaves one entry and
counts once; two different resolutions racing for one hold: exactly one wins.

The default size keeps ``make test`` quick. A bigger manual run, e.g. 32 threads × 10,000
operations::

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE digipay_stress' postgres
    LEDGER_STRESS_THREADS=32 LEDGER_STRESS_OPS=10000 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/digipay_stress DIGIPAY_ALLOW_DEV_SECRET=1 \\
    .venv/bin/pytest -q -p no:cacheprovider --create-db \\
        tests/integration/ledger/test_concurrency.py -k stress
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import pytest
from django.db import connection, transaction

from digipay.ledger import queries
from digipay.ledger import services as ledger
from digipay.ledger.models import AccountBalance, Entry
from digipay.ledger.rules import EntryKind, Leg
from tests.integration.ledger.conftest import Book, make_book

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = int(os.environ.get("LEDGER_STRESS_THREADS", "16"))
OPS = int(os.environ.get("LEDGER_STRESS_OPS", "2000"))
SATKERS = 5
START = 1_000_000
EXPECTED_REFUSALS = {"insufficient_funds", "already_resolved"}

T = TypeVar("T")


def spend(book: Book, amount: int) -> list[Leg]:
    return [Leg(book.expense.pk, amount), Leg(book.up.pk, -amount)]


def in_thread(work: Callable[[], T]) -> Callable[[], T]:
    """Run ``work`` on this thread's own connection, closed when done."""

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    return run


# Stress ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one worker saw succeed or fail (merged after the run)."""

    holds: dict[int, tuple[int, int]] = field(default_factory=dict)  # hold id → (book, amount)
    resolutions: list[tuple[int, int]] = field(default_factory=list)  # (hold id, posted amount)
    advanced: Counter[int] = field(default_factory=Counter)  # book → amount
    refusals: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    min_available: int = START
    operations: int = 0


class Pool:
    """Holds waiting to be resolved, shared by all workers (several may race for one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: list[tuple[int, int]] = []  # (hold id, amount)

    def add(self, hold_id: int, amount: int) -> None:
        with self._lock:
            self._holds.append((hold_id, amount))

    def pick(self, rnd: random.Random) -> tuple[int, int] | None:
        with self._lock:
            return rnd.choice(self._holds) if self._holds else None

    def discard(self, hold_id: int, amount: int) -> None:
        with self._lock:
            if (hold_id, amount) in self._holds:
                self._holds.remove((hold_id, amount))


def stress_worker(
    number: int,
    operations: int,
    books: list[Book],
    pool: Pool,
    tally: Tally,
    start: threading.Barrier,
) -> None:
    rnd = random.Random(f"ledger-stress-{number}")
    start.wait()
    for i in range(operations):
        key = f"stress-{number}-{i}"
        index = rnd.randrange(len(books))
        book = books[index]
        choice = rnd.random()
        picked = pool.pick(rnd) if choice >= 0.5 else None
        try:
            if choice < 0.05:
                amount = rnd.randint(1, START // 2)
                book.advance(amount, key)
                tally.advanced[index] += amount
            elif picked is None:
                # Near what is available now (read without a lock: others move it meanwhile).
                available = queries.balance_of(book.up).available
                tally.min_available = min(tally.min_available, available)
                amount = max(1, int(available * rnd.uniform(0.3, 1.2)) + rnd.randint(-3, 3))
                entry = ledger.hold(
                    key=key, tenant_id=book.owner, reason_code="R", legs=spend(book, amount)
                )
                tally.holds[entry.pk] = (index, amount)
                pool.add(entry.pk, amount)
            else:
                hold_id, held = picked
                if choice < 0.7:
                    ledger.post_hold(key=key, hold_id=hold_id)
                    posted = held
                elif choice < 0.85:
                    posted = rnd.randint(1, held)
                    ledger.post_hold(key=key, hold_id=hold_id, amount=posted)
                else:
                    ledger.void_hold(key=key, hold_id=hold_id)
                    posted = 0
                tally.resolutions.append((hold_id, posted))
                pool.discard(hold_id, held)
            tally.operations += 1
        except ledger.LedgerError as exc:
            if exc.code in EXPECTED_REFUSALS:
                tally.refusals[exc.code] += 1
                if exc.code == "already_resolved" and picked is not None:
                    pool.discard(*picked)
            else:
                tally.unexpected.append(f"{key}: LedgerError {exc.code}: {exc}")
        except Exception as exc:  # anything else is a failure of the ledger
            tally.unexpected.append(f"{key}: {type(exc).__name__}: {exc}")


def watch_available(books: list[Book], stop: threading.Event, seen: list[int]) -> None:
    """Read every UP balance over and over while the workers run; keep the lowest available."""
    while not stop.wait(0.01):
        seen.append(min(queries.balance_of(book.up).available for book in books))


def test_stress_holds_posts_and_voids_keep_every_invariant() -> None:
    books = [make_book(2_000 + n) for n in range(SATKERS)]
    for n, book in enumerate(books):
        book.advance(START, f"stress-start-{n}")
    pool = Pool()
    stop, seen = threading.Event(), [START]
    watcher = threading.Thread(target=in_thread(lambda: watch_available(books, stop, seen)))
    tallies = [Tally() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    per_thread = [OPS // THREADS + (1 if n < OPS % THREADS else 0) for n in range(THREADS)]
    threads = [
        threading.Thread(
            target=in_thread(
                partial(stress_worker, n, per_thread[n], books, pool, tallies[n], start)
            )
        )
        for n in range(THREADS)
    ]
    began = time.monotonic()
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    stop.set()
    watcher.join()

    unexpected = [line for tally in tallies for line in tally.unexpected]
    assert unexpected == []
    refusals = sum((tally.refusals for tally in tallies), Counter[str]())
    successes = sum(tally.operations for tally in tallies)
    assert successes + refusals.total() == OPS
    if OPS >= 500:  # the amounts are chosen so that refusals are frequent
        assert refusals["insufficient_funds"] > 0

    assert queries.validate_ledger() == []
    assert queries.total_of_all_postings() == 0
    for row in AccountBalance.objects.filter(must_not_go_negative=True):
        assert row.debits_posted - row.credits_posted - row.credits_pending >= 0, row
    assert min(tally.min_available for tally in tallies) >= 0
    assert min(seen) >= 0

    holds: dict[int, tuple[int, int]] = {}
    advanced: Counter[int] = Counter()
    for tally in tallies:
        holds.update(tally.holds)
        advanced.update(tally.advanced)
    resolutions = [r for tally in tallies for r in tally.resolutions]
    resolved = Counter(hold_id for hold_id, _posted in resolutions)
    assert max(resolved.values(), default=1) == 1, "a hold was resolved twice"
    posted_by_book: Counter[int] = Counter()
    for hold_id, posted in resolutions:
        posted_by_book[holds[hold_id][0]] += posted
    held_by_book: Counter[int] = Counter()
    for hold_id, (index, amount) in holds.items():
        if hold_id not in resolved:
            held_by_book[index] += amount
    for index, book in enumerate(books):
        up = queries.balance_of(book.up)
        assert up.posted == START + advanced[index] - posted_by_book[index], book.owner
        assert up.held == held_by_book[index], book.owner
        assert up.available >= 0
        assert queries.balance_of(book.expense).posted == posted_by_book[index]
        assert queries.balance_of(book.fund).posted == START + advanced[index]
    assert Entry.objects.count() == SATKERS + successes
    assert Entry.objects.filter(kind=EntryKind.HOLD).count() == len(holds)
    for index, book in enumerate(books):
        assert set(queries.pending_holds(book.owner).values_list("id", flat=True)) == {
            hold_id for hold_id, (i, _a) in holds.items() if i == index and hold_id not in resolved
        }
    print(  # shown with -s: the size and speed of the run
        f"\nledger stress: {THREADS} threads, {OPS} operations in {elapsed:.1f} s "
        f"({OPS / elapsed:.0f}/s): {successes} succeeded, refused {dict(refusals)}, "
        f"{len(seen)} balance reads"
    )


# Idempotency under concurrency ----------------------------------------------------------------


REPLAYS = 10


@dataclass
class Replayed:
    book: Book
    key: str
    call: Callable[[], Entry]
    expect: Callable[[Book], None]  # the balances after exactly one success


def prepare(operation: str, amount: int) -> Replayed:
    """A satker with 1,000,000 of UP (and a pending 300,000 hold to resolve, or a 200,000
    payment to correct) and the one call to replay."""
    book = make_book(3_000)
    book.advance(START, "adv")
    key = f"replayed-{operation}"

    def up_is(posted: int, held: int) -> Callable[[Book], None]:
        def check(b: Book) -> None:
            up = queries.balance_of(b.up)
            assert (up.posted, up.held, up.available) == (posted, held, posted - held)
            assert queries.balance_of(b.expense).posted == START - posted

        return check

    if operation in ("post", "hold"):
        call = ledger.post if operation == "post" else ledger.hold
        expect = up_is(START - amount, 0) if operation == "post" else up_is(START, amount)
        return Replayed(
            book,
            key,
            lambda: call(key=key, tenant_id=book.owner, reason_code="R", legs=spend(book, amount)),
            expect,
        )
    if operation == "correct":
        paid = ledger.post(
            key="to-correct", tenant_id=book.owner, reason_code="R", legs=spend(book, 200_000)
        )
        return Replayed(
            book,
            key,
            lambda: ledger.correct(key=key, entry_id=paid.pk, reason_code="WRONG_AMOUNT"),
            up_is(START, 0),
        )
    held = ledger.hold(
        key="to-resolve", tenant_id=book.owner, reason_code="R", legs=spend(book, 300_000)
    )
    if operation == "post_hold":
        return Replayed(
            book,
            key,
            lambda: ledger.post_hold(key=key, hold_id=held.pk, amount=amount),
            up_is(START - amount, 0),
        )
    assert operation == "void_hold"
    return Replayed(book, key, lambda: ledger.void_hold(key=key, hold_id=held.pk), up_is(START, 0))


CASES = [
    ("post", 100_000),
    ("post", 600_000),  # more than what is left after the first call: 1,000,000 − 600,000
    ("hold", 100_000),
    ("hold", 600_000),
    ("post_hold", 120_000),
    ("void_hold", 0),
    ("correct", 0),
]


@pytest.mark.parametrize(("operation", "amount"), CASES)
def test_sequential_replays_make_one_entry(operation: str, amount: int) -> None:
    replayed = prepare(operation, amount)
    first = replayed.call()
    for _ in range(REPLAYS - 1):
        assert replayed.call().pk == first.pk
    assert Entry.objects.filter(idempotency_key=replayed.key).count() == 1
    replayed.expect(replayed.book)
    assert queries.validate_ledger() == []


def run_together(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """One thread per call, all released at once by a barrier; results or errors in call
    order. Each thread uses its own database connection and closes it."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException] = [RuntimeError("not run")] * len(calls)

    def worker(n: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            results[n] = calls[n]()
        except BaseException as exc:
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def sessions_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def replay_together(call: Callable[[], Entry]) -> list[Entry | BaseException]:
    """``REPLAYS`` overlapping calls with one key. The first thread makes the call inside a
    transaction before the barrier and commits only once the other threads, released together,
    all wait for its locks: so every replay really overlaps an uncommitted first call, on every
    run, instead of now and then."""
    barrier = threading.Barrier(REPLAYS)
    results: list[Entry | BaseException] = [RuntimeError("not run")] * REPLAYS

    def first() -> None:
        with transaction.atomic():
            results[0] = call()
            barrier.wait()
            deadline = time.monotonic() + 10
            while sessions_waiting_for_a_lock() < REPLAYS - 1 and time.monotonic() < deadline:
                time.sleep(0.005)

    def replay(n: int) -> None:
        connection.ensure_connection()
        barrier.wait()
        results[n] = call()

    def worker(n: int) -> None:
        try:
            if n == 0:
                first()
            else:
                replay(n)
        except BaseException as exc:
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(REPLAYS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize(("operation", "amount"), CASES)
def test_concurrent_replays_make_one_entry_counted_once(operation: str, amount: int) -> None:
    replayed = prepare(operation, amount)
    results = replay_together(replayed.call)
    entries = Entry.objects.filter(idempotency_key=replayed.key)
    assert entries.count() == 1
    first = entries.get()
    assert results[0] == first  # the leader's call committed
    replayed.expect(replayed.book)
    assert queries.validate_ledger() == []
    assert queries.total_of_all_postings() == 0
    for result in results:  # never anything but the entry or a ledger refusal
        assert isinstance(result, Entry | ledger.LedgerError), repr(result)


@pytest.mark.parametrize(
    ("operation", "amount"),
    CASES,
)
def test_concurrent_replays_all_return_the_first_entry(operation: str, amount: int) -> None:
    replayed = prepare(operation, amount)
    results = replay_together(replayed.call)
    first = Entry.objects.get(idempotency_key=replayed.key)
    outcomes = [
        r.pk if isinstance(r, Entry) else f"{type(r).__name__} {getattr(r, 'code', '')}: {r}"
        for r in results
    ]
    assert outcomes == [first.pk] * REPLAYS


def test_two_resolutions_racing_for_one_hold_exactly_one_wins() -> None:
    book = make_book(4_000)
    book.advance(START, "adv")
    rounds = 20
    for n in range(rounds):
        held = ledger.hold(
            key=f"h-{n}", tenant_id=book.owner, reason_code="R", legs=spend(book, 1_000)
        )
        hold_id = held.pk
        rival: Callable[[], Entry] = (
            partial(ledger.void_hold, key=f"void-{n}", hold_id=hold_id)
            if n % 2
            else partial(ledger.post_hold, key=f"post-in-full-{n}", hold_id=hold_id)
        )
        partly: Callable[[], Entry] = partial(
            ledger.post_hold, key=f"post-{n}", hold_id=hold_id, amount=600
        )
        results = run_together([partly, rival])
        won = [r for r in results if isinstance(r, Entry)]
        lost = [r for r in results if not isinstance(r, Entry)]
        assert len(won) == 1, results
        assert len(lost) == 1
        assert isinstance(lost[0], ledger.LedgerError), lost[0]
        assert lost[0].code == "already_resolved"
        assert Entry.objects.filter(resolves=held).count() == 1
        held.refresh_from_db()
        assert held.status in ("posted", "voided")
    up = queries.balance_of(book.up)
    assert up.held == 0
    assert up.posted == START - queries.balance_of(book.expense).posted
    assert queries.validate_ledger() == []
    assert queries.total_of_all_postings() == 0
