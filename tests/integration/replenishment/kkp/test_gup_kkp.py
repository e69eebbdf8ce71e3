"""GUP KKP: a KKP bill paid from UP Tunai is replenished through SPAN with no threshold; the
SP2D credit restores UP Tunai and the UP KKP line (Dr UP_TUNAI / Cr GUP_DISBURSED; Dr UP_KKP /
Cr KKP_BILL_PAID), once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.cardbills import services as cardbills
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.core.errors import Conflict
from digipay.ledger.models import AccountBalance, Entry
from digipay.replenishment import queries, services
from digipay.replenishment.models import SpmCardBill
from digipay.replenishment.rules import CreditState, SpmKind, SpmState
from digipay.treasury import chart

from ...cardbills.conftest import BENDAHARA, BRI, PPK, TREASURER_A, CardBank, Shop, user
from ...cardbills.test_cardbills import after, card_paid, fetch, month_of
from ..conftest import fresh_code, kppn_admin, make_ppspm

Run = Callable[[], int]


def posted(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return int(row.debits_posted - row.credits_posted) if row else 0


def paid_bill(shop: Shop, run: Run) -> CardBill:
    charge = card_paid(shop, run, price=1_000_000, qty=2)  # 2.220.000 by card
    month = month_of(charge)
    bill = fetch(month)
    with clock.frozen(after(month)):  # a bill is verified once its month is over
        bill = cardbills.verify_bill(user(PPK), bill)
    cardbills.pay_bill(user(BENDAHARA), bill, otp=fresh_code())
    run()
    bill = CardBill.objects.get(pk=bill.pk)
    assert bill.state == CardBillState.PAID
    return bill


def test_gup_kkp_restores_up_tunai_and_the_kkp_line_once(
    shop: Shop, bank: CardBank, span: str, run_worker: Run
) -> None:
    with pytest.raises(Conflict):
        services.draft_gup_kkp(user(BENDAHARA))  # nothing paid yet
    bill = paid_bill(shop, run_worker)
    assert bill.total_idr == 2_220_000
    satker = shop.satker
    book = chart.satker_book(satker)
    paid_account = chart.kkp_bill_paid(satker)
    gup = chart.kppn_book(satker.parent, satker).gup_disbursed  # type: ignore[arg-type]
    assert posted(paid_account.pk) == 2_220_000
    assert queries.gup_readiness(satker).card_bills == 1
    tunai_before, kkp_before = posted(book.up_tunai.pk), posted(book.up_kkp.pk)
    treasurer_before = bank.balance(BRI, TREASURER_A)

    spm = services.draft_gup_kkp(user(BENDAHARA))  # no 50% minimum
    assert spm.kind == SpmKind.GUP_KKP
    assert spm.amount_idr == 2_220_000
    assert "/GUPKKP/" in spm.number
    assert spm.lines.count() == 1  # the card-paid invoice behind the bill, for SPAN
    assert list(SpmCardBill.objects.filter(spm=spm).values_list("card_bill_id", flat=True)) == [
        bill.pk
    ]
    with pytest.raises(Conflict):
        services.draft_gup_kkp(user(BENDAHARA), card_bill_ids=[bill.pk])
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.sp2d_number[5] == "5"  # SPAN's kind digit of a GUP KKP
    assert spm.credit_status == CreditState.CREDITED
    assert bank.balance(BRI, TREASURER_A) - treasurer_before == 2_220_000
    assert posted(book.up_tunai.pk) - tunai_before == 2_220_000
    assert posted(book.up_kkp.pk) - kkp_before == 2_220_000
    assert posted(paid_account.pk) == 0
    assert posted(gup.pk) == -2_220_000
    assert Entry.objects.get(pk=spm.ledger_entry_id).reason_code == "GUP_KKP_SP2D"
    services.sync_spm(spm.pk)
    services.poll_span()
    assert posted(book.up_kkp.pk) - kkp_before == 2_220_000
    assert not queries.listable_card_bills(satker).exists()
