"""Orders under concurrent writers (PostgreSQL only; skipped on SQLite, where
``transaction_mode=IMMEDIATE`` serialises writers anyway).

Threads, each with its own connection, released together by a barrier:

- many approvals of different orders of one satker racing for the same UP never hold more than
  is available: exactly floor(available / amount) succeed, the others fail ``up_insufficient``;
- duplicate clicks (the same action on the same order from several threads) make exactly one
  transition, one hold, one timeline event, one audit event;
- a cancellation racing the vendor's decline, and the scheduler racing the vendor's
  confirmation, end in one consistent outcome with the hold voided at most once.

The demo world is loaded inside each (transactional) test; the module's ``world`` fixture is
not used here because it keeps a transaction open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from digipay import demo as demo_set
from digipay.audit.models import AuditEvent
from digipay.audit.queries import verify_chain
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.ledger.rules import EntryKind
from digipay.orders import services
from digipay.orders.models import Order, OrderEvent, Proposal
from digipay.orders.rules import Action, ProposalStatus
from digipay.orders.rules import OrderState as S
from digipay.policy.rules import PolicyKey
from digipay.treasury import queries as treasury

from .conftest import JUTA, REASON, Shop, _world, fresh, make_product, set_policy, tunai, user

# serialized_rollback: the migrations' reference rows (provinces, DJPb, policy values) come
# back for the tests after these, which flush the database.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8
CLICKS = 6


@pytest.fixture
def shop() -> Shop:
    demo_set.load(full=False)
    return Shop(_world())


def race(*works: Callable[[], Any]) -> list[Any]:
    """Run the works at once on their own connections; each result or the exception raised."""
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except BaseException as exc:  # every outcome is checked by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results


def as_user(address: str) -> Callable[[], Any]:
    pk = user(address).pk
    from digipay.accounts.models import User

    return lambda: User.objects.get(pk=pk)


def by_pk(order: Order) -> Callable[[], Order]:
    return lambda: Order.objects.get(pk=order.pk)


def codes(results: list[Any]) -> list[str]:
    return sorted(r.code if isinstance(r, DomainError) else type(r).__name__ for r in results)


def test_concurrent_approvals_never_hold_more_than_the_up_available(shop: Shop) -> None:
    set_policy(PolicyKey.SPLIT_BLOCKS, 0)  # eight orders to one vendor today: flagged only
    available = tunai(shop.satker)
    amount = available * 2 // 5  # 40% of the UP available each
    assert amount <= 200 * JUTA  # within the UMKM-PDN limit
    product = make_product("UMKM-0002", price=amount, is_pdn=True)  # micro, not PKP
    orders = [shop.at(S.MENUNGGU_PPK, [(product, 1)]) for _ in range(THREADS)]
    assert all(o.total_idr == amount for o in orders)
    ppk = as_user("ppk@415256.demo.digipay.id")

    results = race(*(lambda o=o: services.approve_order(ppk(), by_pk(o)()) for o in orders))

    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if not isinstance(r, Order)]
    expected = available // amount
    assert expected == 2
    assert len(won) == expected, results
    assert all(isinstance(r, ValidationFailed) and r.code == "up_insufficient" for r in lost), (
        results
    )
    position = treasury.up_position(shop.satker)["tunai"]
    assert position.held == expected * amount
    assert position.available == available - expected * amount >= 0
    states = sorted(fresh(o).state for o in orders)
    assert states.count(S.MENUNGGU_VENDOR) == expected
    assert states.count(S.MENUNGGU_PPK) == THREADS - expected
    holds = Entry.objects.filter(source_type="orders.order", kind=EntryKind.HOLD)
    assert holds.count() == expected
    assert OrderEvent.objects.filter(action=Action.APPROVE).count() == expected
    assert AuditEvent.objects.filter(action="order.approve").count() == expected
    assert ledger_queries.validate_ledger() == []
    assert ledger_queries.total_of_all_postings() == 0
    assert verify_chain(shop.satker.pk) is None


def test_duplicate_approvals_of_one_order_make_one_hold(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_PPK)
    ppk = as_user("ppk@415256.demo.digipay.id")

    results = race(*(lambda: services.approve_order(ppk(), by_pk(order)()) for _ in range(CLICKS)))

    assert len([r for r in results if isinstance(r, Order)]) == 1, results
    assert codes([r for r in results if not isinstance(r, Order)]) == ["invalid_transition"] * (
        CLICKS - 1
    )
    order = fresh(order)
    assert order.state == S.MENUNGGU_VENDOR
    assert Entry.objects.filter(source_type="orders.order", source_id=str(order.pk)).count() == 1
    assert tunai(shop.satker) == before - order.total_idr
    assert OrderEvent.objects.filter(order=order, action=Action.APPROVE).count() == 1
    assert AuditEvent.objects.filter(action="order.approve", object_id=str(order.pk)).count() == 1
    assert ledger_queries.validate_ledger() == []


def test_duplicate_confirmations_make_one_transition(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    vendor = as_user("admin@umkm-0001.demo.digipay.id")

    results = race(
        *(lambda: services.confirm_order(vendor(), by_pk(order)()) for _ in range(CLICKS))
    )

    assert len([r for r in results if isinstance(r, Order)]) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Order)), results
    assert fresh(order).state == S.DIPROSES
    assert OrderEvent.objects.filter(order=order, action=Action.CONFIRM).count() == 1
    assert AuditEvent.objects.filter(action="order.confirm", object_id=str(order.pk)).count() == 1
    assert verify_chain(shop.satker.pk) is None


def test_duplicate_cancellations_void_the_hold_once(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_VENDOR)
    ppk = as_user("ppk@415256.demo.digipay.id")
    vendor = as_user("admin@umkm-0001.demo.digipay.id")
    works = [lambda: services.cancel_order(ppk(), by_pk(order)(), reason=REASON)] * 3
    works += [lambda: services.decline_order(vendor(), by_pk(order)(), reason=REASON)] * 3

    results = race(*works)

    assert len([r for r in results if isinstance(r, Order)]) == 1, results
    assert codes([r for r in results if not isinstance(r, Order)]) == ["invalid_transition"] * 5
    order = fresh(order)
    assert order.state == S.DIBATALKAN
    assert Entry.objects.filter(resolves_id=order.hold_entry_id).count() == 1
    assert tunai(shop.satker) == before
    assert OrderEvent.objects.filter(order=order, to_state=S.DIBATALKAN).count() == 1
    assert ledger_queries.validate_ledger() == []


def test_the_scheduler_racing_the_vendor_ends_consistently(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.MENUNGGU_VENDOR)
    assert order.vendor_deadline is not None
    late = order.vendor_deadline + timedelta(seconds=1)
    vendor = as_user("admin@umkm-0001.demo.digipay.id")

    def scheduler() -> int:
        return services.auto_cancel_overdue(late)

    def confirm() -> Order:
        with clock.frozen(late - timedelta(seconds=2)):
            return services.confirm_order(vendor(), by_pk(order)())

    results = race(scheduler, scheduler, confirm)

    order = fresh(order)
    cancelled = sum(r for r in results if isinstance(r, int))
    if order.state == S.DIPROSES:  # the vendor came first: the scheduler skipped it
        assert cancelled == 0, results
        assert tunai(shop.satker) == before - order.total_idr
        assert not Entry.objects.filter(resolves_id=order.hold_entry_id).exists()
    else:
        assert order.state == S.DIBATALKAN
        assert cancelled == 1, results
        assert isinstance(results[2], Conflict), results
        assert Entry.objects.filter(resolves_id=order.hold_entry_id).count() == 1
        assert tunai(shop.satker) == before
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]
    assert ledger_queries.validate_ledger() == []


ROUNDS = 4


def test_two_submissions_at_once_cannot_split_past_the_limit(shop: Shop) -> None:
    """Two orders to one vendor, prepared yesterday (so a draft of the other does not count),
    each under the Rp50 juta limit, together over it. Submitted one after the other, the second
    is blocked as a split purchase; submitted at the same moment by two clicks, still exactly
    one may go through."""
    from digipay.orders.models import Order as OrderModel

    pp = as_user("pengadaan@415256.demo.digipay.id")
    product = make_product("UMKM-0002", price=30 * JUTA, is_pdn=False)
    checkout = services.Checkout(
        ppk=shop.ppk, payment_method="TRANSFER", akun="521211", funding_source="RM"
    )

    def prepared_yesterday() -> list[Order]:
        pair = [shop.order([(product, 1)]) for _ in range(2)]
        OrderModel.objects.filter(pk__in=[o.pk for o in pair]).update(
            created_at=clock.now() - timedelta(days=1)
        )
        return pair

    # One after the other: the second is a split.
    first, second = prepared_yesterday()
    services.submit_order(pp(), first, checkout)
    with pytest.raises(ValidationFailed) as exc:
        services.submit_order(pp(), second, checkout)
    assert exc.value.code == "split_purchase"
    services.cancel_order(shop.ppk, first, reason=REASON)
    services.cancel_order(shop.pp, second, reason=REASON)

    outcomes = []
    for _round in range(ROUNDS):
        pair = prepared_yesterday()
        results = race(
            *(lambda o=o: services.submit_order(pp(), by_pk(o)(), checkout) for o in pair)
        )
        outcomes.append(codes([r for r in results if not isinstance(r, Order)]))
        for order in pair:  # clear the way for the next round
            order = fresh(order)
            if order.state == S.MENUNGGU_PPK:
                services.cancel_order(shop.ppk, order, reason=REASON)
            else:
                services.cancel_order(shop.pp, order, reason=REASON)
    assert outcomes == [["split_purchase"]] * ROUNDS


def test_both_sides_proposing_at_once_leave_one_live_proposal(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    pp = as_user("pengadaan@415256.demo.digipay.id")
    vendor = as_user("admin@umkm-0001.demo.digipay.id")
    works = [lambda: services.propose_cancellation(pp(), by_pk(order)(), reason=REASON)] * 3
    works += [lambda: services.propose_cancellation(vendor(), by_pk(order)(), reason=REASON)] * 3

    results = race(*works)

    made = [r for r in results if isinstance(r, Proposal)]
    assert len(made) == 1, results
    assert (
        codes([r for r in results if not isinstance(r, Proposal)]) == ["proposal_not_available"] * 5
    )
    assert Proposal.objects.filter(order=order).count() == 1
    assert (
        OrderEvent.objects.filter(
            order=order, action__in=(Action.BUYER_ASK_CANCEL, Action.VENDOR_ASK_CANCEL)
        ).count()
        == 1
    )


def test_racing_answers_to_a_cancellation_void_the_hold_at_most_once(shop: Shop) -> None:
    """Duplicate clicks on "agree" while the buyer also refuses: one answer wins; if it was
    the agreement the hold is voided exactly once."""
    before = tunai(shop.satker)
    order = shop.at(S.DIPROSES)
    services.propose_cancellation(user("admin@umkm-0001.demo.digipay.id"), order, reason=REASON)
    ppk = as_user("ppk@415256.demo.digipay.id")
    pp = as_user("pengadaan@415256.demo.digipay.id")
    works = [lambda: services.answer_cancellation(ppk(), by_pk(order)(), agree=True)] * 4
    works += [
        lambda: services.answer_cancellation(pp(), by_pk(order)(), agree=False, note=REASON)
    ] * 2

    results = race(*works)

    assert len([r for r in results if isinstance(r, Order)]) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Order)), results
    order = fresh(order)
    proposal = Proposal.objects.get(order=order)
    if order.state == S.DIBATALKAN:
        assert proposal.status == ProposalStatus.ACCEPTED
        assert Entry.objects.filter(resolves_id=order.hold_entry_id).count() == 1
        assert tunai(shop.satker) == before
    else:
        assert (order.state, proposal.status) == (S.DIPROSES, ProposalStatus.REFUSED)
        assert not Entry.objects.filter(resolves_id=order.hold_entry_id).exists()
        assert tunai(shop.satker) == before - order.total_idr
    answers = (Action.BUYER_AGREE_CANCEL, Action.BUYER_REFUSE_CANCEL)
    assert OrderEvent.objects.filter(order=order, action__in=answers).count() == 1
    assert ledger_queries.validate_ledger() == []
