"""Reads for orders: which orders an actor sees, the to-do list per role, the actions the
actor may take now (exactly those the services would allow)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from digipay.accounts import queries as account_queries
from digipay.accounts.models import User
from digipay.accounts.permissions import allows, require
from digipay.accounts.rules import Role
from digipay.catalog.rules import ProductKind
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.orders import rules
from digipay.orders.models import Cart, CartLine, Offer, Order, OrderLine, Proposal, VendorSide
from digipay.orders.rules import OrderState, ProposalKind, ProposalStatus, Side
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.tax import services as tax_services
from digipay.tax.rules import Collector, LineKind, VendorFacts
from digipay.tax.rules import Line as TaxLine

VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER})
OVERSEERS = frozenset({Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN, Role.AUDITOR})


def _base() -> QuerySet[Order]:
    return Order.objects.select_related("satker", "vendor", "ppk", "card")


def visible_orders(actor: User) -> QuerySet[Order]:
    """Satker users: their satker's orders; vendor users: their vendor's; KPPN, Kanwil, DJPb
    and auditors: the satkers they oversee."""
    if actor.role in VENDOR_ROLES:
        # An order the buyer is still composing (never sent for negotiation) is not yet
        # the vendor's business.
        composing = Q(state=OrderState.MENUNGGU_RINCIAN) & ~Q(
            Exists(Offer.objects.filter(order=OuterRef("pk")))
        )
        return _base().filter(vendor_organisation_id=actor.organisation_id).exclude(composing)
    if actor.role in OVERSEERS:
        reachable = account_queries.reachable_organisations(actor, read_only=True)
        return _base().filter(satker__in=reachable)
    return _base().filter(satker_id=actor.organisation_id)


def order_for(actor: User, order_id: int) -> Order:
    order = visible_orders(actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Pesanan tidak ditemukan."))
    require(actor, "order.view", order.vendor_view() if actor.role in VENDOR_ROLES else order)
    return order


def _last_offer_side() -> Subquery:
    return Subquery(
        Offer.objects.filter(order=OuterRef("pk")).order_by("-created_at", "-id").values("side")[:1]
    )


def _awaiting(*, side: str | None = None, status: str = ProposalStatus.OPEN) -> Exists:
    """The order has a proposal in ``status`` (made by ``side``) waiting for someone."""
    proposals = Proposal.objects.filter(order=OuterRef("pk"), status=status)
    if side is not None:
        proposals = proposals.filter(side=side)
    return Exists(proposals)


def todo(actor: User) -> QuerySet[Order]:
    """The orders waiting for this actor's role."""
    orders = visible_orders(actor).annotate(last_offer=_last_offer_side())
    role = actor.role
    vendor_asks = Q(state__in=rules.CONFIRMED) & Q(_awaiting(side=Side.VENDOR))
    if role == Role.PEJABAT_PENGADAAN:
        return orders.filter(
            Q(state__in=(OrderState.MENUNGGU_RINCIAN, OrderState.NEGO_SELESAI))
            | Q(state=OrderState.PROSES_NEGO, last_offer=Side.VENDOR)
            | vendor_asks
        )
    if role == Role.PPK:
        return orders.filter(
            (Q(state=OrderState.MENUNGGU_PPK) & (Q(ppk=actor) | Q(ppk__isnull=True))) | vendor_asks
        )
    if role == Role.PENERIMA_BARANG:
        return orders.filter(state=OrderState.DIKIRIM)
    to_ship = Exists(
        OrderLine.objects.filter(
            order=OuterRef("pk"), removed=False, quantity__gt=F("shipped_quantity")
        )
    )
    if role in (Role.VENDOR_ADMIN, Role.VENDOR_STAFF):
        return orders.filter(
            Q(state__in=(OrderState.MENUNGGU_VENDOR, OrderState.DIPROSES, OrderState.KOMPLAIN))
            | (Q(state=OrderState.DIKIRIM) & Q(to_ship))  # shipped in part: the rest waits
            | Q(state=OrderState.PROSES_NEGO, last_offer=Side.BUYER)
            | (Q(state__in=rules.CONFIRMED) & Q(_awaiting(side=Side.BUYER)))
        )
    if role == Role.KPPN_ADMIN:
        return orders.filter(
            Q(state__in=rules.CONFIRMED) & Q(_awaiting(status=ProposalStatus.ESCALATED))
        )
    if role == Role.VENDOR_COURIER:
        return orders.filter(
            Q(state=OrderState.DIPROSES) | (Q(state=OrderState.DIKIRIM) & Q(to_ship))
        )
    return orders.none()


def counts_by_state(actor: User) -> dict[str, int]:
    rows = visible_orders(actor).values("state").annotate(n=Count("id"))
    return {row["state"]: int(row["n"]) for row in rows}


def situation(order: Order) -> rules.Situation:
    """Beyond its state, what decides which steps make sense for the order now (read inside
    the services' transaction, the same facts decide there)."""
    last = order.offers.order_by("-created_at", "-id").values_list("side", flat=True).first()
    lines = list(order.lines.filter(removed=False))
    cancel = order.proposals.filter(kind=ProposalKind.CANCEL).order_by("-proposed_at", "-id")
    latest = cancel.first()
    live_date = (
        order.proposals.filter(kind=ProposalKind.DATE, status__in=rules.LIVE_PROPOSAL)
        .values_list("side", flat=True)
        .first()
    )
    return rules.Situation(
        last_offer_side=last,
        buyer_rounds=order.buyer_rounds,
        vendor_rounds=order.vendor_rounds,
        max_rounds=int(policy.value_in_force(PolicyKey.NEGO_MAX_ROUNDS, clock.today_jakarta())),
        unshipped=sum(line.quantity - line.shipped_quantity for line in lines),
        unreceived=sum(line.shipped_quantity - line.received_quantity for line in lines),
        received=sum(line.received_quantity for line in lines),
        cancel_open=(latest.side if latest and latest.status == ProposalStatus.OPEN else None),
        cancel_escalable=(
            latest.side
            if latest and rules.may_escalate(latest.status, latest.proposed_at, clock.now())
            else None
        ),
        cancel_escalated=bool(latest and latest.status == ProposalStatus.ESCALATED),
        date_open=live_date,
    )


def _gate_target(order: Order, side: str) -> Order | VendorSide:
    return order.vendor_view() if side == Side.VENDOR else order


def allowed_actions(actor: User, order: Order) -> list[str]:
    """The actions this actor may take on this order now: the table rows from its state whose
    gate lets the actor through (role, tenant, separation of duties)."""
    now = situation(order)
    allowed = []
    for row in rules.actions_from(order.state):
        if row.gate is None or not rules.action_available(row, now):
            continue
        target = _gate_target(order, row.side)
        if not allows(actor, row.gate, target):
            continue
        if (
            row.action in (rules.Action.APPROVE, rules.Action.REJECT)
            and order.ppk_id is not None
            and order.ppk_id != actor.pk
            and actor.role == Role.PPK
        ):
            continue  # another PPK was chosen for this order
        if row.action in allowed:
            continue
        allowed.append(str(row.action))
    return allowed


def estimated_ppn(lines: Iterable[tuple[str, int, int]], *, vendor_pkp: bool, on: date) -> int:
    """The PPN a PKP vendor adds to these (kind, quantity, unit price) lines under the tax
    rules in force ``on`` (the tax engine's rows, ADR 0014): what the UP hold covers beyond the
    price. The invoice computes the exact taxes of what was received."""
    rows = [
        TaxLine(
            kind=LineKind.SERVICES if kind == ProductKind.SERVICES else LineKind.GOODS,
            quantity=quantity,
            unit_price=price,
        )
        for kind, quantity, price in lines
        if quantity
    ]
    if not vendor_pkp or not rows:
        return 0
    gross = tax_services.estimate_gross(
        on=on,
        collector=Collector.BENDAHARA,
        # Only PKP status decides PPN; the NPWP and Suket facts change PPh, not the gross.
        vendor=VendorFacts(pkp=True, has_npwp=True),
        lines=rows,
    )
    return gross - sum(line.base for line in rows)


def cart_of(actor: User) -> Cart | None:
    return Cart.objects.filter(user=actor).first()


def cart_lines(actor: User) -> QuerySet[CartLine]:
    return CartLine.objects.filter(cart__user=actor).select_related(
        "product", "product__vendor", "product__vendor_province"
    )
