"""Order details and negotiation (DOMAIN.md §4 step 2): the Pejabat Pengadaan edits and
negotiates with the vendor; at most NEGO_MAX_ROUNDS offers each way; one offer at a time; the
vendor may refuse, which returns the order at list prices."""

from __future__ import annotations

import pytest

from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.orders import services
from digipay.orders.models import Offer, Order
from digipay.orders.rules import OrderState as S
from digipay.policy.rules import PolicyKey

from .conftest import Shop, demo_product, fresh, lines_of, set_policy

PEN, TINTA = "SJA-TUL-01", "SJA-TIN-09"  # 39.500 and 19.000, vendor UMKM-0001 (PKP)


def two_line_order(shop: Shop) -> tuple[Order, int, int]:
    order = shop.order([(demo_product(PEN), 10), (demo_product(TINTA), 20)])
    pen, tinta = (line.pk for line in lines_of(order))
    return order, pen, tinta


def prices_of(order: Order) -> dict[int, int]:
    return {line.pk: line.unit_price_idr for line in lines_of(order)}


def test_third_buyer_offer_is_refused(shop: Shop) -> None:
    order, pen, tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000}, message="ronde 1")
    services.make_offer(shop.vendor1, order, prices={pen: 39_000}, message="balasan 1")
    services.make_offer(shop.pp, order, prices={pen: 36_000}, message="ronde 2")
    services.make_offer(shop.vendor1, order, prices={pen: 38_000}, message="balasan 2")
    with pytest.raises(Conflict) as exc:
        services.make_offer(shop.pp, order, prices={pen: 37_000}, message="ronde 3")
    assert exc.value.code == "nego_rounds_exhausted"
    order = fresh(order)
    assert (order.buyer_rounds, order.vendor_rounds) == (2, 2)
    assert Offer.objects.filter(order=order).count() == 4
    # The buyer may still accept the vendor's last offer.
    services.accept_offer(shop.pp, order)
    order = fresh(order)
    assert order.state == S.NEGO_SELESAI
    assert prices_of(order) == {pen: 38_000, tinta: 19_000}
    assert order.subtotal_idr == 10 * 38_000 + 20 * 19_000
    assert order.total_idr == order.subtotal_idr + order.subtotal_idr * 11 // 100


def test_the_round_limit_is_the_policy_value_in_force(shop: Shop) -> None:
    set_policy(PolicyKey.NEGO_MAX_ROUNDS, 1)
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000})
    services.make_offer(shop.vendor1, order, prices={pen: 39_000})
    with pytest.raises(Conflict) as exc:
        services.make_offer(shop.pp, order, prices={pen: 37_000})
    assert exc.value.code == "nego_rounds_exhausted"


def test_the_vendor_gets_at_most_the_rounds_too(shop: Shop) -> None:
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000})
    services.make_offer(shop.vendor1, order, prices={pen: 39_000})
    services.make_offer(shop.pp, order, prices={pen: 36_000})
    # The limit drops to one round while the vendor owes an answer: its second counter-offer
    # is refused (it may still accept or refuse).
    set_policy(PolicyKey.NEGO_MAX_ROUNDS, 1)
    with pytest.raises(Conflict) as exc:
        services.make_offer(shop.vendor1, order, prices={pen: 38_000})
    assert exc.value.code == "nego_rounds_exhausted"
    assert "Vendor" in exc.value.message
    assert fresh(order).vendor_rounds == 1
    services.accept_offer(shop.vendor1, order)
    assert prices_of(fresh(order))[pen] == 36_000


def test_rounds_are_counted_per_order_across_a_refusal(shop: Shop) -> None:
    set_policy(PolicyKey.NEGO_MAX_ROUNDS, 1)
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000})
    services.refuse_negotiation(shop.vendor1, order, message="Harga sudah harga terendah kami.")
    order = fresh(order)
    assert (order.state, order.buyer_rounds, order.vendor_rounds) == (S.MENUNGGU_RINCIAN, 1, 0)
    with pytest.raises(Conflict) as exc:
        services.send_for_negotiation(shop.pp, order, prices={pen: 36_000})
    assert exc.value.code == "nego_rounds_exhausted"


def test_offering_twice_in_a_row_is_refused(shop: Shop) -> None:
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000})
    with pytest.raises(Conflict) as exc:
        services.make_offer(shop.pp, order, prices={pen: 34_000})
    assert exc.value.code == "offer_pending"
    services.make_offer(shop.vendor1, order, prices={pen: 39_000})
    with pytest.raises(Conflict) as exc:
        services.make_offer(shop.vendor1, order, prices={pen: 38_000})
    assert exc.value.code == "offer_pending"
    order = fresh(order)
    assert (order.buyer_rounds, order.vendor_rounds) == (1, 1)
    assert Offer.objects.filter(order=order).count() == 2


def test_nobody_accepts_their_own_offer(shop: Shop) -> None:
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000})
    with pytest.raises(Conflict) as exc:
        services.accept_offer(shop.pp, order)
    assert exc.value.code == "no_offer"
    services.make_offer(shop.vendor1, order, prices={pen: 39_000})
    with pytest.raises(Conflict) as exc:
        services.accept_offer(shop.vendor1, order)
    assert exc.value.code == "no_offer"
    assert fresh(order).state == S.PROSES_NEGO


def test_the_vendor_accepts_the_buyers_offer(shop: Shop) -> None:
    order, pen, tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000, tinta: 18_000})
    services.accept_offer(shop.vendor1, order)
    order = fresh(order)
    assert order.state == S.NEGO_SELESAI
    assert prices_of(order) == {pen: 35_000, tinta: 18_000}
    assert [line.list_price_idr for line in lines_of(order)] == [39_500, 19_000]
    assert order.subtotal_idr == 710_000
    assert order.ppn_estimate_idr == 78_100
    assert order.total_idr == 788_100


def test_refusing_the_negotiation_returns_the_order_at_list_prices(shop: Shop) -> None:
    order, pen, tinta = two_line_order(shop)
    list_total = fresh(order).total_idr
    services.send_for_negotiation(shop.pp, order, prices={pen: 30_000, tinta: 15_000})
    services.make_offer(shop.vendor1, order, prices={pen: 38_000, tinta: 18_500})
    services.make_offer(shop.pp, order, prices={pen: 33_000, tinta: 16_000})
    with pytest.raises(ValidationFailed):
        services.refuse_negotiation(shop.vendor1, order, message="tidak")
    services.refuse_negotiation(shop.vendor1, order, message="Harga sudah harga terendah kami.")
    order = fresh(order)
    assert order.state == S.MENUNGGU_RINCIAN
    assert prices_of(order) == {pen: 39_500, tinta: 19_000}
    assert order.total_idr == list_total
    # Bought at list price after all.
    order = shop.submit(order)
    assert order.state == S.MENUNGGU_PPK
    assert order.total_idr == list_total


def test_only_the_vendor_refuses_and_only_its_own_orders(shop: Shop) -> None:
    order, pen, _tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 30_000})
    with pytest.raises(NotFound):  # the vendor side of the order is the vendor's tenant
        services.refuse_negotiation(shop.pp, order, message="Saya menolak negosiasi ini.")
    with pytest.raises(NotFound):
        services.refuse_negotiation(shop.vendor2, order, message="Saya menolak negosiasi ini.")
    with pytest.raises(NotFound):  # another vendor counts as an outsider, not as the buyer
        services.make_offer(shop.vendor2, order, prices={pen: 39_000})
    assert fresh(order).state == S.PROSES_NEGO


@pytest.mark.parametrize("prices", [{}, {"unknown": 1}, {"pen": 0}, {"pen": -1}])
def test_an_offer_names_real_lines_and_positive_prices(shop: Shop, prices: dict[str, int]) -> None:
    order, pen, _tinta = two_line_order(shop)
    real = {(pen if k == "pen" else 999_999): v for k, v in prices.items()}
    with pytest.raises(ValidationFailed):
        services.send_for_negotiation(shop.pp, order, prices=real)
    order = fresh(order)
    assert (order.state, order.buyer_rounds) == (S.MENUNGGU_RINCIAN, 0)


def test_edit_quantities_and_remove_lines(shop: Shop) -> None:
    order, pen, tinta = two_line_order(shop)
    services.edit_order(shop.pp, order, quantities={pen: 4}, remove=[tinta])
    order = fresh(order)
    assert [(line.pk, line.quantity) for line in lines_of(order)] == [(pen, 4)]
    assert order.subtotal_idr == 4 * 39_500
    assert order.total_idr == 158_000 + 17_380
    with pytest.raises(ValidationFailed) as exc:
        services.edit_order(shop.pp, order, remove=[pen])
    assert exc.value.code == "order_empty"
    with pytest.raises(ValidationFailed):
        services.edit_order(shop.pp, order, quantities={pen: 0})
    with pytest.raises(PermissionDenied):
        services.edit_order(shop.pemesan, order, quantities={pen: 5})
    assert [(line.pk, line.quantity) for line in lines_of(fresh(order))] == [(pen, 4)]


def test_editing_after_the_negotiation_keeps_the_agreed_prices(shop: Shop) -> None:
    order, pen, tinta = two_line_order(shop)
    services.send_for_negotiation(shop.pp, order, prices={pen: 35_000, tinta: 18_000})
    services.accept_offer(shop.vendor1, order)
    services.edit_order(shop.pp, order, quantities={pen: 2})
    order = fresh(order)
    assert order.state == S.NEGO_SELESAI
    assert prices_of(order) == {pen: 35_000, tinta: 18_000}
    assert order.subtotal_idr == 2 * 35_000 + 20 * 18_000
