"""Order use cases, one per step of DOMAIN.md §4. Each: one transaction; lock the order (and,
for money, the satker); look the transition up in ``rules.TRANSITIONS``; the gate (role,
tenant, separation of duties); rules; write (ledger hold/void where money moves); the order's
timeline event and the audit event; notifications after commit.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.catalog import rules as catalog_rules
from digipay.catalog import services as catalog_services
from digipay.catalog.models import Product
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.orders import notices, queries, rules
from digipay.orders.models import (
    Cart,
    CartLine,
    Complaint,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    Proposal,
    Receipt,
    ReceiptLine,
    Resolution,
    Shipment,
    ShipmentLine,
    VendorSide,
)
from digipay.orders.rules import Action, OrderState, ProposalKind, ProposalStatus, Side
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.treasury import chart
from digipay.treasury import queries as treasury_queries
from digipay.treasury.models import CardStatus, KkpCard
from digipay.treasury.rules import FundingSource
from digipay.vendors import services as vendor_services
from digipay.vendors.rules import SMALL_CLASSES

ReceiptListener = Callable[[Receipt], None]
_receipt_listeners: list[ReceiptListener] = []


def on_receipt(listener: ReceiptListener) -> None:
    """Call ``listener(receipt)`` inside the transaction that records each BAST (the invoicing
    app makes the invoice from it; an error there undoes the receipt: nothing half-done)."""
    if listener not in _receipt_listeners:
        _receipt_listeners.append(listener)


def _announce(order: Order, action: str, actor: User | None) -> None:
    """The next actors hear of it: in-app rows now, e-mails by the worker after commit."""
    notices.announce(order, action, actor)


# --- cart -----------------------------------------------------------------------------------------


def _cart_of(actor: User) -> Cart:
    require(actor, "order.cart", actor.organisation)
    cart, _created = Cart.objects.get_or_create(
        user=actor, defaults={"satker_id": actor.organisation_id}
    )
    return cart


def _orderable(product: Product) -> None:
    if not catalog_rules.is_orderable(
        state=product.state,
        stock=product.stock,
        min_order=product.min_order,
        vendor_sells=product.vendor.can_sell,
    ):
        raise ValidationFailed(
            _("Produk %(name)s tidak dapat dipesan saat ini.") % {"name": product.name},
            code="product_not_orderable",
            details={"product_id": product.pk},
        )


@transaction.atomic
def add_to_cart(actor: User, *, product: Product, quantity: int, note: str = "") -> CartLine:
    cart = _cart_of(actor)
    product = Product.objects.select_related("vendor", "vendor__organisation").get(pk=product.pk)
    _orderable(product)
    line = CartLine.objects.filter(cart=cart, product=product).first()
    total = quantity + (line.quantity if line else 0)
    if problem := rules.quantity_error(total, min_order=product.min_order, stock=product.stock):
        raise ValidationFailed(problem, details={"field": "quantity"})
    if line is None:
        line = CartLine.objects.create(
            cart=cart, product=product, quantity=total, note=note.strip()[:300]
        )
    else:
        line.quantity = total
        line.note = note.strip()[:300] or line.note
        line.save(update_fields=["quantity", "note"])
    return line


@transaction.atomic
def update_cart_line(actor: User, line: CartLine, *, quantity: int, note: str = "") -> CartLine:
    cart = _cart_of(actor)
    found = CartLine.objects.select_related("product").filter(pk=line.pk, cart=cart).first()
    if found is None:
        raise NotFound(_("Data tidak ditemukan."))
    line, product = found, found.product
    if problem := rules.quantity_error(quantity, min_order=product.min_order, stock=product.stock):
        raise ValidationFailed(problem, details={"field": "quantity"})
    line.quantity, line.note = quantity, note.strip()[:300]
    line.save(update_fields=["quantity", "note"])
    return line


@transaction.atomic
def remove_cart_line(actor: User, line: CartLine) -> None:
    cart = _cart_of(actor)
    CartLine.objects.filter(pk=line.pk, cart=cart).delete()


def _order_number(today: date) -> str:
    while True:
        number = f"DP-{today:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        if not Order.objects.filter(number=number).exists():
            return number


@transaction.atomic
def checkout_cart(actor: User) -> list[Order]:
    """The Pemesan's cart becomes one order per vendor (Menunggu Rincian Pemesanan), with the
    prices of this moment frozen on the lines; the cart is emptied."""
    cart = _cart_of(actor)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    lines = list(
        CartLine.objects.filter(cart=cart).select_related(
            "product", "product__vendor", "product__vendor__organisation"
        )
    )
    if not lines:
        raise ValidationFailed(_("Keranjang masih kosong."), code="cart_empty")
    by_vendor: dict[int, list[CartLine]] = defaultdict(list)
    for line in lines:
        _orderable(line.product)
        by_vendor[line.product.vendor_id].append(line)
    now, orders = clock.now(), []
    for vendor_lines in by_vendor.values():
        vendor = vendor_lines[0].product.vendor
        order = Order.objects.create(
            number=_order_number(clock.today_jakarta()),
            satker_id=cart.satker_id,
            vendor=vendor,
            vendor_organisation_id=vendor.organisation_id,
            created_by=actor,
            vendor_pkp=vendor.is_pkp,
        )
        for line in vendor_lines:
            p = line.product
            OrderLine.objects.create(
                order=order,
                product=p,
                name=p.name,
                sku=p.sku,
                unit=p.unit,
                kind=p.kind,
                is_pdn=p.is_pdn,
                tkdn_bp=p.tkdn_bp,
                list_price_idr=p.price_idr,
                unit_price_idr=p.price_idr,
                quantity=line.quantity,
                note=line.note,
            )
        _recompute(order)
        order.save()
        _event(order, actor, Action.CREATE, OrderState.MENUNGGU_RINCIAN, now, "")
        audit(actor, "order.created", order, after=order.audit_state())
        _announce(order, Action.CREATE, actor)
        orders.append(order)
    CartLine.objects.filter(cart=cart).delete()
    return orders


# --- the transition machinery ---------------------------------------------------------------------


def _lock(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("vendor", "vendor__organisation", "satker", "satker__parent")
        .get(pk=order.pk)
    )


def _gate_object(order: Order, side: str) -> Order | VendorSide:
    return order.vendor_view() if side == Side.VENDOR else order


def _step(actor: User | None, order: Order, action: str) -> rules.Transition:
    """The table row for ``action`` from the order's state, with the gate checked."""
    row = rules.transition(order.state, action)
    if row is None:
        raise Conflict(
            _("Pesanan berstatus %(state)s: tindakan '%(action)s' tidak dapat dilakukan.")
            % {
                "state": OrderState(order.state).label,
                "action": Action(action).label,
            },
            code="invalid_transition",
        )
    if actor is not None and row.gate is not None:
        require(actor, row.gate, _gate_object(order, row.side))
    return row


def _event(
    order: Order, actor: User | None, action: str, from_state: str, at: datetime, reason: str
) -> None:
    OrderEvent.objects.create(
        order=order,
        action=action,
        from_state=from_state,
        to_state=order.state,
        actor=actor,
        reason=reason,
        at=at,
    )


def _move(actor: User | None, order: Order, action: str, target: str, *, reason: str = "") -> None:
    before = order.audit_state()
    source = order.state
    order.state = target
    now = clock.now()
    if target in rules.TERMINAL:
        order.closed_at = now
        order.close_reason = reason
    order.save()
    if source in rules.CONFIRMED and target not in rules.CONFIRMED:
        # The order was received in full or cancelled: a pending proposal has no object left.
        order.proposals.filter(status__in=rules.LIVE_PROPOSAL).update(status=ProposalStatus.LAPSED)
    _event(order, actor, action, source, now, reason)
    audit(actor, f"order.{action.lower()}", order, before=before, after=order.audit_state())
    _announce(order, action, actor)


def _live_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.filter(removed=False).order_by("id"))


def _recompute(order: Order) -> None:
    lines = _live_lines(order)
    subtotal = sum(line.total_idr for line in lines)
    order.subtotal_idr = subtotal
    order.ppn_estimate_idr = queries.estimated_ppn(
        ((line.kind, line.quantity, line.unit_price_idr) for line in lines),
        vendor_pkp=order.vendor_pkp,
        on=clock.today_jakarta(),
    )
    order.total_idr = subtotal + order.ppn_estimate_idr


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if len(text) < 10:
        raise ValidationFailed(
            _("Tuliskan alasan yang jelas (minimal 10 karakter)."), details={"field": "reason"}
        )
    return text


# --- details and negotiation (Pejabat Pengadaan ↔ vendor) -----------------------------------------


@transaction.atomic
def edit_order(
    actor: User,
    order: Order,
    *,
    quantities: Mapping[int, int] | None = None,
    remove: list[int] | None = None,
) -> Order:
    order = _lock(order)
    _step(actor, order, Action.EDIT)
    lines = {line.pk: line for line in _live_lines(order)}
    for line_id in remove or []:
        if line_id not in lines:
            raise ValidationFailed(_("Baris pesanan tidak dikenal."))
        lines[line_id].removed = True
        lines[line_id].save(update_fields=["removed"])
    for line_id, quantity in (quantities or {}).items():
        line = lines.get(int(line_id))
        if line is None or line.removed:
            raise ValidationFailed(_("Baris pesanan tidak dikenal."))
        product = line.product
        if problem := rules.quantity_error(
            quantity, min_order=product.min_order, stock=product.stock
        ):
            raise ValidationFailed(problem, details={"field": "quantity", "line_id": line.pk})
        line.quantity = quantity
        line.save(update_fields=["quantity"])
    if not _live_lines(order):
        raise ValidationFailed(
            _("Pesanan harus memuat minimal satu baris; batalkan pesanan bila tidak jadi."),
            code="order_empty",
        )
    before = order.audit_state()
    _recompute(order)
    order.save()
    _event(order, actor, Action.EDIT, order.state, clock.now(), "")
    audit(actor, "order.edited", order, before=before, after=order.audit_state())
    return order


def _offer(actor: User, order: Order, side: str, prices: Mapping[int, int], message: str) -> None:
    line_ids = [line.pk for line in _live_lines(order)]
    clean = {int(k): v for k, v in prices.items()}
    if problem := rules.offer_error(clean, line_ids=line_ids):
        raise ValidationFailed(problem, details={"field": "prices"})
    max_rounds = int(policy.value_in_force(PolicyKey.NEGO_MAX_ROUNDS, clock.today_jakarta()))
    used = order.buyer_rounds if side == Side.BUYER else order.vendor_rounds
    if problem := rules.rounds_error(side=side, rounds_used=used, max_rounds=max_rounds):
        raise Conflict(problem, code="nego_rounds_exhausted")
    if side == Side.BUYER:
        order.buyer_rounds += 1
        round_no = order.buyer_rounds
    else:
        order.vendor_rounds += 1
        round_no = order.vendor_rounds
    Offer.objects.create(
        order=order,
        side=side,
        round=round_no,
        prices={str(k): v for k, v in clean.items()},
        message=message.strip()[:2000],
        author=actor,
    )


@transaction.atomic
def send_for_negotiation(
    actor: User, order: Order, *, prices: Mapping[int, int], message: str = ""
) -> Order:
    """The Pejabat Pengadaan opens the negotiation with its first offer."""
    order = _lock(order)
    row = _step(actor, order, Action.SEND_NEGO)
    _offer(actor, order, Side.BUYER, prices, message)
    _move(actor, order, Action.SEND_NEGO, row.target or order.state, reason=message.strip())
    return order


def _side_of(actor: User, order: Order) -> str:
    return Side.VENDOR if actor.organisation_id == order.vendor_organisation_id else Side.BUYER


@transaction.atomic
def make_offer(actor: User, order: Order, *, prices: Mapping[int, int], message: str = "") -> Order:
    """An offer (buyer) or counter-offer (vendor) in the negotiation; at most the configured
    number of rounds each way."""
    order = _lock(order)
    side = _side_of(actor, order)
    action = Action.BUYER_OFFER if side == Side.BUYER else Action.VENDOR_COUNTER
    row = _step(actor, order, action)
    last = order.offers.order_by("-created_at", "-id").first()
    if last is not None and last.side == side:
        raise Conflict(
            _("Tunggu tanggapan pihak lain atas tawaran terakhir."), code="offer_pending"
        )
    _offer(actor, order, side, prices, message)
    _move(actor, order, action, row.target or order.state, reason=message.strip())
    return order


@transaction.atomic
def accept_offer(actor: User, order: Order) -> Order:
    """The other side accepts the latest offer: its prices become the order's prices."""
    order = _lock(order)
    side = _side_of(actor, order)
    action = Action.BUYER_ACCEPT_NEGO if side == Side.BUYER else Action.VENDOR_ACCEPT_NEGO
    row = _step(actor, order, action)
    last = order.offers.order_by("-created_at", "-id").first()
    if last is None or last.side == side:
        raise Conflict(_("Tidak ada tawaran pihak lain untuk disetujui."), code="no_offer")
    lines = {line.pk: line for line in _live_lines(order)}
    for line_id, price in last.prices.items():
        line = lines.get(int(line_id))
        if line is not None:
            line.unit_price_idr = int(price)
            line.save(update_fields=["unit_price_idr"])
    _recompute(order)
    _move(actor, order, action, row.target or order.state)
    return order


@transaction.atomic
def refuse_negotiation(actor: User, order: Order, *, message: str) -> Order:
    """The vendor refuses to negotiate: the order returns to the Pejabat Pengadaan at the list
    prices, who may buy at list price or cancel."""
    order = _lock(order)
    row = _step(actor, order, Action.VENDOR_REFUSE_NEGO)
    for line in _live_lines(order):
        line.unit_price_idr = line.list_price_idr
        line.save(update_fields=["unit_price_idr"])
    _recompute(order)
    _move(
        actor, order, Action.VENDOR_REFUSE_NEGO, row.target or order.state, reason=_reason(message)
    )
    return order


# --- checkout to the PPK --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    ppk: User
    payment_method: str
    akun: str
    funding_source: str
    delivery_address: str = ""
    requested_date: date | None = None
    notes: str = ""
    card: KkpCard | None = None


def _limit_for(order: Order, on: date) -> rules.LimitCheck:
    lines = _live_lines(order)
    return rules.recipient_limit(
        vendor_small=order.vendor.umkm_class in SMALL_CLASSES,
        all_pdn=bool(lines) and all(line.is_pdn for line in lines),
        general_idr=policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_GENERAL, on),
        umkm_pdn_idr=policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_DIGIPAY_UMKM_PDN, on),
    )


def _related_open(order: Order, today: date) -> list[tuple[str, int]]:
    """Other orders of the same satker to the same vendor: created today, or still open and
    already past checkout."""
    others = Order.objects.filter(satker_id=order.satker_id, vendor_id=order.vendor_id).exclude(
        pk=order.pk
    )
    started = datetime.combine(today, datetime.min.time(), tzinfo=clock.JAKARTA)
    related = others.filter(
        Q(created_at__gte=started, state__in=rules.OPEN | {OrderState.SELESAI})
        | Q(state__in=rules.HOLDING | {OrderState.MENUNGGU_PPK})
    )
    return list(related.values_list("number", "total_idr"))


def _available(order: Order, method: str, card: KkpCard | None) -> int:
    position = treasury_queries.up_position(order.satker)
    if method == PaymentMethod.TRANSFER:
        return int(position["tunai"].available)
    available = int(position["kkp"].available)
    if card is not None:
        line = next(
            (c for c in treasury_queries.cards_of(order.satker) if c.card.pk == card.pk), None
        )
        available = min(available, line.available if line else 0)
    return available


def _check_purchase(order: Order, *, method: str, card: KkpCard | None) -> None:
    """What must hold before the order reaches (and again when the PPK approves it)."""
    vendor_services.require_seller(order.vendor)
    if method == PaymentMethod.KKP:
        fresh = KkpCard.objects.filter(pk=card.pk).first() if card is not None else None
        if fresh is None or fresh.satker_id != order.satker_id or fresh.status != CardStatus.ACTIVE:
            raise ValidationFailed(
                _("Kartu KKP pesanan ini tidak aktif lagi."), code="card_not_active"
            )
    for line in _live_lines(order):
        product = Product.objects.select_related("vendor", "vendor__organisation").get(
            pk=line.product_id
        )
        if product.state != catalog_rules.ProductState.READY or not product.is_listed:
            raise ValidationFailed(
                _("Produk %(name)s tidak lagi siap dipesan.") % {"name": line.name},
                code="product_not_orderable",
                details={"line_id": line.pk},
            )
    today = clock.today_jakarta()
    check = _limit_for(order, today)
    if problem := rules.limit_error(order.total_idr, check):
        raise ValidationFailed(problem, code="recipient_limit")
    available = _available(order, method, card)
    if order.total_idr > available:
        raise ValidationFailed(
            _(
                "Perkiraan nilai pesanan termasuk pajak Rp%(total)s melebihi UP yang tersedia "
                "Rp%(available)s."
            )
            % {
                "total": f"{order.total_idr:,}".replace(",", "."),
                "available": f"{available:,}".replace(",", "."),
            },
            code="up_insufficient",
        )


@transaction.atomic
def submit_order(actor: User, order: Order, checkout: Checkout) -> Order:
    """The Pejabat Pengadaan sends the order to the chosen PPK, after every check: vendor
    may sell, products still Ready, the per-recipient limit, split purchases, available UP.
    The satker is locked first, so two submissions cannot both slip under the split check."""
    Organisation.objects.select_for_update().get(pk=order.satker_id)
    order = _lock(order)
    row = _step(actor, order, Action.CHECKOUT)
    if checkout.payment_method not in PaymentMethod.values:
        raise ValidationFailed(
            _("Metode pembayaran tidak dikenal."), details={"field": "payment_method"}
        )
    if not re.match(rules.AKUN_PATTERN, checkout.akun or ""):
        raise ValidationFailed(
            _("Kode akun belanja harus 6 digit (52xxxx atau 53xxxx)."), details={"field": "akun"}
        )
    if checkout.funding_source not in FundingSource.values:
        raise ValidationFailed(_("Sumber dana tidak dikenal."), details={"field": "funding_source"})
    ppk = checkout.ppk
    if ppk.organisation_id != order.satker_id or ppk.role != Role.PPK or not ppk.is_active:
        raise ValidationFailed(_("Pilih PPK aktif dari satker ini."), details={"field": "ppk"})
    card = checkout.card
    if checkout.payment_method == PaymentMethod.KKP:
        if card is None or card.satker_id != order.satker_id or card.status != CardStatus.ACTIVE:
            raise ValidationFailed(
                _("Pilih kartu KKP aktif satker ini."), details={"field": "card"}
            )
    else:
        card = None
    _check_purchase(order, method=checkout.payment_method, card=card)
    today = clock.today_jakarta()
    check = _limit_for(order, today)
    finding = rules.detect_split(
        total_idr=order.total_idr, related=_related_open(order, today), check=check
    )
    if finding is not None:
        explanation = _(
            "Indikasi pemecahan transaksi: bersama pesanan %(orders)s kepada vendor yang sama, "
            "jumlahnya Rp%(sum)s melampaui batas Rp%(limit)s."
        ) % {
            "orders": ", ".join(finding.order_numbers),
            "sum": f"{finding.combined_idr:,}".replace(",", "."),
            "limit": f"{finding.limit_idr:,}".replace(",", "."),
        }
        if policy.value_in_force(PolicyKey.SPLIT_BLOCKS, today):
            raise ValidationFailed(explanation, code="split_purchase")
        order.split_flag = explanation
    now = clock.now()
    order.ppk = ppk
    order.payment_method = checkout.payment_method
    order.card = card
    order.akun = checkout.akun
    order.funding_source = checkout.funding_source
    order.delivery_address = (
        checkout.delivery_address.strip() or order.satker.address or order.satker.name
    )
    order.requested_date = checkout.requested_date
    order.notes = checkout.notes.strip()
    order.submitted_by = actor
    order.submitted_at = now
    order.ppk_deadline = rules.ppk_deadline(
        now.astimezone(clock.JAKARTA),
        int(policy.value_in_force(PolicyKey.AUTO_CANCEL_PPK_WORKDAYS, today)),
    )
    _move(actor, order, Action.CHECKOUT, row.target or order.state)
    return order


# --- PPK approval: the UP hold --------------------------------------------------------------------


def _hold_legs(order: Order) -> list[Leg]:
    satker = order.satker
    book = chart.satker_book(satker)
    expense = chart.expense(satker, order.akun)
    amount = order.total_idr
    if order.payment_method == PaymentMethod.KKP and order.card is not None:
        card_line = chart.card_line(satker, order.card.pk, order.card.last4)
        return [
            Leg(expense.pk, amount),
            Leg(book.up_kkp.pk, -amount),
            Leg(book.card_limits.pk, amount),
            Leg(card_line.pk, -amount),
        ]
    return [Leg(expense.pk, amount), Leg(book.up_tunai.pk, -amount)]


@transaction.atomic
def approve_order(actor: User, order: Order) -> Order:
    """The PPK approves: the order's estimated total is held on the satker's UP (Tunai, or
    KKP and the card). The ledger's guard refuses a hold beyond what is available, so two
    approvals racing for the last rupiah cannot both succeed."""
    Organisation.objects.select_for_update().get(pk=order.satker_id)  # one approval at a time
    order = _lock(order)
    row = _step(actor, order, Action.APPROVE)
    _require_assigned_ppk(actor, order)
    _check_purchase(order, method=order.payment_method, card=order.card)
    try:
        entry = ledger.hold(
            key=f"order:{order.pk}:hold",
            tenant_id=order.satker_id,
            reason_code="ORDER_HOLD",
            legs=_hold_legs(order),
            source_type="orders.order",
            source_id=str(order.pk),
            memo=order.number,
        )
    except ledger.LedgerError as exc:
        raise ValidationFailed(
            _("UP yang tersedia tidak mencukupi untuk pesanan ini."), code="up_insufficient"
        ) from exc
    now = clock.now()
    order.hold_entry_id = entry.pk
    order.sp_number = _next_sp_number(order, now)
    order.approved_by = actor
    order.approved_at = now
    order.vendor_deadline = rules.vendor_deadline(
        now, int(policy.value_in_force(PolicyKey.AUTO_CANCEL_VENDOR_DAYS, clock.today_jakarta()))
    )
    _move(actor, order, Action.APPROVE, row.target or order.state)
    return order


def _next_sp_number(order: Order, now: datetime) -> str:
    """The next number of the satker's Surat Pesanan register (the satker row is locked by
    the approval, so two approvals cannot take the same number)."""
    year = now.astimezone(clock.JAKARTA).year
    prefix = rules.sp_register_prefix(order.satker.code, year)
    issued = Order.objects.filter(satker_id=order.satker_id, sp_number__startswith=prefix)
    return rules.sp_register_number(order.satker.code, year, issued.count() + 1)


def _require_assigned_ppk(actor: User, order: Order) -> None:
    """The PPK chosen at checkout decides (or whoever holds the PPK role by delegation)."""
    if order.ppk_id is not None and order.ppk_id != actor.pk and not _delegated_ppk(actor):
        raise PermissionDenied(_("Pesanan ini ditujukan kepada PPK lain."), code="not_assigned_ppk")


def _delegated_ppk(actor: User) -> bool:
    from digipay.accounts import queries as account_queries

    return actor.role != Role.PPK and Role.PPK in account_queries.effective_roles(actor)


@transaction.atomic
def reject_order(actor: User, order: Order, *, reason: str) -> Order:
    order = _lock(order)
    row = _step(actor, order, Action.REJECT)
    _require_assigned_ppk(actor, order)
    _move(actor, order, Action.REJECT, row.target or order.state, reason=_reason(reason))
    return order


def _void(order: Order, why: str) -> None:
    if order.hold_entry_id is None:
        return
    ledger.void_hold(key=f"order:{order.pk}:void", hold_id=order.hold_entry_id, memo=why[:200])


# --- vendor confirmation, delivery, receipt -------------------------------------------------------


@transaction.atomic
def confirm_order(actor: User, order: Order) -> Order:
    order = _lock(order)
    row = _step(actor, order, Action.CONFIRM)
    vendor_services.require_seller(order.vendor)
    catalog_services.take_stock(_goods_quantities(order, lambda line: int(line.quantity)))
    order.confirmed_at = clock.now()
    _move(actor, order, Action.CONFIRM, row.target or order.state)
    return order


@transaction.atomic
def decline_order(actor: User, order: Order, *, reason: str) -> Order:
    """The vendor declines: the order is cancelled and its UP hold released."""
    order = _lock(order)
    row = _step(actor, order, Action.DECLINE)
    text = _reason(reason)
    _void(order, text)
    _move(actor, order, Action.DECLINE, row.target or order.state, reason=text)
    return order


def _goods_quantities(order: Order, count: Callable[[OrderLine], int]) -> dict[int, int]:
    """{product id: quantity} over the order's live lines (a product may be on two lines)."""
    totals: dict[int, int] = defaultdict(int)
    for line in _live_lines(order):
        totals[int(line.product_id)] += count(line)
    return dict(totals)


def _return_stock(order: Order) -> None:
    """Cancelled after the vendor confirmed: what was not received goes back to stock."""
    catalog_services.return_stock(
        _goods_quantities(order, lambda line: int(line.quantity - line.received_quantity))
    )


def _quantities(
    order: Order, wanted: Mapping[int, int], *, room: Callable[[OrderLine], int]
) -> list[tuple[OrderLine, int]]:
    lines = {line.pk: line for line in _live_lines(order)}
    picked = []
    for raw_id, quantity in wanted.items():
        line = lines.get(int(raw_id))
        if line is None:
            raise ValidationFailed(_("Baris pesanan tidak dikenal."))
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ValidationFailed(_("Jumlah harus bilangan bulat tidak negatif."))
        if quantity > room(line):
            raise ValidationFailed(
                _("Jumlah untuk %(name)s melebihi sisa (%(n)d).")
                % {"name": line.name, "n": room(line)},
                details={"line_id": line.pk},
            )
        if quantity:
            picked.append((line, quantity))
    if not picked:
        raise ValidationFailed(_("Isi jumlah minimal satu baris."), details={"field": "quantities"})
    return picked


def _unshipped(line: OrderLine) -> int:
    return int(line.quantity - line.shipped_quantity)


def _unreceived(line: OrderLine) -> int:
    return int(line.shipped_quantity - line.received_quantity)


def _delivery_state(order: Order) -> str:
    return rules.delivery_state(
        (line.quantity, line.shipped_quantity, line.received_quantity)
        for line in _live_lines(order)
    )


@transaction.atomic
def ship_order(
    actor: User, order: Order, *, quantities: Mapping[int, int], tracking: str = ""
) -> Shipment:
    """The vendor (staff or courier) ships some or all of what remains, with tracking notes."""
    order = _lock(order)
    row = _step(actor, order, Action.SHIP)
    picked = _quantities(order, quantities, room=_unshipped)
    shipment = Shipment.objects.create(
        order=order, shipped_by=actor, tracking=tracking.strip()[:300], at=clock.now()
    )
    for line, quantity in picked:
        line.shipped_quantity += quantity
        line.save(update_fields=["shipped_quantity"])
        ShipmentLine.objects.create(shipment=shipment, line=line, quantity=quantity)
    _move(actor, order, Action.SHIP, row.target or order.state, reason=tracking.strip()[:300])
    return shipment


def _bast_number(order: Order) -> str:
    count = Receipt.objects.filter(order=order).count() + 1
    return f"BAST-{order.number[3:]}-{count:02d}"


@transaction.atomic
def receive_order(
    actor: User, order: Order, *, quantities: Mapping[int, int], note: str = ""
) -> Receipt:
    """The Penerima Barang confirms what arrived (full or partial): a BAST per receipt. Only
    received quantities can be invoiced later."""
    order = _lock(order)
    _step(actor, order, Action.RECEIVE)
    picked = _quantities(order, quantities, room=_unreceived)
    receipt = Receipt.objects.create(
        order=order,
        number=_bast_number(order),
        received_by=actor,
        at=clock.now(),
        note=note.strip(),
    )
    for line, quantity in picked:
        line.received_quantity += quantity
        line.save(update_fields=["received_quantity"])
        ReceiptLine.objects.create(receipt=receipt, line=line, quantity=quantity)
    _move(actor, order, Action.RECEIVE, _delivery_state(order), reason=receipt.number)
    for listener in _receipt_listeners:
        listener(receipt)
    return receipt


@transaction.atomic
def complain(
    actor: User, order: Order, *, kind: str, description: str, quantities: Mapping[int, int]
) -> Complaint:
    """Pending: the receiver does not accept some shipped goods (damaged, wrong, short); they
    go back to the vendor, who replaces, corrects or agrees a reduced quantity."""
    order = _lock(order)
    row = _step(actor, order, Action.COMPLAIN)
    from digipay.orders.models import ComplaintKind

    if kind not in ComplaintKind.values:
        raise ValidationFailed(_("Jenis komplain tidak dikenal."), details={"field": "kind"})
    text = _reason(description)
    picked = _quantities(order, quantities, room=_unreceived)
    for line, quantity in picked:
        line.shipped_quantity -= quantity
        line.save(update_fields=["shipped_quantity"])
    complaint = Complaint.objects.create(
        order=order,
        kind=kind,
        description=text,
        raised_by=actor,
        raised_at=clock.now(),
        quantities={str(line.pk): q for line, q in picked},
    )
    _move(actor, order, Action.COMPLAIN, row.target or order.state, reason=text)
    return complaint


@transaction.atomic
def resolve_complaint(
    actor: User,
    order: Order,
    *,
    resolution: str,
    response: str,
    agreed_quantities: Mapping[int, int] | None = None,
) -> Complaint:
    """The vendor answers the open complaint: replace or correct (and ship again), or agree a
    reduced quantity (the order shrinks; the hold keeps covering it until payment)."""
    order = _lock(order)
    _step(actor, order, Action.RESOLVE)
    complaint = order.complaints.filter(resolved_at__isnull=True).order_by("raised_at").first()
    if complaint is None:
        raise Conflict(_("Tidak ada komplain terbuka."))
    if resolution not in Resolution.values:
        raise ValidationFailed(_("Penyelesaian tidak dikenal."), details={"field": "resolution"})
    agreed: dict[str, int] = {}
    if resolution == Resolution.REDUCE:
        lines = {line.pk: line for line in _live_lines(order)}
        for raw_id, quantity in (agreed_quantities or {}).items():
            line = lines.get(int(raw_id))
            if line is None or not isinstance(quantity, int) or quantity < line.received_quantity:
                raise ValidationFailed(
                    _("Jumlah yang disepakati tidak boleh kurang dari yang sudah diterima.")
                )
            if quantity >= line.quantity:
                continue
            if quantity == 0:
                # The line leaves the order (its quantity stays as ordered, for the record).
                line.removed = True
                line.shipped_quantity = 0
            else:
                line.quantity = quantity
                line.shipped_quantity = min(line.shipped_quantity, quantity)
            line.save(update_fields=["quantity", "shipped_quantity", "removed"])
            agreed[str(line.pk)] = quantity
        if not agreed:
            raise ValidationFailed(
                _("Isi jumlah baru yang disepakati untuk minimal satu baris."),
                details={"field": "agreed_quantities"},
            )
        if not _live_lines(order):
            raise ValidationFailed(
                _("Pengurangan tidak boleh menghapus semua baris; batalkan pesanan bila perlu."),
                code="order_empty",
            )
        _recompute(order)
    complaint.resolution = resolution
    complaint.response = _reason(response)
    complaint.resolved_by = actor
    complaint.resolved_at = clock.now()
    complaint.agreed_quantities = agreed
    complaint.save()
    _move(actor, order, Action.RESOLVE, _delivery_state(order), reason=complaint.response)
    return complaint


# --- cancellation and the scheduler ---------------------------------------------------------------


@transaction.atomic
def cancel_order(actor: User, order: Order, *, reason: str) -> Order:
    """Before the vendor confirms, the buyer side cancels alone (the Pejabat Pengadaan before
    the PPK, the PPK after); any UP hold is released."""
    order = _lock(order)
    if order.state in rules.CONFIRMED:
        raise PermissionDenied(
            _(
                "Pesanan sudah dikonfirmasi vendor: ajukan usulan pembatalan; pembatalan "
                "memerlukan persetujuan kedua pihak atau keputusan KPPN."
            ),
            code="cancel_needs_agreement",
        )
    row = _step(actor, order, Action.CANCEL)
    text = _reason(reason)
    _void(order, text)
    _move(actor, order, Action.CANCEL, row.target or order.state, reason=text)
    return order


# --- changes after confirmation: both parties agree, or the KPPN decides -----------------------


def _ready(order: Order, action: str) -> None:
    """The proposal step makes sense now: the same facts the order page uses to offer it."""
    error = rules.proposal_error(action, queries.situation(order))
    if error is not None:
        raise Conflict(error, code="proposal_not_available")


def _sided(actor: User, order: Order, buyer: str, vendor: str) -> str:
    return vendor if _side_of(actor, order) == Side.VENDOR else buyer


def _proposal(order: Order, kind: str, *statuses: str) -> Proposal:
    proposal = (
        order.proposals.filter(kind=kind, status__in=statuses).order_by("-proposed_at", "-id")
    ).first()
    if proposal is None:  # _ready has checked; only a concurrent change gets here
        raise Conflict(_("Usulan sudah tidak menunggu jawaban."), code="proposal_not_available")
    return proposal


@transaction.atomic
def propose_cancellation(actor: User, order: Order, *, reason: str) -> Proposal:
    """Either side proposes to cancel a confirmed order, with a reason; the other side agrees
    or refuses. Not once goods were received (a BAST exists)."""
    order = _lock(order)
    action = _sided(actor, order, Action.BUYER_ASK_CANCEL, Action.VENDOR_ASK_CANCEL)
    _step(actor, order, action)
    _ready(order, action)
    text = _reason(reason)
    proposal = Proposal.objects.create(
        order=order,
        kind=ProposalKind.CANCEL,
        side=_side_of(actor, order),
        author=actor,
        reason=text,
        proposed_at=clock.now(),
    )
    _move(actor, order, action, order.state, reason=text)
    return proposal


@transaction.atomic
def answer_cancellation(actor: User, order: Order, *, agree: bool, note: str = "") -> Order:
    """The other side agrees (the order is cancelled, its UP hold voided) or refuses (with a
    reason; the proposer may then ask the KPPN help desk)."""
    order = _lock(order)
    if agree:
        action = _sided(actor, order, Action.BUYER_AGREE_CANCEL, Action.VENDOR_AGREE_CANCEL)
    else:
        action = _sided(actor, order, Action.BUYER_REFUSE_CANCEL, Action.VENDOR_REFUSE_CANCEL)
    row = _step(actor, order, action)
    _ready(order, action)
    text = " ".join(note.split()) if agree else _reason(note)
    proposal = _proposal(order, ProposalKind.CANCEL, ProposalStatus.OPEN)
    proposal.status = ProposalStatus.ACCEPTED if agree else ProposalStatus.REFUSED
    proposal.answered_by, proposal.answered_at, proposal.answer = actor, clock.now(), text
    proposal.save()
    if agree:
        _void(order, proposal.reason)
        _return_stock(order)
        _move(actor, order, action, row.target or order.state, reason=proposal.reason)
    else:
        _move(actor, order, action, order.state, reason=text)
    return order


@transaction.atomic
def escalate_cancellation(actor: User, order: Order, *, reason: str) -> Proposal:
    """The proposer takes a refused (or unanswered) cancellation to the KPPN help desk."""
    order = _lock(order)
    action = _sided(actor, order, Action.BUYER_ESCALATE, Action.VENDOR_ESCALATE)
    _step(actor, order, action)
    _ready(order, action)
    text = _reason(reason)
    proposal = _proposal(order, ProposalKind.CANCEL, ProposalStatus.OPEN, ProposalStatus.REFUSED)
    proposal.status = ProposalStatus.ESCALATED
    proposal.escalated_at, proposal.escalation_note = clock.now(), text
    proposal.save()
    _move(actor, order, action, order.state, reason=text)
    return proposal


@transaction.atomic
def decide_cancellation(actor: User, order: Order, *, cancel: bool, reason: str) -> Order:
    """The KPPN help desk above the satker decides an escalated cancellation: cancel (the
    hold voided) or continue the order."""
    order = _lock(order)
    action = Action.KPPN_CANCEL if cancel else Action.KPPN_CONTINUE
    row = _step(actor, order, action)
    _ready(order, action)
    text = _reason(reason)
    proposal = _proposal(order, ProposalKind.CANCEL, ProposalStatus.ESCALATED)
    proposal.status = ProposalStatus.UPHELD if cancel else ProposalStatus.DISMISSED
    proposal.decided_by, proposal.decided_at, proposal.decision = actor, clock.now(), text
    proposal.save()
    if cancel:
        _void(order, text)
        _return_stock(order)
    _move(actor, order, action, row.target or order.state, reason=text)
    return order


@transaction.atomic
def propose_delivery_date(
    actor: User, order: Order, *, new_date: date | None, reason: str
) -> Proposal:
    """Either side proposes a new delivery date for what is still to be shipped; it applies
    only when the other side agrees."""
    order = _lock(order)
    action = _sided(actor, order, Action.BUYER_ASK_DATE, Action.VENDOR_ASK_DATE)
    _step(actor, order, action)
    _ready(order, action)
    error = rules.delivery_date_error(
        new_date, current=order.requested_date, today=clock.today_jakarta()
    )
    if error is not None or new_date is None:
        raise ValidationFailed(error or "", details={"field": "new_date"})
    text = _reason(reason)
    proposal = Proposal.objects.create(
        order=order,
        kind=ProposalKind.DATE,
        side=_side_of(actor, order),
        author=actor,
        reason=text,
        new_date=new_date,
        previous_date=order.requested_date,
        proposed_at=clock.now(),
    )
    _move(actor, order, action, order.state, reason=_date_change(proposal, text))
    return proposal


def _date_change(proposal: Proposal, text: str) -> str:
    old = proposal.previous_date.strftime("%d/%m/%Y") if proposal.previous_date else "—"
    new = proposal.new_date.strftime("%d/%m/%Y") if proposal.new_date else "—"
    return f"{old} → {new}: {text}"


@transaction.atomic
def answer_delivery_date(actor: User, order: Order, *, agree: bool, note: str = "") -> Order:
    """The other side agrees (the order's delivery date changes) or refuses with a reason."""
    order = _lock(order)
    if agree:
        action = _sided(actor, order, Action.BUYER_AGREE_DATE, Action.VENDOR_AGREE_DATE)
    else:
        action = _sided(actor, order, Action.BUYER_REFUSE_DATE, Action.VENDOR_REFUSE_DATE)
    _step(actor, order, action)
    _ready(order, action)
    text = " ".join(note.split()) if agree else _reason(note)
    proposal = _proposal(order, ProposalKind.DATE, ProposalStatus.OPEN)
    proposal.status = ProposalStatus.ACCEPTED if agree else ProposalStatus.REFUSED
    proposal.answered_by, proposal.answered_at, proposal.answer = actor, clock.now(), text
    proposal.save()
    if agree:
        order.requested_date = proposal.new_date
    _move(actor, order, action, order.state, reason=_date_change(proposal, text or proposal.reason))
    return order


def auto_cancel_overdue(now: datetime | None = None) -> int:
    """The scheduler: orders the PPK left for the configured working days, and approved orders
    the vendor left unanswered, are cancelled (the hold, if any, released). Idempotent: an
    order already moved on is skipped under its lock."""
    now = now or clock.now()
    today = now.astimezone(clock.JAKARTA).date()
    due = list(
        Order.objects.filter(
            Q(state=OrderState.MENUNGGU_PPK, ppk_deadline__lt=today)
            | Q(state=OrderState.MENUNGGU_VENDOR, vendor_deadline__lt=now)
        ).values_list("pk", flat=True)
    )
    cancelled = 0
    for pk in due:
        with transaction.atomic():
            order = _lock(Order(pk=pk))
            if (
                order.state == OrderState.MENUNGGU_PPK
                and order.ppk_deadline
                and order.ppk_deadline < today
            ):
                why = _("PPK tidak menanggapi sampai batas waktu.")
            elif (
                order.state == OrderState.MENUNGGU_VENDOR
                and order.vendor_deadline
                and order.vendor_deadline < now
            ):
                why = _("Vendor tidak menanggapi sampai batas waktu.")
            else:
                continue
            row = _step(None, order, Action.AUTO_CANCEL)
            _void(order, why)
            _move(None, order, Action.AUTO_CANCEL, row.target or order.state, reason=why)
            cancelled += 1
    return cancelled


def received_value(order: Order) -> int:
    """What may be invoiced: received quantities at the agreed prices."""
    return sum(line.received_quantity * line.unit_price_idr for line in _live_lines(order))
