"""HTTP API of orders: the cart, order lists (with the to-do list per role), the order with
its lines, negotiation, timeline and allowed actions, and one endpoint per step. Thin: each
step calls its service; the gate and the state table decide inside."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.catalog import queries as catalog_queries
from digipay.core.errors import NotFound, ValidationFailed
from digipay.orders import queries, services
from digipay.orders.models import Order
from digipay.orders.schemas import (
    AnswerIn,
    CartLineIn,
    CartLineOut,
    CartLineUpdateIn,
    CheckoutIn,
    ComplaintIn,
    ComplaintOut,
    DecisionIn,
    DeliveryDateIn,
    EditIn,
    MessageIn,
    OfferIn,
    OrderDetailOut,
    OrderOut,
    ProposalOut,
    QuantitiesIn,
    ReasonIn,
    ReceiptOut,
    ResolveIn,
    ShipmentOut,
)
from digipay.treasury.models import KkpCard

router = Router(tags=["orders"])


def _detail(actor: User, order: Order) -> Order:
    """The order as it is now, with the actions this caller may take next."""
    order = queries.order_for(actor, order.pk)
    order.allowed_actions = queries.allowed_actions(actor, order)  # type: ignore[attr-defined]
    return order


def _order(request: HttpRequest, order_id: int) -> tuple[User, Order]:
    actor = actor_of(request)
    return actor, queries.order_for(actor, order_id)


# --- cart -------------------------------------------------------------------------------------


@router.get("/cart", response=list[CartLineOut])
def cart(request: HttpRequest) -> Any:
    actor = actor_of(request)
    require(actor, "order.cart", actor.organisation)
    return list(queries.cart_lines(actor))


@router.post("/cart/lines", response={201: CartLineOut})
def add_to_cart(request: HttpRequest, payload: CartLineIn) -> Status[Any]:
    actor = actor_of(request)
    product = catalog_queries.product_for(actor, payload.product_id)
    line = services.add_to_cart(
        actor, product=product, quantity=payload.quantity, note=payload.note
    )
    return Status(201, queries.cart_lines(actor).get(pk=line.pk))


@router.patch("/cart/lines/{line_id}", response=CartLineOut)
def update_cart_line(request: HttpRequest, line_id: int, payload: CartLineUpdateIn) -> Any:
    actor = actor_of(request)
    line = queries.cart_lines(actor).filter(pk=line_id).first()
    if line is None:
        raise NotFound(_("Data tidak ditemukan."))
    services.update_cart_line(actor, line, quantity=payload.quantity, note=payload.note)
    return queries.cart_lines(actor).get(pk=line_id)


@router.delete("/cart/lines/{line_id}", response={204: None})
def remove_cart_line(request: HttpRequest, line_id: int) -> Status[None]:
    actor = actor_of(request)
    line = queries.cart_lines(actor).filter(pk=line_id).first()
    if line is None:
        raise NotFound(_("Data tidak ditemukan."))
    services.remove_cart_line(actor, line)
    return Status(204, None)


@router.post("/cart/checkout", response={201: list[OrderOut]})
def checkout_cart(request: HttpRequest) -> Status[Any]:
    """One order per vendor, prices frozen now (Menunggu Rincian Pemesanan)."""
    return Status(201, services.checkout_cart(actor_of(request)))


# --- lists ------------------------------------------------------------------------------------


@router.get("/orders", response=list[OrderOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def orders(request: HttpRequest, state: str = "", todo: bool = False) -> Any:
    """The orders the caller sees; ``todo=true``: only those waiting for the caller's role."""
    actor = actor_of(request)
    require(actor, "order.view")
    found = queries.todo(actor) if todo else queries.visible_orders(actor)
    return found.filter(state=state) if state else found


@router.get("/orders/counts", response=dict[str, int])
def counts(request: HttpRequest) -> dict[str, int]:
    actor = actor_of(request)
    require(actor, "order.view")
    result = queries.counts_by_state(actor)
    result["todo"] = queries.todo(actor).count()
    return result


@router.get("/orders/{order_id}", response=OrderDetailOut)
def order_detail(request: HttpRequest, order_id: int) -> Order:
    actor, order = _order(request, order_id)
    return _detail(actor, order)


# --- steps ------------------------------------------------------------------------------------


@router.post("/orders/{order_id}/edit", response=OrderDetailOut)
def edit(request: HttpRequest, order_id: int, payload: EditIn) -> Order:
    actor, order = _order(request, order_id)
    services.edit_order(actor, order, quantities=payload.quantities, remove=payload.remove)
    return _detail(actor, order)


@router.post("/orders/{order_id}/negotiate", response=OrderDetailOut)
def negotiate(request: HttpRequest, order_id: int, payload: OfferIn) -> Order:
    actor, order = _order(request, order_id)
    services.send_for_negotiation(actor, order, prices=payload.prices, message=payload.message)
    return _detail(actor, order)


@router.post("/orders/{order_id}/offers", response=OrderDetailOut)
def offer(request: HttpRequest, order_id: int, payload: OfferIn) -> Order:
    actor, order = _order(request, order_id)
    services.make_offer(actor, order, prices=payload.prices, message=payload.message)
    return _detail(actor, order)


@router.post("/orders/{order_id}/accept-offer", response=OrderDetailOut)
def accept_offer(request: HttpRequest, order_id: int) -> Order:
    actor, order = _order(request, order_id)
    services.accept_offer(actor, order)
    return _detail(actor, order)


@router.post("/orders/{order_id}/refuse-negotiation", response=OrderDetailOut)
def refuse_negotiation(request: HttpRequest, order_id: int, payload: MessageIn) -> Order:
    actor, order = _order(request, order_id)
    services.refuse_negotiation(actor, order, message=payload.message)
    return _detail(actor, order)


@router.post("/orders/{order_id}/submit", response=OrderDetailOut)
def submit(request: HttpRequest, order_id: int, payload: CheckoutIn) -> Order:
    actor, order = _order(request, order_id)
    ppk = User.objects.filter(pk=payload.ppk_id, organisation_id=order.satker_id).first()
    if ppk is None:
        raise ValidationFailed(_("Pilih PPK aktif dari satker ini."), details={"field": "ppk_id"})
    card = None
    if payload.card_id is not None:
        card = KkpCard.objects.filter(pk=payload.card_id, satker_id=order.satker_id).first()
        if card is None:
            raise ValidationFailed(
                _("Pilih kartu KKP aktif satker ini."), details={"field": "card_id"}
            )
    services.submit_order(
        actor,
        order,
        services.Checkout(
            ppk=ppk,
            payment_method=payload.payment_method,
            akun=payload.akun,
            funding_source=payload.funding_source,
            delivery_address=payload.delivery_address,
            requested_date=payload.requested_date,
            notes=payload.notes,
            card=card,
        ),
    )
    return _detail(actor, order)


@router.post("/orders/{order_id}/approve", response=OrderDetailOut)
def approve(request: HttpRequest, order_id: int) -> Order:
    actor, order = _order(request, order_id)
    services.approve_order(actor, order)
    return _detail(actor, order)


@router.post("/orders/{order_id}/reject", response=OrderDetailOut)
def reject(request: HttpRequest, order_id: int, payload: ReasonIn) -> Order:
    actor, order = _order(request, order_id)
    services.reject_order(actor, order, reason=payload.reason)
    return _detail(actor, order)


@router.post("/orders/{order_id}/confirm", response=OrderDetailOut)
def confirm(request: HttpRequest, order_id: int) -> Order:
    actor, order = _order(request, order_id)
    services.confirm_order(actor, order)
    return _detail(actor, order)


@router.post("/orders/{order_id}/decline", response=OrderDetailOut)
def decline(request: HttpRequest, order_id: int, payload: ReasonIn) -> Order:
    actor, order = _order(request, order_id)
    services.decline_order(actor, order, reason=payload.reason)
    return _detail(actor, order)


@router.post("/orders/{order_id}/shipments", response={201: ShipmentOut})
def ship(request: HttpRequest, order_id: int, payload: QuantitiesIn) -> Status[Any]:
    actor, order = _order(request, order_id)
    shipment = services.ship_order(
        actor, order, quantities=payload.quantities, tracking=payload.tracking
    )
    return Status(201, shipment)


@router.post("/orders/{order_id}/receipts", response={201: ReceiptOut})
def receive(request: HttpRequest, order_id: int, payload: QuantitiesIn) -> Status[Any]:
    actor, order = _order(request, order_id)
    receipt = services.receive_order(actor, order, quantities=payload.quantities, note=payload.note)
    return Status(201, receipt)


@router.post("/orders/{order_id}/complaints", response={201: ComplaintOut})
def complain(request: HttpRequest, order_id: int, payload: ComplaintIn) -> Status[Any]:
    actor, order = _order(request, order_id)
    complaint = services.complain(
        actor,
        order,
        kind=payload.kind,
        description=payload.description,
        quantities=payload.quantities,
    )
    return Status(201, complaint)


@router.post("/orders/{order_id}/complaints/resolve", response=ComplaintOut)
def resolve(request: HttpRequest, order_id: int, payload: ResolveIn) -> Any:
    actor, order = _order(request, order_id)
    return services.resolve_complaint(
        actor,
        order,
        resolution=payload.resolution,
        response=payload.response,
        agreed_quantities=payload.agreed_quantities,
    )


@router.post("/orders/{order_id}/cancel", response=OrderDetailOut)
def cancel(request: HttpRequest, order_id: int, payload: ReasonIn) -> Order:
    actor, order = _order(request, order_id)
    services.cancel_order(actor, order, reason=payload.reason)
    return _detail(actor, order)


# --- after confirmation: proposals answered by the other side, disputes decided by the KPPN ---


@router.post("/orders/{order_id}/cancellation", response={201: ProposalOut})
def propose_cancellation(request: HttpRequest, order_id: int, payload: ReasonIn) -> Status[Any]:
    """Either side proposes to cancel a confirmed order; the other side answers."""
    actor, order = _order(request, order_id)
    return Status(201, services.propose_cancellation(actor, order, reason=payload.reason))


@router.post("/orders/{order_id}/cancellation/answer", response=OrderDetailOut)
def answer_cancellation(request: HttpRequest, order_id: int, payload: AnswerIn) -> Order:
    actor, order = _order(request, order_id)
    services.answer_cancellation(actor, order, agree=payload.agree, note=payload.note)
    return _detail(actor, order)


@router.post("/orders/{order_id}/cancellation/escalate", response=ProposalOut)
def escalate_cancellation(request: HttpRequest, order_id: int, payload: ReasonIn) -> Any:
    """The proposer takes a refused (or unanswered) cancellation to the KPPN help desk."""
    actor, order = _order(request, order_id)
    return services.escalate_cancellation(actor, order, reason=payload.reason)


@router.post("/orders/{order_id}/cancellation/decision", response=OrderDetailOut)
def decide_cancellation(request: HttpRequest, order_id: int, payload: DecisionIn) -> Order:
    actor, order = _order(request, order_id)
    services.decide_cancellation(actor, order, cancel=payload.cancel, reason=payload.reason)
    return _detail(actor, order)


@router.post("/orders/{order_id}/delivery-date", response={201: ProposalOut})
def propose_delivery_date(
    request: HttpRequest, order_id: int, payload: DeliveryDateIn
) -> Status[Any]:
    actor, order = _order(request, order_id)
    proposal = services.propose_delivery_date(
        actor, order, new_date=payload.new_date, reason=payload.reason
    )
    return Status(201, proposal)


@router.post("/orders/{order_id}/delivery-date/answer", response=OrderDetailOut)
def answer_delivery_date(request: HttpRequest, order_id: int, payload: AnswerIn) -> Order:
    actor, order = _order(request, order_id)
    services.answer_delivery_date(actor, order, agree=payload.agree, note=payload.note)
    return _detail(actor, order)
