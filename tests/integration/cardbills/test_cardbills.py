"""KKP card bills end to end on the real bank simulator: card payments made through Digipay,
the bank's monthly bill fetched and matched line by line, verified by the PPK, paid by the
Bendahara from UP Tunai; the ledger and the bank checked to the rupiah."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts.models import Organisation
from digipay.cardbills import rules, services
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.core import clock
from digipay.core.errors import Conflict
from digipay.ledger.models import AccountBalance, Entry
from digipay.orders.models import PaymentMethod
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction
from digipay.payments.rules import InstructionKind, InstructionStatus, Source
from digipay.treasury import chart
from digipay.treasury.models import KkpCard
from tests.conftest import current_totp

from ..orders.conftest import card_available, tunai
from .conftest import (
    BENDAHARA,
    BRI,
    CARD_A,
    JUTA,
    PPK,
    SETTLEMENT_BRI,
    TREASURER_A,
    A,
    CardBank,
    Shop,
    make_product,
    received,
    user,
    verified,
)

Run = Callable[[], int]


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def posted(account_id: int) -> int:
    """Posted balance, + debit / − credit."""
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return 0 if row is None else int(row.debits_posted - row.credits_posted)


def pending(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return 0 if row is None else int(row.debits_pending - row.credits_pending)


def fresh_code() -> str:
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return current_totp()


def card_paid(shop: Shop, run_worker: Run, price: int = 5 * JUTA, qty: int = 2) -> BankInstruction:
    """Goods bought by KKP through Digipay, the card charged at the bank (worker)."""
    order = received(
        shop, [(make_product("UMKM-0001", price=price), qty)], method=PaymentMethod.KKP
    )
    invoice = verified(order)
    payments.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source=Source.KKP, otp=fresh_code())
    run_worker()
    ins = BankInstruction.objects.get(lines__invoice=invoice, kind=InstructionKind.CARD_CHARGE)
    assert ins.status == InstructionStatus.DONE, ins.last_error
    return ins


def month_of(ins: BankInstruction) -> date:
    assert ins.finished_at is not None
    return rules.jakarta_month(ins.finished_at)


def after(month: date) -> datetime:
    """An instant early in the next month (Jakarta), when the bill is out."""
    nxt = rules.next_month(month)
    return datetime(nxt.year, nxt.month, 2, 9, 0, tzinfo=clock.JAKARTA)


def fetch(month: date, who: str | None = BENDAHARA) -> CardBill:
    card = KkpCard.objects.get(satker=satker_a())
    with clock.frozen(after(month)):
        return services.fetch_bill(user(who) if who else None, card, month)


def test_a_matching_bill_is_verified_and_paid_with_the_ledger_to_the_rupiah(
    shop: Shop, bank: CardBank, run_worker: Run
) -> None:
    satker = satker_a()
    card = shop.card
    book = chart.satker_book(satker)
    line = chart.card_line(satker, card.pk, card.last4)
    bank_available_before = bank.available()
    card_before = card_available(card)
    first = card_paid(shop, run_worker)  # 11.100.000 (PKP goods, no tax collected on KKP)
    second = card_paid(shop, run_worker, price=1_234_567, qty=1)  # 1.370.369
    assert first.amount_idr == 11_100_000
    assert second.amount_idr == 1_370_369
    total = 11_100_000 + 1_370_369
    assert bank.available() == bank_available_before - total
    assert card_available(card) == card_before - total
    month = month_of(second)
    with clock.frozen(after(month)):  # the month has ended
        assert month_of(first) == month

        bill = fetch(month)
        assert bill.state == CardBillState.RECEIVED
        assert bill.total_idr == total
        assert bill.satker_id == satker.pk
        assert bill.billing_month == month
        assert (bill.pay_to_bank_code, bill.pay_to_account_no) == (BRI, SETTLEMENT_BRI)
        lines = list(bill.lines.order_by("id"))
        assert [(x.bank_reference, x.amount_idr, x.match) for x in lines] == [
            (first.bank_reference, 11_100_000, LineMatch.MATCHED),
            (second.bank_reference, 1_370_369, LineMatch.MATCHED),
        ]
        assert [x.instruction_id for x in lines] == [first.pk, second.pk]
        assert all(x.merchant_name == "CV SINAR JAYA ABADI" for x in lines)
        # No due date from the bank: 5 working days after the month ends.
        assert bill.due_date_source == "RULE"
        assert bill.due_date > rules.next_month(month)

        verified_bill = services.verify_bill(user(PPK), bill)
        assert verified_bill.state == CardBillState.VERIFIED
        paid_before, up_before = posted(chart.kkp_bill_paid(satker).pk), posted(book.up_tunai.pk)
        line_before, limits_before = posted(line.pk), posted(book.card_limits.pk)
        tunai_before = tunai(satker)
        treasurer_before = bank.balance(BRI, TREASURER_A)

        paying = services.pay_bill(user(BENDAHARA), verified_bill, otp=fresh_code())
        assert paying.state == CardBillState.PAYING
        payment = paying.payment
        assert payment is not None
        assert payment.purpose == "CARD_BILL"
        # Held, not yet spent: UP Tunai available down by the bill, nothing posted.
        assert tunai(satker) == tunai_before - total
        assert posted(book.up_tunai.pk) == up_before
        assert bank.balance(BRI, TREASURER_A) == treasurer_before

        run_worker()
        done = CardBill.objects.get(pk=bill.pk)
        assert done.state == CardBillState.PAID
        assert done.paid_at is not None
        [transfer] = payment.instructions.all()
        assert transfer.status == InstructionStatus.DONE
        assert transfer.remark == f"KKP {CARD_A} {month:%Y-%m}"
        assert done.bank_reference == transfer.bank_reference != ""
        # The bank: the treasurer paid the issuer's card settlement account, the limit is free.
        assert treasurer_before - bank.balance(BRI, TREASURER_A) == total
        assert bank.balance(BRI, SETTLEMENT_BRI) >= total
        assert bank.available() == bank_available_before
        # The ledger: Dr KKP_BILL_PAID / Cr UP_TUNAI; Dr KKP_CARD / Cr KKP_CARD_LIMITS.
        assert posted(chart.kkp_bill_paid(satker).pk) - paid_before == total
        assert posted(book.up_tunai.pk) - up_before == -total
        assert pending(book.up_tunai.pk) == 0
        assert posted(line.pk) - line_before == total
        assert posted(book.card_limits.pk) - limits_before == -total
        assert card_available(card) == card_before
        assert tunai(satker) == tunai_before - total
        limit_entry = Entry.objects.get(pk=done.limit_entry_id)
        assert limit_entry.reason_code == "CARD_LIMIT_RESTORED"
        # Paying again is refused; the listener does not run twice.
        with pytest.raises(Conflict):
            services.pay_bill(user(BENDAHARA), done, otp=fresh_code())
        run_worker()
        assert posted(line.pk) - line_before == total
