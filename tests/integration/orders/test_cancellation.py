"""Every way an order ends early, and what happens to the UP hold (DOMAIN.md §4 step 10:
"cancellation at any allowed point releases the hold")."""

from __future__ import annotations

import pytest

from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.ledger.rules import EntryKind
from digipay.orders import services
from digipay.orders.models import Order, OrderEvent, PaymentMethod
from digipay.orders.rules import OrderState as S

from .conftest import REASON, Shop, card_available, fresh, kkp, tunai


def assert_released(order: Order) -> None:
    """The order's hold exists and was voided exactly once; the ledger is sound."""
    assert order.hold_entry_id is not None
    voids = Entry.objects.filter(resolves_id=order.hold_entry_id)
    assert [e.kind for e in voids] == [EntryKind.VOID_HOLD]
    assert not ledger_queries.pending_holds(order.satker_id).filter(pk=order.hold_entry_id).exists()
    assert ledger_queries.validate_ledger() == []


def assert_closed(order: Order, state: str = S.DIBATALKAN) -> None:
    assert order.state == state
    assert order.closed_at is not None
    assert order.close_reason == REASON
    last = OrderEvent.objects.filter(order=order).last()
    assert last is not None
    assert (last.to_state, last.reason) == (state, REASON)


@pytest.mark.parametrize("state", [S.MENUNGGU_RINCIAN, S.PROSES_NEGO, S.NEGO_SELESAI])
def test_the_pejabat_pengadaan_cancels_before_submitting(shop: Shop, state: str) -> None:
    before = tunai(shop.satker)
    order = shop.at(state)
    services.cancel_order(shop.pp, order, reason=REASON)
    order = fresh(order)
    assert_closed(order)
    assert order.hold_entry_id is None
    assert tunai(shop.satker) == before


def test_a_cancellation_needs_a_reason(shop: Shop) -> None:
    order = shop.order()
    with pytest.raises(ValidationFailed):
        services.cancel_order(shop.pp, order, reason="batal")
    assert fresh(order).state == S.MENUNGGU_RINCIAN


def test_only_the_ppk_cancels_once_submitted(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_PPK)
    with pytest.raises(PermissionDenied):
        services.cancel_order(shop.pp, order, reason=REASON)
    services.cancel_order(shop.ppk, order, reason=REASON)
    order = fresh(order)
    assert_closed(order)
    assert order.hold_entry_id is None
    assert tunai(shop.satker) == before


def test_the_ppk_rejects(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_PPK)
    with pytest.raises(ValidationFailed):
        services.reject_order(shop.ppk, order, reason="tidak")
    services.reject_order(shop.ppk, order, reason=REASON)
    order = fresh(order)
    assert_closed(order, S.DITOLAK)
    assert order.hold_entry_id is None
    assert tunai(shop.satker) == before
    with pytest.raises(Conflict) as exc:
        services.approve_order(shop.ppk, order)
    assert exc.value.code == "invalid_transition"


def test_the_ppk_cancels_after_approving_before_the_vendor_answers(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_VENDOR)
    assert tunai(shop.satker) == before - order.total_idr
    services.cancel_order(shop.ppk, order, reason=REASON)
    order = fresh(order)
    assert_closed(order)
    assert_released(order)
    assert tunai(shop.satker) == before


def test_the_vendor_declines_after_approval_and_the_up_comes_back_exactly(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_VENDOR)
    assert tunai(shop.satker) == before - order.total_idr
    services.decline_order(shop.vendor1, order, reason=REASON)
    order = fresh(order)
    assert_closed(order)
    assert_released(order)
    assert tunai(shop.satker) == before


def test_a_kkp_order_cancelled_gives_back_up_kkp_and_the_card_line(shop: Shop) -> None:
    card = shop.card
    before = (tunai(shop.satker), kkp(shop.satker), card_available(card))
    order = shop.at(S.MENUNGGU_VENDOR, method=PaymentMethod.KKP)
    total = order.total_idr
    assert (tunai(shop.satker), kkp(shop.satker), card_available(card)) == (
        before[0],
        before[1] - total,
        before[2] - total,
    )
    services.decline_order(shop.vendor1, order, reason=REASON)
    assert_released(fresh(order))
    assert (tunai(shop.satker), kkp(shop.satker), card_available(card)) == before


@pytest.mark.parametrize("state", [S.DIPROSES, S.DIKIRIM])
def test_no_cancellation_by_one_side_after_the_vendor_confirmed(shop: Shop, state: str) -> None:
    order = shop.at(state)
    held = tunai(shop.satker)
    for actor in (shop.pp, shop.ppk):
        with pytest.raises(PermissionDenied) as exc:
            services.cancel_order(actor, order, reason=REASON)
        assert exc.value.code == "cancel_needs_agreement"
    order = fresh(order)
    assert order.state == state
    assert ledger_queries.pending_holds(order.satker_id).filter(pk=order.hold_entry_id).exists()
    assert tunai(shop.satker) == held


def test_the_vendor_cannot_cancel_the_buyers_order(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    with pytest.raises(NotFound):
        services.cancel_order(shop.vendor1, order, reason=REASON)
    assert fresh(order).state == S.MENUNGGU_VENDOR


def test_a_closed_order_cannot_be_cancelled_again(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_VENDOR)
    services.cancel_order(shop.ppk, order, reason=REASON)
    for call in (
        lambda: services.cancel_order(shop.ppk, order, reason=REASON),
        lambda: services.decline_order(shop.vendor1, order, reason=REASON),
        lambda: services.confirm_order(shop.vendor1, order),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "invalid_transition"
    assert_released(fresh(order))
    assert tunai(shop.satker) == before
