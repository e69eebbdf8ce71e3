"""Pure rules of invoicing: register numbers, faktur pajak numbers, deposit due dates (the
15th of the next month, moved past weekends and national holidays), credit-note arithmetic
(never negative, never beyond the invoice), the state table and the monthly report."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.invoicing import rules
from digipay.invoicing.rules import (
    Action,
    CreditRequest,
    DepositFact,
    DepositStatus,
    Figures,
    InvoiceState,
    LineBalance,
    TaxAmount,
)
from digipay.tax.rules import Line, Tax

# --- numbering ------------------------------------------------------------------------------


def test_invoice_and_credit_note_registers() -> None:
    assert rules.register_number(rules.INVOICE, "415256", 2026, 1) == "INV/415256/2026/00001"
    assert rules.register_number(rules.CREDIT_NOTE, "415256", 2027, 42) == "KN/415256/2027/00042"
    assert rules.register_prefix("INV", "415256", 2026) == "INV/415256/2026/"
    assert rules.register_number("INV", "415256", 2026, 123456).endswith("/123456")
    with pytest.raises(ValueError, match="sequence"):
        rules.register_number("INV", "415256", 2026, 0)


# --- faktur pajak numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("010.000-25.00000001", "0100002500000001"),  # e-Faktur, normal
        ("021.000-24.12345678", "0210002412345678"),  # e-Faktur, pengganti
        ("0100002500000001", "0100002500000001"),
        ("04002500000000001", "04002500000000001"),  # Coretax
        ("10.00.25.00000000001", "10002500000000001"),  # Coretax code 10, with dots
        ("", ""),  # not yet given
    ],
)
def test_valid_faktur_numbers(typed: str, digits: str) -> None:
    assert rules.clean_faktur_number(typed) == (digits, None)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("12345", "16 digit"),
        ("010.000-25.0000000A", "16 digit"),
        ("010000250000000011234", "16 digit"),
        ("000.000-25.00000001", "Kode transaksi"),
        ("100.000-25.00000001", "01 sampai 09"),  # code 10 exists only in Coretax
        ("11002500000000001", "01 sampai 10"),
        ("012.000-25.00000001", "Kode status"),
        ("010.000-25.00000000", "nol semua"),
    ],
)
def test_invalid_faktur_numbers_are_explained(typed: str, fragment: str) -> None:
    digits, problem = rules.clean_faktur_number(typed)
    assert digits is None
    assert problem is not None
    assert fragment in problem


def test_faktur_numbers_are_shown_as_each_system_writes_them() -> None:
    assert rules.format_faktur_number("0100002500000001") == "010.000-25.00000001"
    assert rules.format_faktur_number("04002500000000001") == "04002500000000001"


def test_vendor_invoice_number() -> None:
    assert rules.clean_vendor_invoice_number("  INV/2026/ 07-1 ") == ("INV/2026/ 07-1", None)
    assert rules.clean_vendor_invoice_number("x" * 41)[0] is None
    assert rules.clean_vendor_invoice_number("<script>")[0] is None


# --- due dates ------------------------------------------------------------------------------


def test_due_on_the_15th_of_the_next_month() -> None:
    assert rules.deposit_due_date(date(2026, 6, 3)) == date(2026, 7, 15)  # a Wednesday
    assert rules.deposit_due_date(date(2026, 12, 31)) == date(2027, 1, 15)  # next year


def test_due_date_moves_past_a_weekend() -> None:
    # 15 March 2026 is a Sunday.
    assert rules.deposit_due_date(date(2026, 2, 28)) == date(2026, 3, 16)


def test_due_date_moves_past_a_national_holiday_on_the_15th() -> None:
    # 15 April 2022 was Good Friday (a national holiday), then a weekend: Monday 18 April.
    assert rules.deposit_due_date(date(2022, 3, 31)) == date(2022, 4, 18)


def test_due_date_moves_past_a_weekend_and_then_a_holiday() -> None:
    # 15 August 2026 is a Saturday; Monday 17 August is Independence Day.
    assert rules.deposit_due_date(date(2026, 7, 20)) == date(2026, 8, 18)


def test_due_date_with_a_given_calendar() -> None:
    closed = {date(2026, 7, 15), date(2026, 7, 16)}
    assert rules.deposit_due_date(date(2026, 6, 1), working_day=lambda d: d not in closed) == date(
        2026, 7, 17
    )


def test_tax_period_and_account_codes() -> None:
    assert rules.tax_period(date(2026, 7, 20)) == date(2026, 7, 1)
    assert rules.ACCOUNT_CODE == {
        Tax.PPH22: "411122",
        Tax.PPH23: "411124",
        Tax.PPH_FINAL: "411128",
        Tax.PPN: "411211",
    }


def test_overdue() -> None:
    due = date(2026, 8, 18)
    assert not rules.is_overdue(status=DepositStatus.OPEN, due_date=due, today=due)
    assert rules.is_overdue(status=DepositStatus.OPEN, due_date=due, today=date(2026, 8, 19))
    assert not rules.is_overdue(status=DepositStatus.PAID, due_date=due, today=date(2026, 9, 1))
    assert not rules.is_overdue(status=DepositStatus.VOID, due_date=due, today=date(2026, 9, 1))


# --- credit notes ---------------------------------------------------------------------------

BAL = {
    1: LineBalance(1, "goods", 5_000_000, 2, 10_000_000),
    2: LineBalance(2, "services", 1_000_000, 3, 3_000_000),
}


def test_credit_within_the_invoice() -> None:
    assert rules.credit_problem(BAL, {1: CreditRequest(quantity=2)}) is None
    assert rules.credit_problem(BAL, {2: CreditRequest(amount=3_000_000)}) is None


@pytest.mark.parametrize(
    ("requests", "fragment"),
    [
        ({}, "paling sedikit satu"),
        ({1: CreditRequest()}, "paling sedikit satu"),
        ({1: CreditRequest(quantity=3)}, "melebihi sisa tagihan"),
        ({1: CreditRequest(amount=10_000_001)}, "melebihi sisa nilai"),
        ({1: CreditRequest(quantity=1, amount=1)}, "tidak keduanya"),
        ({1: CreditRequest(quantity=-1)}, "negatif"),
        ({9: CreditRequest(quantity=1)}, "tidak dikenal"),
    ],
)
def test_credit_refused(requests: dict[int, CreditRequest], fragment: str) -> None:
    problem = rules.credit_problem(BAL, requests)
    assert problem is not None
    assert fragment in problem


def test_quantity_credit_after_a_value_credit_counts_the_value() -> None:
    after = rules.balances_after(BAL, {1: CreditRequest(amount=6_000_000)})
    assert after[1] == LineBalance(1, "goods", 5_000_000, 2, 4_000_000)
    # One unit (Rp5 juta) is more than the Rp4 juta left.
    assert "melebihi sisa nilai" in (
        rules.credit_problem(after, {1: CreditRequest(quantity=1)}) or ""
    )


def test_engine_lines_of_what_is_left() -> None:
    after = rules.balances_after(
        BAL, {1: CreditRequest(quantity=2), 2: CreditRequest(amount=500_000)}
    )
    assert rules.engine_lines(after.values()) == (
        Line(kind="services", quantity=1, unit_price=2_500_000),
    )
    assert rules.engine_lines(BAL.values()) == (
        Line(kind="goods", quantity=2, unit_price=5_000_000),
        Line(kind="services", quantity=3, unit_price=1_000_000),
    )


INVOICE = Figures(
    10_000_000,
    {Tax.PPN: TaxAmount(1_100_000, 1_100_000), Tax.PPH22: TaxAmount(150_000, 150_000)},
)


def test_figures() -> None:
    assert INVOICE.gross == 11_100_000
    assert INVOICE.collected_total == 1_250_000
    assert INVOICE.net == 9_850_000
    assert INVOICE.withheld == (Tax.PPN, Tax.PPH22)


def test_outstanding_is_the_invoice_minus_its_credit_notes() -> None:
    half = Figures(
        5_000_000, {Tax.PPN: TaxAmount(550_000, 550_000), Tax.PPH22: TaxAmount(75_000, 75_000)}
    )
    left = rules.outstanding(INVOICE, [half])
    assert left == half
    assert rules.outstanding(INVOICE, [half, half]) == rules.ZERO


amounts = st.integers(min_value=0, max_value=10**12)


def figures() -> st.SearchStrategy[Figures]:
    tax = st.builds(lambda a, c: TaxAmount(a, min(a, c)), amounts, amounts)
    return st.builds(
        Figures, amounts, st.dictionaries(st.sampled_from(list(Tax.values)), tax, max_size=4)
    )


@given(figures(), st.lists(figures(), max_size=4))
def test_outstanding_is_never_negative(invoice: Figures, credits: list[Figures]) -> None:
    left = rules.outstanding(invoice, credits)
    assert left.base >= 0
    for tax in Tax.values:
        assert 0 <= left.amount(tax) <= invoice.amount(tax)
        assert 0 <= left.collected(tax) <= invoice.collected(tax)
    assert left.base <= invoice.base


# --- state table ------------------------------------------------------------------------------


def test_state_table() -> None:
    state = InvoiceState
    assert rules.transition(state.UNVERIFIED, Action.VERIFY).target == state.VERIFIED  # type: ignore[union-attr]
    assert rules.transition(state.RETURNED, Action.VENDOR_NUMBERS).target == state.UNVERIFIED  # type: ignore[union-attr]
    assert rules.transition(state.VERIFIED, Action.VENDOR_NUMBERS) is None
    assert rules.transition(state.RETURNED, Action.VERIFY) is None
    assert rules.transition(state.VERIFIED, Action.VERIFY) is None
    assert rules.transition(state.PAID, Action.CREDIT) is None  # corrections before payment only
    assert rules.actions_from(state.PAID) == []
    gates = {t.action: t.gate for t in rules.TRANSITIONS}
    assert gates[Action.VERIFY] == gates[Action.RETURN] == "invoice.verify"
    assert gates[Action.CREDIT] == "invoice.credit"


def test_collector_per_payment_method() -> None:
    assert rules.collector_for("TRANSFER") == "BENDAHARA"
    assert rules.collector_for("KKP") == "KKP"
    with pytest.raises(ValueError, match="payment method"):
        rules.collector_for("")


# --- monthly report ---------------------------------------------------------------------------


def test_monthly_report_per_account_code() -> None:
    due = date(2026, 8, 18)
    facts = [
        DepositFact(Tax.PPN, "411211", 1_100_000, DepositStatus.OPEN, due),
        DepositFact(Tax.PPH22, "411122", 150_000, DepositStatus.OPEN, due),
        DepositFact(Tax.PPH22, "411122", 60_000, DepositStatus.PAID, due),
        DepositFact(Tax.PPH22, "411122", 99_000, DepositStatus.VOID, due),
    ]
    rows = rules.monthly_report(facts, today=date(2026, 8, 19))
    assert [r.account_code for r in rows] == ["411211", "411122"]
    pph22 = rows[1]
    assert (pph22.collected, pph22.deposited, pph22.outstanding, pph22.overdue, pph22.count) == (
        210_000,
        60_000,
        150_000,
        150_000,
        2,
    )
    total = rules.report_total(rows)
    assert (total.collected, total.deposited, total.outstanding) == (1_310_000, 60_000, 1_250_000)
    on_time = rules.monthly_report(facts, today=due)
    assert rules.report_total(on_time).overdue == 0
