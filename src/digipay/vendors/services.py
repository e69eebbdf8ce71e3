"""Vendor use cases: invite, register, edit, upload documents, resubmit, verify or reject,
decide the Suket, suspend and reinstate, bank accounts and their name inquiry.

Each write: one transaction, lock, gate, pure rules, write, audit event. The bank inquiry is
a network call and runs outside any transaction; its outcome is then written in one.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, Province, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.integrations.banks.errors import BankError, BankRejected
from digipay.integrations.banks.gateway import BankGateway
from digipay.vendors import rules
from digipay.vendors.models import (
    Vendor,
    VendorBankAccount,
    VendorDecision,
    VendorDocument,
    VendorInvitation,
)
from digipay.vendors.rules import (
    BankAccountStatus,
    DocumentKind,
    LicenceKind,
    SuketStatus,
    VendorAction,
    VendorStatus,
)

log = logging.getLogger("digipay.vendors")

INVITATION_DAYS = 14

# Apps that keep something derived from a vendor (the catalog's listing and store name) are
# told of every change of status or name inside the same transaction (docs/adr/0011).
VendorListener = Callable[[Vendor], None]
_listeners: list[VendorListener] = []


def on_vendor_changed(listener: VendorListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(vendor: Vendor) -> None:
    for listener in _listeners:
        listener(vendor)


def _lock(vendor: Vendor) -> Vendor:
    return (
        Vendor.objects.select_for_update(of=("self",))
        .select_related("organisation", "partner_satker", "partner_satker__parent")
        .get(pk=vendor.pk)
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _field_error(message: str, name: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": name})


# --- invitation -----------------------------------------------------------------------------


@transaction.atomic
def invite_vendor(
    actor: User, *, satker: Organisation, email: str, business_name: str = ""
) -> tuple[VendorInvitation, str]:
    """A Pejabat Pengadaan invites a vendor's admin by e-mail. Returns the invitation and the
    token of its link (only its hash is stored)."""
    require(actor, "vendor.invite", satker)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise _field_error(_("Alamat e-mail tidak valid."), "email") from exc
    now = clock.now()
    if VendorInvitation.objects.filter(
        satker=satker,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists():
        raise Conflict(_("Undangan untuk e-mail ini masih berlaku."), code="invitation_open")
    token = secrets.token_urlsafe(32)
    invitation = VendorInvitation.objects.create(
        satker=satker,
        invited_by=actor,
        email=email,
        business_name=" ".join(business_name.split()),
        token_hash=_token_hash(token),
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit(actor, "vendor.invited", invitation, after={"satker_id": satker.pk})
    link = f"{settings.DIGIPAY_BASE_URL}/vendor/daftar/{token}/"
    subject = _("Undangan bergabung dengan Digipay")
    body = _(
        "%(satker)s mengundang usaha Anda menjadi penyedia di Digipay, tanpa biaya apa pun.\n\n"
        "Daftar melalui tautan berikut (berlaku %(days)d hari):\n%(link)s\n"
    ) % {"satker": satker.name, "days": INVITATION_DAYS, "link": link}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=False))
    return invitation, token


@transaction.atomic
def revoke_invitation(actor: User, invitation: VendorInvitation) -> VendorInvitation:
    """The inviting satker withdraws an unused invitation: its link stops working."""
    invitation = VendorInvitation.objects.select_for_update().get(pk=invitation.pk)
    require(actor, "vendor.invite", invitation)
    if invitation.accepted_at is not None:
        raise Conflict(_("Undangan ini sudah digunakan."), code="invitation_used")
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        invitation.save(update_fields=["revoked_at"])
        audit(actor, "vendor.invitation_revoked", invitation, after={"revoked": True})
    return invitation


def invitation_for(token: str) -> VendorInvitation:
    """The open invitation behind a link, or a clear refusal."""
    invitation = (
        VendorInvitation.objects.select_related("satker")
        .filter(token_hash=_token_hash(token or ""))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(_("Undangan tidak ditemukan."))
    if invitation.accepted_at is not None:
        raise Conflict(_("Undangan ini sudah digunakan."), code="invitation_used")
    if invitation.expires_at <= clock.now():
        raise Conflict(_("Undangan ini sudah kedaluwarsa."), code="invitation_expired")
    return invitation


# --- registration ---------------------------------------------------------------------------


@dataclass
class Registration:
    """What a vendor declares when it registers (and may later correct, except the NIK)."""

    owner_name: str
    owner_nik: str
    email: str
    phone: str
    password: str
    business_name: str
    legal_form: str
    licence_kind: str
    licence_number: str
    kbli_codes: list[str] | str
    address: str
    province_code: str
    regency: str
    npwp: str
    is_pkp: bool
    umkm_basis: str
    umkm_amount_idr: int
    suket_number: str = ""
    suket_valid_from: date | None = None
    suket_valid_until: date | None = None
    partner_satker_code: str = ""
    invitation_token: str = ""
    documents: dict[str, tuple[str, IO[bytes]]] = field(default_factory=dict)


def _clean_business(values: dict[str, Any]) -> dict[str, Any]:
    """Validate the business fields present in ``values``; return them cleaned."""
    out: dict[str, Any] = {}
    if "business_name" in values:
        name = " ".join(str(values["business_name"] or "").split())
        if len(name) < 3:
            raise _field_error(_("Nama usaha wajib diisi."), "business_name")
        out["business_name"] = name
    if "legal_form" in values:
        if values["legal_form"] not in rules.LegalForm.values:
            raise _field_error(_("Bentuk usaha tidak dikenal."), "legal_form")
        out["legal_form"] = values["legal_form"]
    if "licence_kind" in values or "licence_number" in values:
        kind = values.get("licence_kind")
        number = str(values.get("licence_number") or "").strip()
        if kind not in LicenceKind.values:
            raise _field_error(_("Jenis izin usaha tidak dikenal."), "licence_kind")
        if kind == LicenceKind.NIB:
            nib = rules.clean_nib(number)
            if nib is None:
                raise _field_error(_("NIB harus 13 digit angka."), "licence_number")
            number = nib
        elif len(number) < 3:
            raise _field_error(_("Nomor izin usaha wajib diisi."), "licence_number")
        out["licence_kind"], out["licence_number"] = kind, number
    if "kbli_codes" in values:
        codes = rules.clean_kbli(values["kbli_codes"])
        if codes is None:
            raise _field_error(
                _("Kode KBLI harus 5 digit angka, minimal satu, dipisahkan koma."), "kbli_codes"
            )
        out["kbli_codes"] = codes
    if "address" in values:
        address = " ".join(str(values["address"] or "").split())
        if len(address) < 10:
            raise _field_error(_("Alamat usaha wajib diisi lengkap."), "address")
        out["address"] = address
    if "province_code" in values:
        if not Province.objects.filter(code=values["province_code"]).exists():
            raise _field_error(_("Provinsi tidak dikenal."), "province")
        out["province_id"] = values["province_code"]
    if "regency" in values:
        regency = " ".join(str(values["regency"] or "").split())
        if len(regency) < 3:
            raise _field_error(_("Kabupaten/kota wajib diisi."), "regency")
        out["regency"] = regency
    if "npwp" in values:
        npwp = rules.clean_npwp(str(values["npwp"] or ""))
        if npwp is None:
            raise _field_error(
                _(
                    "NPWP tidak valid: 15 digit dengan digit pemeriksa yang benar, 16 digit "
                    "(NIK atau 0 + 15 digit), atau 15 angka nol bila tidak memiliki NPWP."
                ),
                "npwp",
            )
        out["npwp"] = npwp
    if "is_pkp" in values:
        out["is_pkp"] = bool(values["is_pkp"])
    if out.get("is_pkp") and out.get("npwp") == rules.NO_NPWP:
        raise _field_error(_("Pengusaha Kena Pajak (PKP) wajib memiliki NPWP."), "is_pkp")
    if "umkm_basis" in values or "umkm_amount_idr" in values:
        basis = values.get("umkm_basis")
        amount = values.get("umkm_amount_idr")
        if basis not in rules.UmkmBasis.values:
            raise _field_error(_("Dasar klasifikasi UMKM tidak dikenal."), "umkm_basis")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise _field_error(
                _("Nilai modal atau penjualan harus bilangan bulat rupiah."), "umkm_amount_idr"
            )
        klass = rules.umkm_class(basis=basis, amount_idr=amount)
        if klass is None:
            raise ValidationFailed(
                _(
                    "Digipay diperuntukkan bagi usaha mikro, kecil dan menengah: nilai yang "
                    "dinyatakan melebihi batas usaha menengah (PP 7/2021)."
                ),
                code="large_business",
                details={"field": "umkm_amount_idr"},
            )
        out["umkm_basis"], out["umkm_amount_idr"], out["umkm_class"] = basis, amount, klass
    if any(k in values for k in ("suket_number", "suket_valid_from", "suket_valid_until")):
        number = str(values.get("suket_number") or "").strip()
        start, end = values.get("suket_valid_from"), values.get("suket_valid_until")
        problem = rules.suket_error(number=number, valid_from=start, valid_until=end)
        if problem:
            raise _field_error(problem, "suket_number")
        out["suket_number"], out["suket_valid_from"], out["suket_valid_until"] = number, start, end
        out["suket_status"] = SuketStatus.PENDING if number else SuketStatus.NONE
    if "phone" in values:
        phone = rules.clean_phone(str(values["phone"] or ""))
        if phone is None:
            raise _field_error(_("Nomor telepon tidak valid (contoh: 0812 3456 7890)."), "phone")
        out["phone"] = phone
    return out


def _vendor_code() -> str:
    while True:
        code = "V" + secrets.token_hex(4).upper()
        if not Organisation.objects.filter(kind=OrgKind.VENDOR, code=code).exists():
            return code


@transaction.atomic
def register_vendor(data: Registration, *, organisation_code: str = "") -> Vendor:
    """A vendor registers, by invitation or naming a partner satker. No actor: anyone may
    sign up; nothing is sold before the partner satker verifies the business.

    ``organisation_code`` is for system callers only (the demo data's fixed codes); a vendor
    signing up gets a random code."""
    invitation: VendorInvitation | None = None
    if data.invitation_token:
        invitation = invitation_for(data.invitation_token)
        invitation = VendorInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise Conflict(_("Undangan ini sudah digunakan."), code="invitation_used")
        partner = invitation.satker
    else:
        code = (data.partner_satker_code or "").strip()
        found = Organisation.objects.filter(kind=OrgKind.SATKER, code=code, is_active=True).first()
        if found is None:
            raise _field_error(
                _("Satker mitra dengan kode %(code)s tidak ditemukan.") % {"code": code},
                "partner_satker_code",
            )
        partner = found
    nik = rules.clean_nik(data.owner_nik)
    if nik is None:
        raise _field_error(
            _("NIK tidak valid: harus 16 digit dengan kode wilayah dan tanggal lahir yang benar."),
            "owner_nik",
        )
    owner_name = " ".join((data.owner_name or "").split())
    if len(owner_name) < 3:
        raise _field_error(_("Nama pemilik wajib diisi."), "owner_name")
    cleaned = _clean_business(
        {
            "business_name": data.business_name,
            "legal_form": data.legal_form,
            "licence_kind": data.licence_kind,
            "licence_number": data.licence_number,
            "kbli_codes": data.kbli_codes,
            "address": data.address,
            "province_code": data.province_code,
            "regency": data.regency,
            "npwp": data.npwp,
            "is_pkp": data.is_pkp,
            "umkm_basis": data.umkm_basis,
            "umkm_amount_idr": data.umkm_amount_idr,
            "suket_number": data.suket_number,
            "suket_valid_from": data.suket_valid_from,
            "suket_valid_until": data.suket_valid_until,
            "phone": data.phone,
        }
    )
    key = accounts.person_key(nik)
    if Vendor.objects.filter(owner_person_key=key).exists():
        raise ValidationFailed(
            _("Pemilik dengan NIK ini sudah mendaftarkan usaha di Digipay."),
            code="owner_registered",
            details={"field": "owner_nik"},
        )
    for kind, (name, stream) in data.documents.items():
        _check_document(kind, name, stream)  # refuse a bad file before writing anything
    org = accounts.register_organisation(
        None,
        kind=OrgKind.VENDOR,
        code=organisation_code or _vendor_code(),
        name=cleaned["business_name"],
        province_code=cleaned["province_id"],
        regency=cleaned["regency"],
        address=cleaned["address"],
    )
    admin, _pw = accounts.register_vendor_admin(
        vendor=org, email=data.email, full_name=owner_name, nik=nik, password=data.password
    )
    try:
        with transaction.atomic():
            vendor = Vendor.objects.create(
                organisation=org,
                partner_satker=partner,
                status=VendorStatus.PENDING,
                owner_name=owner_name,
                owner_person_key=key,
                owner_nik_last4=nik[-4:],
                email=admin.email,
                submitted_at=clock.now(),
                invited_by=invitation.invited_by if invitation else None,
                **cleaned,
            )
    except IntegrityError as exc:
        raise Conflict(_("Pemilik dengan NIK ini baru saja mendaftar.")) from exc
    for kind, (name, stream) in data.documents.items():
        _store_document(admin, vendor, kind, name, stream)
    if invitation is not None:
        invitation.accepted_at = clock.now()
        invitation.vendor = vendor
        invitation.save(update_fields=["accepted_at", "vendor"])
    audit(None, "vendor.registered", vendor, after=vendor.audit_state())
    _notify(vendor)
    return vendor


# --- profile and documents --------------------------------------------------------------------


@transaction.atomic
def update_vendor(actor: User, vendor: Vendor, **changes: Any) -> Vendor:
    """The vendor admin corrects its data. The NIK identifies the owner and cannot change (the
    flow for a mistyped NIK is a new registration). Changing identity data of a verified vendor
    sends it back to verification; a new Suket waits for the partner's check."""
    vendor = _lock(vendor)
    require(actor, "vendor.edit", vendor)
    if {"owner_nik", "nik"} & changes.keys():
        raise ValidationFailed(
            _("NIK tidak dapat diubah setelah pendaftaran; daftarkan ulang bila NIK keliru."),
            code="nik_immutable",
            details={"field": "owner_nik"},
        )
    allowed = {
        "business_name",
        "legal_form",
        "licence_kind",
        "licence_number",
        "kbli_codes",
        "address",
        "province_code",
        "regency",
        "npwp",
        "is_pkp",
        "umkm_basis",
        "umkm_amount_idr",
        "suket_number",
        "suket_valid_from",
        "suket_valid_until",
        "phone",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            _("Kolom tidak dapat diubah: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "licence_number" in changes and "licence_kind" not in changes:
        changes["licence_kind"] = vendor.licence_kind
    if "umkm_amount_idr" in changes and "umkm_basis" not in changes:
        changes["umkm_basis"] = vendor.umkm_basis
    if "umkm_basis" in changes and "umkm_amount_idr" not in changes:
        changes["umkm_amount_idr"] = vendor.umkm_amount_idr
    if "is_pkp" in changes and "npwp" not in changes:
        changes["npwp"] = vendor.npwp
    for suket_field in rules.SUKET_FIELDS:
        if any(f in changes for f in rules.SUKET_FIELDS) and suket_field not in changes:
            changes[suket_field] = getattr(vendor, suket_field)
    cleaned = _clean_business(changes)
    before = vendor.audit_state()
    changed = {k for k, v in cleaned.items() if getattr(vendor, k) != v}
    if "suket_status" in cleaned and not (changed & rules.SUKET_FIELDS):
        cleaned.pop("suket_status")  # the same Suket again keeps its verification
    changed.discard("suket_status")
    if not changed:
        return vendor
    for name, value in cleaned.items():
        setattr(vendor, name, value)
    if "business_name" in changed:
        Organisation.objects.filter(pk=vendor.organisation_id).update(name=vendor.business_name)
    identity_changed = bool(changed & rules.IDENTITY_FIELDS)
    if (
        identity_changed
        and vendor.status == VendorStatus.SUSPENDED
        and vendor.status_before_suspension == VendorStatus.VERIFIED
    ):
        # Lifting the suspension must not turn unchecked identity data into verified data.
        vendor.status_before_suspension = VendorStatus.PENDING
    if identity_changed and vendor.status == VendorStatus.VERIFIED:
        _transition(
            actor,
            vendor,
            VendorAction.REVERIFY,
            _("Data identitas usaha diubah: %(fields)s") % {"fields": ", ".join(sorted(changed))},
        )
    vendor.save()
    audit(actor, "vendor.updated", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


def _read_head(stream: IO[bytes]) -> tuple[bytes, int]:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    return head, size


def _check_document(kind: str, name: str, stream: IO[bytes]) -> str:
    if kind not in DocumentKind.values:
        raise _field_error(_("Jenis dokumen tidak dikenal."), "kind")
    head, size = _read_head(stream)
    content_type, problem = rules.document_type(head, size)
    if problem or content_type is None:
        raise _field_error(problem or _("Berkas tidak valid."), kind.lower())
    return content_type


def _store_document(
    actor: User, vendor: Vendor, kind: str, name: str, stream: IO[bytes]
) -> VendorDocument:
    content_type = _check_document(kind, name, stream)
    data = stream.read()
    VendorDocument.objects.filter(vendor=vendor, kind=kind, is_current=True).update(
        is_current=False
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    document = VendorDocument(
        vendor=vendor,
        kind=kind,
        original_name=(name or "dokumen")[-200:],
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    # A random file name: the original name may carry personal data.
    document.file.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(data), save=False)
    document.save()
    audit(
        actor,
        "vendor.document_uploaded",
        vendor,
        after={"kind": kind, "sha256": document.sha256, "size_bytes": document.size_bytes},
    )
    return document


@transaction.atomic
def upload_document(
    actor: User, vendor: Vendor, *, kind: str, name: str, stream: IO[bytes]
) -> VendorDocument:
    """Replace the vendor's licence or Suket file. A new Suket file waits for verification."""
    vendor = _lock(vendor)
    require(actor, "vendor.edit", vendor)
    document = _store_document(actor, vendor, kind, name, stream)
    if kind == DocumentKind.SUKET and vendor.suket_number:
        vendor.suket_status = SuketStatus.PENDING
        vendor.save(update_fields=["suket_status", "updated_at"])
    if kind == DocumentKind.LICENCE:
        if vendor.status == VendorStatus.VERIFIED:
            _transition(actor, vendor, VendorAction.REVERIFY, _("Dokumen izin usaha diganti."))
            vendor.save()
            _notify(vendor)
        elif vendor.status_before_suspension == VendorStatus.VERIFIED:
            vendor.status_before_suspension = VendorStatus.PENDING
            vendor.save(update_fields=["status_before_suspension", "updated_at"])
    return document


# --- verification ---------------------------------------------------------------------------


def _transition(actor: User | None, vendor: Vendor, action: str, reasons: str = "") -> None:
    target = rules.next_status(
        vendor.status, action, before_suspension=vendor.status_before_suspension
    )
    if target is None:
        raise Conflict(
            _("Tindakan '%(action)s' tidak dapat dilakukan pada vendor berstatus %(status)s.")
            % {
                "action": rules.VendorAction(action).label,
                "status": VendorStatus(vendor.status).label,
            },
            code="invalid_transition",
        )
    VendorDecision.objects.create(
        vendor=vendor,
        action=action,
        from_status=vendor.status,
        to_status=target,
        reasons=reasons,
        actor=actor,
        at=clock.now(),
    )
    if action == VendorAction.SUSPEND:
        vendor.status_before_suspension = vendor.status
    elif action == VendorAction.REINSTATE:
        vendor.status_before_suspension = ""
    vendor.status = target


def _missing_documents(vendor: Vendor) -> list[str]:
    kinds = set(
        VendorDocument.objects.filter(vendor=vendor, is_current=True).values_list("kind", flat=True)
    )
    missing = []
    if vendor.licence_kind != LicenceKind.NIB and DocumentKind.LICENCE not in kinds:
        missing.append(str(DocumentKind.LICENCE.label))
    if vendor.suket_number and DocumentKind.SUKET not in kinds:
        missing.append(str(DocumentKind.SUKET.label))
    return missing


@transaction.atomic
def resubmit_vendor(actor: User, vendor: Vendor) -> Vendor:
    """After a rejection, the vendor admin sends its corrected data back for verification."""
    vendor = _lock(vendor)
    require(actor, "vendor.edit", vendor)
    before = vendor.audit_state()
    _transition(actor, vendor, VendorAction.RESUBMIT)
    vendor.submitted_at = clock.now()
    if vendor.suket_number and vendor.suket_status == SuketStatus.REJECTED:
        vendor.suket_status = SuketStatus.PENDING
    vendor.save()
    audit(actor, "vendor.resubmitted", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


@transaction.atomic
def verify_vendor(
    actor: User, vendor: Vendor, *, accept_suket: bool = True, suket_reasons: str = ""
) -> Vendor:
    """The partner satker's Pejabat Pengadaan or PPK verifies the business (and the Suket,
    which may be refused on its own: the vendor then sells under the normal PPh rates)."""
    vendor = _lock(vendor)
    require(actor, "vendor.verify", vendor.partner_view())
    missing = _missing_documents(vendor)
    if vendor.suket_number and not accept_suket:
        missing = [m for m in missing if m != str(DocumentKind.SUKET.label)]
    if missing:
        raise ValidationFailed(
            _("Dokumen belum lengkap: %(docs)s") % {"docs": ", ".join(missing)},
            code="documents_missing",
        )
    before = vendor.audit_state()
    _transition(actor, vendor, VendorAction.VERIFY)
    if vendor.suket_number and vendor.suket_status == SuketStatus.PENDING:
        if not accept_suket and (problem := rules.reasons_error(suket_reasons)):
            raise _field_error(problem, "suket_reasons")
        vendor.suket_status = SuketStatus.VERIFIED if accept_suket else SuketStatus.REJECTED
    vendor.rejection_reasons = "" if accept_suket else suket_reasons.strip()
    vendor.verified_at = clock.now()
    vendor.verified_by = actor
    vendor.save()
    audit(actor, "vendor.verified", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


@transaction.atomic
def reject_vendor(actor: User, vendor: Vendor, *, reasons: str) -> Vendor:
    vendor = _lock(vendor)
    require(actor, "vendor.verify", vendor.partner_view())
    if problem := rules.reasons_error(reasons):
        raise _field_error(problem, "reasons")
    before = vendor.audit_state()
    _transition(actor, vendor, VendorAction.REJECT, reasons.strip())
    vendor.rejection_reasons = reasons.strip()
    vendor.save()
    audit(actor, "vendor.rejected", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


@transaction.atomic
def decide_suket(actor: User, vendor: Vendor, *, accept: bool, reasons: str = "") -> Vendor:
    """A verified vendor's new or renewed Suket PPh Final, checked by the partner satker."""
    vendor = _lock(vendor)
    require(actor, "vendor.verify", vendor.partner_view())
    if vendor.suket_status != SuketStatus.PENDING:
        raise Conflict(_("Tidak ada Suket PPh Final yang menunggu verifikasi."))
    if accept and DocumentKind.SUKET not in set(
        VendorDocument.objects.filter(vendor=vendor, is_current=True).values_list("kind", flat=True)
    ):
        raise ValidationFailed(
            _("Berkas Suket PPh Final belum diunggah."), code="documents_missing"
        )
    if not accept and (problem := rules.reasons_error(reasons)):
        raise _field_error(problem, "reasons")
    before = vendor.audit_state()
    vendor.suket_status = SuketStatus.VERIFIED if accept else SuketStatus.REJECTED
    vendor.save(update_fields=["suket_status", "updated_at"])
    audit(
        actor,
        "vendor.suket_verified" if accept else "vendor.suket_rejected",
        vendor,
        before=before,
        after={**vendor.audit_state(), "reasons": reasons.strip()},
    )
    return vendor


@transaction.atomic
def suspend_vendor(actor: User, vendor: Vendor, *, reason: str) -> Vendor:
    """The KPPN paying the partner satker (or DJPb) suspends a vendor: its products leave the
    catalog at once and it can receive no orders."""
    vendor = _lock(vendor)
    require(actor, "vendor.suspend", vendor.partner_view())
    if problem := rules.reasons_error(reason):
        raise _field_error(problem, "reason")
    before = vendor.audit_state()
    _transition(actor, vendor, VendorAction.SUSPEND, reason.strip())
    vendor.suspension_reason = reason.strip()
    vendor.save()
    audit(actor, "vendor.suspended", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


@transaction.atomic
def reinstate_vendor(actor: User, vendor: Vendor, *, reason: str) -> Vendor:
    vendor = _lock(vendor)
    require(actor, "vendor.suspend", vendor.partner_view())
    if problem := rules.reasons_error(reason):
        raise _field_error(problem, "reason")
    before = vendor.audit_state()
    _transition(actor, vendor, VendorAction.REINSTATE, reason.strip())
    vendor.suspension_reason = ""
    vendor.save()
    audit(actor, "vendor.reinstated", vendor, before=before, after=vendor.audit_state())
    _notify(vendor)
    return vendor


# --- Suket reminders ------------------------------------------------------------------------


def send_suket_reminders(*, today: date | None = None) -> int:
    """E-mail each verified vendor whose Suket ends within 30 days, once per Suket."""
    from digipay.vendors import queries

    today = today or clock.today_jakarta()
    sent = 0
    for vendor in queries.suket_expiring(on=today):
        with transaction.atomic():
            locked = _lock(vendor)
            if locked.suket_reminded_for == locked.suket_valid_until:
                continue
            locked.suket_reminded_for = locked.suket_valid_until
            locked.save(update_fields=["suket_reminded_for", "updated_at"])
            audit(
                None,
                "vendor.suket_reminded",
                locked,
                after={"until": str(locked.suket_valid_until)},
            )
            subject = _("Suket PPh Final Anda segera berakhir")
            body = _(
                "Suket PPh Final %(number)s untuk %(name)s berakhir pada %(until)s. Setelah "
                "tanggal itu, pembayaran dikenai PPh 22/23 tarif normal. Unggah Suket yang "
                "baru di Digipay."
            ) % {
                "number": locked.suket_number,
                "name": locked.business_name,
                "until": locked.suket_valid_until,
            }
            transaction.on_commit(_mailer(subject, body, locked.email))
            sent += 1
    return sent


def remind_suket_expiry(now: datetime) -> int:
    """The worker's daily job (``vendors.suket_reminders``)."""
    return send_suket_reminders(today=now.astimezone(clock.JAKARTA).date())


def _mailer(subject: str, body: str, to: str) -> Callable[[], None]:
    def send() -> None:
        send_mail(subject, body, None, [to])

    return send


# --- bank accounts ----------------------------------------------------------------------------


def inquiry_gateway(bank_code: str) -> BankGateway:
    """The gateway that asks for an account's name: the account's own bank when Digipay has a
    profile for it, else the configured inquiry bank (an interbank inquiry)."""
    from digipay.integrations.banks import registry

    if registry.profile(bank_code) is not None:
        return registry.gateway_for(bank_code)
    return registry.gateway_for(settings.DIGIPAY_INQUIRY_BANK)


def _check_holder(vendor: Vendor, holder_name: str) -> None:
    """Payments go to the vendor's own account: the holder is the business or its owner."""
    if not rules.holder_is_vendor(
        holder_name, business_name=vendor.business_name, owner_name=vendor.owner_name
    ):
        raise ValidationFailed(
            _("Pemilik rekening harus nama usaha (%(business)s) atau nama pemiliknya (%(owner)s).")
            % {"business": vendor.business_name, "owner": vendor.owner_name},
            code="holder_not_vendor",
            details={"field": "holder_name"},
        )


@transaction.atomic
def add_bank_account(
    actor: User,
    vendor: Vendor,
    *,
    bank_code: str,
    account_no: str,
    holder_name: str,
    primary: bool = False,
) -> VendorBankAccount:
    """Record an account; it stays unusable until ``check_bank_account`` confirms the name."""
    vendor = _lock(vendor)
    require(actor, "vendor.edit", vendor)
    bank_code, account_no = (bank_code or "").strip(), (account_no or "").replace(" ", "")
    holder_name = " ".join((holder_name or "").split())
    if problem := rules.bank_account_error(
        bank_code=bank_code, account_no=account_no, holder_name=holder_name
    ):
        raise ValidationFailed(problem, details={"field": "account_no"})
    live = VendorBankAccount.objects.filter(vendor=vendor, removed_at__isnull=True)
    if live.filter(bank_code=bank_code, account_no=account_no).exists():
        raise ValidationFailed(_("Rekening ini sudah terdaftar."), details={"field": "account_no"})
    _check_holder(vendor, holder_name)
    has_primary = live.filter(is_primary=True).exists()
    # A new account becomes primary at once only when there is none; otherwise only once the
    # bank confirmed its name (payments never move to an unchecked account).
    account = VendorBankAccount.objects.create(
        vendor=vendor,
        bank_code=bank_code,
        account_no=account_no,
        holder_name=holder_name,
        is_primary=not has_primary,
        promote_when_verified=primary and has_primary,
    )
    primary = account.is_primary
    audit(
        actor,
        "vendor.bank_account_added",
        account,
        after={"bank_code": bank_code, "account_no": rules.mask(account_no), "primary": primary},
    )
    return account


def check_bank_account(
    actor: User | None, account: VendorBankAccount, *, gateway: BankGateway | None = None
) -> VendorBankAccount:
    """Ask the bank for the account's name and compare it with the declared holder. A mismatch
    blocks the account until the vendor corrects the name or removes it."""
    if actor is not None:
        require(actor, "vendor.edit", account)
    if account.removed_at is not None:
        raise Conflict(_("Rekening ini sudah dihapus."))
    external_id = f"{clock.now():%H%M%S}{secrets.randbelow(10**9):09d}"
    bank_name, message = "", ""
    try:
        gateway = gateway or inquiry_gateway(account.bank_code)
        info = gateway.account_inquiry(
            account_no=account.account_no, bank_code=account.bank_code, external_id=external_id
        )
        bank_name = info.account_name
        status = (
            BankAccountStatus.VERIFIED
            if rules.names_match(account.holder_name, bank_name)
            else BankAccountStatus.MISMATCH
        )
    except BankRejected as exc:
        status, message = BankAccountStatus.NOT_FOUND, str(exc)[:200]
    except (BankError, LookupError) as exc:
        log.warning("account inquiry failed account=%s: %s", account.pk, type(exc).__name__)
        status, message = BankAccountStatus.CHECK_FAILED, str(exc)[:200]
    with transaction.atomic():
        locked = VendorBankAccount.objects.select_for_update().get(pk=account.pk)
        if locked.holder_name != account.holder_name or locked.removed_at is not None:
            raise Conflict(_("Rekening berubah selama pengecekan; cek ulang."))
        before = {"status": locked.status}
        locked.status = status
        locked.bank_name_returned = bank_name[:150]
        locked.check_message = message
        locked.checked_at = clock.now()
        if status == BankAccountStatus.VERIFIED and locked.promote_when_verified:
            VendorBankAccount.objects.filter(
                vendor_id=locked.vendor_id, removed_at__isnull=True, is_primary=True
            ).update(is_primary=False)
            locked.is_primary, locked.promote_when_verified = True, False
        locked.save()
        audit(
            actor,
            "vendor.bank_account_checked",
            locked,
            before=before,
            after={"status": status},
        )
    return locked


@transaction.atomic
def correct_holder_name(
    actor: User, account: VendorBankAccount, *, holder_name: str
) -> VendorBankAccount:
    """Resolve a mismatch by correcting the declared name; the account must be checked again."""
    account = (
        VendorBankAccount.objects.select_for_update().select_related("vendor").get(pk=account.pk)
    )
    require(actor, "vendor.edit", account)
    holder_name = " ".join((holder_name or "").split())
    if problem := rules.bank_account_error(
        bank_code=account.bank_code, account_no=account.account_no, holder_name=holder_name
    ):
        raise _field_error(problem, "holder_name")
    _check_holder(account.vendor, holder_name)
    before = {"holder_name": account.holder_name, "status": account.status}
    account.holder_name = holder_name
    account.status = BankAccountStatus.UNCHECKED
    account.bank_name_returned = ""
    account.save()
    audit(
        actor,
        "vendor.bank_account_corrected",
        account,
        before=before,
        after={"status": account.status},
    )
    return account


@transaction.atomic
def remove_bank_account(actor: User, account: VendorBankAccount) -> None:
    account = (
        VendorBankAccount.objects.select_for_update().select_related("vendor").get(pk=account.pk)
    )
    require(actor, "vendor.edit", account)
    if account.removed_at is not None:
        return
    account.removed_at = clock.now()
    was_primary = account.is_primary
    account.is_primary = False
    account.save()
    if was_primary:
        successor = (
            VendorBankAccount.objects.filter(vendor=account.vendor, removed_at__isnull=True)
            .order_by("-status", "id")
            .first()
        )
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
    audit(actor, "vendor.bank_account_removed", account, after={"removed": True})


@transaction.atomic
def set_primary_account(actor: User, account: VendorBankAccount) -> VendorBankAccount:
    account = (
        VendorBankAccount.objects.select_for_update().select_related("vendor").get(pk=account.pk)
    )
    require(actor, "vendor.edit", account)
    if not account.usable:
        raise ValidationFailed(
            _("Hanya rekening yang namanya sudah sesuai dapat menjadi rekening utama.")
        )
    VendorBankAccount.objects.filter(
        vendor=account.vendor, removed_at__isnull=True, is_primary=True
    ).update(is_primary=False)
    account.is_primary = True
    account.save(update_fields=["is_primary"])
    audit(actor, "vendor.bank_account_primary", account, after={"primary": True})
    return account


def require_seller(vendor: Vendor) -> None:
    """Refuse when the vendor may not publish products or receive orders."""
    if not vendor.can_sell:
        raise PermissionDenied(
            _("Hanya vendor terverifikasi dan aktif yang dapat menjual (status: %(status)s).")
            % {"status": VendorStatus(vendor.status).label},
            code="vendor_not_verified",
        )
