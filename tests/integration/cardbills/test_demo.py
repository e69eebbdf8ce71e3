"""The card bill demo: nothing in the small offline world; with the bank up, one verified KKP
invoice paid by card through the real services and this month's running bill fetched,
matching it; loading again changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from digipay.cardbills import demo
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.orders.models import PaymentMethod

from .conftest import JUTA, CardBank, Shop, make_product, received, verified
from .test_cardbills import fresh_code

Run = Callable[[], int]


def test_the_small_world_gets_no_bill(shop: Shop) -> None:
    assert demo.load(full=False) is None
    assert not CardBill.objects.exists()


def test_the_full_demo_pays_by_card_and_fetches_the_running_bill(
    shop: Shop, bank: CardBank
) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=JUTA), 2)], method=PaymentMethod.KKP)
    invoice = verified(order)
    fresh_code()
    bill = demo.load(full=True)
    assert bill is not None
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID
    assert bill.state == CardBillState.RECEIVED
    assert bill.total_idr == invoice.net_idr == 2_220_000
    [line] = bill.lines.all()
    assert line.match == LineMatch.MATCHED
    assert demo.load(full=True) == bill
    assert CardBill.objects.count() == 1
