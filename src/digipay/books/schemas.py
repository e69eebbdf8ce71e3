from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class BookRowOut(Schema):
    at: datetime
    entry_id: int
    reference: str
    description: str
    account_code: str
    debit: int
    credit: int
    balance: int


class BookOut(Schema):
    book: str
    title: str
    satker: str
    month: str
    opening_idr: int
    closing_idr: int
    total_debit_idr: int
    total_credit_idr: int
    rows: list[BookRowOut]


class TransitItemOut(Schema):
    description: str
    reference: str
    bank_effect: int


class LpjOut(Schema):
    satker: str
    month: str
    submitted: bool
    number: str
    due_date: date
    late: bool
    up_tunai_idr: int
    up_kkp_idr: int
    kkp_bill_paid_idr: int
    taxes_held_idr: int
    bank_closing_idr: int
    bank_closing_at: datetime
    in_transit_idr: int
    unexplained_idr: int
    transit_items: list[TransitItemOut]
    open_cases: int
    unused_up_idr: int | None
    up_returned: bool | None
    submitted_at: datetime | None


class LpjIn(Schema):
    month: str = Field(description="Bulan LPJ, YYYY-MM")


class CaseNoteOut(Schema):
    author_id: int | None
    text: str
    created_at: datetime


class CaseOut(Schema):
    id: int
    satker_id: int
    day: date
    kind: str
    status: str
    amount_idr: int
    expected_idr: int | None
    bank_reference: str
    partner_reference: str
    source: str
    detail: str
    owner_org_id: int
    owner_id: int | None
    resolution: str
    cause_gone_at: datetime | None
    created_at: datetime


class CaseDetailOut(CaseOut):
    notes: list[CaseNoteOut]


class NoteIn(Schema):
    text: str


class CloseIn(Schema):
    status: str = Field(description="RESOLVED atau DISMISSED")
    reason: str


class RunIn(Schema):
    day: date = Field(description="Hari (Jakarta) yang direkonsiliasi ulang")
    satker: str = Field("", description="Kode satker (untuk KPPN); kosong: satker sendiri")


class RunOut(Schema):
    satker_id: int
    day: date
    runs: int
    last_run_at: datetime
    statement_lines: int
    movements: int
    ledger_lines: int
    matched: int
    findings: int
    error: str
