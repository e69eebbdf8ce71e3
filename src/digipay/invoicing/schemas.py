"""API schemas of invoicing (amounts in whole rupiah; taxes named as the tax engine names
them: ``ppn``, ``pph22``, ``pph23``, ``pph_final``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class InvoiceFields(Schema):
    id: int
    number: str
    state: str = Field(description="UNVERIFIED, RETURNED, VERIFIED, PAID")
    receipt_number: str
    order_id: int
    order_number: str
    satker_code: str
    satker_name: str
    vendor_name: str
    invoice_date: date
    payment_method: str
    collector: str = Field(description="BENDAHARA (transfer) atau KKP")
    base_idr: int
    ppn_idr: int
    gross_idr: int
    collected_idr: int = Field(description="Pajak yang dipungut/dipotong pemungut")
    net_idr: int = Field(description="Yang diterima vendor")
    vendor_invoice_number: str
    tax_invoice_number: str
    payment_reference: str = Field("", description="Referensi bank pembayaran (status PAID)")
    paid_at: datetime | None = None


class InvoiceOut(InvoiceFields):
    @staticmethod
    def resolve_receipt_number(obj: Any) -> str:
        return str(obj.receipt.number)

    @staticmethod
    def resolve_order_number(obj: Any) -> str:
        return str(obj.order.number)

    @staticmethod
    def resolve_satker_code(obj: Any) -> str:
        return str(obj.satker.code)

    @staticmethod
    def resolve_satker_name(obj: Any) -> str:
        return str(obj.satker.name)

    @staticmethod
    def resolve_vendor_name(obj: Any) -> str:
        return str(obj.vendor.business_name)


class InvoiceLineOut(Schema):
    id: int
    position: int
    name: str
    sku: str
    unit: str
    kind: str
    quantity: int
    unit_price_idr: int
    base_idr: int
    ppn_idr: int
    pph22_idr: int
    pph23_idr: int
    pph_final_idr: int


class TaxOut(Schema):
    tax: str
    amount_idr: int
    withheld_by_collector_idr: int


class FiguresOut(Schema):
    base_idr: int
    ppn_idr: int
    gross_idr: int
    collected_idr: int
    net_idr: int
    taxes: list[TaxOut]


class CreditLineOut(Schema):
    invoice_line_id: int
    quantity: int
    base_idr: int


class CreditNoteOut(Schema):
    id: int
    number: str
    reason: str
    issued_by_id: int
    issued_at: datetime
    figures: FiguresOut
    lines: list[CreditLineOut]


class DepositOut(Schema):
    id: int
    invoice_id: int
    invoice_number: str
    tax: str
    account_code: str
    amount_idr: int
    tax_period: date
    due_date: date
    status: str = Field(description="OPEN, PROCESSING (being deposited), PAID (deposited), VOID")
    overdue: bool = Field(description="still to deposit past its due date")
    late: bool = Field(description="overdue, or deposited after its due date")
    billing_code: str = Field(description="MPN billing code (15 digits) once obtained")
    ntpn: str = Field(description="NTPN once deposited")
    ntb: str
    deposited_on: date | None


class ExplanationOut(Schema):
    figure: str
    lines: list[int]
    rule_id: int | None
    amount: int | None
    text: str


class InvoiceDetailOut(InvoiceFields):
    split: bool
    vendor_pkp: bool
    vendor_suket: bool
    verified_by_id: int | None
    verified_at: datetime | None
    return_reason: str
    lines: list[InvoiceLineOut]
    taxes: list[TaxOut]
    explanation: list[ExplanationOut]
    credit_notes: list[CreditNoteOut]
    outstanding: FiguresOut
    deposits: list[DepositOut]
    allowed_actions: list[str]


class VendorNumbersIn(Schema):
    vendor_invoice_number: str = Field("", max_length=60)
    tax_invoice_number: str = Field("", max_length=30)


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class CreditLineIn(Schema):
    line_id: int
    quantity: int = Field(0, ge=0)
    amount_idr: int = Field(0, ge=0)


class CreditNoteIn(Schema):
    reason: str = Field(max_length=2000)
    lines: list[CreditLineIn] = Field(min_length=1, max_length=500)


class ReportRowOut(Schema):
    account_code: str
    tax: str
    collected_idr: int
    deposited_idr: int
    outstanding_idr: int
    overdue_idr: int
    count: int


class TaxReportOut(Schema):
    satker_code: str
    satker_name: str
    period: str = Field(description="YYYY-MM (masa pajak)")
    rows: list[ReportRowOut]
    total: ReportRowOut
