"""API schemas of accounts (Pydantic, via django-ninja)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    email: str
    password: str
    otp: str | None = Field(default=None, description="Kode TOTP 6 digit (wajib untuk peran 2FA)")


class TokenOut(Schema):
    token: str
    token_id: int
    expires_at: datetime


class OrganisationOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    parent_id: int | None
    province_id: str | None
    regency: str
    ministry_code: str
    is_active: bool


class OrganisationIn(Schema):
    kind: str = Field(description="KANWIL, KPPN, SATKER, BANK atau AUDIT_BODY")
    code: str
    name: str
    parent_id: int | None = None
    province_code: str | None = None
    regency: str = ""
    ministry_code: str = ""
    address: str = ""


class AuditorGrantIn(Schema):
    auditor_id: int
    organisation_id: int
    valid_until: date


class AuditorGrantOut(Schema):
    id: int
    auditor_id: int
    organisation_id: int
    valid_until: date


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    organisation_id: int
    role: str
    is_active: bool
    nik_last4: str
    date_joined: datetime


class MeOut(UserOut):
    effective_roles: list[str]
    two_factor_required: bool


class UserCreateIn(Schema):
    organisation_id: int
    email: str
    full_name: str
    nik: str = Field(description="NIK 16 digit; disimpan hanya sebagai hash berkunci")
    role: str


class UserCreatedOut(Schema):
    user: UserOut
    initial_password: str = Field(description="Sandi sekali pakai; wajib diganti saat masuk")


class RoleIn(Schema):
    role: str


class DisableIn(Schema):
    reason: str


class SatkerAdminIn(Schema):
    satker_id: int
    email: str
    full_name: str
    nik: str
    letter_number: str
    letter_date: date


class DelegationIn(Schema):
    delegate_id: int
    role: str
    valid_from: datetime
    valid_until: datetime
    reason: str


class DelegationOut(Schema):
    id: int
    organisation_id: int
    delegate_id: int
    role: str
    valid_from: datetime
    valid_until: datetime
    reason: str
    revoked_at: datetime | None


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, object]
