from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class HeldInvoiceOut(Schema):
    number: str
    refunded_idr: int = Field(description="Pengembalian dana yang sudah diterima")
    waiting: bool = Field(description="Masih menunggu pengembalian dana dari vendor")
    reason: str


class ReadinessOut(Schema):
    up_tunai_idr: int = Field(description="UP Tunai diberikan tahun ini")
    spent_idr: int = Field(
        description="Bruto tagihan terbayar (dikurangi pengembalian dana) yang dapat diajukan GUP"
    )
    in_progress_idr: int = Field(description="Bruto tagihan di SPM yang belum dikreditkan")
    threshold: str = Field(description="Ambang GUP (kebijakan), mis. 1/2")
    threshold_idr: int
    ready: bool
    invoices: int
    held: list[HeldInvoiceOut] = Field(
        default_factory=list, description="Tagihan terbayar yang tertahan oleh pengembalian dana"
    )


class SpmOut(Schema):
    id: int
    kind: str
    number: str
    satker_code: str
    kppn_code: str
    fiscal_year: int
    spm_date: date
    amount_idr: int
    tax_total_idr: int
    state: str
    reason: str
    span_id: str
    sp2d_number: str
    sp2d_date: date | None
    tup_due_date: date | None
    credit_status: str
    bank_reference: str
    credited_at: datetime | None
    rejection_reason: str
    last_error: str
    restored: bool

    # The list endpoints give model rows, the detail endpoints dicts: both resolve.
    @staticmethod
    def resolve_satker_code(obj: object) -> str:
        return str(obj["satker_code"] if isinstance(obj, dict) else obj.satker.code)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_kppn_code(obj: object) -> str:
        return str(obj["kppn_code"] if isinstance(obj, dict) else obj.kppn.code)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_restored(obj: object) -> bool:
        if isinstance(obj, dict):
            return bool(obj["restored"])
        return getattr(obj, "ledger_entry_id", None) is not None


class SpmLineOut(Schema):
    number: str
    vendor_name: str
    npwp: str
    akun: str
    gross_idr: int
    taxes: dict[str, int]
    net_idr: int
    active: bool


class SpmCardBillOut(Schema):
    card_bill_id: int
    card_last4: str
    billing_month: date
    total_idr: int
    active: bool


class SpmDetailOut(SpmOut):
    lines: list[SpmLineOut]
    card_bills: list[SpmCardBillOut]


class DraftIn(Schema):
    kind: str = Field(description="GUP, GUP_KKP, TUP atau PTUP")
    payment_invoice_ids: list[int] | None = Field(
        default=None, description="GUP/PTUP: baris pembayaran yang dicantumkan (bawaan: semua)"
    )
    card_bill_ids: list[int] | None = Field(
        default=None, description="GUP_KKP: tagihan KKP lunas yang dicantumkan (bawaan: semua)"
    )
    amount_idr: int | None = Field(default=None, description="TUP: besaran yang diminta")
    reason: str = Field(default="", description="TUP: kebutuhan mendesak")
    tup_id: int | None = Field(default=None, description="PTUP: TUP yang dipertanggungjawabkan")


class SignIn(Schema):
    otp: str = Field(description="Kode TOTP PPSPM saat ini")


class ReasonIn(Schema):
    reason: str


class SanctionOut(Schema):
    id: int
    satker_code: str
    level: str
    since: date
    months: int
    up_amount_idr: int
    cut_amount_idr: int
    detected_on: date
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_satker_code(obj: object) -> str:
        return str(obj["satker_code"] if isinstance(obj, dict) else obj.satker.code)  # type: ignore[attr-defined]


class DecideCutIn(Schema):
    note: str
