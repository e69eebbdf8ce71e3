"""GUP KKP of a card-paid invoice partly refunded: the refund received restored UP Tunai, so
the SP2D pays back the invoice's gross less the refund; the card line of UP KKP still gets the
bill's total back (what the card was charged). A refund still expected holds the GUP KKP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.cardbills import services as cardbills
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.core.errors import Conflict
from digipay.invoicing.models import Invoice
from digipay.ledger.models import AccountBalance
from digipay.payments import refunds
from digipay.payments.models import PaymentInvoice, Refund
from digipay.replenishment import services
from digipay.replenishment.models import Spm, SpmLine
from digipay.replenishment.rules import CreditState
from digipay.treasury import chart

from ...cardbills.conftest import BENDAHARA, PPK, CardBank, Shop, user
from ...cardbills.test_cardbills import after, card_paid, fetch, month_of
from ...payments.test_refunds import credit
from ..conftest import fresh_code, kppn_admin, make_ppspm

Run = Callable[[], int]


def posted(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return int(row.debits_posted - row.credits_posted) if row else 0


def refund_one_unit(invoice: Invoice) -> Refund:
    line = invoice.lines.get()
    return refunds.request_refund(
        user(PPK),
        invoice_id=invoice.pk,
        returned={line.pk: 1},
        amount_idr=1_110_000,
        reason="Satu unit rusak, dikembalikan ke vendor",
    )


def receive(refund: Refund) -> None:
    credit(int(refund.amount_idr), f"retur {refund.reference}")
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == "RECEIVED"


def charged_and_billed(shop: Shop, run: Run, *, refund_received: bool) -> tuple[CardBill, Refund]:
    charge = card_paid(shop, run, price=1_000_000, qty=2)  # 2.220.000 by card, no tax
    paid = PaymentInvoice.objects.select_related("invoice").get(instruction=charge)
    assert (paid.gross_idr, paid.net_idr) == (2_220_000, 2_220_000)
    refund = refund_one_unit(paid.invoice)
    if refund_received:
        receive(refund)
    month = month_of(charge)
    bill = fetch(month)
    with clock.frozen(after(month)):
        bill = cardbills.verify_bill(user(PPK), bill)
    cardbills.pay_bill(user(BENDAHARA), bill, otp=fresh_code())
    run()
    bill = CardBill.objects.get(pk=bill.pk)
    assert bill.state == CardBillState.PAID
    assert bill.total_idr == 2_220_000
    return bill, refund


def test_gup_kkp_pays_back_the_card_invoice_less_the_refund(
    shop: Shop, bank: CardBank, span: str, run_worker: Run
) -> None:
    bill, _refund = charged_and_billed(shop, run_worker, refund_received=True)
    satker = shop.satker
    book = chart.satker_book(satker)
    tunai_before, kkp_before = posted(book.up_tunai.pk), posted(book.up_kkp.pk)
    spm = services.draft_gup_kkp(user(BENDAHARA))
    assert spm.amount_idr == 1_110_000
    [line] = SpmLine.objects.filter(spm=spm)
    assert (line.gross_idr, line.net_idr, line.taxes) == (1_110_000, 1_110_000, {})
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.credit_status == CreditState.CREDITED
    # UP Tunai: the refund (1.110.000) and the SP2D (1.110.000) make the bill's 2.220.000
    # back, not 3.330.000; the card line gets the bill's total back.
    assert posted(book.up_tunai.pk) - tunai_before == 1_110_000
    assert posted(book.up_kkp.pk) - kkp_before == bill.total_idr
    assert posted(chart.kkp_bill_paid(satker).pk) == 0


def test_gup_kkp_waits_for_a_refund_still_expected(
    shop: Shop, bank: CardBank, span: str, run_worker: Run
) -> None:
    _bill, refund = charged_and_billed(shop, run_worker, refund_received=False)
    with pytest.raises(Conflict) as refused:
        services.draft_gup_kkp(user(BENDAHARA))
    assert refused.value.code == "refund_expected"
    assert not Spm.objects.exists()
    receive(refund)
    assert services.draft_gup_kkp(user(BENDAHARA)).amount_idr == 1_110_000
