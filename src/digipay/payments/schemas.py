from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class PayIn(Schema):
    invoices: list[int] = Field(description="Id tagihan yang dibayar (satu satker)")
    source: str = Field(description="UP_TUNAI (transfer) atau KKP (kartu pesanan)")
    otp: str = Field(description="Kode TOTP saat ini (otentikasi ulang)")


class PaymentLineOut(Schema):
    invoice_id: int
    invoice_number: str
    gross_idr: int
    collected_idr: int
    net_idr: int
    paid: bool


class InstructionOut(Schema):
    id: int
    kind: str
    status: str
    amount_idr: int
    vendor_name: str
    beneficiary_bank_code: str
    beneficiary_account: str
    bank_reference: str
    attempts: int
    last_error: str


class PaymentOut(Schema):
    id: int
    number: str
    state: str
    source: str
    purpose: str
    purpose_ref: str
    gross_idr: int
    collected_idr: int
    net_idr: int
    created_at: datetime
    finished_at: datetime | None


class PaymentDetailOut(PaymentOut):
    lines: list[PaymentLineOut]
    instructions: list[InstructionOut]


class DepositIn(Schema):
    deposits: list[int] = Field(description="Id setoran pajak yang disetor (satu satker)")
    otp: str = Field(description="Kode TOTP saat ini (otentikasi ulang)")


class DepositRequestOut(Schema):
    id: int
    deposit_id: int
    state: str
    amount_idr: int
    reference: str
    billing_code: str
    bank_reference: str
    ntpn: str
    ntb: str
    paid_at: datetime | None
    last_error: str
    created_at: datetime


class RefundIn(Schema):
    invoice_id: int
    returned: dict[int, int] = Field(description="{id baris tagihan: jumlah dikembalikan}")
    amount_idr: int
    reason: str
    complaint_id: int | None = None


class RefundCancelIn(Schema):
    reason: str


class RefundCreditOut(Schema):
    id: int
    amount_idr: int
    matched: bool
    accepted_idr: int | None
    note: str
    created_at: datetime


class RefundOut(Schema):
    id: int
    number: str
    reference: str
    invoice_id: int
    invoice_number: str
    vendor_name: str
    amount_idr: int
    quantities: dict[str, int]
    reason: str
    state: str
    flag: str
    received_idr: int
    cancel_reason: str
    credits: list[RefundCreditOut]
    treasurer_bank_code: str
    treasurer_account: str
    bank_reference: str
    received_at: datetime | None
    created_at: datetime
