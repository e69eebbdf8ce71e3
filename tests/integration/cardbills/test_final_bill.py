"""Only the bank's final bill is verified (a running bill read during the month is fetched
again by the worker, and so is a disputed one); a bill the bank says was paid outside Digipay
is not paid again; a charge of the month's last hours that the bank books on the 1st is
expected on the next bill, where it must be matched (ADR 0022)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digipay.cardbills import rules, services
from digipay.cardbills.models import CardBill, CardBillLine
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.integrations.banks.gateway import TransferInstruction
from digipay.payments.models import BankInstruction, Payment
from digipay.snap import values
from digipay.treasury import chart
from digipay.treasury.models import KkpCard

from .conftest import (
    BENDAHARA,
    BRI,
    CARD_A,
    PPK,
    SETTLEMENT_BRI,
    SINAR_BRI,
    TREASURER_A,
    CardBank,
    Shop,
    user,
)
from .test_cardbills import after, card_paid, fetch, fresh_code, month_of, pending, posted, satker_a
from .test_pages_api import login

Run = Callable[[], int]


def running(month_end: datetime) -> datetime:
    """Two days before the month ends: the bill is the running one."""
    return month_end - timedelta(days=2)


def test_a_running_bill_is_replaced_by_the_final_one_before_it_can_be_verified(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    """The reviewer's scenario: the Bendahara reads the running bill, the card is used again
    (here outside Digipay), the month ends. The worker must fetch the final bill, and the
    PPK must not verify the partial one."""
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(running(rules.month_end(month))):
        partial = services.fetch_bill(user(BENDAHARA), card, month)
    assert partial.total_idr == charge.amount_idr
    bank.gateway(BRI).card_charge(
        card_ref=CARD_A,
        amount_idr=250_000,
        merchant_account_no=SINAR_BRI,
        merchant_bank_code=BRI,
        partner_reference_no="LUAR-0001",
    )
    with clock.frozen(after(month)):
        # Before the worker ran: the stored bill is the running one, not verifiable.
        with pytest.raises(Conflict) as refused:
            services.verify_bill(user(PPK), CardBill.objects.get(pk=partial.pk))
        assert refused.value.code == "not_final"
        assert CardBill.objects.get(pk=partial.pk).state == CardBillState.RECEIVED

        assert services.fetch_due_bills(after(month).date()) >= 1
        final = CardBill.objects.get(pk=partial.pk)
        bank_final = bank.gateway(BRI).card_bill(card_ref=CARD_A, billing_month=f"{month:%Y-%m}")
        assert final.total_idr == bank_final.total_idr == charge.amount_idr + 250_000
        assert final.fetch_count == 2
        assert rules.fetched_final(month, final.fetched_at)
        # The charge made outside Digipay is on it: a mismatch, never verified.
        assert final.lines.filter(match=LineMatch.NO_PAYMENT).count() == 1
        with pytest.raises(Conflict) as mismatch:
            services.verify_bill(user(PPK), final)
        assert mismatch.value.code == "not_verifiable"


def test_a_running_bill_the_bank_did_not_change_is_verified_once_read_after_the_month(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(running(rules.month_end(month))):
        partial = services.fetch_bill(user(BENDAHARA), card, month)
    with clock.frozen(after(month)):
        with pytest.raises(ValidationFailed, match="tagihan final"):
            services.dispute_bill(user(PPK), partial, reason="Belum final.")
        services.fetch_due_bills(after(month).date())
        same = CardBill.objects.get(pk=partial.pk)
        assert same.fetch_count == 2
        assert rules.fetched_final(month, same.fetched_at)
        assert services.verify_bill(user(PPK), same).state == CardBillState.VERIFIED
        # A verified final bill is not asked for again.
        assert services.fetch_due_bills(after(month).date()) == 0


def test_the_worker_fetches_the_corrected_version_of_a_disputed_bill(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=charge.amount_idr + 1)
    month = month_of(charge)
    with clock.frozen(after(month)):
        bill = services.dispute_bill(user(PPK), fetch(month), reason="Selisih Rp1.")
        BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=charge.amount_idr)
        # The bank corrects the bill (here: what was stored differs from the bank's figures).
        CardBillLine.objects.filter(bill=bill).update(amount_idr=1)
        CardBill.objects.filter(pk=bill.pk).update(total_idr=1)
        assert services.fetch_due_bills(after(month).date()) >= 1
        corrected = CardBill.objects.get(pk=bill.pk)
        assert corrected.state == CardBillState.RECEIVED
        assert corrected.total_idr == charge.amount_idr
        assert services.verify_bill(user(PPK), corrected).state == CardBillState.VERIFIED


def _pay_outside(bank: CardBank, amount: int, month_text: str) -> None:
    """A transfer to the issuer's card settlement account quoting the bill, not by Digipay."""
    external = values.new_external_id(datetime.now(UTC))
    bank.gateway(BRI).transfer(
        TransferInstruction(
            partner_reference_no=f"LUAR{external}",
            external_id=external,
            source_account=TREASURER_A,
            beneficiary_account=SETTLEMENT_BRI,
            beneficiary_bank_code=BRI,
            beneficiary_name="BRI PELUNASAN TAGIHAN KKP",
            amount_idr=amount,
            remark=f"KKP {CARD_A} {month_text}",
        )
    )


def test_a_bill_partly_paid_outside_digipay_is_not_paid_again(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    satker = satker_a()
    book = chart.satker_book(satker)
    up_before = posted(book.up_tunai.pk)
    _pay_outside(bank, 400_000, rules.month_text(month))
    with clock.frozen(after(month)):
        bill = fetch(month)
        assert bill.paid_idr == 400_000  # the bank's paidAmount, stored at the fetch
        verified = services.verify_bill(user(PPK), bill)
        with pytest.raises(Conflict) as refused:
            services.pay_bill(user(BENDAHARA), verified, otp=fresh_code())
        assert refused.value.code == "paid_outside"
        assert "400.000" in refused.value.message
    # Nothing asked of the bank, nothing held or posted.
    assert CardBill.objects.get(pk=bill.pk).state == CardBillState.VERIFIED
    assert not Payment.objects.filter(purpose="CARD_BILL").exists()
    assert posted(book.up_tunai.pk) == up_before
    assert pending(book.up_tunai.pk) == 0


def test_paid_idr_is_refreshed_at_each_fetch(shop: Shop, bank: CardBank, run_worker: Run) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    assert fetch(month).paid_idr == 0
    _pay_outside(bank, charge.amount_idr, rules.month_text(month))
    refreshed = fetch(month)  # the same bill: kept, what was paid refreshed
    assert refreshed.fetch_count == 2
    assert refreshed.paid_idr == charge.amount_idr


def test_a_charge_after_the_booking_cutoff_is_expected_on_the_next_bill(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    """Digipay finished the charge 30 minutes before the month ended; the bank booked it on
    the 1st (here: the simulator books it in the month it was really made, the next one)."""
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    billed_month = month_of(charge)  # the bank's month for it
    edge_month = rules.previous_month(billed_month)
    edge = rules.month_end(edge_month) - timedelta(minutes=30)
    BankInstruction.objects.filter(pk=charge.pk).update(finished_at=edge)
    with clock.frozen(after(edge_month)):
        bill = fetch(edge_month)
        assert bill.total_idr == 0
        [line] = bill.lines.all()
        assert (line.on_bill, line.instruction_id, line.match) == (
            False,
            charge.pk,
            LineMatch.NEXT_BILL,
        )
        assert not line.mismatch
        # It does not block this month's verification.
        assert services.verify_bill(user(PPK), bill).state == CardBillState.VERIFIED
    # Next month's bill has it, and it is matched there.
    with clock.frozen(after(billed_month)):
        nxt = fetch(billed_month)
        [billed] = nxt.lines.all()
        assert (billed.on_bill, billed.instruction_id, billed.match) == (
            True,
            charge.pk,
            LineMatch.MATCHED,
        )
        assert services.verify_bill(user(PPK), nxt).state == CardBillState.VERIFIED


def test_a_charge_before_the_booking_cutoff_missing_from_the_bill_blocks_it(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    edge_month = rules.previous_month(month_of(charge))
    early = rules.month_end(edge_month) - rules.BANK_BOOKING_CUTOFF - timedelta(minutes=1)
    BankInstruction.objects.filter(pk=charge.pk).update(finished_at=early)
    with clock.frozen(after(edge_month)):
        bill = fetch(edge_month)
        assert [x.match for x in bill.lines.all()] == [LineMatch.NOT_BILLED]
        with pytest.raises(Conflict):
            services.verify_bill(user(PPK), bill)


def test_the_pages_ask_for_the_final_bill_and_hide_paying_a_bill_paid_outside(
    shop: Shop, bank: CardBank, run_worker: Run, login_client: Any
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(running(rules.month_end(month))):
        bill = services.fetch_bill(user(BENDAHARA), card, month)
    with clock.frozen(after(month)):
        ppk = login(login_client, PPK)
        page = ppk.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert 'data-testid="not-final"' in page
        assert f'action="/tagihan-kkp/{bill.pk}/verifikasi/"' not in page
        _pay_outside(bank, 100_000, rules.month_text(month))
        services.fetch_due_bills(after(month).date())
        page = ppk.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert 'data-testid="not-final"' not in page
        assert f'action="/tagihan-kkp/{bill.pk}/verifikasi/"' in page
        services.verify_bill(user(PPK), CardBill.objects.get(pk=bill.pk))
        page = login(login_client, BENDAHARA).get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert 'data-testid="paid-outside"' in page
        assert f'action="/tagihan-kkp/{bill.pk}/bayar/"' not in page


def test_a_bill_verified_from_a_running_read_is_not_paid_and_is_fetched_again(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    """A bill verified before the final bill was required (data from before the fix)."""
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(running(rules.month_end(month))):
        bill = services.fetch_bill(user(BENDAHARA), card, month)
    CardBill.objects.filter(pk=bill.pk).update(
        state=CardBillState.VERIFIED, verified_by=user(PPK), verified_at=clock.now()
    )
    bank.gateway(BRI).card_charge(
        card_ref=CARD_A,
        amount_idr=250_000,
        merchant_account_no=SINAR_BRI,
        merchant_bank_code=BRI,
        partner_reference_no="LUAR-0002",
    )
    with clock.frozen(after(month)):
        with pytest.raises(Conflict) as refused:
            services.pay_bill(user(BENDAHARA), CardBill.objects.get(pk=bill.pk), otp=fresh_code())
        assert refused.value.code == "not_final"
        assert services.fetch_due_bills(after(month).date()) >= 1
        final = CardBill.objects.get(pk=bill.pk)
        assert final.state == CardBillState.RECEIVED
        assert final.verified_by is None
        assert final.total_idr == charge.amount_idr + 250_000
