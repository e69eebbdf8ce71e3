"""Generic treasurer transfers (``instruct_transfer``): another app's money leaving the
treasurer's account through the payments outbox, on the real bank simulator. The hold is
posted on success and voided on failure; the purpose's listeners are told exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from digipay.accounts.models import Organisation
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.ledger.models import AccountBalance, Entry
from digipay.ledger.rules import EntryKind
from digipay.payments import queries, services
from digipay.payments.models import BankInstruction, Payment, TreasurerAccount
from digipay.payments.movements import MovementKind, MovementStatus
from digipay.payments.rules import InstructionStatus, PaymentState, Purpose
from digipay.treasury import chart

from ..orders.conftest import tunai
from .conftest import BENDAHARA, BERKAH_BNI, BNI, BRI, TREASURER_A, A, Bank, user

Run = Callable[[], int]
Calls = list[tuple[int, int, bool, str]]


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def posted(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_posted - row.credits_posted)


def pending(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_pending - row.credits_pending)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """A listener of CARD_BILL transfers recording what it was told, alone (the cardbills
    app's own listener would look for a card bill these tests do not make)."""
    monkeypatch.setattr(services, "_listeners", {})
    seen: Calls = []

    def listener(payment: Payment, ins: BankInstruction, succeeded: bool, reason: str) -> None:
        # Called after the hold was resolved, in the same transaction.
        assert payment.settled_entry_id is not None
        seen.append((payment.pk, ins.pk, succeeded, reason))

    services.on_transfer_settled(Purpose.CARD_BILL, listener)
    services.on_transfer_settled(Purpose.CARD_BILL, listener)  # twice: still called once
    return seen


def card_bill(amount: int, **kw: Any) -> Payment:
    satker = satker_a()
    book = chart.satker_book(satker)
    paid = chart.kkp_bill_paid(satker)
    args: dict[str, Any] = {
        "satker": satker,
        "purpose": Purpose.CARD_BILL,
        "purpose_ref": "cardbills.cardbill:7",
        "beneficiary_bank_code": BNI,
        "beneficiary_account": BERKAH_BNI,
        "beneficiary_name": "UD BERKAH TANI MAKMUR",
        "amount_idr": amount,
        "remark": "Tagihan KKP 11/2026",
        "legs": [(paid.pk, amount), (book.up_tunai.pk, -amount)],
        "reason_code": "KKP_BILL",
    }
    args.update(kw)
    with transaction.atomic():
        return services.instruct_transfer(user(BENDAHARA), **args)


def test_generic_transfer_succeeds_posts_the_hold_and_tells_the_listener_once(
    bank: Bank, run_worker: Run, calls: Calls
) -> None:
    satker = satker_a()
    book = chart.satker_book(satker)
    paid = chart.kkp_bill_paid(satker)
    up_before, available_before = posted(book.up_tunai.pk), tunai(satker)
    treasurer_before = bank.balance(BRI, TREASURER_A)
    beneficiary_before = bank.balance(BNI, BERKAH_BNI)

    payment = card_bill(2_345_678)
    assert (payment.purpose, payment.purpose_ref) == (Purpose.CARD_BILL, "cardbills.cardbill:7")
    assert payment.number.startswith(f"TRF/{A}/")
    [ins] = payment.instructions.all()
    assert ins.vendor_id is None
    assert (ins.status, ins.amount_idr, ins.source_account) == (
        InstructionStatus.PENDING,
        2_345_678,
        TREASURER_A,
    )
    # Held at once: the money cannot be spent twice while the bank works.
    assert tunai(satker) == available_before - 2_345_678
    assert pending(book.up_tunai.pk) == -2_345_678
    assert bank.balance(BRI, TREASURER_A) == treasurer_before

    assert run_worker() == 1
    payment.refresh_from_db()
    ins.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert ins.status == InstructionStatus.DONE
    assert ins.bank_reference
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 2_345_678
    assert bank.balance(BNI, BERKAH_BNI) - beneficiary_before == 2_345_678
    # The hold was posted whole: Dr KKP_BILL_PAID, Cr UP_TUNAI.
    settled = Entry.objects.get(pk=payment.settled_entry_id)
    assert settled.kind == EntryKind.POST_HOLD
    assert settled.resolves_id == payment.hold_entry_id
    assert posted(book.up_tunai.pk) - up_before == -2_345_678
    assert posted(paid.pk) == 2_345_678
    assert pending(book.up_tunai.pk) == 0
    assert tunai(satker) == available_before - 2_345_678
    assert calls == [(payment.pk, ins.pk, True, "")]

    # On the treasurer's statement: a card bill out, with its bank reference and entry.
    today = clock.today_jakarta()
    [move] = queries.treasurer_movements(int(satker.pk), today, today)
    assert (move.kind, move.direction, move.amount_idr, move.status) == (
        MovementKind.CARD_BILL,
        -1,
        2_345_678,
        MovementStatus.DONE,
    )
    assert move.bank_reference == ins.bank_reference
    assert move.entry_ids == (settled.pk,)
    assert move.remark == "Tagihan KKP 11/2026"
    assert move.source == f"payments.payment:{payment.pk}"
    # The worker again (and a late replay of the outcome): nothing moves, nobody is told twice.
    assert run_worker() == 0
    services._succeed(ins.pk, ins.bank_reference)
    assert calls == [(payment.pk, ins.pk, True, "")]
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 2_345_678
    assert Entry.objects.filter(resolves_id=payment.hold_entry_id).count() == 1


def test_generic_transfer_failing_voids_the_hold(bank: Bank, run_worker: Run, calls: Calls) -> None:
    satker = satker_a()
    book = chart.satker_book(satker)
    up_before, available_before = posted(book.up_tunai.pk), tunai(satker)
    beneficiary_before = bank.balance(BNI, BERKAH_BNI)
    bank.faults(insufficientFundsAccounts=[f"{BRI}:{TREASURER_A}"])
    payment = card_bill(1_000_000)
    run_worker()
    payment.refresh_from_db()
    [ins] = payment.instructions.all()
    assert payment.state == PaymentState.FAILED
    assert ins.status == InstructionStatus.FAILED
    assert Entry.objects.get(pk=payment.settled_entry_id).kind == EntryKind.VOID_HOLD
    assert posted(book.up_tunai.pk) == up_before
    assert pending(book.up_tunai.pk) == 0
    assert tunai(satker) == available_before  # released
    assert bank.balance(BNI, BERKAH_BNI) == beneficiary_before
    assert len(calls) == 1
    assert calls[0][:3] == (payment.pk, ins.pk, False)
    assert "403" in calls[0][3]
    bank.clear_faults()
    assert run_worker() == 0
    assert len(calls) == 1


def test_an_unknown_outcome_is_settled_by_status_not_resent(
    bank: Bank, run_worker: Run, calls: Calls
) -> None:
    """Timeout after the bank executed: the next pass asks, finds success, posts once."""
    before = bank.balance(BNI, BERKAH_BNI)
    bank.faults(timeoutAfterExecutionShare=1.0, services=["17", "18", "36"])
    payment = card_bill(750_000)
    run_worker()
    [ins] = payment.instructions.all()
    assert ins.status == InstructionStatus.UNKNOWN
    assert calls == []
    bank.clear_faults()
    run_worker()
    ins.refresh_from_db()
    assert ins.status == InstructionStatus.DONE
    assert bank.balance(BNI, BERKAH_BNI) - before == 750_000
    assert [c[2] for c in calls] == [True]


def test_bad_requests_change_nothing(bank: Bank) -> None:
    satker = satker_a()
    book = chart.satker_book(satker)
    paid = chart.kkp_bill_paid(satker)
    count = Payment.objects.count()
    for kw in (
        {"amount_idr": 0, "legs": [(paid.pk, 0), (book.up_tunai.pk, 0)]},
        {"legs": [(paid.pk, 999), (book.up_tunai.pk, -999)]},  # not the amount
        {"legs": [(paid.pk, 1000)]},  # unbalanced
        {"purpose": Purpose.VENDOR},
        {"beneficiary_account": "12ab"},
    ):
        with pytest.raises(ValidationFailed):
            card_bill(1000, **kw)
    # More than UP Tunai holds: the ledger refuses, nothing is queued.
    huge = 10**13
    with pytest.raises(Exception, match="tidak mencukupi"):
        card_bill(huge, legs=[(paid.pk, huge), (book.up_tunai.pk, -huge)])
    TreasurerAccount.objects.filter(satker=satker).delete()
    with pytest.raises(Conflict):
        card_bill(1000)
    assert Payment.objects.count() == count
