"""The PPK's verification: every mismatch flagged (a bill line with no Digipay payment, a
Digipay payment missing from the bill, an amount that differs by Rp1), a mismatched bill not
verifiable, the dispute, separation of duties, tenant isolation and the idempotent fetch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from digipay.accounts import services as accounts
from digipay.cardbills import queries, services
from digipay.cardbills.models import CardBill, CardBillLine
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.payments.models import BankInstruction, Payment
from digipay.treasury.models import KkpCard

from .conftest import BENDAHARA, BRI, CARD_A, PPK, SINAR_BRI, CardBank, Shop, email, user
from .test_cardbills import after, card_paid, fetch, fresh_code, month_of, satker_a

Run = Callable[[], int]


def test_mismatches_are_flagged_and_the_bill_cannot_be_verified(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    matching = card_paid(shop, run_worker, price=2_000_000, qty=1)  # 2.220.000
    off_by_one = card_paid(shop, run_worker, price=1_000_000, qty=1)  # 1.110.000
    vanished = card_paid(shop, run_worker, price=500_000, qty=1)  # 555.000
    # A charge made at the bank outside Digipay.
    outside = bank.gateway(BRI).card_charge(
        card_ref=CARD_A,
        amount_idr=250_000,
        merchant_account_no=SINAR_BRI,
        merchant_bank_code=BRI,
        partner_reference_no="LUAR-DIGIPAY-0001",
    )
    # Digipay recorded one payment Rp1 higher than the bank captured, and one under a
    # reference the bank never issued (so the bank's line has no Digipay payment either).
    BankInstruction.objects.filter(pk=off_by_one.pk).update(amount_idr=1_110_001)
    BankInstruction.objects.filter(pk=vanished.pk).update(
        bank_reference="BRI-TIDAK-ADA", partner_reference_no="DGP-TIDAK-ADA"
    )
    month = month_of(matching)
    with clock.frozen(after(month)):  # the month has ended
        bill = fetch(month)
        assert bill.total_idr == 2_220_000 + 1_110_000 + 555_000 + 250_000
        flags = {
            (line.bank_reference, line.match, line.amount_idr, line.digipay_amount_idr)
            for line in bill.lines.filter(on_bill=True)
        }
        assert flags == {
            (matching.bank_reference, LineMatch.MATCHED, 2_220_000, 2_220_000),
            (off_by_one.bank_reference, LineMatch.AMOUNT_DIFFERS, 1_110_000, 1_110_001),
            (vanished.bank_reference, LineMatch.NO_PAYMENT, 555_000, None),
            (outside.reference_no, LineMatch.NO_PAYMENT, 250_000, None),
        }
        [missing] = bill.lines.filter(on_bill=False)
        assert (missing.instruction_id, missing.match, missing.digipay_amount_idr) == (
            vanished.pk,
            LineMatch.NOT_BILLED,
            555_000,
        )

        with pytest.raises(Conflict) as refused:
            services.verify_bill(user(PPK), bill)
        assert refused.value.code == "not_verifiable"
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.RECEIVED
        with pytest.raises(Conflict):
            services.pay_bill(user(BENDAHARA), bill, otp=fresh_code())
        with pytest.raises(ValidationFailed):
            services.dispute_bill(user(PPK), bill, reason="   ")
        disputed = services.dispute_bill(
            user(PPK), bill, reason="Transaksi Rp250.000 bukan dari Digipay; selisih Rp1."
        )
        assert disputed.state == CardBillState.DISPUTED
        assert disputed.disputed_by == user(PPK)
        # Disputed: nothing is payable, and fetching the same bill again changes nothing.
        with pytest.raises(Conflict) as not_payable:
            services.pay_bill(user(BENDAHARA), disputed, otp=fresh_code())
        assert not_payable.value.code == "not_payable"
        again = fetch(month)
        assert again.pk == bill.pk
        assert again.state == CardBillState.DISPUTED
        assert not Payment.objects.filter(purpose="CARD_BILL").exists()


def test_a_corrected_bill_replaces_a_disputed_one(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=1_110_001)
    month = month_of(charge)
    with clock.frozen(after(month)):  # the month has ended
        bill = services.dispute_bill(user(PPK), fetch(month), reason="Selisih Rp1.")
        # Digipay's record is put right (here: the tampering undone); a fresh fetch of the same
        # bank bill keeps the dispute — the bank's figures did not change.
        BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=1_110_000)
        assert fetch(month).state == CardBillState.DISPUTED
        # The bank's figures change (the bill is corrected at the bank): the stored bill is
        # replaced and matched again.
        CardBillLine.objects.filter(bill=bill).update(amount_idr=1)  # what we stored differs now
        CardBill.objects.filter(pk=bill.pk).update(total_idr=1)
        corrected = fetch(month)
        assert corrected.pk == bill.pk
        assert corrected.state == CardBillState.RECEIVED
        assert corrected.total_idr == 1_110_000
        assert corrected.dispute_reason == ""
        assert services.verify_bill(user(PPK), corrected).state == CardBillState.VERIFIED


def test_fetching_is_idempotent_one_bill_per_card_and_month(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(after(month)):
        # The worker's job: every active card's bill; one not yet verified is asked again
        # (the bank may correct it) and kept while the bank's figures are the same.
        assert services.fetch_due_bills() >= 1
        assert services.fetch_due_bills() >= 1
    first = CardBill.objects.get(card=card, billing_month=month)
    assert first.fetched_by is None
    assert first.fetch_count == 2
    assert first.lines.count() == 1
    again = fetch(month)
    assert again.pk == first.pk
    assert CardBill.objects.filter(card=card, billing_month=month).count() == 1
    assert again.lines.count() == 1
    with clock.frozen(after(month)):
        verified = services.verify_bill(user(PPK), again)
    # Verified: a fetch returns the stored bill, untouched, and the worker no longer asks.
    assert fetch(month).state == CardBillState.VERIFIED == verified.state
    with clock.frozen(after(month)):
        assert services.fetch_due_bills() == 0
    # A month that has not begun cannot be fetched.
    with pytest.raises(ValidationFailed) as open_month:
        services.fetch_bill(user(BENDAHARA), card, month + timedelta(days=40))
    assert open_month.value.code == "invalid_month"


def test_ppk_verifies_bendahara_pays_never_the_same_person_other_satkers_see_nothing(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    with clock.frozen(after(month)):  # the month has ended
        with pytest.raises(PermissionDenied):
            fetch(month, who=PPK)  # fetching is the Bendahara's
        bill = fetch(month)
        with pytest.raises(PermissionDenied):
            services.verify_bill(user(BENDAHARA), bill)
        # Another satker's PPK and Bendahara: not found, as if it did not exist.
        for other in (email("ppk", "652840"), email("bendahara", "652840")):
            with pytest.raises(NotFound):
                queries.bill_for(user(other), bill.pk)
            assert not queries.visible_bills(user(other)).exists()
        with pytest.raises(NotFound):
            services.verify_bill(user(email("ppk", "652840")), bill)

        # The Bendahara, delegated the PPK role, verifies: she may not pay it then.
        bendahara = user(BENDAHARA)
        now = clock.now()
        accounts.create_delegation(
            user(email("admin")),
            delegate=bendahara,
            role="PPK",
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=3),
            reason="PPK cuti, didelegasikan sementara.",
        )
        verified = services.verify_bill(bendahara, bill)
        assert verified.verified_by == bendahara
        with pytest.raises(PermissionDenied) as sod:
            services.pay_bill(bendahara, verified, otp=fresh_code())
        assert sod.value.code == "separation_of_duties"
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.VERIFIED
        # The PPK cannot pay at all.
        with pytest.raises(PermissionDenied):
            services.pay_bill(user(PPK), verified, otp=fresh_code())


def test_the_running_bill_of_this_month_is_shown_but_not_verifiable_yet(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(after(month) - timedelta(days=2)):  # still inside the month
        running = services.fetch_bill(user(BENDAHARA), card, month)
        assert running.state == CardBillState.RECEIVED
        assert running.lines.get().match == LineMatch.MATCHED
        with pytest.raises(Conflict) as early:
            services.verify_bill(user(PPK), running)
        assert early.value.code == "month_open"
        with pytest.raises(ValidationFailed):
            services.dispute_bill(user(PPK), running, reason="Terlalu dini.")
    # Once the month has ended the same bill is verified (fetching again keeps one bill).
    assert fetch(month).pk == running.pk
    with clock.frozen(after(month)):
        assert services.verify_bill(user(PPK), running).state == CardBillState.VERIFIED
