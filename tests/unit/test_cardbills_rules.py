"""Card bill rules: the line-by-line match (every kind of mismatch, to the rupiah), the billing
month, the due date and what may be done in each state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digipay.cardbills import rules
from digipay.cardbills.rules import BankLine, CardBillState, CardPayment, LineMatch


def pay(i: int, ref: str, amount: int, *, partner: str = "", in_month: bool = True) -> CardPayment:
    return CardPayment(i, ref, partner or f"DGP{i}", amount, in_month)


def test_every_line_matches_by_bank_reference_and_amount() -> None:
    lines = [BankLine("R1", "DGP1", 1_110_000), BankLine("R2", "DGP2", 555_000)]
    found = rules.match_lines(lines, [pay(2, "R2", 555_000), pay(1, "R1", 1_110_000)])
    assert [(m.line_index, m.instruction_id, m.match) for m in found] == [
        (0, 1, LineMatch.MATCHED),
        (1, 2, LineMatch.MATCHED),
    ]
    assert rules.all_match(found)


def test_a_partner_reference_matches_when_digipay_lacks_the_bank_reference() -> None:
    [m] = rules.match_lines([BankLine("R9", "DGP7", 100)], [pay(7, "", 100, partner="DGP7")])
    assert (m.instruction_id, m.match) == (7, LineMatch.MATCHED)


def test_one_rupiah_difference_is_flagged() -> None:
    [m] = rules.match_lines([BankLine("R1", "", 1_110_000)], [pay(1, "R1", 1_110_001)])
    assert (m.match, m.digipay_amount_idr) == (LineMatch.AMOUNT_DIFFERS, 1_110_001)
    assert not rules.all_match([m])


def test_a_line_without_payment_and_a_payment_missing_from_the_bill() -> None:
    found = rules.match_lines(
        [BankLine("R1", "X", 250_000)],
        [pay(3, "R3", 555_000), pay(4, "R4", 10, in_month=False)],
    )
    assert [(m.line_index, m.instruction_id, m.match) for m in found] == [
        (0, None, LineMatch.NO_PAYMENT),
        (None, 3, LineMatch.NOT_BILLED),  # a payment of another month is not expected here
    ]


def test_a_payment_pairs_with_one_line_only() -> None:
    found = rules.match_lines(
        [BankLine("R1", "", 100), BankLine("R1-bis", "DGP1", 100)], [pay(1, "R1", 100)]
    )
    assert [m.match for m in found] == [LineMatch.MATCHED, LineMatch.NO_PAYMENT]


def test_an_empty_bill_with_no_payments_matches() -> None:
    assert rules.match_lines([], []) == []
    assert rules.all_match([])


def test_months() -> None:
    assert rules.parse_month("2026-11") == date(2026, 11, 1)
    for bad in ("2026-13", "2026-1", "26-11", "", "2026-11-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            rules.parse_month(bad)
    assert rules.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert rules.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert rules.month_error(date(2026, 11, 1), date(2026, 11, 30)) is None  # running bill
    assert rules.month_error(date(2026, 12, 1), date(2026, 11, 30)) is not None  # not begun
    assert rules.month_error(date(2026, 11, 2), date(2026, 12, 30)) is not None
    assert not rules.month_ended(date(2026, 11, 1), date(2026, 11, 30))
    assert rules.month_ended(date(2026, 11, 1), date(2026, 12, 1))
    # 2026-11-30 18:00 UTC is already December in Jakarta (UTC+7).
    assert rules.jakarta_month(datetime(2026, 11, 30, 18, 0, tzinfo=UTC)) == date(2026, 12, 1)


def test_due_date_the_banks_or_working_days_after_the_month() -> None:
    assert rules.due_date(date(2026, 11, 1), bank_due=date(2026, 12, 15), workdays=5) == (
        date(2026, 12, 15),
        "BANK",
    )
    # 1 Dec 2026 is a Tuesday: five working days later is Tuesday 8 Dec.
    assert rules.due_date(date(2026, 11, 1), bank_due=None, workdays=5) == (
        date(2026, 12, 8),
        "RULE",
    )
    assert rules.is_overdue(CardBillState.VERIFIED, date(2026, 12, 8), date(2026, 12, 9))
    assert rules.is_overdue(CardBillState.PAYING, date(2026, 12, 8), date(2026, 12, 9))
    assert not rules.is_overdue(CardBillState.PAID, date(2026, 12, 8), date(2026, 12, 9))
    assert not rules.is_overdue(CardBillState.VERIFIED, date(2026, 12, 8), date(2026, 12, 8))


def test_what_each_state_allows() -> None:
    assert rules.verify_error(CardBillState.RECEIVED, matches=True) is None
    assert rules.verify_error(CardBillState.RECEIVED, matches=True, ended=False) is not None
    assert (
        rules.dispute_error(CardBillState.RECEIVED, matches=False, reason="x", ended=False)
        is not None
    )
    assert rules.verify_error(CardBillState.RECEIVED, matches=False) is not None
    assert rules.verify_error(CardBillState.VERIFIED, matches=True) is not None
    assert rules.dispute_error(CardBillState.RECEIVED, matches=False, reason="Selisih") is None
    assert rules.dispute_error(CardBillState.RECEIVED, matches=False, reason=" ") is not None
    assert rules.dispute_error(CardBillState.RECEIVED, matches=True, reason="x") is not None
    assert rules.dispute_error(CardBillState.RECEIVED, matches=False, reason="x" * 1001)
    assert rules.pay_error(CardBillState.VERIFIED, total_idr=1) is None
    for state in (CardBillState.RECEIVED, CardBillState.DISPUTED):
        assert rules.pay_error(state, total_idr=1) is not None
    assert rules.pay_error(CardBillState.PAYING, total_idr=1) is not None
    assert rules.pay_error(CardBillState.PAID, total_idr=1) is not None
    assert rules.pay_error(CardBillState.VERIFIED, total_idr=0) is not None
    assert rules.bill_remark("BRI-KKP-415256-01", date(2026, 11, 1)) == (
        "KKP BRI-KKP-415256-01 2026-11"
    )


def test_a_charge_after_the_booking_cutoff_not_billed_is_expected_on_the_next_bill() -> None:
    month = date(2026, 11, 1)
    end = rules.month_end(month)
    assert end == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # midnight Jakarta, 1 December
    assert rules.after_cutoff(end - rules.BANK_BOOKING_CUTOFF, month)
    assert rules.after_cutoff(datetime(2026, 11, 30, 16, 59, tzinfo=UTC), month)  # 23:59 WIB
    assert not rules.after_cutoff(end - rules.BANK_BOOKING_CUTOFF - timedelta(seconds=1), month)
    assert not rules.after_cutoff(end, month)  # already next month
    edge = CardPayment(5, "R5", "DGP5", 700_000, True, at_edge=True)
    found = rules.match_lines([BankLine("R1", "DGP1", 100)], [pay(1, "R1", 100), edge])
    assert [(m.line_index, m.instruction_id, m.match) for m in found] == [
        (0, 1, LineMatch.MATCHED),
        (None, 5, LineMatch.NEXT_BILL),
    ]
    assert rules.all_match(found)  # it does not block verification
    # Billed this month after all: matched as usual.
    [m] = rules.match_lines([BankLine("R5", "", 700_000)], [edge])
    assert m.match == LineMatch.MATCHED
    # A charge before the cut-off missing from the bill is a mismatch.
    [m] = rules.match_lines([], [pay(6, "R6", 10)])
    assert m.match == LineMatch.NOT_BILLED
    assert not rules.all_match([m])


def test_only_a_bill_fetched_after_its_month_ended_is_verified() -> None:
    month = date(2026, 11, 1)
    assert not rules.fetched_final(month, datetime(2026, 11, 30, 16, 59, tzinfo=UTC))
    assert rules.fetched_final(month, datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    problem = rules.verify_error(CardBillState.RECEIVED, matches=True, final=False)
    assert problem is not None
    assert "final" in problem
    assert rules.dispute_error(CardBillState.RECEIVED, matches=False, reason="x", final=False)
    assert rules.verify_error(CardBillState.RECEIVED, matches=True, final=True) is None


def test_a_bill_paid_outside_digipay_is_refused() -> None:
    assert rules.pay_error(CardBillState.VERIFIED, total_idr=1_000, paid_idr=0) is None
    partly = rules.pay_error(CardBillState.VERIFIED, total_idr=1_000_000, paid_idr=400_000)
    assert partly is not None
    assert "400.000" in partly
    assert rules.pay_error(CardBillState.VERIFIED, total_idr=1_000, paid_idr=1_000) is not None
