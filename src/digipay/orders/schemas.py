"""API schemas of orders (amounts in whole rupiah)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from digipay.orders.rules import OrderState


class CartLineIn(Schema):
    product_id: int
    quantity: int = Field(ge=1)
    note: str = ""


class CartLineUpdateIn(Schema):
    quantity: int = Field(ge=1)
    note: str = ""


class CartLineOut(Schema):
    id: int
    product_id: int
    product_name: str
    vendor_id: int
    vendor_name: str
    unit: str
    unit_price_idr: int
    quantity: int
    note: str
    total_idr: int

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return str(obj.product.name)

    @staticmethod
    def resolve_vendor_id(obj: Any) -> int:
        return int(obj.product.vendor_id)

    @staticmethod
    def resolve_vendor_name(obj: Any) -> str:
        return str(obj.product.vendor_name)

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return str(obj.product.unit)

    @staticmethod
    def resolve_unit_price_idr(obj: Any) -> int:
        return int(obj.product.price_idr)

    @staticmethod
    def resolve_total_idr(obj: Any) -> int:
        return int(obj.product.price_idr * obj.quantity)


class OrderLineOut(Schema):
    id: int
    product_id: int
    name: str
    sku: str
    unit: str
    kind: str
    is_pdn: bool
    list_price_idr: int
    unit_price_idr: int
    quantity: int
    shipped_quantity: int
    received_quantity: int
    total_idr: int
    note: str


class OfferOut(Schema):
    side: str
    round: int
    prices: dict[str, int]
    message: str
    author_id: int
    created_at: datetime


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor_id: int | None
    reason: str
    at: datetime


class ProposalOut(Schema):
    id: int
    kind: str = Field(description="CANCEL (pembatalan) atau DATE (tanggal kirim)")
    side: str = Field(description="Pihak pengusul: BUYER (satker) atau VENDOR")
    status: str = Field(
        description="OPEN, ACCEPTED, REFUSED, ESCALATED (menunggu KPPN), UPHELD (dibatalkan "
        "KPPN), DISMISSED (dilanjutkan KPPN), LAPSED (tidak berlaku lagi)"
    )
    author_id: int
    reason: str
    new_date: date | None
    previous_date: date | None
    proposed_at: datetime
    answered_by_id: int | None
    answered_at: datetime | None
    answer: str
    escalated_at: datetime | None
    escalation_note: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision: str


class OrderOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    satker_id: int
    satker_name: str
    vendor_id: int
    vendor_name: str
    created_by_id: int
    ppk_id: int | None
    payment_method: str
    akun: str
    funding_source: str
    subtotal_idr: int
    ppn_estimate_idr: int
    total_idr: int
    split_flag: str
    ppk_deadline: date | None
    vendor_deadline: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(OrderState(obj.state).label)

    @staticmethod
    def resolve_satker_name(obj: Any) -> str:
        return str(obj.satker.name)

    @staticmethod
    def resolve_vendor_name(obj: Any) -> str:
        return str(obj.vendor.business_name)


class OrderDetailOut(OrderOut):
    delivery_address: str
    requested_date: date | None
    notes: str
    hold_entry_id: int | None
    buyer_rounds: int
    vendor_rounds: int
    close_reason: str
    lines: list[OrderLineOut]
    offers: list[OfferOut]
    events: list[EventOut]
    proposals: list[ProposalOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.filter(removed=False))

    @staticmethod
    def resolve_offers(obj: Any) -> list[Any]:
        return list(obj.offers.all())

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.all())

    @staticmethod
    def resolve_proposals(obj: Any) -> list[Any]:
        return list(obj.proposals.all())


class EditIn(Schema):
    model_config = ConfigDict(extra="forbid")

    quantities: dict[int, int] = Field(default_factory=dict)
    remove: list[int] = Field(default_factory=list)


class OfferIn(Schema):
    prices: dict[int, int]
    message: str = ""


class MessageIn(Schema):
    message: str


class ReasonIn(Schema):
    reason: str


class AnswerIn(Schema):
    agree: bool = Field(description="true: setuju; false: tolak (catatan wajib, min. 10 huruf)")
    note: str = ""


class DecisionIn(Schema):
    cancel: bool = Field(description="true: batalkan pesanan; false: lanjutkan pesanan")
    reason: str


class DeliveryDateIn(Schema):
    new_date: date
    reason: str


class CheckoutIn(Schema):
    ppk_id: int
    payment_method: str = Field(description="TRANSFER (UP Tunai) atau KKP")
    card_id: int | None = None
    akun: str = Field(description="Kode akun belanja 6 digit, mis. 521211")
    funding_source: str = "RM"
    delivery_address: str = ""
    requested_date: date | None = None
    notes: str = ""


class QuantitiesIn(Schema):
    quantities: dict[int, int]
    tracking: str = ""
    note: str = ""


class ComplaintIn(Schema):
    kind: str = Field(description="DAMAGED, WRONG atau SHORT")
    description: str
    quantities: dict[int, int]


class ResolveIn(Schema):
    resolution: str = Field(description="REPLACE, CORRECT atau REDUCE")
    response: str
    agreed_quantities: dict[int, int] = Field(default_factory=dict)


class ReceiptOut(Schema):
    id: int
    number: str
    received_by_id: int
    at: datetime


class ShipmentOut(Schema):
    id: int
    tracking: str
    shipped_by_id: int
    at: datetime


class ComplaintOut(Schema):
    id: int
    kind: str
    description: str
    quantities: dict[str, int]
    resolution: str
    response: str
    raised_at: datetime
    resolved_at: datetime | None
