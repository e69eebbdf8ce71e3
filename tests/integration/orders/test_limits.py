"""What checkout and approval check (DOMAIN.md §7): the per-recipient limit (Rp50 juta; Rp200
juta when every line is PDN from a micro/small vendor), split purchases (blocked, or only flagged
when SPLIT_BLOCKS is 0), the UP available (Tunai, or UP KKP and the card line)."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.catalog import services as catalog
from digipay.catalog.rules import ProductState
from digipay.core.errors import DomainError, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.orders import services
from digipay.orders.models import Order, OrderEvent, PaymentMethod
from digipay.orders.rules import OrderState as S
from digipay.policy.rules import PolicyKey
from digipay.vendors.models import Vendor
from digipay.vendors.rules import UmkmClass

from .conftest import (
    JUTA,
    PP,
    REASON,
    Shop,
    card_available,
    fresh,
    kkp,
    make_product,
    set_policy,
    tunai,
    user,
    vendor,
)

MIKRO = "UMKM-0002"  # micro, not PKP: the total is the price
KECIL_PKP = "UMKM-0001"  # small, PKP: 11% PPN estimate on top


def order_of(shop: Shop, vendor_code: str, *lines: tuple[int, bool]) -> Order:
    """An order with one unit of a new product per (price, is_pdn)."""
    items = [(make_product(vendor_code, price=price, is_pdn=pdn), 1) for price, pdn in lines]
    return shop.order(items)


def refused(call: Any, code: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        call()
    assert exc.value.code == code, exc.value
    return exc.value


# --- the per-recipient limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor_code", "lines", "total"),
    [
        (MIKRO, [(50 * JUTA, False)], 50 * JUTA),  # general limit, exactly
        (MIKRO, [(200 * JUTA, True)], 200 * JUTA),  # UMKM-PDN limit, exactly
        (MIKRO, [(120 * JUTA, True), (80 * JUTA, True)], 200 * JUTA),
        (KECIL_PKP, [(45_045_045, False)], 49_999_999),  # PPN included in the total
        (KECIL_PKP, [(180_180_180, True)], 199_999_999),
    ],
)
def test_at_the_limit_is_allowed(
    shop: Shop, vendor_code: str, lines: list[tuple[int, bool]], total: int
) -> None:
    order = order_of(shop, vendor_code, *lines)
    assert order.total_idr == total
    order = shop.submit(order)
    assert order.state == S.MENUNGGU_PPK
    order = shop.approve(order)
    assert order.state == S.MENUNGGU_VENDOR


@pytest.mark.parametrize(
    ("vendor_code", "lines", "total"),
    [
        (MIKRO, [(50 * JUTA + 1, False)], 50 * JUTA + 1),
        (MIKRO, [(200 * JUTA + 1, True)], 200 * JUTA + 1),
        # One line not PDN: the general limit applies to the whole order.
        (MIKRO, [(50 * JUTA, True), (1, False)], 50 * JUTA + 1),
        (MIKRO, [(59 * JUTA, True), (1 * JUTA, False)], 60 * JUTA),
        (KECIL_PKP, [(45_045_046, False)], 50_000_001),  # 45,045,046 + PPN 4,954,955
        (KECIL_PKP, [(180_180_182, True)], 200_000_002),  # 200,000,000 is not reachable
    ],
)
def test_one_rupiah_over_the_limit_is_refused(
    shop: Shop, vendor_code: str, lines: list[tuple[int, bool]], total: int
) -> None:
    order = order_of(shop, vendor_code, *lines)
    assert order.total_idr == total
    refused(lambda: shop.submit(order), "recipient_limit")
    order = fresh(order)
    assert (order.state, order.submitted_by_id, order.ppk_id) == (S.MENUNGGU_RINCIAN, None, None)


def test_the_umkm_pdn_limit_is_only_for_micro_and_small_vendors(shop: Shop) -> None:
    Vendor.objects.filter(pk=vendor(MIKRO).pk).update(umkm_class=UmkmClass.MENENGAH)
    order = order_of(shop, MIKRO, (60 * JUTA, True))
    refused(lambda: shop.submit(order), "recipient_limit")
    services.cancel_order(shop.pp, order, reason=REASON)  # else it counts toward a split
    order = order_of(shop, MIKRO, (50 * JUTA, True))
    assert shop.submit(order).state == S.MENUNGGU_PPK


def test_the_limit_is_checked_again_when_the_ppk_approves(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.submit(order_of(shop, MIKRO, (45 * JUTA, False)))
    set_policy(PolicyKey.PAYMENT_LIMIT_GENERAL, 40 * JUTA)  # lowered in the meantime
    refused(lambda: shop.approve(order), "recipient_limit")
    order = fresh(order)
    assert (order.state, order.hold_entry_id) == (S.MENUNGGU_PPK, None)
    assert tunai(shop.satker) == before


# --- split purchases ----------------------------------------------------------------------------


def test_a_second_order_to_the_same_vendor_the_same_day_crossing_the_limit_is_blocked(
    shop: Shop,
) -> None:
    first = shop.submit(order_of(shop, MIKRO, (30 * JUTA, False)))
    second = order_of(shop, MIKRO, (25 * JUTA, False))
    error = refused(lambda: shop.submit(second), "split_purchase")
    assert first.number in error.message
    second = fresh(second)
    assert (second.state, second.split_flag) == (S.MENUNGGU_RINCIAN, "")
    # Each alone is fine: once the first is cancelled the second goes through.
    services.cancel_order(shop.ppk, first, reason=REASON)
    assert shop.submit(second).state == S.MENUNGGU_PPK


def test_split_counts_approved_orders_too(shop: Shop) -> None:
    first = shop.approve(shop.submit(order_of(shop, MIKRO, (30 * JUTA, False))))
    assert first.state == S.MENUNGGU_VENDOR
    second = order_of(shop, MIKRO, (21 * JUTA, False))
    refused(lambda: shop.submit(second), "split_purchase")


def test_no_split_at_exactly_the_limit_other_vendors_or_other_satkers(shop: Shop) -> None:
    shop.submit(order_of(shop, MIKRO, (25 * JUTA, False)))
    # Another satker buying from the same vendor does not count.
    other = user("pemesan@652840.demo.digipay.id")
    product = make_product(MIKRO, price=40 * JUTA, is_pdn=False)
    services.add_to_cart(other, product=product, quantity=1)
    (theirs,) = services.checkout_cart(other)
    services.submit_order(
        user("pengadaan@652840.demo.digipay.id"),
        theirs,
        services.Checkout(
            ppk=user("ppk@652840.demo.digipay.id"),
            payment_method=PaymentMethod.TRANSFER,
            akun="521211",
            funding_source="RM",
        ),
    )
    # Another vendor does not count.
    assert shop.submit(order_of(shop, KECIL_PKP, (40 * JUTA, False))).state == S.MENUNGGU_PPK
    # Together exactly the limit is not a split.
    assert shop.submit(order_of(shop, MIKRO, (25 * JUTA, False))).state == S.MENUNGGU_PPK


def test_with_split_blocks_zero_the_order_passes_flagged(shop: Shop, api_as: Any) -> None:
    set_policy(PolicyKey.SPLIT_BLOCKS, 0)
    first = shop.submit(order_of(shop, MIKRO, (30 * JUTA, False)))
    second = shop.submit(order_of(shop, MIKRO, (25 * JUTA, False)))
    assert second.state == S.MENUNGGU_PPK
    assert second.split_flag
    assert first.number in second.split_flag
    assert fresh(first).split_flag == ""
    detail = api_as("ppk@415256.demo.digipay.id").get(f"/api/v1/orders/{second.pk}").json()
    assert detail["split_flag"] == second.split_flag
    # Flagged, not blocked: the PPK may still approve it.
    assert shop.approve(second).state == S.MENUNGGU_VENDOR


# --- UP available ---------------------------------------------------------------------------------


def test_up_insufficient_at_approval_and_at_checkout(shop: Shop) -> None:
    set_policy(PolicyKey.SPLIT_BLOCKS, 0)  # several orders to one vendor here: not the point
    assert tunai(shop.satker) == 300 * JUTA
    big = shop.submit(order_of(shop, MIKRO, (200 * JUTA, True)))
    other = shop.submit(order_of(shop, KECIL_PKP, (135 * JUTA, True)))  # 149,850,000 with PPN
    shop.approve(big)
    assert tunai(shop.satker) == 100 * JUTA
    refused(lambda: shop.approve(other), "up_insufficient")
    other = fresh(other)
    assert (other.state, other.hold_entry_id, other.approved_by_id) == (S.MENUNGGU_PPK, None, None)
    assert not OrderEvent.objects.filter(order=other, action="APPROVE").exists()
    assert not Entry.objects.filter(source_type="orders.order", source_id=str(other.pk)).exists()
    assert tunai(shop.satker) == 100 * JUTA
    # A new order beyond what is left is refused at checkout already.
    third = order_of(shop, KECIL_PKP, (90_090_091, True))  # 100,000,001 with PPN
    refused(lambda: shop.submit(third), "up_insufficient")
    fourth = order_of(shop, KECIL_PKP, (90_090_090, True))  # 99,999,999 with PPN
    assert shop.approve(shop.submit(fourth)).state == S.MENUNGGU_VENDOR
    assert tunai(shop.satker) == 1
    assert ledger_queries.validate_ledger() == []


def test_kkp_holds_up_kkp_and_the_card_line(shop: Shop) -> None:
    card = shop.card
    before = (tunai(shop.satker), kkp(shop.satker), card_available(card))
    assert before == (300 * JUTA, 200 * JUTA, 50 * JUTA)
    order = shop.at(
        S.MENUNGGU_VENDOR, [(make_product(MIKRO, price=12 * JUTA), 1)], method=PaymentMethod.KKP
    )
    assert (order.payment_method, order.card_id) == (PaymentMethod.KKP, card.pk)
    assert (tunai(shop.satker), kkp(shop.satker), card_available(card)) == (
        300 * JUTA,
        188 * JUTA,
        38 * JUTA,
    )
    hold = ledger_queries.entry_with_postings(order.hold_entry_id or 0)
    assert hold is not None
    legs = sorted((p.account.code, p.amount) for p in hold.postings.all())
    assert legs == sorted(
        [
            ("EXPENSE:521211", 12 * JUTA),
            ("UP_KKP", -12 * JUTA),
            ("KKP_CARD_LIMITS", 12 * JUTA),
            (f"KKP_CARD:{card.pk}", -12 * JUTA),
        ]
    )
    assert ledger_queries.validate_ledger() == []


def test_kkp_respects_the_card_line(shop: Shop) -> None:
    """UP KKP has Rp200 juta but the card only Rp50 juta left."""
    order = order_of(shop, MIKRO, (50 * JUTA + 1, True))
    refused(lambda: shop.submit(order, method=PaymentMethod.KKP, card=shop.card), "up_insufficient")
    order = order_of(shop, MIKRO, (50 * JUTA, True))
    assert shop.approve(shop.submit(order, method=PaymentMethod.KKP, card=shop.card)).state == (
        S.MENUNGGU_VENDOR
    )
    assert card_available(shop.card) == 0


def test_kkp_needs_an_active_card_of_the_satker(shop: Shop) -> None:
    order = shop.order()
    with pytest.raises(ValidationFailed):
        shop.submit(order, method=PaymentMethod.KKP, card=None)
    from digipay.treasury.models import KkpCard

    foreign = KkpCard.objects.exclude(satker=shop.satker).first()
    with pytest.raises(ValidationFailed):
        shop.submit(order, method=PaymentMethod.KKP, card=foreign)
    assert fresh(order).state == S.MENUNGGU_RINCIAN


@pytest.mark.parametrize(
    "change",
    [
        {"akun": "511111"},
        {"akun": "52121"},
        {"method": "CASH"},
        {"ppk": "pengadaan@415256.demo.digipay.id"},  # not a PPK
        {"ppk": "ppk@652840.demo.digipay.id"},  # another satker's PPK
    ],
)
def test_checkout_details_are_checked(shop: Shop, change: dict[str, str]) -> None:
    order = shop.order()
    kwargs: dict[str, Any] = {}
    if "akun" in change:
        kwargs["akun"] = change["akun"]
    if "method" in change:
        kwargs["method"] = change["method"]
    if "ppk" in change:
        kwargs["ppk"] = user(change["ppk"])
    with pytest.raises(ValidationFailed):
        shop.submit(order, **kwargs)
    assert fresh(order).state == S.MENUNGGU_RINCIAN


def test_a_product_withdrawn_after_the_cart_cannot_be_submitted(shop: Shop) -> None:
    product = make_product(MIKRO, price=1 * JUTA)
    order = shop.order([(product, 2)])
    catalog.change_state(
        user("admin@umkm-0002.demo.digipay.id"), product, state=ProductState.PUBLISHED
    )
    refused(lambda: shop.submit(order), "product_not_orderable")
    assert user(PP).pk != order.submitted_by_id


def test_a_card_blocked_after_checkout_is_not_charged_at_approval(shop: Shop) -> None:
    """Checkout saw an active card; the Bendahara blocks it (lost) before the PPK approves.
    The approval checks again what checkout checked: no hold on a blocked card."""
    from digipay.treasury import services as treasury_services
    from digipay.treasury.models import CardStatus

    card = shop.card
    order = shop.submit(
        order_of(shop, MIKRO, (10 * JUTA, True)), method=PaymentMethod.KKP, card=card
    )
    treasury_services.set_card_status(
        user("bendahara@415256.demo.digipay.id"),
        card,
        status=CardStatus.BLOCKED,
        reason="Kartu hilang, dilaporkan ke bank.",
    )
    before = (kkp(shop.satker), card_available(card))
    with pytest.raises(DomainError):
        shop.approve(order)
    order = fresh(order)
    assert (order.state, order.hold_entry_id) == (S.MENUNGGU_PPK, None)
    assert (kkp(shop.satker), card_available(card)) == before
