"""Pure rules of tax deposits and refunds (payments.rules) and the deposit flags
(invoicing.rules): whose NPWP a billing is in, the MPN reference, what may be asked back for
returned goods, whether a credit quotes a refund, overdue and late deposits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digipay.invoicing.rules import DepositStatus, deposited_late, is_overdue, late
from digipay.payments import rules
from digipay.payments.rules import RefundLine


def test_the_billing_is_in_the_vendors_npwp_or_else_the_satkers() -> None:
    assert rules.taxpayer("0012345678901000", "0987654321098000", "") == (
        "0012345678901000",
        "0012345678901000000000",
    )
    # A 15-digit NPWP gets its leading zero.
    assert rules.taxpayer("012345678901000", "", "") == (
        "0012345678901000",
        "0012345678901000000000",
    )
    # No usable vendor NPWP: the satker's, with its own NITKU when it matches.
    assert rules.taxpayer("", "0987654321098000", "0987654321098000000123") == (
        "0987654321098000",
        "0987654321098000000123",
    )
    assert rules.taxpayer("0000000000000000", "0987654321098000", "bad") == (
        "0987654321098000",
        "0987654321098000000000",
    )
    assert rules.taxpayer("", "", "") is None


def test_mpn_reference_is_within_the_simulators_alphabet() -> None:
    ref = rules.mpn_reference("415256", "A1B2C3D4E5F60718")
    assert ref == "DGP-415256-A1B2C3D4E5F60718"
    assert len(ref) <= 64
    assert all(c.isalnum() or c in "._-" for c in ref)


def test_deposit_batches() -> None:
    assert rules.deposit_batch_error([1, 2]) is None
    assert rules.deposit_batch_error([])
    assert rules.deposit_batch_error([1, 1])
    assert rules.deposit_batch_error(list(range(rules.MAX_DEPOSITS + 1)))


LINES = {
    7: RefundLine(7, quantity=2, paid_idr=11_100_000, already=0),
    8: RefundLine(8, quantity=3, paid_idr=1_000_000, already=1),
}


def test_refund_cap_is_what_was_paid_for_the_returned_units_never_a_rupiah_more() -> None:
    assert rules.refund_cap(LINES, {7: 1}) == 5_550_000
    assert rules.refund_cap(LINES, {7: 2}) == 11_100_000
    # 1.000.000 / 3 per unit: floor, so three separate refunds never exceed what was paid.
    assert rules.refund_cap(LINES, {8: 1}) == 333_333
    assert rules.refund_cap(LINES, {7: 1, 8: 2}) == 5_550_000 + 666_666


@pytest.mark.parametrize(
    "returned",
    [{}, {9: 1}, {7: 0}, {7: -1}, {7: 3}, {8: 3}, {7: True}],  # 8: one already refunded
)
def test_refund_cap_refuses_bad_returns(returned: dict[int, int]) -> None:
    assert isinstance(rules.refund_cap(LINES, returned), str)


def test_refund_amount_and_reason() -> None:
    assert rules.refund_error(5_550_000, 5_550_000, "Satu unit rusak berat") is None
    assert rules.refund_error(5_550_001, 5_550_000, "Satu unit rusak berat")
    assert rules.refund_error(0, 5_550_000, "Satu unit rusak berat")
    assert rules.refund_error(5_000, 5_550_000, "rusak")


def test_a_credit_quotes_a_reference_as_a_whole_word() -> None:
    assert rules.quotes("RF0123456789", "Retur rf0123456789 CV Sinar")
    assert rules.quotes("RF0123456789", "", "RF0123456789")
    assert rules.quotes("RF0123456789", "PENGEMBALIAN/RF0123456789/INV-1")
    assert not rules.quotes("RF0123456789", "RF01234567890")  # a longer number
    assert not rules.quotes("RF0123456789", "RF012345678")
    assert not rules.quotes("RF0123456789", "", "")


DUE = date(2026, 12, 15)


def test_overdue_and_late_deposits() -> None:
    today = date(2026, 12, 16)
    assert is_overdue(status=DepositStatus.OPEN, due_date=DUE, today=today)
    assert is_overdue(status=DepositStatus.PROCESSING, due_date=DUE, today=today)
    assert not is_overdue(status=DepositStatus.OPEN, due_date=DUE, today=DUE)
    assert not is_overdue(status=DepositStatus.PAID, due_date=DUE, today=today)
    assert deposited_late(status=DepositStatus.PAID, due_date=DUE, deposited_on=today)
    assert not deposited_late(status=DepositStatus.PAID, due_date=DUE, deposited_on=DUE)
    assert late(status=DepositStatus.PAID, due_date=DUE, deposited_on=today, today=today)
    assert late(status=DepositStatus.OPEN, due_date=DUE, deposited_on=None, today=today)
    assert not late(status=DepositStatus.PAID, due_date=DUE, deposited_on=DUE, today=today)
    assert not late(status=DepositStatus.VOID, due_date=DUE, deposited_on=None, today=today)


def test_a_billing_too_close_to_its_expiry_is_not_paid() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    margin = timedelta(hours=6)
    fine = now + timedelta(days=6)
    assert not rules.billing_too_late(expired=False, expires_at=fine, now=now, margin=margin)
    assert rules.billing_too_late(expired=True, expires_at=fine, now=now, margin=margin)
    soon = now + timedelta(hours=5)
    assert rules.billing_too_late(expired=False, expires_at=soon, now=now, margin=margin)
    assert rules.billing_too_late(expired=False, expires_at=now + margin, now=now, margin=margin)
