"""A bill payment the bank refuses goes back to verified with the reason and the UP Tunai hold
released, and can be paid again; the simulator frees a card's limit only for a transfer to the
issuer's card settlement account quoting the card, never beyond what was charged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from digipay.cardbills import services
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.integrations.banks.gateway import TransferInstruction
from digipay.payments.models import Payment
from digipay.payments.rules import PaymentState
from digipay.snap import values
from digipay.treasury import chart

from ..orders.conftest import tunai
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
from .test_cardbills import (
    after,
    card_paid,
    fetch,
    fresh_code,
    month_of,
    pending,
    posted,
    satker_a,
)

Run = Callable[[], int]


def test_a_refused_transfer_puts_the_bill_back_to_verified_with_the_reason(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=2)  # 2.220.000
    with clock.frozen(after(month_of(charge))):  # the month has ended
        bill = services.verify_bill(user(PPK), fetch(month_of(charge)))
        satker = satker_a()
        book = chart.satker_book(satker)
        tunai_before, up_before = tunai(satker), posted(book.up_tunai.pk)
        bank.admin("PUT", f"/admin/accounts/{BRI}/{TREASURER_A}", {"status": "DORMANT"})
        services.pay_bill(user(BENDAHARA), bill, otp=fresh_code())
        assert tunai(satker) == tunai_before - 2_220_000  # held while the bank works
        run_worker()
        failed = CardBill.objects.get(pk=bill.pk)
        assert failed.state == CardBillState.VERIFIED
        assert failed.failure_reason
        assert Payment.objects.get(pk=failed.payment_id).state == PaymentState.FAILED
        # Nothing spent: the hold is released, the ledger and the card untouched.
        assert tunai(satker) == tunai_before
        assert posted(book.up_tunai.pk) == up_before
        assert pending(book.up_tunai.pk) == 0
        assert failed.limit_entry_id is None
        available = bank.available()

        bank.admin("PUT", f"/admin/accounts/{BRI}/{TREASURER_A}", {"status": "ACTIVE"})
        services.pay_bill(user(BENDAHARA), failed, otp=fresh_code())
        run_worker()
        paid = CardBill.objects.get(pk=bill.pk)
        assert paid.state == CardBillState.PAID
        assert paid.failure_reason == ""
        assert posted(book.up_tunai.pk) - up_before == -2_220_000
        assert bank.available() - available == 2_220_000
        assert Payment.objects.filter(purpose="CARD_BILL").count() == 2


def test_the_simulator_frees_the_limit_only_for_a_quoted_bill_payment(bank: CardBank) -> None:
    gateway = bank.gateway(BRI)
    limit = bank.available()
    gateway.card_charge(
        card_ref=CARD_A,
        amount_idr=300_000,
        merchant_account_no=SINAR_BRI,
        merchant_bank_code=BRI,
        partner_reference_no="UJI-KKP-0001",
    )
    assert bank.available() == limit - 300_000

    def send(amount: int, remark: str) -> None:
        external = values.new_external_id(datetime.now(UTC))
        gateway.transfer(
            TransferInstruction(
                partner_reference_no=f"DGP{external}",
                external_id=external,
                source_account=TREASURER_A,
                beneficiary_account=SETTLEMENT_BRI,
                beneficiary_bank_code=BRI,
                beneficiary_name="BRI PELUNASAN TAGIHAN KKP",
                amount_idr=amount,
                remark=remark,
            )
        )

    send(100_000, "pembayaran tanpa kutipan kartu")  # a plain credit: nothing freed
    assert bank.available() == limit - 300_000
    send(100_000, f"KKP {CARD_A} 2026-11")
    assert bank.available() == limit - 200_000
    send(500_000, f"KKP {CARD_A} 2026-11")  # overpaid: the limit never exceeds the card's
    assert bank.available() == limit
    bill = gateway.card_bill(card_ref=CARD_A, billing_month="2026-11")
    assert (bill.pay_to_bank_code, bill.pay_to_account_no) == (BRI, SETTLEMENT_BRI)
    assert bill.pay_remark == f"KKP {CARD_A} 2026-11"
    assert bill.paid_idr == 600_000
