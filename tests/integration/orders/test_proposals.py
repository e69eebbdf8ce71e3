"""Changes after the vendor confirmed (DOMAIN.md §4 steps 5 and 8): cancellation needs both
parties — one side proposes, the other agrees (the order is cancelled and its UP hold voided)
or refuses, and the proposer may then take it to the KPPN help desk above the satker, which
decides; a new delivery date applies only when the other side accepts it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digipay.accounts.models import User
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.notifications.models import Notification
from digipay.orders import queries, services
from digipay.orders.models import Order, OrderEvent, Proposal
from digipay.orders.rules import Action, ProposalKind, ProposalStatus
from digipay.orders.rules import OrderState as S

from .conftest import REASON, Shop, fresh, lines_of, make_courier, tunai, user
from .test_cancellation import assert_released

KPPN_A = "admin@kppn019.demo.digipay.id"  # the KPPN above satker A
KPPN_B = "admin@kppn030.demo.digipay.id"
OTHER = "Alasan lain yang juga cukup jelas."


def holding(order: Order) -> bool:
    return ledger_queries.pending_holds(order.satker_id).filter(pk=order.hold_entry_id).exists()


def actions(actor: User, order: Order) -> set[str]:
    return set(queries.allowed_actions(actor, fresh(order)))


def in_future(days: int) -> Any:
    return clock.today_jakarta() + timedelta(days=days)


# --- cancellation by agreement ----------------------------------------------------------------


def test_the_vendor_proposes_and_the_buyer_agrees(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.DIPROSES)
    assert tunai(shop.satker) == before - order.total_idr
    proposal = services.propose_cancellation(shop.vendor1, order, reason=REASON)
    assert (proposal.kind, proposal.side, proposal.status) == (
        ProposalKind.CANCEL,
        "VENDOR",
        ProposalStatus.OPEN,
    )
    order = fresh(order)
    assert order.state == S.DIPROSES
    assert holding(order)
    # The buyer side hears of it and has it on its to-do list.
    assert Notification.objects.filter(recipient=shop.pp, link=f"/pesanan/{order.pk}/").exists()
    assert queries.todo(shop.ppk).filter(pk=order.pk).exists()
    assert actions(shop.ppk, order) >= {Action.BUYER_AGREE_CANCEL, Action.BUYER_REFUSE_CANCEL}
    assert Action.VENDOR_AGREE_CANCEL not in actions(shop.vendor1, order)  # not its own

    services.answer_cancellation(shop.ppk, order, agree=True)
    order = fresh(order)
    assert (order.state, order.close_reason) == (S.DIBATALKAN, REASON)
    assert_released(order)
    assert tunai(shop.satker) == before
    proposal.refresh_from_db()
    assert (proposal.status, proposal.answered_by_id) == (ProposalStatus.ACCEPTED, shop.ppk.pk)
    assert list(OrderEvent.objects.filter(order=order).values_list("action", flat=True))[-2:] == [
        Action.VENDOR_ASK_CANCEL,
        Action.BUYER_AGREE_CANCEL,
    ]


def test_the_buyer_proposes_after_shipping_and_the_vendor_agrees(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.DIKIRIM)
    services.propose_cancellation(shop.pp, order, reason=REASON)
    assert queries.todo(shop.vendor1).filter(pk=order.pk).exists()
    services.answer_cancellation(shop.vendor1, order, agree=True, note="Barang kami ambil lagi.")
    order = fresh(order)
    assert order.state == S.DIBATALKAN
    assert_released(order)
    assert tunai(shop.satker) == before


def test_a_refusal_keeps_the_order_and_its_hold(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    services.propose_cancellation(shop.pp, order, reason=REASON)
    with pytest.raises(ValidationFailed):
        services.answer_cancellation(shop.vendor1, order, agree=False, note="tidak")
    services.answer_cancellation(shop.vendor1, order, agree=False, note=OTHER)
    order = fresh(order)
    assert order.state == S.DIPROSES
    assert holding(order)
    proposal = Proposal.objects.get(order=order)
    assert (proposal.status, proposal.answer) == (ProposalStatus.REFUSED, OTHER)
    # The order goes on: the vendor ships, and a new proposal may be made later.
    shop.ship(order)
    services.propose_cancellation(shop.vendor1, order, reason=REASON)
    assert Proposal.objects.filter(order=order, status=ProposalStatus.OPEN).count() == 1


def test_one_live_proposal_at_a_time_and_no_answer_to_ones_own(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    services.propose_cancellation(shop.pp, order, reason=REASON)
    for who in (shop.pp, shop.ppk, shop.vendor1):
        with pytest.raises(Conflict) as exc:
            services.propose_cancellation(who, order, reason=REASON)
        assert exc.value.code == "proposal_not_available"
    with pytest.raises(Conflict):
        services.answer_cancellation(shop.ppk, order, agree=True)  # the buyer's own proposal
    assert fresh(order).state == S.DIPROSES
    assert Proposal.objects.filter(order=order).count() == 1


def test_who_may_propose(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    courier = make_courier("UMKM-0001")
    for who in (shop.pemesan, shop.penerima, courier, user("bendahara@415256.demo.digipay.id")):
        with pytest.raises(PermissionDenied):
            services.propose_cancellation(who, order, reason=REASON)
    with pytest.raises(NotFound):  # another vendor does not see the order at all
        services.propose_cancellation(shop.vendor2, order, reason=REASON)
    with pytest.raises(PermissionDenied):  # the help desk decides, it does not propose
        services.propose_cancellation(user(KPPN_A), order, reason=REASON)
    assert not Proposal.objects.filter(order=order).exists()


def test_a_proposal_needs_a_reason(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    with pytest.raises(ValidationFailed):
        services.propose_cancellation(shop.vendor1, order, reason="  batal  ")
    assert not Proposal.objects.filter(order=order).exists()
    assert not OrderEvent.objects.filter(order=order, action=Action.VENDOR_ASK_CANCEL).exists()


def test_no_cancellation_once_goods_were_received(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    (line,) = lines_of(order)
    services.propose_cancellation(shop.vendor1, order, reason=REASON)
    order = shop.ship(order, {line.pk: 4})
    order = shop.receive(order, {line.pk: 4})  # a BAST for 4 exists now
    with pytest.raises(Conflict) as exc:
        services.answer_cancellation(shop.ppk, order, agree=True)
    assert "BAST" in exc.value.message
    assert fresh(order).state == S.DIPROSES
    assert holding(order)
    assert Action.BUYER_AGREE_CANCEL not in actions(shop.ppk, order)
    services.answer_cancellation(shop.ppk, order, agree=False, note=OTHER)
    with pytest.raises(Conflict):
        services.propose_cancellation(shop.pp, order, reason=REASON)
    assert Action.BUYER_ASK_CANCEL not in actions(shop.pp, order)


def test_before_confirmation_the_old_one_sided_path_remains(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    with pytest.raises(Conflict) as exc:
        services.propose_cancellation(shop.ppk, order, reason=REASON)
    assert exc.value.code == "invalid_transition"
    confirmed = shop.at(S.DIPROSES)
    with pytest.raises(PermissionDenied) as denied:
        services.cancel_order(shop.ppk, confirmed, reason=REASON)
    assert denied.value.code == "cancel_needs_agreement"


# --- escalation to the KPPN help desk ---------------------------------------------------------


def test_a_refused_cancellation_goes_to_the_kppn_which_cancels(shop: Shop) -> None:
    before = tunai(shop.satker)
    order = shop.at(S.DIPROSES)
    kppn = user(KPPN_A)
    services.propose_cancellation(shop.vendor1, order, reason=REASON)
    with pytest.raises(Conflict):  # not yet refused, and not yet 3 days old
        services.escalate_cancellation(shop.vendor1, order, reason=OTHER)
    services.answer_cancellation(shop.pp, order, agree=False, note=OTHER)
    with pytest.raises(Conflict):  # only the proposer escalates
        services.escalate_cancellation(shop.pp, order, reason=OTHER)
    assert not queries.todo(kppn).filter(pk=order.pk).exists()

    services.escalate_cancellation(shop.vendor1, order, reason="Bahan baku tidak tersedia lagi.")
    assert Notification.objects.filter(recipient=kppn, link=f"/pesanan/{order.pk}/").exists()
    assert queries.todo(kppn).filter(pk=order.pk).exists()
    assert actions(kppn, order) == {Action.KPPN_CANCEL, Action.KPPN_CONTINUE}
    assert actions(shop.pp, order) & {Action.BUYER_ASK_CANCEL, Action.BUYER_AGREE_CANCEL} == set()

    # The KPPN of another region, the parties themselves: not theirs to decide.
    with pytest.raises(NotFound):
        services.decide_cancellation(user(KPPN_B), order, cancel=True, reason=REASON)
    for who in (shop.ppk, shop.vendor1):
        with pytest.raises((PermissionDenied, NotFound)):
            services.decide_cancellation(who, order, cancel=True, reason=REASON)

    services.decide_cancellation(kppn, order, cancel=True, reason=REASON)
    order = fresh(order)
    assert (order.state, order.close_reason) == (S.DIBATALKAN, REASON)
    assert_released(order)
    assert tunai(shop.satker) == before
    proposal = Proposal.objects.get(order=order)
    assert (proposal.status, proposal.decided_by_id) == (ProposalStatus.UPHELD, kppn.pk)
    # Both parties hear the outcome.
    for who in (shop.pp, shop.vendor1):
        assert Notification.objects.filter(recipient=who, title__contains="Dibatalkan").exists()


def test_the_kppn_may_let_the_order_continue(shop: Shop) -> None:
    order = shop.at(S.DIKIRIM)
    services.propose_cancellation(shop.ppk, order, reason=REASON)
    services.answer_cancellation(shop.vendor1, order, agree=False, note=OTHER)
    services.escalate_cancellation(shop.ppk, order, reason=OTHER)
    services.decide_cancellation(user(KPPN_A), order, cancel=False, reason=REASON)
    order = fresh(order)
    assert order.state == S.DIKIRIM
    assert holding(order)
    assert Proposal.objects.get(order=order).status == ProposalStatus.DISMISSED
    assert Action.BUYER_ESCALATE not in actions(shop.ppk, order)  # decided: not again
    shop.receive(order)
    assert fresh(order).state == S.DITERIMA


def test_an_unanswered_proposal_may_be_escalated_after_three_days(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    start = clock.now()
    with clock.frozen(start):
        services.propose_cancellation(shop.pp, order, reason=REASON)
    with clock.frozen(start + timedelta(days=2, hours=23)):
        assert Action.BUYER_ESCALATE not in actions(shop.pp, order)
        with pytest.raises(Conflict):
            services.escalate_cancellation(shop.pp, order, reason=OTHER)
    with clock.frozen(start + timedelta(days=3)):
        assert Action.BUYER_ESCALATE in actions(shop.pp, order)
        services.escalate_cancellation(shop.pp, order, reason=OTHER)
        # Escalated: the vendor can no longer answer it; the KPPN decides.
        assert Action.VENDOR_AGREE_CANCEL not in actions(shop.vendor1, order)
        with pytest.raises(Conflict):
            services.answer_cancellation(shop.vendor1, order, agree=True)
    assert Proposal.objects.get(order=order).status == ProposalStatus.ESCALATED


# --- delivery date ----------------------------------------------------------------------------


def test_the_vendor_proposes_a_new_date_and_the_buyer_accepts(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    old = fresh(order).requested_date
    new = in_future(20)
    proposal = services.propose_delivery_date(shop.vendor1, order, new_date=new, reason=REASON)
    assert (proposal.previous_date, proposal.new_date) == (old, new)
    assert fresh(order).requested_date == old  # not before the other side accepts
    assert queries.todo(shop.pp).filter(pk=order.pk).exists()
    services.answer_delivery_date(shop.pp, order, agree=True)
    order = fresh(order)
    assert order.requested_date == new
    assert order.state == S.DIPROSES
    assert Proposal.objects.get(order=order).status == ProposalStatus.ACCEPTED
    event = OrderEvent.objects.filter(order=order).last()
    assert event is not None
    assert event.action == Action.BUYER_AGREE_DATE
    assert new.strftime("%d/%m/%Y") in event.reason


def test_a_refused_date_changes_nothing(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    old = fresh(order).requested_date
    services.propose_delivery_date(shop.ppk, order, new_date=in_future(3), reason=REASON)
    with pytest.raises(Conflict):  # one at a time
        services.propose_delivery_date(shop.vendor1, order, new_date=in_future(9), reason=REASON)
    services.answer_delivery_date(shop.vendor1, order, agree=False, note=OTHER)
    assert fresh(order).requested_date == old
    assert Proposal.objects.get(order=order).status == ProposalStatus.REFUSED


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "sebelum hari ini"), (400, "satu tahun")],
)
def test_a_new_date_is_checked(shop: Shop, days: int, message: str) -> None:
    order = shop.at(S.DIPROSES)
    with pytest.raises(ValidationFailed) as exc:
        services.propose_delivery_date(shop.vendor1, order, new_date=in_future(days), reason=REASON)
    assert message in exc.value.message
    assert exc.value.details == {"field": "new_date"}
    assert not Proposal.objects.filter(order=order).exists()


def test_no_date_change_once_everything_is_shipped(shop: Shop) -> None:
    order = shop.at(S.DIKIRIM)
    with pytest.raises(Conflict):
        services.propose_delivery_date(shop.vendor1, order, new_date=in_future(5), reason=REASON)


def test_a_pending_proposal_lapses_when_the_order_is_received(shop: Shop) -> None:
    order = shop.at(S.DIPROSES)
    (line,) = lines_of(order)
    order = shop.ship(order, {line.pk: 4})
    services.propose_delivery_date(shop.vendor1, order, new_date=in_future(7), reason=REASON)
    order = shop.ship(order)
    order = shop.receive(order)
    assert order.state == S.DITERIMA
    assert Proposal.objects.get(order=order).status == ProposalStatus.LAPSED


# --- API and pages ----------------------------------------------------------------------------


def test_the_api_walks_a_disputed_cancellation(shop: Shop, api_as: Any) -> None:
    order = shop.at(S.DIPROSES)
    vendor = api_as("admin@umkm-0001.demo.digipay.id")
    pp = api_as("pengadaan@415256.demo.digipay.id")
    kppn = api_as(KPPN_A)
    base = f"/api/v1/orders/{order.pk}"

    response = vendor.post(f"{base}/cancellation", {"reason": REASON})
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["status"]) == ("CANCEL", "OPEN")
    again = vendor.post(f"{base}/cancellation", {"reason": REASON})
    assert (again.status_code, again.json()["code"]) == (409, "proposal_not_available")

    detail = pp.get(base).json()
    assert {"BUYER_AGREE_CANCEL", "BUYER_REFUSE_CANCEL"} <= set(detail["allowed_actions"])
    assert [p["status"] for p in detail["proposals"]] == ["OPEN"]

    short = pp.post(f"{base}/cancellation/answer", {"agree": False, "note": "tidak"})
    assert short.status_code == 422
    refused = pp.post(f"{base}/cancellation/answer", {"agree": False, "note": OTHER})
    assert refused.status_code == 200
    assert refused.json()["state"] == S.DIPROSES
    escalated = vendor.post(f"{base}/cancellation/escalate", {"reason": OTHER})
    assert escalated.status_code == 200
    assert escalated.json()["status"] == "ESCALATED"
    assert (
        pp.post(f"{base}/cancellation/decision", {"cancel": True, "reason": REASON}).status_code
        == 403
    )
    decided = kppn.post(f"{base}/cancellation/decision", {"cancel": True, "reason": REASON})
    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == S.DIBATALKAN
    assert_released(fresh(order))


def test_the_api_changes_the_delivery_date(shop: Shop, api_as: Any) -> None:
    order = shop.at(S.DIPROSES)
    base = f"/api/v1/orders/{order.pk}"
    vendor = api_as("admin@umkm-0001.demo.digipay.id")
    bad = vendor.post(f"{base}/delivery-date", {"new_date": "2020-01-01", "reason": REASON})
    assert (bad.status_code, bad.json()["details"]) == (422, {"field": "new_date"})
    new = in_future(12)
    made = vendor.post(f"{base}/delivery-date", {"new_date": new.isoformat(), "reason": REASON})
    assert made.status_code == 201, made.content
    agreed = api_as("ppk@415256.demo.digipay.id").post(
        f"{base}/delivery-date/answer", {"agree": True}
    )
    assert agreed.status_code == 200
    assert agreed.json()["requested_date"] == new.isoformat()


def test_the_order_page_offers_and_runs_the_proposal_steps(shop: Shop, login_client: Any) -> None:
    order = shop.at(S.DIPROSES)
    vendor = login_client("admin@umkm-0001.demo.digipay.id")
    page = vendor.get(f"/pesanan/{order.pk}/").content.decode()
    assert 'data-action="usul-batal"' in page
    assert 'data-action="usul-tanggal"' in page
    assert 'data-action="setujui-batal"' not in page
    response = vendor.post(f"/pesanan/{order.pk}/usul-batal/", {"usul-batal-reason": REASON})
    assert response.status_code == 302
    ppk = login_client("ppk@415256.demo.digipay.id")
    page = ppk.get(f"/pesanan/{order.pk}/").content.decode()
    assert 'data-action="setujui-batal"' in page
    assert 'data-action="tolak-batal"' in page
    assert 'data-testid="proposal"' in page
    assert REASON in page
    # A refusal without a reason shows on the form and changes nothing.
    response = ppk.post(f"/pesanan/{order.pk}/tolak-batal/", {"tolak-batal-reason": ""})
    assert response.status_code == 200
    assert Proposal.objects.get(order=order).status == ProposalStatus.OPEN
    response = ppk.post(f"/pesanan/{order.pk}/setujui-batal/", {"setujui-batal-note": ""})
    assert response.status_code == 302
    assert fresh(order).state == S.DIBATALKAN


def test_the_kppn_sees_escalations_on_its_to_do_page(shop: Shop, login_client: Any) -> None:
    order = shop.at(S.DIPROSES)
    services.propose_cancellation(shop.pp, order, reason=REASON)
    services.answer_cancellation(shop.vendor1, order, agree=False, note=OTHER)
    services.escalate_cancellation(shop.pp, order, reason=OTHER)
    kppn = login_client(KPPN_A)
    listing = kppn.get("/pesanan/").content.decode()
    assert order.number in listing
    page = kppn.get(f"/pesanan/{order.pk}/").content.decode()
    assert 'data-action="kppn-batalkan"' in page
    assert 'data-action="kppn-lanjutkan"' in page
