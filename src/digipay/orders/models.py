"""Carts, orders and their lines, the negotiation thread, shipments, receipts (BAST),
complaints and the timeline of every transition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.catalog.models import Product
from digipay.orders.rules import Action, OrderState, ProposalKind, ProposalStatus, Side
from digipay.treasury.models import KkpCard
from digipay.vendors.models import Vendor


class PaymentMethod(models.TextChoices):
    TRANSFER = "TRANSFER", "Transfer (CMS/VA) dari UP Tunai"
    KKP = "KKP", "Kartu Kredit Pemerintah (UP KKP)"


class Cart(models.Model):
    """One cart per satker user (the Pemesan)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="cart")
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"keranjang {self.user_id}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class Order(models.Model):
    """One purchase from one vendor. Its buyer-side tenant is the satker; the vendor reaches
    it through ``vendor_view()``. Prices are frozen on the lines at checkout from the cart."""

    number = models.CharField(max_length=24, unique=True)
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="orders")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="orders")
    vendor_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vendor_orders"
    )
    state = models.CharField(
        max_length=20, choices=OrderState.choices, default=OrderState.MENUNGGU_RINCIAN
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Who did each purchase step (separation of duties reads these).
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ppk = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery_address = models.TextField(blank=True)
    requested_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, blank=True)
    card = models.ForeignKey(
        KkpCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    akun = models.CharField(max_length=6, blank=True)
    funding_source = models.CharField(max_length=6, blank=True)
    vendor_pkp = models.BooleanField(default=False)
    subtotal_idr = models.BigIntegerField(default=0)
    ppn_estimate_idr = models.BigIntegerField(default=0)
    total_idr = models.BigIntegerField(default=0)
    hold_entry_id = models.BigIntegerField(null=True, blank=True)
    # The Surat Pesanan's number in the satker's register, given when the PPK approves.
    sp_number = models.CharField(max_length=40, blank=True)
    split_flag = models.TextField(blank=True)
    buyer_rounds = models.PositiveSmallIntegerField(default=0)
    vendor_rounds = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    ppk_deadline = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    vendor_deadline = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Reminders before the scheduler's auto-cancel, sent once each.
    ppk_reminded_at = models.DateTimeField(null=True, blank=True)
    vendor_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["satker", "state", "-created_at"], name="order_satker_state"),
            models.Index(
                fields=["vendor_organisation", "state", "-created_at"], name="order_vendor_state"
            ),
            models.Index(fields=["state", "ppk_deadline"], name="order_ppk_deadline"),
            models.Index(fields=["state", "vendor_deadline"], name="order_vendor_deadline"),
            models.Index(fields=["satker", "vendor", "state"], name="order_split_lookup"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_idr__gte=0), name="order_total_nonneg"),
            models.UniqueConstraint(
                fields=["sp_number"], condition=~Q(sp_number=""), name="order_sp_number_once"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    def vendor_view(self) -> VendorSide:
        return VendorSide(self)

    def duty_holders(self) -> Mapping[str, Iterable[int]]:
        """Who did which purchase step: the Pemesan who made it and the Pejabat Pengadaan who
        submitted it both "ordered"; the PPK approved; receivers received."""
        receivers = (
            set(self.receipts.values_list("received_by_id", flat=True)) if self.pk else set()
        )
        return {
            "order": {i for i in (self.created_by_id, self.submitted_by_id) if i is not None},
            "approve": {self.approved_by_id} if self.approved_by_id else set(),
            "receive": receivers,
        }

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state,
            "total_idr": self.total_idr,
            "payment_method": self.payment_method,
            "akun": self.akun,
            "ppk_id": self.ppk_id,
            "hold_entry_id": self.hold_entry_id,
        }


class VendorSide:
    """The order as the vendor acts on it: the gate's tenant is the vendor organisation."""

    def __init__(self, order: Order) -> None:
        self.order = order
        self.pk = order.pk

    @property
    def tenant_id(self) -> int:
        return int(self.order.vendor_organisation_id)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    # Frozen at checkout from the cart: later catalog changes do not touch the order.
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=40)
    unit = models.CharField(max_length=20)
    kind = models.CharField(max_length=8)
    is_pdn = models.BooleanField(default=False)
    tkdn_bp = models.PositiveSmallIntegerField(default=0)
    list_price_idr = models.BigIntegerField()
    unit_price_idr = models.BigIntegerField()  # the agreed price (list price unless negotiated)
    quantity = models.PositiveIntegerField()
    shipped_quantity = models.PositiveIntegerField(default=0)
    received_quantity = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)
    removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity"),
            models.CheckConstraint(condition=Q(unit_price_idr__gt=0), name="order_line_price"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=models.F("quantity")),
                name="order_line_shipped_le_ordered",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("shipped_quantity")),
                name="order_line_received_le_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def total_idr(self) -> int:
        return int(self.quantity * self.unit_price_idr)


class Offer(models.Model):
    """One round of the negotiation: the prices one side proposes per line, with a message."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="offers")
    side = models.CharField(max_length=8, choices=Side.choices)
    round = models.PositiveSmallIntegerField()
    prices = models.JSONField(default=dict)  # {line id: unit price}
    message = models.TextField(blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "side", "round"], name="offer_round_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.side} {self.round}"


class OrderEvent(models.Model):
    """The order's timeline: who did what, when, from which state to which, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24, choices=Action.choices)
    from_state = models.CharField(max_length=20, choices=OrderState.choices)
    to_state = models.CharField(max_length=20, choices=OrderState.choices)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    shipped_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    tracking = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"pengiriman {self.pk}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.line_id} × {self.quantity}"


class Receipt(models.Model):
    """A BAST (berita acara serah terima): what the Penerima Barang received, per line."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="receipts")
    number = models.CharField(max_length=30, unique=True)
    received_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.number


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.line_id} × {self.quantity}"


class ComplaintKind(models.TextChoices):
    DAMAGED = "DAMAGED", "Rusak"
    WRONG = "WRONG", "Barang tidak sesuai"
    SHORT = "SHORT", "Jumlah kurang"


class Resolution(models.TextChoices):
    REPLACE = "REPLACE", "Diganti"
    CORRECT = "CORRECT", "Diperbaiki"
    REDUCE = "REDUCE", "Jumlah dikurangi (disepakati)"


class Complaint(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="complaints")
    kind = models.CharField(max_length=8, choices=ComplaintKind.choices)
    description = models.TextField()
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    resolution = models.CharField(max_length=8, choices=Resolution.choices, blank=True)
    response = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What the receiver did not accept {line id: quantity}: it goes back to the vendor (the
    # line's shipped quantity drops by it) to be replaced or corrected and shipped again.
    quantities = models.JSONField(default=dict)
    # For a REDUCE resolution: the agreed new ordered quantity per line {line id: quantity}.
    agreed_quantities = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"komplain {self.pk}"


class Proposal(models.Model):
    """After the vendor confirmed, a change needs both parties: a cancellation or a new
    delivery date proposed by one side and agreed or refused by the other; a refused (or
    unanswered) cancellation may be taken to the KPPN help desk, which decides. Kept for the
    record whatever the outcome."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=8, choices=ProposalKind.choices)
    side = models.CharField(max_length=8, choices=Side.choices)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    new_date = models.DateField(null=True, blank=True)  # delivery-date proposals
    previous_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    proposed_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            # Two clicks racing to propose cannot leave two live proposals of one kind.
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(status__in=["OPEN", "ESCALATED"]),
                name="proposal_one_live_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.status}"
