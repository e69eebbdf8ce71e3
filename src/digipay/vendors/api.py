"""HTTP API of vendors: invitations, registration, profile, documents, verification,
suspension, bank accounts. Thin: parse, call the service or query, shape the answer."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.accounts.models import Organisation
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.core import clock
from digipay.core.errors import NotFound, ValidationFailed
from digipay.vendors import queries, services
from digipay.vendors.models import Vendor, VendorBankAccount, VendorInvitation
from digipay.vendors.schemas import (
    BankAccountIn,
    BankAccountOut,
    DecisionOut,
    DocumentOut,
    HolderNameIn,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    ReasonIn,
    RegistrationIn,
    SuketDecisionIn,
    VendorOut,
    VendorUpdateIn,
    VerifyIn,
)


def _stream(upload: UploadedFile) -> IO[bytes]:
    if upload.file is None:
        raise ValidationFailed(_("Berkas tidak terkirim."), details={"field": "file"})
    return upload.file


router = Router(tags=["vendors"])


def vendor_out(v: Vendor) -> Vendor:
    """The vendor as its schema shows it (computed fields are resolved by ``VendorOut``)."""
    return v


def visible_vendor(request: HttpRequest, vendor_id: int) -> Vendor:
    return queries.visible_vendor(actor_of(request), vendor_id)


def _account(request: HttpRequest, vendor_id: int, account_id: int) -> VendorBankAccount:
    vendor = visible_vendor(request, vendor_id)
    account = queries.bank_accounts(vendor).filter(pk=account_id).select_related("vendor").first()
    if account is None:
        raise NotFound(_("Data tidak ditemukan."))
    return account


# --- invitations and registration -------------------------------------------------------------


@router.post("/vendors/invitations", response={201: InvitationCreatedOut})
def invite(request: HttpRequest, payload: InvitationIn) -> Status[Any]:
    actor = actor_of(request)
    satker = Organisation.objects.get(pk=actor.organisation_id)
    if satker.kind != OrgKind.SATKER:
        raise NotFound(_("Data tidak ditemukan."))
    invitation, token = services.invite_vendor(
        actor, satker=satker, email=payload.email, business_name=payload.business_name
    )
    out = _invitation_out(invitation)
    out["link"] = f"{settings.DIGIPAY_BASE_URL}/vendor/daftar/{token}/"
    return Status(201, out)


def _invitation_out(i: VendorInvitation) -> Any:
    return {
        "id": i.pk,
        "email": i.email,
        "business_name": i.business_name,
        "created_at": i.created_at,
        "expires_at": i.expires_at,
        "accepted_at": i.accepted_at,
        "vendor_id": i.vendor_id,
    }


@router.get("/vendors/invitations", response=list[InvitationOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def invitations(request: HttpRequest) -> Any:
    actor = actor_of(request)
    require(actor, "vendor.invite", Organisation.objects.get(pk=actor.organisation_id))
    return queries.invitations_of(actor)


@router.post("/vendors/invitations/{invitation_id}/revoke", response=InvitationOut)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> Any:
    actor = actor_of(request)
    invitation = queries.invitations_of(actor).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("Data tidak ditemukan."))
    return _invitation_out(services.revoke_invitation(actor, invitation))


@router.post("/vendors/register", auth=None, response={201: VendorOut})
def register(request: HttpRequest, payload: RegistrationIn) -> Status[Any]:
    """Self-registration (naming a partner satker) or by invitation token. Documents are
    uploaded afterwards by the vendor admin (``POST /vendors/{id}/documents/{kind}``)."""
    data = services.Registration(**payload.dict())
    vendor = services.register_vendor(data)
    vendor = queries.visible_vendors_all().get(pk=vendor.pk)
    return Status(201, vendor_out(vendor))


# --- registry and profile --------------------------------------------------------------------


@router.get("/vendors", response=list[VendorOut])
@paginate(CursorPagination, ordering=("business_name", "id"))
def registry(
    request: HttpRequest,
    status: str = "",
    province: str = "",
    umkm_class: str = "",
    partner: int | None = None,
    q: str = "",
    suket: str = "",
) -> Any:
    """Vendors the caller oversees (KPPN: those partnered with its satkers; satker: its own
    partners; vendor: itself), with filters."""
    actor = actor_of(request)
    require(actor, "vendor.view")
    return queries.registry(
        actor,
        status=status,
        province=province,
        umkm_class=umkm_class,
        partner=partner,
        q=q,
        suket=suket,
        today=clock.today_jakarta(),
    )


@router.get("/vendors/verification-queue", response=list[VendorOut])
def verification_queue(request: HttpRequest) -> Any:
    actor = actor_of(request)
    require(actor, "vendor.verify", Organisation.objects.get(pk=actor.organisation_id))
    return [vendor_out(v) for v in queries.verification_queue(actor)[:200]]


@router.get("/vendors/me", response=VendorOut)
def me(request: HttpRequest) -> Any:
    actor = actor_of(request)
    return vendor_out(queries.vendor_of(actor))


@router.get("/vendors/{vendor_id}", response=VendorOut)
def detail(request: HttpRequest, vendor_id: int) -> Any:
    return vendor_out(visible_vendor(request, vendor_id))


@router.patch("/vendors/{vendor_id}", response=VendorOut)
def update(request: HttpRequest, vendor_id: int, payload: VendorUpdateIn) -> Any:
    vendor = visible_vendor(request, vendor_id)
    changes = payload.dict(exclude_unset=True)
    vendor = services.update_vendor(actor_of(request), vendor, **changes)
    return vendor_out(queries.visible_vendors_all().get(pk=vendor.pk))


@router.get("/vendors/{vendor_id}/decisions", response=list[DecisionOut])
def decisions(request: HttpRequest, vendor_id: int) -> Any:
    return list(queries.decisions(visible_vendor(request, vendor_id)))


def _transition(request: HttpRequest, vendor_id: int, apply: Any) -> Any:
    vendor = visible_vendor(request, vendor_id)
    vendor = apply(actor_of(request), vendor)
    return vendor_out(queries.visible_vendors_all().get(pk=vendor.pk))


@router.post("/vendors/{vendor_id}/resubmit", response=VendorOut)
def resubmit(request: HttpRequest, vendor_id: int) -> Any:
    return _transition(request, vendor_id, services.resubmit_vendor)


@router.post("/vendors/{vendor_id}/verify", response=VendorOut)
def verify(request: HttpRequest, vendor_id: int, payload: VerifyIn) -> Any:
    return _transition(
        request,
        vendor_id,
        lambda actor, v: services.verify_vendor(
            actor, v, accept_suket=payload.accept_suket, suket_reasons=payload.suket_reasons
        ),
    )


@router.post("/vendors/{vendor_id}/reject", response=VendorOut)
def reject(request: HttpRequest, vendor_id: int, payload: ReasonIn) -> Any:
    return _transition(
        request,
        vendor_id,
        lambda actor, v: services.reject_vendor(actor, v, reasons=payload.reasons),
    )


@router.post("/vendors/{vendor_id}/suket-decision", response=VendorOut)
def suket_decision(request: HttpRequest, vendor_id: int, payload: SuketDecisionIn) -> Any:
    return _transition(
        request,
        vendor_id,
        lambda actor, v: services.decide_suket(
            actor, v, accept=payload.accept, reasons=payload.reasons
        ),
    )


@router.post("/vendors/{vendor_id}/suspend", response=VendorOut)
def suspend(request: HttpRequest, vendor_id: int, payload: ReasonIn) -> Any:
    return _transition(
        request,
        vendor_id,
        lambda actor, v: services.suspend_vendor(actor, v, reason=payload.reasons),
    )


@router.post("/vendors/{vendor_id}/reinstate", response=VendorOut)
def reinstate(request: HttpRequest, vendor_id: int, payload: ReasonIn) -> Any:
    return _transition(
        request,
        vendor_id,
        lambda actor, v: services.reinstate_vendor(actor, v, reason=payload.reasons),
    )


# --- documents ------------------------------------------------------------------------------


@router.get("/vendors/{vendor_id}/documents", response=list[DocumentOut])
def documents(request: HttpRequest, vendor_id: int) -> Any:
    return list(queries.documents(visible_vendor(request, vendor_id)))


@router.post("/vendors/{vendor_id}/documents/{kind}", response={201: DocumentOut})
def upload_document(
    request: HttpRequest, vendor_id: int, kind: str, file: File[UploadedFile]
) -> Status[Any]:
    """Upload (or replace) the licence (``LICENCE``) or Suket PPh Final (``SUKET``) file:
    PDF, JPEG or PNG, at most 5 MB."""
    vendor = visible_vendor(request, vendor_id)
    document = services.upload_document(
        actor_of(request), vendor, kind=kind.upper(), name=file.name or "", stream=_stream(file)
    )
    return Status(201, document)


@router.get("/vendors/{vendor_id}/documents/{document_id}/file", response={200: None})
def download_document(request: HttpRequest, vendor_id: int, document_id: int) -> FileResponse:
    vendor = visible_vendor(request, vendor_id)
    document = queries.documents(vendor).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("Data tidak ditemukan."))
    response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="dokumen-{document.pk}"'
    return response


# --- bank accounts --------------------------------------------------------------------------


@router.get("/vendors/{vendor_id}/bank-accounts", response=list[BankAccountOut])
def bank_accounts(request: HttpRequest, vendor_id: int) -> Any:
    return list(queries.bank_accounts(visible_vendor(request, vendor_id)))


@router.post("/vendors/{vendor_id}/bank-accounts", response={201: BankAccountOut})
def add_bank_account(request: HttpRequest, vendor_id: int, payload: BankAccountIn) -> Status[Any]:
    """Record the account and ask the bank for its name at once; a mismatch blocks it."""
    actor = actor_of(request)
    vendor = visible_vendor(request, vendor_id)
    account = services.add_bank_account(
        actor,
        vendor,
        bank_code=payload.bank_code,
        account_no=payload.account_no,
        holder_name=payload.holder_name,
        primary=payload.primary,
    )
    account = services.check_bank_account(actor, account)
    return Status(201, account)


@router.post("/vendors/{vendor_id}/bank-accounts/{account_id}/check", response=BankAccountOut)
def check_bank_account(request: HttpRequest, vendor_id: int, account_id: int) -> Any:
    account = _account(request, vendor_id, account_id)
    return services.check_bank_account(actor_of(request), account)


@router.patch("/vendors/{vendor_id}/bank-accounts/{account_id}", response=BankAccountOut)
def correct_holder(
    request: HttpRequest, vendor_id: int, account_id: int, payload: HolderNameIn
) -> Any:
    """Correct the holder name after a mismatch; the account is checked again at once."""
    actor = actor_of(request)
    account = _account(request, vendor_id, account_id)
    account = services.correct_holder_name(actor, account, holder_name=payload.holder_name)
    return services.check_bank_account(actor, account)


@router.post("/vendors/{vendor_id}/bank-accounts/{account_id}/primary", response=BankAccountOut)
def make_primary(request: HttpRequest, vendor_id: int, account_id: int) -> Any:
    account = _account(request, vendor_id, account_id)
    return services.set_primary_account(actor_of(request), account)


@router.delete("/vendors/{vendor_id}/bank-accounts/{account_id}", response={204: None})
def remove_bank_account(request: HttpRequest, vendor_id: int, account_id: int) -> Status[None]:
    account = _account(request, vendor_id, account_id)
    services.remove_bank_account(actor_of(request), account)
    return Status(204, None)
