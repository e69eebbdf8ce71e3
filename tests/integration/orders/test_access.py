"""Who may do what to an order: separation of duties even across delegated roles, tenants
(another satker's people and another vendor see nothing: 404), and ``allowed_actions`` in the
API detail listing exactly the actions each person can take at each state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from digipay.accounts import services as accounts
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.core.errors import DomainError, NotFound, PermissionDenied
from digipay.orders import queries, services
from digipay.orders.models import Order, PaymentMethod, Resolution
from digipay.orders.rules import Action
from digipay.orders.rules import OrderState as S

from .conftest import (
    COURIER_1,
    PEMESAN,
    PENERIMA,
    PP,
    PPK,
    REASON,
    SATKER_ADMIN,
    VENDOR_1,
    Shop,
    demo_product,
    fresh,
    lines_of,
    make_courier,
    tunai,
    user,
)


def delegate(address: str, role: str) -> User:
    now = clock.now()
    accounts.create_delegation(
        user(SATKER_ADMIN),
        delegate=user(address),
        role=role,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=7),
        reason="Pejabat utama sedang cuti.",
    )
    return user(address)


# --- separation of duties -------------------------------------------------------------------------


def test_a_pejabat_pengadaan_with_the_ppk_role_cannot_approve_what_they_submitted(
    shop: Shop,
) -> None:
    pp = delegate(PP, Role.PPK)
    order = shop.at(S.MENUNGGU_PPK)
    assert order.submitted_by_id == pp.pk
    with pytest.raises(PermissionDenied) as exc:
        services.approve_order(pp, order)
    assert exc.value.code == "separation_of_duties"
    assert Action.APPROVE not in queries.allowed_actions(pp, fresh(order))
    order = fresh(order)
    assert (order.state, order.hold_entry_id) == (S.MENUNGGU_PPK, None)
    # The delegation itself works: an order another Pejabat Pengadaan submitted, they approve.
    other_pp, _pw = accounts.create_user(
        user(SATKER_ADMIN),
        organisation=shop.satker,
        email="pengadaan2@415256.demo.digipay.id",
        full_name="Pejabat Pengadaan Kedua",
        nik="3171011508850777",
        role=Role.PEJABAT_PENGADAAN,
        password="Digipay-Demo-2026",
    )
    second = shop.submit(shop.order([(demo_product("BTM-MIN-04"), 2)]), by=other_pp)
    assert shop.approve(second, by=pp).state == S.MENUNGGU_VENDOR
    assert fresh(second).approved_by_id == pp.pk


def test_the_pemesan_with_the_ppk_role_cannot_approve_their_own_order(shop: Shop) -> None:
    pemesan = delegate(PEMESAN, Role.PPK)
    order = shop.at(S.MENUNGGU_PPK)
    with pytest.raises(PermissionDenied) as exc:
        services.approve_order(pemesan, order)
    assert exc.value.code == "separation_of_duties"


def test_the_ppk_who_approved_cannot_receive_even_as_delegated_penerima(shop: Shop) -> None:
    ppk = delegate(PPK, Role.PENERIMA_BARANG)
    order = shop.at(S.DIKIRIM)
    assert order.approved_by_id == ppk.pk
    (line,) = lines_of(order)
    for attempt in (
        lambda: services.receive_order(ppk, order, quantities={line.pk: 1}),
        lambda: services.complain(
            ppk, order, kind="DAMAGED", description=REASON, quantities={line.pk: 1}
        ),
    ):
        with pytest.raises(PermissionDenied) as exc:
            attempt()
        assert exc.value.code == "separation_of_duties"
    allowed = queries.allowed_actions(ppk, fresh(order))
    assert Action.RECEIVE not in allowed
    assert Action.COMPLAIN not in allowed
    assert fresh(order).state == S.DIKIRIM
    # The real Penerima Barang can.
    assert shop.receive(order).state == S.DITERIMA


def test_the_assigned_ppk_only(shop: Shop) -> None:
    """A PPK of the satker who is not the one chosen at checkout may not approve (unless
    holding the role by delegation)."""
    second_ppk, _pw = accounts.create_user(
        user(SATKER_ADMIN),
        organisation=shop.satker,
        email="ppk2@415256.demo.digipay.id",
        full_name="PPK Kedua Satker",
        nik="3171011508850778",
        role=Role.PPK,
        password="Digipay-Demo-2026",
    )
    order = shop.at(S.MENUNGGU_PPK)
    with pytest.raises(PermissionDenied) as exc:
        services.approve_order(second_ppk, order)
    assert exc.value.code == "not_assigned_ppk"
    assert fresh(order).state == S.MENUNGGU_PPK


# --- tenants --------------------------------------------------------------------------------------


OUTSIDERS = [
    "pemesan@527010.demo.digipay.id",
    "pengadaan@652840.demo.digipay.id",
    "ppk@652840.demo.digipay.id",
    "penerima@527010.demo.digipay.id",
    "admin@umkm-0002.demo.digipay.id",
    "admin@kppn030.demo.digipay.id",  # KPPN Bandung: satker A is paid by KPPN 019
]


def test_outsiders_get_404(shop: Shop, api_as: Any) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    for outsider in OUTSIDERS:
        client = api_as(outsider)
        assert client.get(f"/api/v1/orders/{order.pk}").status_code == 404, outsider
        for step in ("approve", "confirm", "cancel", "reject", "decline"):
            response = client.post(f"/api/v1/orders/{order.pk}/{step}", {"reason": REASON})
            assert response.status_code == 404, (outsider, step, response.content)
            assert response.json()["code"] == "not_found"
        listed = client.get("/api/v1/orders").json()["results"]
        assert order.pk not in [o["id"] for o in listed], outsider
    order = fresh(order)
    assert order.state == S.MENUNGGU_VENDOR


def test_outsiders_are_refused_by_the_services_too(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    with pytest.raises(NotFound):
        services.confirm_order(user("admin@umkm-0002.demo.digipay.id"), order)
    with pytest.raises(NotFound):
        services.cancel_order(user("ppk@652840.demo.digipay.id"), order, reason=REASON)
    submitted = shop.at(S.MENUNGGU_PPK)
    with pytest.raises(NotFound):
        services.approve_order(user("ppk@652840.demo.digipay.id"), submitted)
    assert fresh(order).state == S.MENUNGGU_VENDOR


def test_overseers_read_but_do_not_act(shop: Shop, api_as: Any) -> None:
    order = shop.at(S.MENUNGGU_PPK)
    for reader in ("admin@kppn019.demo.digipay.id", "auditor@itjen.demo.digipay.id"):
        client = api_as(reader)
        detail = client.get(f"/api/v1/orders/{order.pk}")
        assert detail.status_code == 200, reader
        assert detail.json()["allowed_actions"] == []
        assert client.post(f"/api/v1/orders/{order.pk}/approve").status_code in (403, 404)
    assert fresh(order).state == S.MENUNGGU_PPK


def test_the_vendor_sees_its_orders_only(shop: Shop, api_as: Any) -> None:
    mine = shop.at(S.MENUNGGU_VENDOR)
    theirs = shop.at(S.MENUNGGU_VENDOR, [(demo_product("BTM-MIN-04"), 2)])
    listed = [o["id"] for o in api_as(VENDOR_1).get("/api/v1/orders").json()["results"]]
    assert mine.pk in listed
    assert theirs.pk not in listed
    assert api_as(VENDOR_1).get(f"/api/v1/orders/{theirs.pk}").status_code == 404


# --- allowed_actions: exactly what each person may do at each state -------------------------------

PEOPLE = {
    "pemesan": PEMESAN,
    "pp": PP,
    "ppk": PPK,
    "penerima": PENERIMA,
    "vendor": VENDOR_1,
    "courier": COURIER_1,
}


def _stage(shop: Shop, name: str) -> Order:
    pen = [(demo_product("SJA-TUL-01"), 10)]
    if name == "rincian":
        return shop.order(pen)
    if name == "nego_buyer_offered":
        return shop.at(S.PROSES_NEGO, pen)
    if name == "nego_vendor_countered":
        order = shop.at(S.PROSES_NEGO, pen)
        (line,) = lines_of(order)
        services.make_offer(shop.vendor1, order, prices={line.pk: 39_000})
        return fresh(order)
    if name == "nego_buyer_rounds_used":
        order = shop.at(S.PROSES_NEGO, pen)
        (line,) = lines_of(order)
        services.make_offer(shop.vendor1, order, prices={line.pk: 39_400})
        services.make_offer(shop.pp, order, prices={line.pk: 38_000})
        services.make_offer(shop.vendor1, order, prices={line.pk: 39_000})
        return fresh(order)
    if name == "nego_selesai":
        return shop.at(S.NEGO_SELESAI, pen)
    if name == "menunggu_ppk":
        return shop.at(S.MENUNGGU_PPK, pen)
    if name == "menunggu_vendor":
        return shop.at(S.MENUNGGU_VENDOR, pen)
    if name == "diproses":
        return shop.at(S.DIPROSES, pen)
    if name == "dikirim_partly":
        order = shop.at(S.DIPROSES, pen)
        (line,) = lines_of(order)
        return shop.ship(order, {line.pk: 4})
    if name == "dikirim_all":
        return shop.at(S.DIKIRIM, pen)
    if name == "komplain":
        order = shop.at(S.DIKIRIM, pen)
        (line,) = lines_of(order)
        services.complain(
            shop.penerima, order, kind="DAMAGED", description=REASON, quantities={line.pk: 2}
        )
        return fresh(order)
    if name == "diterima":
        return shop.at(S.DITERIMA, pen)
    if name == "dibatalkan":
        order = shop.at(S.MENUNGGU_VENDOR, pen)
        services.cancel_order(shop.ppk, order, reason=REASON)
        return fresh(order)
    if name == "ditolak":
        order = shop.at(S.MENUNGGU_PPK, pen)
        services.reject_order(shop.ppk, order, reason=REASON)
        return fresh(order)
    raise AssertionError(name)


A_ = Action
EXPECTED: dict[str, dict[str, set[str]]] = {
    "rincian": {"pp": {A_.EDIT, A_.SEND_NEGO, A_.CHECKOUT, A_.CANCEL}},
    # The buyer has made an offer: it waits for the vendor's answer.
    "nego_buyer_offered": {
        "pp": {A_.CANCEL},
        "vendor": {A_.VENDOR_COUNTER, A_.VENDOR_ACCEPT_NEGO, A_.VENDOR_REFUSE_NEGO},
    },
    # The vendor has countered: the buyer answers; the vendor may still refuse.
    "nego_vendor_countered": {
        "pp": {A_.BUYER_OFFER, A_.BUYER_ACCEPT_NEGO, A_.CANCEL},
        "vendor": {A_.VENDOR_REFUSE_NEGO},
    },
    # Both sides used their two rounds: the buyer can only accept (or cancel).
    "nego_buyer_rounds_used": {
        "pp": {A_.BUYER_ACCEPT_NEGO, A_.CANCEL},
        "vendor": {A_.VENDOR_REFUSE_NEGO},
    },
    "nego_selesai": {"pp": {A_.EDIT, A_.CHECKOUT, A_.CANCEL}},
    "menunggu_ppk": {"ppk": {A_.APPROVE, A_.REJECT, A_.CANCEL}},
    "menunggu_vendor": {"ppk": {A_.CANCEL}, "vendor": {A_.CONFIRM, A_.DECLINE}},
    # After the vendor confirmed, no one cancels alone (cancel_needs_agreement): each side may
    # propose a cancellation, and a new delivery date while something is still to be shipped.
    "diproses": {
        "pp": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "ppk": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "vendor": {A_.SHIP, A_.VENDOR_ASK_CANCEL, A_.VENDOR_ASK_DATE},
        "courier": {A_.SHIP},
    },
    "dikirim_partly": {
        "pp": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "ppk": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "vendor": {A_.SHIP, A_.VENDOR_ASK_CANCEL, A_.VENDOR_ASK_DATE},
        "courier": {A_.SHIP},
        "penerima": {A_.RECEIVE, A_.COMPLAIN},
    },
    # Everything is shipped: nothing is left to ship, and no delivery date to move.
    "dikirim_all": {
        "pp": {A_.BUYER_ASK_CANCEL},
        "ppk": {A_.BUYER_ASK_CANCEL},
        "vendor": {A_.VENDOR_ASK_CANCEL},
        "penerima": {A_.RECEIVE, A_.COMPLAIN},
    },
    # The damaged goods go back to the vendor: their replacement is still to be shipped.
    "komplain": {
        "pp": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "ppk": {A_.BUYER_ASK_CANCEL, A_.BUYER_ASK_DATE},
        "vendor": {A_.RESOLVE, A_.VENDOR_ASK_CANCEL, A_.VENDOR_ASK_DATE},
    },
    "diterima": {},
    "dibatalkan": {},
    "ditolak": {},
}


class _Undo(Exception):
    pass


def _attempts(shop: Shop, order: Order, actor: User) -> dict[str, Callable[[], Any]]:
    """One valid call per action, as this actor would make it."""
    lines = lines_of(order)
    line = lines[0]
    vendor_side = actor.organisation_id == order.vendor_organisation_id
    prices = {x.pk: x.list_price_idr - 500 for x in lines}
    to_ship = {x.pk: x.quantity - x.shipped_quantity for x in lines} or {line.pk: 1}
    to_receive = {x.pk: x.shipped_quantity - x.received_quantity for x in lines}
    to_ship = {k: v for k, v in to_ship.items() if v} or {line.pk: 1}
    to_receive = {k: v for k, v in to_receive.items() if v} or {line.pk: 1}
    checkout = services.Checkout(
        ppk=shop.ppk, payment_method=PaymentMethod.TRANSFER, akun="521211", funding_source="RM"
    )
    return {
        A_.EDIT: lambda: services.edit_order(actor, order, quantities={line.pk: line.quantity}),
        A_.SEND_NEGO: lambda: services.send_for_negotiation(actor, order, prices=prices),
        (A_.VENDOR_COUNTER if vendor_side else A_.BUYER_OFFER): lambda: services.make_offer(
            actor, order, prices=prices
        ),
        (A_.VENDOR_ACCEPT_NEGO if vendor_side else A_.BUYER_ACCEPT_NEGO): (
            lambda: services.accept_offer(actor, order)
        ),
        A_.VENDOR_REFUSE_NEGO: lambda: services.refuse_negotiation(actor, order, message=REASON),
        A_.CHECKOUT: lambda: services.submit_order(actor, order, checkout),
        A_.APPROVE: lambda: services.approve_order(actor, order),
        A_.REJECT: lambda: services.reject_order(actor, order, reason=REASON),
        A_.CONFIRM: lambda: services.confirm_order(actor, order),
        A_.DECLINE: lambda: services.decline_order(actor, order, reason=REASON),
        A_.SHIP: lambda: services.ship_order(actor, order, quantities=to_ship),
        A_.RECEIVE: lambda: services.receive_order(actor, order, quantities=to_receive),
        A_.COMPLAIN: lambda: services.complain(
            actor, order, kind="DAMAGED", description=REASON, quantities=to_receive
        ),
        A_.RESOLVE: lambda: services.resolve_complaint(
            actor, order, resolution=Resolution.REPLACE, response=REASON
        ),
        A_.CANCEL: lambda: services.cancel_order(actor, order, reason=REASON),
        # After confirmation: proposals (the answers are refused: nothing awaits an answer).
        (A_.VENDOR_ASK_CANCEL if vendor_side else A_.BUYER_ASK_CANCEL): (
            lambda: services.propose_cancellation(actor, order, reason=REASON)
        ),
        (A_.VENDOR_AGREE_CANCEL if vendor_side else A_.BUYER_AGREE_CANCEL): (
            lambda: services.answer_cancellation(actor, order, agree=True)
        ),
        (A_.VENDOR_REFUSE_CANCEL if vendor_side else A_.BUYER_REFUSE_CANCEL): (
            lambda: services.answer_cancellation(actor, order, agree=False, note=REASON)
        ),
        (A_.VENDOR_ESCALATE if vendor_side else A_.BUYER_ESCALATE): (
            lambda: services.escalate_cancellation(actor, order, reason=REASON)
        ),
        A_.KPPN_CANCEL: lambda: services.decide_cancellation(
            actor, order, cancel=True, reason=REASON
        ),
        (A_.VENDOR_ASK_DATE if vendor_side else A_.BUYER_ASK_DATE): (
            lambda: services.propose_delivery_date(
                actor, order, new_date=clock.today_jakarta() + timedelta(days=40), reason=REASON
            )
        ),
        (A_.VENDOR_AGREE_DATE if vendor_side else A_.BUYER_AGREE_DATE): (
            lambda: services.answer_delivery_date(actor, order, agree=True)
        ),
    }


def accepted_by_services(shop: Shop, order: Order, actor: User) -> set[str]:
    """The actions the services carry out for this actor now (each tried, then rolled back)."""
    accepted = set()
    for action, call in _attempts(shop, order, actor).items():
        try:
            with transaction.atomic():
                call()
                raise _Undo
        except _Undo:
            accepted.add(str(action))
        except DomainError:
            pass
    return accepted


@pytest.mark.parametrize("stage", list(EXPECTED))
def test_allowed_actions_list_exactly_what_each_person_may_do(
    shop: Shop, api_as: Any, stage: str
) -> None:
    make_courier("UMKM-0001")
    order = _stage(shop, stage)
    expected = {who: EXPECTED[stage].get(who, set()) for who in PEOPLE}
    # The expectations are checked against the services themselves: each action tried by
    # each person (and rolled back) succeeds exactly when expected.
    accepted = {who: accepted_by_services(shop, order, user(a)) for who, a in PEOPLE.items()}
    assert accepted == expected, "the services disagree with the expected table"
    assert fresh(order).state == order.state  # nothing stayed behind
    # The API detail lists exactly those.
    listed = {}
    for who, address in PEOPLE.items():
        response = api_as(address).get(f"/api/v1/orders/{order.pk}")
        if stage == "rincian" and who in ("vendor", "courier"):
            # Still being composed by the buyer (never sent for negotiation): not the
            # vendor's business yet.
            assert response.status_code == 404, (who, response.content)
            listed[who] = set()
            continue
        assert response.status_code == 200, (who, response.content)
        actions = response.json()["allowed_actions"]
        assert len(actions) == len(set(actions)), actions
        listed[who] = set(actions)
    assert listed == expected


def test_trying_an_action_leaves_nothing_behind(shop: Shop) -> None:
    """A sanity check of the helper above: approving really holds UP (so the rollback in
    ``accepted_by_services`` is what keeps UP untouched)."""
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_PPK)
    assert A_.APPROVE in accepted_by_services(shop, order, shop.ppk)
    assert tunai(shop.satker) == before
    shop.approve(order)
    assert tunai(shop.satker) == before - order.total_idr


def test_the_vendor_sees_an_order_once_the_buyer_sends_it(shop: Shop) -> None:
    """An order still composed by the buyer is invisible to the vendor; once it went to
    negotiation (even if refused back to Menunggu Rincian) or to the PPK, the vendor sees it."""
    vendor_user = user(VENDOR_1)
    composing = shop.order()
    assert not queries.visible_orders(vendor_user).filter(pk=composing.pk).exists()
    with pytest.raises(NotFound):
        queries.order_for(vendor_user, composing.pk)
    refused = shop.at(S.PROSES_NEGO)
    services.refuse_negotiation(vendor_user, refused, message=REASON)
    assert fresh(refused).state == S.MENUNGGU_RINCIAN
    submitted = shop.at(S.MENUNGGU_PPK)
    visible = set(queries.visible_orders(vendor_user).values_list("pk", flat=True))
    assert {refused.pk, submitted.pk} <= visible
    assert composing.pk not in visible


def test_a_partly_shipped_order_stays_on_the_vendors_to_do_list(shop: Shop) -> None:
    courier = make_courier("UMKM-0001")
    vendor_user = user(VENDOR_1)
    order = shop.at(S.DIPROSES)
    (line,) = lines_of(order)
    order = shop.ship(order, {line.pk: 4})
    assert order.state == S.DIKIRIM
    for who in (vendor_user, courier):
        assert queries.todo(who).filter(pk=order.pk).exists()
    order = shop.ship(order)  # the rest: nothing left to ship
    for who in (vendor_user, courier):
        assert not queries.todo(who).filter(pk=order.pk).exists()
    assert queries.todo(shop.penerima).filter(pk=order.pk).exists()
