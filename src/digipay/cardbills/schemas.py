from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from digipay.cardbills import rules
from digipay.core import clock


class FetchIn(Schema):
    card_id: int = Field(description="Id kartu KKP satker")
    month: str = Field(description="Bulan tagihan yang sudah berakhir, TTTT-BB")


class DisputeIn(Schema):
    reason: str = Field(description="Alasan sanggahan atas baris yang tidak cocok")


class PayBillIn(Schema):
    otp: str = Field(description="Kode TOTP saat ini (otentikasi ulang)")


class CardBillOut(Schema):
    """A bill in a list; resolved from a CardBill annotated with ``open_mismatches``."""

    id: int
    satker_code: str
    card_id: int
    card_last4: str
    billing_month: str
    state: str
    total_idr: int
    paid_idr: int = Field(description="Sudah dibayar menurut bank (pengambilan terakhir)")
    due_date: date
    due_date_source: str
    overdue: bool
    mismatches: int
    fetched_at: datetime
    verified_at: datetime | None
    dispute_reason: str
    payment_number: str | None
    paid_at: datetime | None
    bank_reference: str
    failure_reason: str

    @staticmethod
    def resolve_satker_code(obj: Any) -> str:
        return str(obj["satker_code"] if isinstance(obj, dict) else obj.satker.code)

    @staticmethod
    def resolve_card_last4(obj: Any) -> str:
        return str(obj["card_last4"] if isinstance(obj, dict) else obj.card.last4)

    @staticmethod
    def resolve_billing_month(obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj["billing_month"])
        return rules.month_text(obj.billing_month)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        if isinstance(obj, dict):
            return bool(obj["overdue"])
        return rules.is_overdue(
            obj.state, obj.due_date, clock.now().astimezone(clock.JAKARTA).date()
        )

    @staticmethod
    def resolve_mismatches(obj: Any) -> int:
        return int(obj["mismatches"] if isinstance(obj, dict) else obj.open_mismatches)

    @staticmethod
    def resolve_payment_number(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj["payment_number"]  # type: ignore[no-any-return]
        return obj.payment.number if obj.payment is not None else None


class CardBillLineOut(Schema):
    on_bill: bool
    bank_reference: str
    transaction_at: datetime | None
    merchant_name: str
    amount_idr: int | None
    digipay_payment: str | None
    digipay_amount_idr: int | None
    match: str


class CardBillDetailOut(CardBillOut):
    pay_to_bank_code: str
    pay_to_account_no: str
    billed_idr: int
    digipay_idr: int
    difference_idr: int
    lines: list[CardBillLineOut]
