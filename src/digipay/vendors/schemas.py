"""API schemas of vendors (amounts in whole rupiah, dates ISO 8601). Personal numbers leave
masked: the NIK never (only its last four digits), bank accounts with their last four."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from digipay.core import clock
from digipay.vendors.rules import BankAccountStatus, VendorStatus


class InvitationIn(Schema):
    email: str
    business_name: str = ""


class InvitationOut(Schema):
    id: int
    email: str
    business_name: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    vendor_id: int | None


class InvitationCreatedOut(InvitationOut):
    link: str = Field(description="Tautan pendaftaran (juga dikirim melalui e-mail)")


class RegistrationIn(Schema):
    owner_name: str
    owner_nik: str = Field(description="NIK pemilik, 16 digit; tidak dapat diubah kemudian")
    email: str
    phone: str
    password: str
    business_name: str
    legal_form: str
    licence_kind: str = Field(description="NIB, SIUP atau SKU_DESA")
    licence_number: str
    kbli_codes: list[str]
    address: str
    province_code: str
    regency: str
    npwp: str = Field(description="15 atau 16 digit; 15 angka nol bila tidak memiliki NPWP")
    is_pkp: bool = False
    umkm_basis: str = Field(description="CAPITAL (usaha baru) atau SALES (penjualan tahunan)")
    umkm_amount_idr: int
    suket_number: str = ""
    suket_valid_from: date | None = None
    suket_valid_until: date | None = None
    partner_satker_code: str = ""
    invitation_token: str = ""


class VendorUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    business_name: str | None = None
    legal_form: str | None = None
    licence_kind: str | None = None
    licence_number: str | None = None
    kbli_codes: list[str] | None = None
    address: str | None = None
    province_code: str | None = None
    regency: str | None = None
    npwp: str | None = None
    is_pkp: bool | None = None
    umkm_basis: str | None = None
    umkm_amount_idr: int | None = None
    suket_number: str | None = None
    suket_valid_from: date | None = None
    suket_valid_until: date | None = None
    phone: str | None = None
    owner_nik: str | None = Field(default=None, description="Tidak dapat diubah (ditolak)")


class VendorOut(Schema):
    id: int
    organisation_id: int
    code: str
    business_name: str
    status: str
    status_label: str
    legal_form: str
    licence_kind: str
    licence_number: str
    kbli_codes: list[str]
    province_code: str
    province_name: str
    regency: str
    umkm_class: str
    is_pkp: bool
    has_npwp: bool
    npwp_masked: str
    owner_name: str
    owner_nik_last4: str
    email: str
    phone: str
    partner_satker_id: int
    partner_satker_name: str
    suket_number: str
    suket_valid_from: date | None
    suket_valid_until: date | None
    suket_status: str
    suket_state: str
    rejection_reasons: str
    suspension_reason: str
    submitted_at: datetime
    verified_at: datetime | None
    can_sell: bool

    @staticmethod
    def resolve_code(obj: Any) -> str:
        return str(obj.organisation.code)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(VendorStatus(obj.status).label)

    @staticmethod
    def resolve_province_code(obj: Any) -> str:
        return str(obj.province_id)

    @staticmethod
    def resolve_province_name(obj: Any) -> str:
        return str(obj.province.name)

    @staticmethod
    def resolve_npwp_masked(obj: Any) -> str:
        return f"…{obj.npwp[-4:]}" if obj.has_npwp else ""

    @staticmethod
    def resolve_partner_satker_name(obj: Any) -> str:
        return str(obj.partner_satker.name)

    @staticmethod
    def resolve_suket_state(obj: Any) -> str:
        return str(obj.suket_state(clock.today_jakarta()))


class ReasonIn(Schema):
    reasons: str


class VerifyIn(Schema):
    accept_suket: bool = True
    suket_reasons: str = ""


class SuketDecisionIn(Schema):
    accept: bool
    reasons: str = ""


class DecisionOut(Schema):
    action: str
    from_status: str
    to_status: str
    reasons: str
    actor_id: int | None
    at: datetime


class DocumentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class BankAccountIn(Schema):
    bank_code: str
    account_no: str
    holder_name: str
    primary: bool = False


class HolderNameIn(Schema):
    holder_name: str


class BankAccountOut(Schema):
    id: int
    bank_code: str
    account_no_masked: str
    holder_name: str
    status: str
    status_label: str
    bank_name_returned: str
    check_message: str
    checked_at: datetime | None
    is_primary: bool
    usable: bool

    @staticmethod
    def resolve_account_no_masked(obj: Any) -> str:
        return str(obj.masked_account_no)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(BankAccountStatus(obj.status).label)
