"""Stock follows orders: the vendor's confirmation takes the ordered goods out of stock (or is
refused when too little is left), a cancellation after confirmation puts back what was not
received, and a product sold out leaves the search until restocked."""

from __future__ import annotations

import pytest

from digipay.catalog.models import Product
from digipay.core.errors import Conflict
from digipay.orders import services
from digipay.orders.rules import OrderState as S

from .conftest import REASON, Shop, fresh, lines_of, make_product, user

KPPN_A = "admin@kppn019.demo.digipay.id"
OTHER = "Alasan lain yang juga cukup jelas."


def stock_of(product: Product) -> int | None:
    return Product.objects.get(pk=product.pk).stock


def test_confirmation_takes_the_goods_out_of_stock(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=30)
    order = shop.at(S.MENUNGGU_VENDOR, [(product, 12)])
    assert stock_of(product) == 30  # ordering and approving reserve nothing yet
    shop.confirm(order)
    assert stock_of(product) == 18


def test_the_last_units_sell_out_the_product(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=5)
    order = shop.at(S.MENUNGGU_VENDOR, [(product, 5)])
    shop.confirm(order)
    product = Product.objects.get(pk=product.pk)
    assert (product.stock, product.is_listed) == (0, False)


def test_confirmation_is_refused_when_stock_ran_short(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=10)
    first = shop.at(S.MENUNGGU_VENDOR, [(product, 8)])
    second = shop.at(S.MENUNGGU_VENDOR, [(product, 8)])
    shop.confirm(first)
    with pytest.raises(Conflict) as exc:
        shop.confirm(second)
    assert exc.value.code == "stock_insufficient"
    assert exc.value.details == {"product_id": product.pk}
    assert fresh(second).state == S.MENUNGGU_VENDOR  # the vendor may restock or decline
    assert stock_of(product) == 2


def test_a_cancellation_by_agreement_puts_the_goods_back(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=40)
    order = shop.at(S.DIPROSES, [(product, 15)])
    assert stock_of(product) == 25
    services.propose_cancellation(shop.vendor1, order, reason=REASON)
    services.answer_cancellation(shop.pp, order, agree=True)
    assert stock_of(product) == 40


def test_a_kppn_cancellation_puts_the_goods_back_and_relists(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=6)
    order = shop.at(S.DIPROSES, [(product, 6)])
    (line,) = lines_of(order)
    shop.ship(order, {line.pk: 2})
    assert not Product.objects.get(pk=product.pk).is_listed
    services.propose_cancellation(shop.ppk, order, reason=REASON)
    services.answer_cancellation(shop.vendor1, order, agree=False, note=OTHER)
    services.escalate_cancellation(shop.ppk, order, reason=OTHER)
    services.decide_cancellation(user(KPPN_A), order, cancel=True, reason=REASON)
    product = Product.objects.get(pk=product.pk)
    assert (product.stock, product.is_listed) == (6, True)


def test_a_kppn_decision_to_continue_keeps_the_stock_taken(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=9)
    order = shop.at(S.DIPROSES, [(product, 4)])
    services.propose_cancellation(shop.ppk, order, reason=REASON)
    services.answer_cancellation(shop.vendor1, order, agree=False, note=OTHER)
    services.escalate_cancellation(shop.ppk, order, reason=OTHER)
    services.decide_cancellation(user(KPPN_A), order, cancel=False, reason=REASON)
    assert stock_of(product) == 5


def test_a_decline_before_confirmation_touches_no_stock(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=25_000, stock=9)
    order = shop.at(S.MENUNGGU_VENDOR, [(product, 4)])
    services.decline_order(shop.vendor1, order, reason=REASON)
    assert stock_of(product) == 9
