"""Order pages: the Pemesan's cart, the order list (to-do list and states), the order page with
its lines, negotiation, timeline, shipments, receipts and complaints, the forms of exactly the
steps the viewer may take now, and the order's documents (Surat Pesanan, BAST).

Thin, like the API: a form parses, the same services decide (gate, state table, limits); a
DomainError becomes a form error. Which forms appear comes from ``queries.allowed_actions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from digipay.accounts import permissions
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.catalog import queries as catalog_queries
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from digipay.orders import documents, forms, queries, rules, services
from digipay.orders.models import (
    CartLine,
    Complaint,
    Offer,
    Order,
    OrderLine,
    PaymentMethod,
    Proposal,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
)
from digipay.orders.rules import Action, OrderState, Side
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.treasury import queries as treasury_queries
from digipay.treasury.models import CardStatus
from digipay.treasury.rules import FundingSource
from digipay.vendors.forms import show_domain_error

PAGE_SIZE = 25
TODO, ALL = "todo", "semua"
# Roles whose work arrives as orders waiting for them: their list opens on "Perlu tindakan".
TODO_ROLES = frozenset(
    {
        Role.KPPN_ADMIN,
        Role.PEJABAT_PENGADAAN,
        Role.PPK,
        Role.PENERIMA_BARANG,
        Role.VENDOR_ADMIN,
        Role.VENDOR_STAFF,
        Role.VENDOR_COURIER,
    }
)
VENDOR_ROLES = queries.VENDOR_ROLES


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- the cart ---------------------------------------------------------------------------------


@dataclass
class CartRow:
    line: CartLine
    form: forms.CartLineForm
    total_idr: int


@dataclass
class CartGroup:
    vendor_name: str
    vendor_id: int
    is_pkp: bool
    rows: list[CartRow] = field(default_factory=list)

    @property
    def subtotal_idr(self) -> int:
        return sum(row.total_idr for row in self.rows)


def _cart_form(line: CartLine, data: Any = None) -> forms.CartLineForm:
    return forms.CartLineForm(
        data,
        prefix=f"baris{line.pk}",
        initial={"quantity": line.quantity, "note": line.note},
    )


def _cart_page(
    request: HttpRequest,
    actor: User,
    *,
    bound: dict[int, forms.CartLineForm] | None = None,
    notice: str = "",
) -> HttpResponse:
    groups: dict[int, CartGroup] = {}
    for line in queries.cart_lines(actor).select_related("product__vendor"):
        product = line.product
        group = groups.setdefault(
            product.vendor_id,
            CartGroup(product.vendor_name, product.vendor_id, product.vendor.is_pkp),
        )
        form = (bound or {}).get(line.pk) or _cart_form(line)
        group.rows.append(CartRow(line, form, rules.line_total(line.quantity, product.price_idr)))
    context = {
        "groups": list(groups.values()),
        "total_idr": sum(g.subtotal_idr for g in groups.values()),
        "notice": notice,
    }
    template = "orders/cart.html#cart" if _htmx(request) else "orders/cart.html"
    return render(request, template, context)


def _require_cart(actor: User) -> None:
    permissions.require(actor, "order.cart", actor.organisation)


@login_required
def cart_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_cart(actor)
    return _cart_page(request, actor)


@require_POST
@login_required
def cart_add_view(request: HttpRequest, product_id: int) -> HttpResponse:
    """ "Tambah ke keranjang" from the product page."""
    actor = _actor(request)
    _require_cart(actor)
    product = catalog_queries.product_for(actor, product_id)
    form = forms.CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Isi jumlah pesanan minimal 1."))
        return redirect("catalog:product", product_id=product.pk)
    try:
        services.add_to_cart(
            actor,
            product=product,
            quantity=form.cleaned_data["quantity"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:product", product_id=product.pk)
    messages.success(request, _("%(name)s ditambahkan ke keranjang.") % {"name": product.name})
    return redirect("orders:cart")


def _cart_line(actor: User, line_id: int) -> CartLine:
    line = queries.cart_lines(actor).filter(pk=line_id).first()
    if line is None:
        raise NotFound(_("Data tidak ditemukan."))
    return line


@require_POST
@login_required
def cart_update_view(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = _actor(request)
    _require_cart(actor)
    line = _cart_line(actor, line_id)
    form = _cart_form(line, request.POST)
    if form.is_valid():
        try:
            services.update_cart_line(
                actor, line, quantity=form.cleaned_data["quantity"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            done = _("Keranjang diperbarui.")
            if _htmx(request):
                return _cart_page(request, actor, notice=done)
            messages.success(request, done)
            return redirect("orders:cart")
    return _cart_page(request, actor, bound={line.pk: form})


@require_POST
@login_required
def cart_remove_view(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = _actor(request)
    _require_cart(actor)
    line = _cart_line(actor, line_id)
    services.remove_cart_line(actor, line)
    done = _("%(name)s dihapus dari keranjang.") % {"name": line.product.name}
    if _htmx(request):
        return _cart_page(request, actor, notice=done)
    messages.success(request, done)
    return redirect("orders:cart")


@require_POST
@login_required
def cart_checkout_view(request: HttpRequest) -> HttpResponse:
    """The cart becomes one order per vendor; the Pemesan sees the orders just made."""
    actor = _actor(request)
    _require_cart(actor)
    try:
        orders = services.checkout_cart(actor)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:cart")
    messages.success(
        request,
        _("%(n)d pesanan dibuat: %(numbers)s. Pejabat Pengadaan melanjutkan rinciannya.")
        % {"n": len(orders), "numbers": ", ".join(o.number for o in orders)},
    )
    ids = ",".join(str(o.pk) for o in orders)
    return redirect(reverse("orders:list") + f"?dibuat={ids}")


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int


def _created_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",")[:50] if x.strip().isdigit()]


@login_required
def order_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "order.view")
    counts = queries.counts_by_state(actor)
    todo = queries.todo(actor)
    has_todo = actor.role in TODO_ROLES
    created = _created_ids(request.GET.get("dibuat", ""))
    default = TODO if has_todo else ALL
    status = request.GET.get("status", default)
    if status not in {TODO, ALL, *OrderState.values} or (status == TODO and not has_todo):
        status = default
    if created:
        found = queries.visible_orders(actor).filter(pk__in=created)
        status = ""
    elif status == TODO:
        found = todo
    elif status == ALL:
        found = queries.visible_orders(actor)
    else:
        found = queries.visible_orders(actor).filter(state=status)
    tabs = []
    if has_todo:
        tabs.append(Tab(TODO, _("Perlu tindakan"), todo.count()))
    tabs.append(Tab(ALL, _("Semua"), sum(counts.values())))
    tabs.extend(
        Tab(str(state), str(state.label), counts.get(state, 0))
        for state in OrderState
        if counts.get(state, 0) or status == state
    )
    page = Paginator(found.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "tabs": tabs,
        "status": status,
        "page": page,
        "created": bool(created),
        "is_vendor": actor.role in VENDOR_ROLES,
        "can_cart": actor.role == Role.PEMESAN,
    }
    template = "orders/list.html#results" if _htmx(request) else "orders/list.html"
    return render(request, template, context)


# --- the order page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    """One step as a form on the order page: the table actions it stands for, its title,
    whether it is dangerous, and the message after it worked."""

    actions: frozenset[str]
    title: Any
    done: Any
    danger: bool = False


SPECS: dict[str, ActionSpec] = {
    "ubah": ActionSpec(
        frozenset({Action.EDIT}), gettext_lazy("Ubah rincian"), gettext_lazy("Rincian disimpan.")
    ),
    "nego": ActionSpec(
        frozenset({Action.SEND_NEGO}),
        gettext_lazy("Kirim untuk negosiasi"),
        gettext_lazy("Pesanan dikirim ke vendor untuk negosiasi."),
    ),
    "tawar": ActionSpec(
        frozenset({Action.BUYER_OFFER, Action.VENDOR_COUNTER}),
        gettext_lazy("Ajukan tawaran"),
        gettext_lazy("Tawaran dikirim."),
    ),
    "setujui-tawaran": ActionSpec(
        frozenset({Action.BUYER_ACCEPT_NEGO, Action.VENDOR_ACCEPT_NEGO}),
        gettext_lazy("Setujui tawaran"),
        gettext_lazy("Tawaran disetujui; negosiasi selesai."),
    ),
    "tolak-nego": ActionSpec(
        frozenset({Action.VENDOR_REFUSE_NEGO}),
        gettext_lazy("Tolak negosiasi"),
        gettext_lazy("Negosiasi ditolak; pesanan kembali ke harga katalog."),
        danger=True,
    ),
    "ajukan": ActionSpec(
        frozenset({Action.CHECKOUT}),
        gettext_lazy("Kirim ke PPK"),
        gettext_lazy("Pesanan dikirim ke PPK untuk disetujui."),
    ),
    "setujui": ActionSpec(
        frozenset({Action.APPROVE}),
        gettext_lazy("Setujui pesanan"),
        gettext_lazy("Pesanan disetujui; UP dicadangkan dan Surat Pesanan terbit."),
    ),
    "tolak": ActionSpec(
        frozenset({Action.REJECT}),
        gettext_lazy("Tolak pesanan"),
        gettext_lazy("Pesanan ditolak."),
        danger=True,
    ),
    "konfirmasi": ActionSpec(
        frozenset({Action.CONFIRM}),
        gettext_lazy("Terima pesanan"),
        gettext_lazy("Pesanan diterima; silakan siapkan pengiriman."),
    ),
    "tolak-pesanan": ActionSpec(
        frozenset({Action.DECLINE}),
        gettext_lazy("Tolak pesanan"),
        gettext_lazy("Pesanan ditolak; pesanan dibatalkan dan UP satker dilepas."),
        danger=True,
    ),
    "kirim": ActionSpec(
        frozenset({Action.SHIP}),
        gettext_lazy("Kirim barang"),
        gettext_lazy("Pengiriman dicatat."),
    ),
    "terima": ActionSpec(
        frozenset({Action.RECEIVE}),
        gettext_lazy("Terima barang"),
        gettext_lazy("Penerimaan dicatat; BAST terbit."),
    ),
    "komplain": ActionSpec(
        frozenset({Action.COMPLAIN}),
        gettext_lazy("Pending dengan komplain"),
        gettext_lazy("Komplain dikirim ke vendor."),
        danger=True,
    ),
    "selesaikan-komplain": ActionSpec(
        frozenset({Action.RESOLVE}),
        gettext_lazy("Selesaikan komplain"),
        gettext_lazy("Tanggapan komplain dicatat."),
    ),
    "batalkan": ActionSpec(
        frozenset({Action.CANCEL}),
        gettext_lazy("Batalkan pesanan"),
        gettext_lazy("Pesanan dibatalkan."),
        danger=True,
    ),
    # After the vendor confirmed: proposals the other side answers; the KPPN decides disputes.
    "usul-batal": ActionSpec(
        frozenset({Action.BUYER_ASK_CANCEL, Action.VENDOR_ASK_CANCEL}),
        gettext_lazy("Usulkan pembatalan"),
        gettext_lazy("Usulan pembatalan dikirim ke pihak lain."),
        danger=True,
    ),
    "setujui-batal": ActionSpec(
        frozenset({Action.BUYER_AGREE_CANCEL, Action.VENDOR_AGREE_CANCEL}),
        gettext_lazy("Setujui pembatalan"),
        gettext_lazy("Pembatalan disetujui; pesanan dibatalkan dan UP satker dilepas."),
        danger=True,
    ),
    "tolak-batal": ActionSpec(
        frozenset({Action.BUYER_REFUSE_CANCEL, Action.VENDOR_REFUSE_CANCEL}),
        gettext_lazy("Tolak usulan pembatalan"),
        gettext_lazy("Usulan pembatalan ditolak; pesanan berlanjut."),
    ),
    "bantuan-kppn": ActionSpec(
        frozenset({Action.BUYER_ESCALATE, Action.VENDOR_ESCALATE}),
        gettext_lazy("Minta bantuan KPPN"),
        gettext_lazy("Permintaan bantuan dikirim ke help desk KPPN."),
    ),
    "kppn-batalkan": ActionSpec(
        frozenset({Action.KPPN_CANCEL}),
        gettext_lazy("Putuskan: batalkan pesanan"),
        gettext_lazy("Pesanan dibatalkan atas keputusan KPPN; UP satker dilepas."),
        danger=True,
    ),
    "kppn-lanjutkan": ActionSpec(
        frozenset({Action.KPPN_CONTINUE}),
        gettext_lazy("Putuskan: lanjutkan pesanan"),
        gettext_lazy("Keputusan dicatat; pesanan dilanjutkan."),
    ),
    "usul-tanggal": ActionSpec(
        frozenset({Action.BUYER_ASK_DATE, Action.VENDOR_ASK_DATE}),
        gettext_lazy("Usulkan tanggal kirim baru"),
        gettext_lazy("Usulan tanggal kirim dikirim ke pihak lain."),
    ),
    "setujui-tanggal": ActionSpec(
        frozenset({Action.BUYER_AGREE_DATE, Action.VENDOR_AGREE_DATE}),
        gettext_lazy("Setujui tanggal kirim baru"),
        gettext_lazy("Tanggal kirim diubah."),
    ),
    "tolak-tanggal": ActionSpec(
        frozenset({Action.BUYER_REFUSE_DATE, Action.VENDOR_REFUSE_DATE}),
        gettext_lazy("Tolak tanggal kirim baru"),
        gettext_lazy("Usulan tanggal kirim ditolak."),
    ),
}


def _full_order(actor: User, order_id: int) -> Order:
    """The order the actor may see (``queries.order_for``: tenant and gate), with what the
    page shows loaded."""
    order = queries.order_for(actor, order_id)
    return (
        Order.objects.select_related(
            "satker",
            "vendor",
            "vendor_organisation",
            "created_by",
            "submitted_by",
            "approved_by",
            "ppk",
            "card",
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("offers", queryset=Offer.objects.select_related("author")),
            "events__actor",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("shipped_by").prefetch_related(
                    Prefetch("lines", queryset=ShipmentLine.objects.select_related("line"))
                ),
            ),
            Prefetch(
                "receipts",
                queryset=Receipt.objects.select_related("received_by").prefetch_related(
                    Prefetch("lines", queryset=ReceiptLine.objects.select_related("line"))
                ),
            ),
            Prefetch(
                "complaints",
                queryset=Complaint.objects.select_related("raised_by", "resolved_by"),
            ),
            Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related("author", "answered_by", "decided_by"),
            ),
        )
        .get(pk=order.pk)
    )


def _live(order: Order) -> list[OrderLine]:
    return [line for line in order.lines.all() if not line.removed]


def _last_offer(order: Order) -> Offer | None:
    offers = list(order.offers.all())
    return offers[-1] if offers else None


def _side(actor: User, order: Order) -> str:
    return Side.VENDOR if actor.organisation_id == order.vendor_organisation_id else Side.BUYER


def _visible_specs(actor: User, order: Order) -> list[str]:
    """The forms to show: exactly the steps ``queries.allowed_actions`` grants (whose turn it
    is, rounds left and one-sided cancellation are decided there, by ``rules``)."""
    allowed = set(queries.allowed_actions(actor, order))
    return [slug for slug, spec in SPECS.items() if spec.actions & allowed]


def _ppk_choices(order: Order) -> list[tuple[int, str]]:
    ppks = User.objects.filter(
        organisation_id=order.satker_id, role=Role.PPK, is_active=True
    ).order_by("full_name")
    return [(u.pk, u.full_name) for u in ppks]


def _card_choices(order: Order) -> list[tuple[int, str]]:
    return [
        (
            c.card.pk,
            _("KKP •••• %(last4)s — %(holder)s (tersedia %(available)s)")
            % {
                "last4": c.card.last4,
                "holder": c.card.cardholder.full_name,
                "available": f"Rp {c.available:,}".replace(",", "."),
            },
        )
        for c in treasury_queries.cards_of(order.satker)
        if c.card.status == CardStatus.ACTIVE
    ]


def _unshipped(line: OrderLine) -> int:
    return int(line.quantity - line.shipped_quantity)


def _unreceived(line: OrderLine) -> int:
    return int(line.shipped_quantity - line.received_quantity)


def _make_form(slug: str, order: Order, data: Any = None) -> django_forms.Form | None:
    """The form of one step, unbound (defaults filled in) or bound to what was posted."""
    lines = _live(order)
    prefix = slug
    if slug == "ubah":
        return forms.EditForm(data, lines=lines, prefix=prefix)
    if slug in ("nego", "tawar"):
        last = _last_offer(order)
        prices = {int(k): int(v) for k, v in last.prices.items()} if last else {}
        return forms.OfferForm(data, lines=lines, prices=prices, prefix=prefix)
    if slug == "tolak-nego":
        return forms.MessageForm(data, prefix=prefix)
    if slug in (
        "tolak",
        "tolak-pesanan",
        "batalkan",
        "usul-batal",
        "tolak-batal",
        "bantuan-kppn",
        "kppn-batalkan",
        "kppn-lanjutkan",
        "tolak-tanggal",
    ):
        return forms.ReasonForm(data, prefix=prefix)
    if slug in ("setujui-batal", "setujui-tanggal"):
        return forms.NoteForm(data, prefix=prefix)
    if slug == "usul-tanggal":
        return forms.DeliveryDateForm(data, prefix=prefix)
    if slug == "ajukan":
        return forms.CheckoutForm(
            data,
            prefix=prefix,
            ppks=_ppk_choices(order),
            cards=_card_choices(order),
            initial={
                "delivery_address": order.delivery_address or order.satker.address,
                "ppk": order.ppk_id,
                "akun": order.akun,
                "notes": order.notes,
                "requested_date": order.requested_date,
            },
        )
    if slug == "kirim":
        return forms.ShipForm(
            data,
            lines=[line for line in lines if _unshipped(line)],
            initial_for=_unshipped,
            prefix=prefix,
        )
    if slug == "terima":
        return forms.ReceiveForm(
            data,
            lines=[line for line in lines if _unreceived(line)],
            initial_for=_unreceived,
            prefix=prefix,
        )
    if slug == "komplain":
        return forms.ComplainForm(
            data, lines=[line for line in lines if _unreceived(line)], prefix=prefix
        )
    if slug == "selesaikan-komplain":
        return forms.ResolveForm(data, lines=lines, prefix=prefix)
    return None  # a button without fields (approve, confirm, accept an offer)


def _run(slug: str, actor: User, order: Order, form: django_forms.Form | None) -> None:
    """Call the step's service with what the form parsed."""
    d = form.cleaned_data if form is not None else {}
    if slug == "ubah":
        assert isinstance(form, forms.EditForm)
        quantities, remove = form.changes()
        if not quantities and not remove:
            raise ValidationFailed(_("Tidak ada perubahan pada rincian pesanan."))
        services.edit_order(actor, order, quantities=quantities, remove=remove)
    elif slug == "nego":
        assert isinstance(form, forms.OfferForm)
        services.send_for_negotiation(actor, order, prices=form.line_values(), message=d["message"])
    elif slug == "tawar":
        assert isinstance(form, forms.OfferForm)
        services.make_offer(actor, order, prices=form.line_values(), message=d["message"])
    elif slug == "setujui-tawaran":
        services.accept_offer(actor, order)
    elif slug == "tolak-nego":
        services.refuse_negotiation(actor, order, message=d["message"])
    elif slug == "ajukan":
        _checkout(actor, order, d)
    elif slug == "setujui":
        services.approve_order(actor, order)
    elif slug == "tolak":
        services.reject_order(actor, order, reason=d["reason"])
    elif slug == "konfirmasi":
        services.confirm_order(actor, order)
    elif slug == "tolak-pesanan":
        services.decline_order(actor, order, reason=d["reason"])
    elif slug == "kirim":
        assert isinstance(form, forms.ShipForm)
        services.ship_order(actor, order, quantities=form.line_values(), tracking=d["tracking"])
    elif slug == "terima":
        assert isinstance(form, forms.ReceiveForm)
        services.receive_order(actor, order, quantities=form.line_values(), note=d["note"])
    elif slug == "komplain":
        assert isinstance(form, forms.ComplainForm)
        services.complain(
            actor,
            order,
            kind=d["kind"],
            description=d["description"],
            quantities=form.line_values(),
        )
    elif slug == "selesaikan-komplain":
        assert isinstance(form, forms.ResolveForm)
        services.resolve_complaint(
            actor,
            order,
            resolution=d["resolution"],
            response=d["response"],
            agreed_quantities=form.line_values(),
        )
    elif slug == "batalkan":
        services.cancel_order(actor, order, reason=d["reason"])
    else:
        _run_proposal(slug, actor, order, d)


def _run_proposal(slug: str, actor: User, order: Order, d: dict[str, Any]) -> None:
    """The steps after confirmation that one side proposes and the other answers."""
    if slug == "usul-batal":
        services.propose_cancellation(actor, order, reason=d["reason"])
    elif slug in ("setujui-batal", "tolak-batal"):
        agree = slug == "setujui-batal"
        services.answer_cancellation(
            actor, order, agree=agree, note=d["note"] if agree else d["reason"]
        )
    elif slug == "bantuan-kppn":
        services.escalate_cancellation(actor, order, reason=d["reason"])
    elif slug in ("kppn-batalkan", "kppn-lanjutkan"):
        services.decide_cancellation(
            actor, order, cancel=slug == "kppn-batalkan", reason=d["reason"]
        )
    elif slug == "usul-tanggal":
        services.propose_delivery_date(actor, order, new_date=d["new_date"], reason=d["reason"])
    elif slug in ("setujui-tanggal", "tolak-tanggal"):
        agree = slug == "setujui-tanggal"
        services.answer_delivery_date(
            actor, order, agree=agree, note=d["note"] if agree else d["reason"]
        )


def _checkout(actor: User, order: Order, d: dict[str, Any]) -> None:
    ppk = User.objects.filter(pk=d["ppk"], organisation_id=order.satker_id).first()
    if ppk is None:
        raise ValidationFailed(_("Pilih PPK aktif dari satker ini."), details={"field": "ppk"})
    card = None
    if d["payment_method"] == PaymentMethod.KKP and d["card"] is not None:
        card = next(
            (c.card for c in treasury_queries.cards_of(order.satker) if c.card.pk == d["card"]),
            None,
        )
    services.submit_order(
        actor,
        order,
        services.Checkout(
            ppk=ppk,
            payment_method=d["payment_method"],
            akun=d["akun"],
            funding_source=d["funding_source"],
            delivery_address=d["delivery_address"],
            requested_date=d["requested_date"],
            notes=d["notes"],
            card=card,
        ),
    )


@dataclass(frozen=True)
class OfferRow:
    line_name: str
    unit: str
    list_price_idr: int
    price_idr: int | None


@dataclass(frozen=True)
class OfferView:
    offer: Offer
    rows: list[OfferRow]


def _offers(order: Order) -> list[OfferView]:
    lines = {line.pk: line for line in order.lines.all()}
    views = []
    for offer in order.offers.all():
        rows = []
        for line_id, price in offer.prices.items():
            line = lines.get(int(line_id))
            if line is not None:
                rows.append(OfferRow(line.name, line.unit, line.list_price_idr, int(price)))
        views.append(OfferView(offer, rows))
    return views


@dataclass(frozen=True)
class ComplaintView:
    complaint: Complaint
    quantities: list[tuple[str, int]]
    agreed: list[tuple[str, int]]


def _complaints(order: Order) -> list[ComplaintView]:
    names = {line.pk: line.name for line in order.lines.all()}

    def named(mapping: dict[str, int]) -> list[tuple[str, int]]:
        return [(names.get(int(k), k), int(v)) for k, v in mapping.items()]

    return [
        ComplaintView(c, named(c.quantities), named(c.agreed_quantities))
        for c in order.complaints.all()
    ]


def _rounds_left(order: Order, side: str) -> int:
    limit = int(policy.value_in_force(PolicyKey.NEGO_MAX_ROUNDS, clock.today_jakarta()))
    used = order.buyer_rounds if side == Side.BUYER else order.vendor_rounds
    return max(limit - used, 0)


@dataclass(frozen=True)
class ActionForm:
    slug: str
    spec: ActionSpec
    form: django_forms.Form | None
    kind: str  # how the template lays it out: edit, prices, lines, fields


def _kind(form: django_forms.Form | None) -> str:
    if isinstance(form, forms.EditForm):
        return "edit"
    if isinstance(form, forms.OfferForm):
        return "prices"
    if isinstance(form, forms.LinesForm):
        return "lines"
    return "fields"


def _detail_page(
    request: HttpRequest,
    actor: User,
    order: Order,
    *,
    bound: dict[str, django_forms.Form] | None = None,
) -> HttpResponse:
    action_forms = []
    for slug in _visible_specs(actor, order):
        form = (bound or {}).get(slug) or _make_form(slug, order)
        action_forms.append(ActionForm(slug, SPECS[slug], form, _kind(form)))
    side = _side(actor, order)
    lines = _live(order)
    context = {
        "order": order,
        "state_label": OrderState(order.state).label,
        "funding_source": (
            FundingSource(order.funding_source).label
            if order.funding_source in FundingSource.values
            else order.funding_source
        ),
        "lines": lines,
        "removed_lines": [line for line in order.lines.all() if line.removed],
        "offers": _offers(order),
        "events": list(order.events.all()),
        "shipments": list(order.shipments.all()),
        "receipts": list(order.receipts.all()),
        "complaints": _complaints(order),
        "proposals": list(order.proposals.all()),
        "action_forms": action_forms,
        "has_sp": order.approved_at is not None,
        "is_vendor": side == Side.VENDOR,
        "in_nego": order.state == OrderState.PROSES_NEGO,
        "rounds_left": _rounds_left(order, side),
        "terminal": order.state in rules.TERMINAL,
    }
    return render(request, "orders/detail.html", context)


@login_required
def order_detail_view(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = _actor(request)
    return _detail_page(request, actor, _full_order(actor, order_id))


@require_POST
@login_required
def order_action_view(request: HttpRequest, order_id: int, slug: str) -> HttpResponse:
    """One step, posted from its form. The gate and the state table decide inside the service;
    a refusal of a step the viewer was offered shows on its form, any other goes to the
    error page with its status (403, 404, 409)."""
    actor = _actor(request)
    spec = SPECS.get(slug)
    if spec is None:
        raise NotFound(_("Data tidak ditemukan."))
    order = _full_order(actor, order_id)
    if slug not in _visible_specs(actor, order):
        _refuse(actor, order, spec)
    form = _make_form(slug, order, request.POST)
    if form is None or form.is_valid():
        try:
            _run(slug, actor, order, form)
        except DomainError as exc:
            if form is None:
                form = django_forms.Form(request.POST, prefix=slug)
                form.is_valid()
            _show_error(form, exc)
        else:
            messages.success(request, str(spec.done))
            return redirect("orders:detail", order_id=order.pk)
    order = _full_order(actor, order_id)
    return _detail_page(request, actor, order, bound={slug: form})


def _show_error(form: django_forms.Form, exc: DomainError) -> None:
    """The service's refusal on the line it names, on the field it names, or on the form."""
    line_id = exc.details.get("line_id")
    key = f"line_{line_id}"
    if isinstance(form, forms.LinesForm) and key in form.fields:
        form.add_error(key, exc.message)
    else:
        show_domain_error(form, exc)


def _refuse(actor: User, order: Order, spec: ActionSpec) -> NoReturn:
    """A step the viewer was not offered: the same answer the service would give — not from
    this state (409), not this role or tenant (403/404), or not now (409)."""
    rows = [row for a in spec.actions if (row := rules.transition(order.state, a)) is not None]
    if not rows:
        raise Conflict(
            _("Pesanan berstatus %(state)s: tindakan ini tidak dapat dilakukan.")
            % {"state": OrderState(order.state).label},
            code="invalid_transition",
        )
    denials: list[DomainError] = []
    for row in rows:
        if row.gate is None:
            continue
        try:
            permissions.require(
                actor, row.gate, order.vendor_view() if row.side == Side.VENDOR else order
            )
        except DomainError as exc:
            denials.append(exc)
            continue
        break
    else:
        if denials:
            raise denials[0]
    raise Conflict(_("Tindakan ini tidak tersedia saat ini."), code="not_available")


# --- documents --------------------------------------------------------------------------------


def _pdf(document: documents.Document) -> HttpResponse:
    response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _receipt(order: Order, receipt_id: int) -> Receipt:
    receipt = Receipt.objects.filter(pk=receipt_id, order=order).first()
    if receipt is None:
        raise NotFound(_("BAST tidak ditemukan."))
    return receipt


def _document_page(
    request: HttpRequest, document: documents.Document, pdf_url: str
) -> HttpResponse:
    return render(request, "orders/documents/print.html", {"doc": document, "pdf_url": pdf_url})


@login_required
def surat_pesanan_pdf_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = queries.order_for(_actor(request), order_id)
    return _pdf(documents.surat_pesanan(order))


@login_required
def surat_pesanan_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = queries.order_for(_actor(request), order_id)
    return _document_page(
        request,
        documents.surat_pesanan(order),
        reverse("orders:surat_pesanan_pdf", args=[order.pk]),
    )


@login_required
def bast_pdf_view(request: HttpRequest, order_id: int, receipt_id: int) -> HttpResponse:
    order = queries.order_for(_actor(request), order_id)
    return _pdf(documents.bast(order, _receipt(order, receipt_id)))


@login_required
def bast_view(request: HttpRequest, order_id: int, receipt_id: int) -> HttpResponse:
    order = queries.order_for(_actor(request), order_id)
    return _document_page(
        request,
        documents.bast(order, _receipt(order, receipt_id)),
        reverse("orders:bast_pdf", args=[order.pk, receipt_id]),
    )


def check_document_view(request: HttpRequest) -> HttpResponse:
    """Public check of a printed document: its number and verification code (from the QR
    code or typed in) against what Digipay issued. Shows only what the public may know of
    it (kind, number, date, satker, vendor, amount), never the people who signed it."""
    number = request.GET.get("nomor", "")[:60]
    code = request.GET.get("kode", "")[:100]
    checked = bool(number.strip() and code.strip())
    document = documents.check_public(number, code) if checked else None
    return render(
        request,
        "orders/documents/check.html",
        {"number": number, "code": code, "checked": checked, "doc": document},
    )
