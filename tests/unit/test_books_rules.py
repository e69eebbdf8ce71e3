"""Pure rules of books: the three-way match of a day, running balances, the LPJ calendar and
its agreement, the life of a case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digipay.books import rules
from digipay.books.rules import CaseKind, CaseStatus, LedgerLine, StatementLine, TransitItem
from digipay.payments.movements import Movement, MovementKind, MovementStatus

DAY = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 00:00 WIB on 28 November
END = DAY + timedelta(days=1)
NOON = DAY + timedelta(hours=5)
NOW = END + timedelta(hours=1)


def movement(
    ref: str,
    amount: int,
    *,
    status: MovementStatus = MovementStatus.DONE,
    at: datetime = NOON,
    entries: tuple[int, ...] = (1,),
    bank_ref: str = "",
    kind: MovementKind = MovementKind.VENDOR_TRANSFER,
    direction: int = -1,
    source: str = "",
) -> Movement:
    return Movement(
        kind=kind,
        direction=direction,
        amount_idr=amount,
        status=status,
        bank_reference=bank_ref,
        partner_reference=ref,
        remark="",
        created_at=at,
        settled_at=None if status == MovementStatus.OPEN else at,
        entry_ids=entries,
        source=source or f"payments.payment:{ref}",
    )


def line(
    ref: str, amount: int, *, partner: str = "", at: datetime = NOON, remark: str = ""
) -> StatementLine:
    return StatementLine(ref, partner, amount, at, remark)


def ledger(entry: int, amount: int, at: datetime = NOON) -> LedgerLine:
    return LedgerLine(entry, amount, at, "PAYMENT", f"payments.payment:{entry}")


def run(
    statement: list[StatementLine],
    movements: list[Movement],
    lines: list[LedgerLine],
    now: datetime = NOW,
) -> rules.DayResult:
    return rules.reconcile_day(
        day_start=DAY, day_end=END, now=now, statement=statement, movements=movements, ledger=lines
    )


def kinds(result: rules.DayResult) -> list[str]:
    return sorted(f.kind for f in result.findings)


def test_a_clean_day_matches_everything() -> None:
    result = run(
        [line("B1", -9_850_000, partner="P1"), line("B2", 50_000_000, remark="SP2D 123UP01")],
        [
            movement("P1", 9_850_000, entries=(1, 2)),
            movement(
                "123UP01",
                50_000_000,
                kind=MovementKind.SP2D,
                direction=1,
                entries=(3,),
                source="treasury.upallocation:1",
            ),
        ],
        [ledger(1, -11_100_000), ledger(2, 1_250_000), ledger(3, 50_000_000)],
    )
    assert result.findings == []
    assert result.matched == 2


def test_amount_off_by_one_rupiah() -> None:
    result = run(
        [line("B1", -1_000_000, partner="P1")],
        [movement("P1", 999_999, bank_ref="B1")],
        [ledger(1, -999_999)],
    )
    assert kinds(result) == [CaseKind.AMOUNT_MISMATCH]
    [finding] = result.findings
    assert (finding.amount_idr, finding.expected_idr) == (-1_000_000, -999_999)


def test_duplicates_on_either_side() -> None:
    bank_twice = run(
        [line("B1", -5, partner="P1"), line("B2", -5, partner="P1")],
        [movement("P1", 5)],
        [ledger(1, -5)],
    )
    assert CaseKind.DUPLICATE in kinds(bank_twice)
    ours_twice = run(
        [line("B1", -5, partner="P1")],
        [movement("P1", 5), movement("P1", 5, source="payments.payment:twin")],
        [ledger(1, -5)],
    )
    assert kinds(ours_twice) == [CaseKind.DUPLICATE]


def test_unknown_reference_and_unrecorded_bank_line() -> None:
    result = run([line("B1", -7, partner="XX"), line("B2", 8)], [], [])
    assert kinds(result) == [CaseKind.MISSING_IN_DIGIPAY, CaseKind.UNKNOWN_REFERENCE]


def test_done_but_not_on_the_statement_is_in_transit_then_missing() -> None:
    records = [movement("P1", 5)]
    assert run([], records, [ledger(1, -5)], now=NOON + timedelta(hours=2)).findings == []
    late = run([], records, [ledger(1, -5)], now=NOON + timedelta(days=2))
    assert kinds(late) == [CaseKind.MISSING_ON_STATEMENT]


def test_late_on_either_side() -> None:
    open_long = run(
        [line("B1", -5, partner="P1")],
        [movement("P1", 5, status=MovementStatus.OPEN, entries=())],
        [],
        now=NOON + timedelta(days=2),
    )
    assert kinds(open_long) == [CaseKind.LATE_SETTLEMENT]
    booked_late = run(
        [line("B1", -5, partner="P1")],
        [movement("P1", 5, at=NOON - timedelta(days=3), entries=())],
        [],
    )
    assert kinds(booked_late) == [CaseKind.LATE_SETTLEMENT]


def test_failed_in_digipay_but_booked_by_the_bank() -> None:
    result = run(
        [line("B1", -5, partner="P1")], [movement("P1", 5, status=MovementStatus.FAILED)], []
    )
    assert kinds(result) == [CaseKind.MISSING_IN_DIGIPAY]


def test_ledger_against_records() -> None:
    result = run(
        [line("B1", -5, partner="P1")],
        [movement("P1", 5, entries=(1,))],
        [ledger(1, -4), ledger(9, -3)],
    )
    assert kinds(result) == [CaseKind.AMOUNT_MISMATCH, CaseKind.MISSING_IN_LEDGER]
    fingerprints = {f.fingerprint for f in result.findings}
    assert fingerprints == {"ledger:payments.payment:P1:P1", "ledger-orphan:9"}


def test_fingerprints_are_stable_across_runs() -> None:
    args = ([line("B1", -7, partner="XX")], [], [])
    assert [f.fingerprint for f in run(*args).findings] == [
        f.fingerprint for f in run(*args, now=NOW + timedelta(hours=3)).findings
    ]


def test_running_balance_debit_and_credit_normal() -> None:
    at = NOON
    lines = [(at, 1, "r", "d", "UP_TUNAI", 100), (at, 2, "r", "d", "UP_TUNAI", -30)]
    rows = rules.running_rows(10, lines, debit_normal=True)
    assert [(r.debit, r.credit, r.balance) for r in rows] == [(100, 0, 110), (0, 30, 80)]
    taxes = rules.running_rows(
        0, [(at, 1, "r", "d", "TAX_PAYABLE:PPN", -550_000)], debit_normal=False
    )
    assert taxes[0].balance == 550_000


@pytest.mark.parametrize(
    ("period", "due"),
    [(date(2026, 11, 1), date(2026, 12, 10)), (date(2026, 12, 1), date(2027, 1, 10))],
)
def test_lpj_due_by_the_tenth_of_the_next_month(period: date, due: date) -> None:
    assert rules.lpj_due_date(period) == due
    assert not rules.lpj_is_late(period, submitted_on=due, today=due)
    assert rules.lpj_is_late(period, submitted_on=due + timedelta(days=1), today=due)
    assert rules.lpj_is_late(period, submitted_on=None, today=due + timedelta(days=1))


def test_lpj_period_and_agreement() -> None:
    today = date(2026, 11, 28)
    assert rules.period_error(date(2026, 11, 1), today) is None
    assert rules.period_error(date(2026, 12, 1), today) is not None
    assert rules.period_error(date(2026, 11, 2), today) is not None
    items = [TransitItem("open", "P1", -9_850_000)]
    assert rules.unexplained(40_150_000, 50_000_000, items) == 0
    assert rules.unexplained(40_150_001, 50_000_000, items) == 1


def test_transit_items_from_records_and_statement() -> None:
    items = rules.transit_items(
        [
            movement("P1", 100, status=MovementStatus.OPEN, entries=()),
            movement("P2", 200, entries=(2,)),
            movement("P3", 300, entries=(3,)),
        ],
        [line("B1", -100, partner="P1"), line("B3", -300, partner="P3")],
    )
    assert [(i.reference, i.bank_effect) for i in items] == [("B1", -100), ("P2", 200)]


def test_case_transitions() -> None:
    reason = "Bank mengoreksi transaksinya."
    assert rules.transition_error(CaseStatus.OPEN, CaseStatus.INVESTIGATING, "") is None
    assert rules.transition_error(CaseStatus.OPEN, CaseStatus.RESOLVED, reason) is None
    assert rules.transition_error(CaseStatus.OPEN, CaseStatus.RESOLVED, "singkat") is not None
    assert rules.transition_error(CaseStatus.RESOLVED, CaseStatus.OPEN, reason) is not None
    assert rules.transition_error(CaseStatus.DISMISSED, CaseStatus.RESOLVED, reason) is not None
    assert rules.transition_error(CaseStatus.OPEN, "LOST", reason) is not None


# --- a late LPJ blocks the next SPM -------------------------------------------------------------


def test_overdue_lpj_is_the_earliest_month_missing_after_its_due_date() -> None:
    first = date(2026, 10, 20)  # the satker's first UP
    assert rules.overdue_lpj(first, set(), date(2026, 11, 10)) is None  # due today: not late
    assert rules.overdue_lpj(first, set(), date(2026, 11, 11)) == date(2026, 10, 1)
    assert rules.overdue_lpj(first, {date(2026, 10, 1)}, date(2026, 11, 11)) is None
    # A late LPJ submitted no longer blocks; the next missing month does.
    assert rules.overdue_lpj(first, {date(2026, 10, 1)}, date(2026, 12, 11)) == date(2026, 11, 1)
    assert rules.overdue_lpj(first, {date(2026, 11, 1)}, date(2026, 12, 11)) == date(2026, 10, 1)
    done = {date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)}
    assert rules.overdue_lpj(first, done, date(2027, 1, 11)) is None  # December across the year


def test_a_satker_without_up_or_new_this_month_owes_no_lpj() -> None:
    assert rules.overdue_lpj(None, set(), date(2027, 3, 1)) is None
    assert rules.overdue_lpj(date(2027, 2, 3), set(), date(2027, 2, 28)) is None
    assert rules.overdue_lpj(date(2027, 2, 3), set(), date(2027, 3, 11)) == date(2027, 2, 1)


def test_the_block_message_names_the_month_and_its_due_date() -> None:
    assert rules.lpj_blocks_spm(date(2026, 12, 1)) == (
        "LPJ bulan 12/2026 belum disampaikan (jatuh tempo 10/01/2027): "
        "SPM berikutnya tidak dapat diajukan."
    )


# --- a refund received in instalments (payments: accept_credit) ----------------------------------


def test_a_refund_received_in_instalments_is_not_a_duplicate() -> None:
    """Each posted credit of one refund is a row of its own (same record and reference, the
    bank's own reference and entry): matched line by line, no case."""
    rows = [
        movement(
            "RF-1",
            amount,
            bank_ref=bank,
            entries=(entry,),
            kind=MovementKind.REFUND,
            direction=1,
            source="payments.refund:7",
        )
        for amount, bank, entry in ((600_000, "C1", 1), (400_000, "C2", 2))
    ]
    result = run(
        [line("C1", 600_000, remark="RF-1"), line("C2", 400_000, remark="RF-1")],
        rows,
        [ledger(1, 600_000), ledger(2, 400_000)],
    )
    assert result.findings == []
    assert result.matched == 2


def test_a_transfer_recorded_twice_is_still_a_duplicate_with_bank_references() -> None:
    twice = [
        movement("P1", 5, bank_ref="B1", entries=(1,)),
        movement("P1", 5, bank_ref="B2", entries=(2,)),
    ]
    result = run(
        [line("B1", -5, partner="P1"), line("B2", -5, partner="P1")],
        twice,
        [ledger(1, -5), ledger(2, -5)],
    )
    assert CaseKind.DUPLICATE in kinds(result)


def test_each_credit_of_a_refund_posting_less_than_it_brought_is_a_case_of_its_own() -> None:
    """A credit a person accepted posts no more than was still due: the excess shows as a
    ledger difference, one case per credit (the fingerprint names the bank's booking)."""
    rows = [
        movement(
            "RF-1",
            500_000,
            bank_ref=bank,
            entries=(entry,),
            kind=MovementKind.REFUND,
            direction=1,
            source="payments.refund:7",
        )
        for bank, entry in (("C1", 1), ("C2", 2))
    ]
    result = run(
        [line("C1", 500_000, remark="RF-1"), line("C2", 500_000, remark="RF-1")],
        rows,
        [ledger(1, 400_000), ledger(2, 300_000)],
    )
    assert kinds(result) == [CaseKind.AMOUNT_MISMATCH, CaseKind.AMOUNT_MISMATCH]
    assert sorted(f.fingerprint for f in result.findings) == [
        "ledger:payments.refund:7:RF-1:C1",
        "ledger:payments.refund:7:RF-1:C2",
    ]
