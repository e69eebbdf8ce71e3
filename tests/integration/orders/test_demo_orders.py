"""The demo orders (``digipay.orders.demo``): the full demo set (``make run``) holds orders in
every state, made through the real services; every demo role finds work on its to-do list; the
UP holds are exactly those of the orders that hold UP; loading again changes nothing.

The full demo set is loaded once for this module (about 15 s: three hundred products with
images, in a temporary directory) inside a transaction rolled back after the module; each test
runs in a savepoint inside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from digipay import demo as demo_set
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.audit.models import AuditEvent
from digipay.ledger import queries as ledger
from digipay.ledger.models import Entry, Posting
from digipay.ledger.rules import EntryKind
from digipay.notifications.models import Notification
from digipay.orders import demo as orders_demo
from digipay.orders import queries, rules, services
from digipay.orders.models import (
    CartLine,
    Complaint,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    Proposal,
    Receipt,
)
from digipay.orders.rules import OrderState, ProposalKind, ProposalStatus, Side
from digipay.treasury import queries as treasury

S = OrderState
SATKERS = ("415256", "527010", "652840")
JUTA = 1_000_000


@pytest.fixture(scope="module")
def _full_demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media")),
        ),
        transaction.atomic(),
    ):
        demo_set.load(full=True)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def full_demo(_full_demo: None, db: None) -> None:
    """The full demo set, loaded once for the module."""


def user(email: str) -> User:
    return User.objects.get(email=email)


def demo_orders() -> list[Order]:
    return list(Order.objects.filter(satker__code__in=SATKERS).order_by("id"))


def test_every_state_of_the_path_has_a_demo_order(full_demo: None) -> None:
    states = {order.state for order in demo_orders()}
    assert states >= {
        S.MENUNGGU_RINCIAN,
        S.PROSES_NEGO,
        S.NEGO_SELESAI,
        S.MENUNGGU_PPK,
        S.MENUNGGU_VENDOR,
        S.DIPROSES,
        S.DIKIRIM,
        S.KOMPLAIN,
        S.DITERIMA,
        S.DITOLAK,
        S.DIBATALKAN,
    }
    counts = demo_set.counts()
    assert counts["orders"] == len(orders_demo.ORDERS) == len(demo_orders())
    for state in OrderState.values:
        expected = sum(1 for spec in orders_demo.ORDERS if spec.state == state)
        assert counts[f"orders_{state.lower()}"] == expected, state


def test_the_demo_orders_show_each_step_of_the_path(full_demo: None) -> None:
    orders = demo_orders()
    # Negotiation: an offer and a counter-offer, the satker's turn and the vendor's turn.
    sides_per_order = {
        o.pk: set(Offer.objects.filter(order=o).values_list("side", flat=True))
        for o in orders
        if o.state == S.PROSES_NEGO
    }
    assert any(sides == {Side.BUYER, Side.VENDOR} for sides in sides_per_order.values())
    last_offers = {
        Offer.objects.filter(order_id=pk)
        .order_by("-created_at", "-id")
        .values_list("side", flat=True)[0]
        for pk in sides_per_order
    }
    assert last_offers == {Side.BUYER, Side.VENDOR}  # the satker's turn and the vendor's
    # A partial shipment still on its way, an open complaint.
    partial = [
        o
        for o in orders
        if o.state == S.DIKIRIM
        and any(line.shipped_quantity < line.quantity for line in OrderLine.objects.filter(order=o))
    ]
    assert partial
    assert Complaint.objects.filter(
        order__state=S.KOMPLAIN, resolved_at__isnull=True, order__in=orders
    ).exists()
    # Received orders have their BAST; one was received in two parts, one after a complaint
    # settled by a reduced quantity.
    received = [o for o in orders if o.state == S.DITERIMA]
    assert all(Receipt.objects.filter(order=o).exists() for o in received)
    assert any(Receipt.objects.filter(order=o).count() >= 2 for o in received)
    assert Complaint.objects.filter(order__in=received, resolution="REDUCE").exists()
    for o in received:
        for line in OrderLine.objects.filter(order=o, removed=False):
            assert line.received_quantity == line.quantity
    # Rejected and cancelled orders carry their reason: cancelled by the vendor after the PPK
    # approved (its hold released), by the satker after a refused negotiation, by both parties
    # after the vendor confirmed.
    closed = [o for o in orders if o.state in (S.DITOLAK, S.DIBATALKAN)]
    assert all(o.close_reason and o.closed_at for o in closed)
    actions = set(
        OrderEvent.objects.filter(order__in=closed, to_state=S.DIBATALKAN).values_list(
            "action", flat=True
        )
    )
    assert {rules.Action.DECLINE, rules.Action.CANCEL, rules.Action.BUYER_AGREE_CANCEL} <= actions
    # Both payment methods, both small-world vendors and several others, all three satkers.
    assert {o.payment_method for o in orders if o.submitted_at} == {
        PaymentMethod.TRANSFER,
        PaymentMethod.KKP,
    }
    vendors = {o.vendor.organisation.code for o in orders}
    assert {"UMKM-0001", "UMKM-0002"} <= vendors
    assert len(vendors) >= 6
    assert {o.satker.code for o in orders} == set(SATKERS)


def test_the_demo_orders_respect_the_limits(full_demo: None) -> None:
    for order in demo_orders():
        assert order.split_flag == ""
        assert order.total_idr <= 50 * JUTA
    for code in SATKERS:
        position = treasury.up_position(Organisation.objects.get(code=code))
        assert position["tunai"].available > 0
        assert position["kkp"].available > 0


def test_each_demo_role_finds_work_waiting(full_demo: None) -> None:
    for code in SATKERS:
        for role in ("pengadaan", "ppk", "penerima"):
            assert queries.todo(user(f"{role}@{code}.demo.digipay.id")).exists(), (role, code)
        assert CartLine.objects.filter(cart__user=user(f"pemesan@{code}.demo.digipay.id"))
        # The Bendahara hears of received orders (the invoices to pay come with issue 7).
        assert Notification.objects.filter(
            recipient=user(f"bendahara@{code}.demo.digipay.id")
        ).exists()
    for vendor in ("UMKM-0001", "UMKM-0002", "UMKM-0006"):
        assert queries.todo(user(f"admin@{vendor.lower()}.demo.digipay.id")).exists(), vendor
    # Each KPPN help desk has a disputed cancellation to decide (one asked by a satker, one by
    # a vendor), and oversees its satkers' orders.
    for kppn in ("019", "030"):
        kppn_admin = user(f"admin@kppn{kppn}.demo.digipay.id")
        assert queries.todo(kppn_admin).exists(), kppn
        assert queries.counts_by_state(kppn_admin)
    escalated = Proposal.objects.filter(status=ProposalStatus.ESCALATED)
    assert set(escalated.values_list("side", flat=True)) == {Side.BUYER, Side.VENDOR}
    # A vendor's proposal of a new delivery date waits for the satker (Pejabat Pengadaan, PPK).
    date = Proposal.objects.get(kind=ProposalKind.DATE, status=ProposalStatus.OPEN)
    assert date.side == Side.VENDOR
    assert date.order in queries.todo(user("ppk@415256.demo.digipay.id"))
    assert date.order in queries.todo(user("pengadaan@415256.demo.digipay.id"))
    # The PPK's orders wait for approval within the 3 working days; the vendors' within 5 days.
    for order in demo_orders():
        if order.state == S.MENUNGGU_PPK:
            assert order.ppk_deadline is not None
            assert order.ppk_deadline > order.created_at.date()
        if order.state == S.MENUNGGU_VENDOR:
            assert order.vendor_deadline is not None
            assert order.approved_at is not None
    assert services.auto_cancel_overdue() == 0  # none is overdue yet


def test_the_ledger_holds_are_those_of_the_orders_holding_up(full_demo: None) -> None:
    assert ledger.validate_ledger() == []
    for code in SATKERS:
        satker = Organisation.objects.get(code=code)
        orders = [o for o in demo_orders() if o.satker_id == satker.pk]
        holding = [o for o in orders if o.state in rules.HOLDING]
        assert holding
        pending = ledger.pending_holds(satker.pk)
        assert {int(e.source_id) for e in pending} == {o.pk for o in holding}
        assert {e.pk for e in pending} == {o.hold_entry_id for o in holding}
        # Each hold is the order's total at approval (an agreed reduction after a complaint
        # leaves the hold as it was until payment: services.resolve_complaint).
        held = {
            o.pk: int(
                Posting.objects.get(
                    entry_id=o.hold_entry_id, account__code__startswith="EXPENSE:"
                ).amount
            )
            for o in holding
        }
        assert all(held[o.pk] >= o.total_idr for o in holding)
        assert sum(held[o.pk] != o.total_idr for o in holding) <= 1
        position = treasury.up_position(satker)
        for key, method in (("tunai", PaymentMethod.TRANSFER), ("kkp", PaymentMethod.KKP)):
            assert position[key].held == sum(
                held[o.pk] for o in holding if o.payment_method == method
            )
        # Orders cancelled after the PPK approved had their hold voided; the others never held.
        for order in orders:
            if order.state in (S.DIBATALKAN, S.DITOLAK) and order.hold_entry_id is not None:
                hold = Entry.objects.get(pk=order.hold_entry_id)
                assert hold.resolution.kind == EntryKind.VOID_HOLD
            if order.state in (S.MENUNGGU_RINCIAN, S.PROSES_NEGO, S.NEGO_SELESAI, S.MENUNGGU_PPK):
                assert order.hold_entry_id is None
    assert Entry.objects.filter(
        kind=EntryKind.VOID_HOLD, resolves__source_type="orders.order"
    ).count() == sum(
        1 for o in demo_orders() if o.state == S.DIBATALKAN and o.hold_entry_id is not None
    )


def test_each_step_left_its_timeline_event_audit_event_and_notice(full_demo: None) -> None:
    for order in demo_orders():
        events = list(OrderEvent.objects.filter(order=order).order_by("at", "id"))
        assert events[0].from_state == S.MENUNGGU_RINCIAN
        assert events[-1].to_state == order.state
        for before, after in itertools.pairwise(events):
            assert after.from_state == before.to_state
        assert AuditEvent.objects.filter(
            action__startswith="order.", object_id=str(order.pk)
        ).count() >= len(events)
        assert Notification.objects.filter(link=f"/pesanan/{order.pk}/").exists()
    # The next actors are told: the PPK of the orders waiting for approval, for one.
    for order in demo_orders():
        if order.state == S.MENUNGGU_PPK:
            assert Notification.objects.filter(
                recipient=order.ppk, link=f"/pesanan/{order.pk}/"
            ).exists()
    assert User.objects.filter(role=Role.PPK, organisation__code__in=SATKERS).count() == 3


def test_loading_again_changes_nothing(full_demo: None) -> None:
    before = (
        demo_set.counts(),
        OrderEvent.objects.count(),
        Notification.objects.count(),
        Entry.objects.count(),
        CartLine.objects.count(),
    )
    assert demo_set.load(full=True) is False
    orders_demo.load(full=True)
    after = (
        demo_set.counts(),
        OrderEvent.objects.count(),
        Notification.objects.count(),
        Entry.objects.count(),
        CartLine.objects.count(),
    )
    assert after == before
