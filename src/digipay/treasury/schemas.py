"""API schemas of treasury (amounts in whole rupiah, dates ISO 8601)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class PositionOut(Schema):
    label: str
    allocated_idr: int
    posted_idr: int
    held_idr: int
    available_idr: int
    spent_this_month_idr: int


class AllocationOut(Schema):
    id: int
    kind: str
    fiscal_year: int
    funding_source: str
    sp2d_number: str
    sp2d_date: date
    amount_idr: int
    tunai_idr: int
    kkp_idr: int
    due_date: date | None
    extensions: int
    ledger_entry_id: int | None


class UpPositionOut(Schema):
    satker_id: int
    tunai: PositionOut
    kkp: PositionOut
    kkp_share: str = Field(description="Porsi KKP untuk UP berikutnya, mis. 2/5")
    allocations: list[AllocationOut]


class UpIn(Schema):
    fiscal_year: int
    funding_source: str = "RM"
    sp2d_number: str
    sp2d_date: date
    annual_budget_idr: int = Field(gt=0)
    amount_idr: int = Field(gt=0)
    kanwil_approval_ref: str = ""


class TupIn(Schema):
    amount_idr: int = Field(gt=0)
    sp2d_number: str
    sp2d_date: date
    reason: str


class TupExtendIn(Schema):
    reason: str


class UpReturnIn(Schema):
    fiscal_year: int
    deposit_reference: str = Field(description="NTPN setoran sisa UP")
    returned_on: date


class UpReturnOut(Schema):
    id: int
    fiscal_year: int
    tunai_idr: int
    kkp_idr: int
    deposit_reference: str
    returned_on: date
    ledger_entry_id: int


class KkpShareIn(Schema):
    share_percent: int = Field(ge=0, le=100)
    reason: str


class CardOut(Schema):
    id: int
    cardholder_id: int
    bank_id: int
    bank_card_ref: str
    last4: str
    card_limit_idr: int
    status: str
    issued_on: date


class CardLineOut(Schema):
    card: CardOut
    available_idr: int
    held_idr: int


class CardIn(Schema):
    cardholder_id: int
    bank_id: int
    bank_card_ref: str = Field(description="Referensi kartu dari bank — bukan nomor kartu")
    last4: str
    card_limit_idr: int = Field(gt=0)
    issued_on: date


class CardLimitIn(Schema):
    card_limit_idr: int = Field(gt=0)


class CardStatusIn(Schema):
    status: str
    reason: str


class PostingOut(Schema):
    account_id: int
    account_code: str
    account_owner_id: int
    amount_idr: int
    pending: bool


class EntryOut(Schema):
    id: int
    kind: str
    status: str
    reason_code: str
    source_type: str
    source_id: str
    memo: str
    created_at: datetime
    resolves_id: int | None
    corrects_id: int | None


class EntryDetailOut(EntryOut):
    postings: list[PostingOut]
