"""Vendor pages: registration (open or by invitation), the vendor's back office (profile,
documents, bank accounts), the satker's invitations and verification queue, the vendor
detail page with the decisions the viewer may take, and the KPPN's vendor registry.

Thin, like the API: a form parses, the same services and queries decide, a DomainError becomes
a form error; every page asks the gate first.
"""

from __future__ import annotations

from typing import IO, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from digipay.accounts import permissions
from digipay.accounts import queries as account_queries
from digipay.accounts import rules as account_rules
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import Tenanted
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock
from digipay.core.errors import DomainError, NotFound, PermissionDenied
from digipay.vendors import forms, queries, services
from digipay.vendors.models import Vendor, VendorBankAccount
from digipay.vendors.rules import (
    BankAccountStatus,
    DocumentKind,
    SuketState,
    SuketStatus,
    VendorStatus,
)

PAGE_SIZE = 25
REGISTERED = "digipay_vendor_registered"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _allowed(actor: User, action: str, obj: Tenanted | None = None) -> bool:
    """What the gate would answer, without logging a denial: for showing or hiding actions
    (the action itself still goes through ``permissions.require``)."""
    policy = account_rules.ACTIONS[action]
    if not account_rules.role_allows(account_queries.effective_roles(actor), action):
        return False
    return obj is None or account_queries.can_reach(
        actor, obj.tenant_id, read_only=policy.read_only
    )


def _provinces() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in account_queries.provinces()]


def _banks() -> list[tuple[str, str]]:
    banks = Organisation.objects.filter(kind=OrgKind.BANK, is_active=True).order_by("name")
    return [(b.code, f"{b.name} ({b.code})") for b in banks]


def _stream(upload: UploadedFile[bytes]) -> IO[bytes]:
    return cast("IO[bytes]", upload)


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- registration ----------------------------------------------------------------------------


def _register(
    request: HttpRequest, form: forms.RegistrationForm, *, token: str = ""
) -> HttpResponse | None:
    """Submit a registration; None when the form must be shown again."""
    if request.method != "POST" or not form.is_valid():
        return None
    d = form.cleaned_data
    documents: dict[str, tuple[str, IO[bytes]]] = {}
    if d.get("licence_file"):
        documents[DocumentKind.LICENCE] = (d["licence_file"].name or "", _stream(d["licence_file"]))
    if d.get("suket_file"):
        documents[DocumentKind.SUKET] = (d["suket_file"].name or "", _stream(d["suket_file"]))
    data = services.Registration(
        owner_name=d["owner_name"],
        owner_nik=d["owner_nik"].strip(),
        email=d["email"],
        password=d["password"],
        partner_satker_code=(d.get("partner_satker_code") or "").strip(),
        invitation_token=token,
        documents=documents,
        **form.business_values(),
    )
    try:
        vendor = services.register_vendor(data)
    except DomainError as exc:
        forms.show_domain_error(form, exc, forms.REGISTRATION_ALIASES)
        return None
    request.session[REGISTERED] = {
        "business_name": vendor.business_name,
        "satker": vendor.partner_satker.name,
        "email": data.email,
    }
    return redirect("vendors:registered")


def register_view(request: HttpRequest) -> HttpResponse:
    """Self-registration: anyone may sign up, naming the partner satker by its code."""
    form = forms.RegistrationForm(
        request.POST or None, request.FILES or None, provinces=_provinces()
    )
    done = _register(request, form)
    if done is not None:
        return done
    return render(request, "vendors/register.html", {"form": form, "invitation": None})


def register_invited_view(request: HttpRequest, token: str) -> HttpResponse:
    """Registration by invitation: the partner satker is the inviting one."""
    try:
        invitation = services.invitation_for(token)
    except DomainError as exc:
        return render(request, "vendors/invitation_invalid.html", {"error": exc}, status=exc.status)
    form = forms.RegistrationForm(
        request.POST or None,
        request.FILES or None,
        provinces=_provinces(),
        invited=True,
        initial={"email": invitation.email, "business_name": invitation.business_name},
    )
    done = _register(request, form, token=token)
    if done is not None:
        return done
    return render(request, "vendors/register.html", {"form": form, "invitation": invitation})


def registered_view(request: HttpRequest) -> HttpResponse:
    info = request.session.pop(REGISTERED, None)
    if info is None:
        return redirect("vendors:register")
    return render(request, "vendors/registered.html", {"info": info})


# --- the vendor's back office ----------------------------------------------------------------


def _own_vendor(actor: User) -> Vendor:
    if actor.role not in queries.VENDOR_ROLES:
        raise PermissionDenied(_("Halaman ini khusus untuk pengguna vendor."))
    try:
        vendor = queries.vendor_of(actor)
    except NotFound as exc:
        raise NotFound(_("Data vendor tidak ditemukan.")) from exc
    permissions.require(actor, "vendor.view", vendor)
    return vendor


def _profile_initial(vendor: Vendor) -> dict[str, Any]:
    return {
        "business_name": vendor.business_name,
        "legal_form": vendor.legal_form,
        "licence_kind": vendor.licence_kind,
        "licence_number": vendor.licence_number,
        "kbli_codes": ", ".join(vendor.kbli_codes),
        "address": vendor.address,
        "province": vendor.province_id,
        "regency": vendor.regency,
        "phone": vendor.phone,
        "npwp": vendor.npwp,
        "is_pkp": vendor.is_pkp,
        "umkm_basis": vendor.umkm_basis,
        "umkm_amount_idr": vendor.umkm_amount_idr,
        "suket_number": vendor.suket_number,
        "suket_valid_from": vendor.suket_valid_from,
        "suket_valid_until": vendor.suket_valid_until,
    }


def _profile_page(
    request: HttpRequest,
    actor: User,
    vendor: Vendor,
    *,
    form: forms.ProfileForm | None = None,
    document_form: forms.DocumentForm | None = None,
) -> HttpResponse:
    can_edit = _allowed(actor, "vendor.edit", vendor)
    if form is None:
        form = forms.ProfileForm(initial=_profile_initial(vendor), provinces=_provinces())
    return render(
        request,
        "vendors/profile.html",
        {
            "vendor": vendor,
            "form": form,
            "document_form": document_form or forms.DocumentForm(),
            "documents": queries.documents(vendor),
            "decisions": queries.decisions(vendor)[:20],
            "can_edit": can_edit,
            "can_manage_users": _allowed(actor, "user.view"),
            **_suket_context(vendor),
        },
    )


def _suket_context(vendor: Vendor) -> dict[str, Any]:
    state = vendor.suket_state(clock.today_jakarta())
    return {
        "suket_state": state,
        "suket_state_label": SuketState(state).label,
        "suket_expiring": state == SuketState.EXPIRING,
        "suket_expired": state == SuketState.EXPIRED,
    }


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    if request.method != "POST":
        return _profile_page(request, actor, vendor)
    permissions.require(actor, "vendor.edit", vendor)
    form = forms.ProfileForm(request.POST, provinces=_provinces())
    if form.is_valid():
        was = vendor.status
        try:
            vendor = services.update_vendor(actor, vendor, **form.business_values())
        except DomainError as exc:
            forms.show_domain_error(form, exc)
        else:
            if was == VendorStatus.VERIFIED and vendor.status == VendorStatus.PENDING:
                messages.warning(
                    request,
                    _(
                        "Data identitas usaha berubah: usaha Anda menunggu verifikasi ulang "
                        "oleh satker mitra dan produk tidak tayang sementara."
                    ),
                )
            else:
                messages.success(request, _("Profil usaha disimpan."))
            return redirect("vendors:profile")
    return _profile_page(request, actor, vendor, form=form)


@require_POST
@login_required
def resubmit_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    permissions.require(actor, "vendor.edit", vendor)
    try:
        services.resubmit_vendor(actor, vendor)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Data diajukan ulang untuk diverifikasi satker mitra."))
    return redirect("vendors:profile")


@require_POST
@login_required
def upload_document_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    permissions.require(actor, "vendor.edit", vendor)
    form = forms.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        was = vendor.status
        try:
            services.upload_document(
                actor,
                vendor,
                kind=form.cleaned_data["kind"],
                name=upload.name or "",
                stream=_stream(upload),
            )
        except DomainError as exc:
            forms.show_domain_error(form, exc, {"licence": "file", "suket": "file", "kind": "kind"})
        else:
            vendor.refresh_from_db()
            if was == VendorStatus.VERIFIED and vendor.status == VendorStatus.PENDING:
                messages.warning(
                    request,
                    _(
                        "Dokumen izin usaha diganti: usaha Anda menunggu verifikasi ulang "
                        "oleh satker mitra dan produk tidak tayang sementara."
                    ),
                )
            else:
                messages.success(request, _("Dokumen diunggah."))
            return redirect("vendors:profile")
    return _profile_page(request, actor, vendor, document_form=form)


# --- bank accounts ---------------------------------------------------------------------------


def _check_account(
    request: HttpRequest, actor: User, account: VendorBankAccount
) -> VendorBankAccount:
    """Ask the bank for the account's name and say what it answered."""
    try:
        account = services.check_bank_account(actor, account)
    except DomainError as exc:
        messages.error(request, exc.message)
        return account
    if account.status == BankAccountStatus.VERIFIED:
        messages.success(request, _("Nama pemilik rekening sesuai dengan data bank."))
    elif account.status == BankAccountStatus.MISMATCH:
        messages.error(
            request,
            _("Nama pemilik rekening tidak sesuai dengan data bank; rekening diblokir."),
        )
    elif account.status == BankAccountStatus.NOT_FOUND:
        messages.error(request, _("Rekening tidak ditemukan di bank."))
    else:
        messages.error(request, _("Pengecekan rekening gagal; coba lagi nanti."))
    return account


@login_required
def bank_accounts_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    can_edit = _allowed(actor, "vendor.edit", vendor)
    form = forms.BankAccountForm(request.POST or None, banks=_banks())
    if request.method == "POST":
        permissions.require(actor, "vendor.edit", vendor)
        if form.is_valid():
            d = form.cleaned_data
            try:
                account = services.add_bank_account(
                    actor,
                    vendor,
                    bank_code=d["bank_code"],
                    account_no=d["account_no"],
                    holder_name=d["holder_name"],
                    primary=d["primary"],
                )
            except DomainError as exc:
                forms.show_domain_error(form, exc)
            else:
                _check_account(request, actor, account)
                return redirect("vendors:bank_accounts")
    bank_names = dict(_banks())
    accounts = [
        (a, bank_names.get(a.bank_code, a.bank_code)) for a in queries.bank_accounts(vendor)
    ]
    return render(
        request,
        "vendors/bank_accounts.html",
        {
            "vendor": vendor,
            "accounts": accounts,
            "form": form,
            "can_edit": can_edit,
            "statuses": BankAccountStatus,
        },
    )


@require_POST
@login_required
def bank_account_action_view(request: HttpRequest, account_id: int, action: str) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    account = queries.bank_accounts(vendor).filter(pk=account_id).select_related("vendor").first()
    if account is None:
        raise NotFound(_("Data tidak ditemukan."))
    permissions.require(actor, "vendor.edit", account)
    try:
        if action == "cek":
            _check_account(request, actor, account)
        elif action == "nama":
            form = forms.HolderNameForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Nama pemilik rekening wajib diisi."))
            else:
                account = services.correct_holder_name(
                    actor, account, holder_name=form.cleaned_data["holder_name"]
                )
                _check_account(request, actor, account)
        elif action == "utama":
            services.set_primary_account(actor, account)
            messages.success(request, _("Rekening utama diganti."))
        elif action == "hapus":
            services.remove_bank_account(actor, account)
            messages.success(request, _("Rekening dihapus."))
        else:
            raise NotFound(_("Data tidak ditemukan."))
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vendors:bank_accounts")


# --- satker side: invitations and verification -------------------------------------------------


def _own_satker(actor: User) -> Organisation:
    satker = Organisation.objects.get(pk=actor.organisation_id)
    if satker.kind != OrgKind.SATKER:
        raise PermissionDenied(_("Halaman ini khusus untuk pengguna satker."))
    return satker


@login_required
@require_POST
def revoke_invitation_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    actor = _actor(request)
    invitation = queries.invitations_of(actor).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("Data tidak ditemukan."))
    try:
        services.revoke_invitation(actor, invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Undangan dicabut; tautannya tidak berlaku lagi."))
    return redirect("vendors:invitations")


@never_cache  # the page shows the invitation link once
@login_required
def invitations_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker = _own_satker(actor)
    permissions.require(actor, "vendor.invite", satker)
    form = forms.InvitationForm(request.POST or None)
    link = ""
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, token = services.invite_vendor(
                actor,
                satker=satker,
                email=form.cleaned_data["email"],
                business_name=form.cleaned_data["business_name"],
            )
        except DomainError as exc:
            forms.show_domain_error(form, exc)
        else:
            link = settings.DIGIPAY_BASE_URL + reverse("vendors:register_invited", args=[token])
            messages.success(
                request,
                _("Undangan dikirim ke %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            form = forms.InvitationForm()
    return render(
        request,
        "vendors/invitations.html",
        {
            "satker": satker,
            "form": form,
            "link": link,
            "page": _page(request, queries.invitations_of(actor)),
            "now": clock.now(),
        },
    )


@login_required
def verification_queue_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker = _own_satker(actor)
    permissions.require(actor, "vendor.verify", satker)
    return render(
        request,
        "vendors/verification_queue.html",
        {
            "satker": satker,
            "page": _page(request, queries.verification_queue(actor)),
            "pending": VendorStatus.PENDING,
        },
    )


# --- vendor detail and decisions ---------------------------------------------------------------


def _visible_vendor(actor: User, vendor_id: int) -> Vendor:
    """The same rule as the API (``queries.visible_vendor``)."""
    return queries.visible_vendor(actor, vendor_id)


def _detail_page(
    request: HttpRequest,
    actor: User,
    vendor: Vendor,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    partner = vendor.partner_view()
    may_verify = _allowed(actor, "vendor.verify", partner)
    may_suspend = _allowed(actor, "vendor.suspend", partner)
    bank_names = dict(_banks())
    context: dict[str, Any] = {
        "vendor": vendor,
        "documents": queries.documents(vendor),
        "accounts": [
            (a, bank_names.get(a.bank_code, a.bank_code)) for a in queries.bank_accounts(vendor)
        ],
        "decisions": queries.decisions(vendor),
        "is_own": vendor.organisation_id == actor.organisation_id,
        "can_verify": may_verify and vendor.status == VendorStatus.PENDING,
        "can_decide_suket": may_verify
        and vendor.status != VendorStatus.PENDING
        and vendor.suket_status == SuketStatus.PENDING,
        "can_suspend": may_suspend and vendor.status != VendorStatus.SUSPENDED,
        "can_reinstate": may_suspend and vendor.status == VendorStatus.SUSPENDED,
        "verify_form": forms.VerifyForm(),
        "reject_form": forms.ReasonForm(prefix="reject"),
        "suket_form": forms.SuketDecisionForm(prefix="suket"),
        "suspend_form": forms.ReasonForm(prefix="suspend"),
        "reinstate_form": forms.ReasonForm(prefix="reinstate"),
        **_suket_context(vendor),
    }
    context.update(bound or {})
    return render(request, "vendors/detail.html", context, status=status)


@login_required
def vendor_detail_view(request: HttpRequest, vendor_id: int) -> HttpResponse:
    actor = _actor(request)
    return _detail_page(request, actor, _visible_vendor(actor, vendor_id))


DECISIONS = {
    # url word: (gate action, form key in the page context, form prefix)
    "verifikasi": ("vendor.verify", "verify_form", None),
    "tolak": ("vendor.verify", "reject_form", "reject"),
    "suket": ("vendor.verify", "suket_form", "suket"),
    "bekukan": ("vendor.suspend", "suspend_form", "suspend"),
    "aktifkan": ("vendor.suspend", "reinstate_form", "reinstate"),
}


@require_POST
@login_required
def vendor_decision_view(request: HttpRequest, vendor_id: int, decision: str) -> HttpResponse:
    actor = _actor(request)
    vendor = _visible_vendor(actor, vendor_id)
    if decision not in DECISIONS:
        raise NotFound(_("Data tidak ditemukan."))
    action, key, prefix = DECISIONS[decision]
    permissions.require(actor, action, vendor.partner_view())
    form: Any
    if decision == "verifikasi":
        form = forms.VerifyForm(request.POST)
    elif decision == "suket":
        form = forms.SuketDecisionForm(request.POST, prefix=prefix)
    else:
        form = forms.ReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if decision == "verifikasi":
                services.verify_vendor(
                    actor,
                    vendor,
                    accept_suket=d["accept_suket"] or not vendor.suket_number,
                    suket_reasons=d["suket_reasons"],
                )
                done = _("Vendor diverifikasi; produknya dapat tayang di katalog.")
            elif decision == "tolak":
                services.reject_vendor(actor, vendor, reasons=d["reasons"])
                done = _("Pendaftaran vendor ditolak; vendor diminta memperbaiki data.")
            elif decision == "suket":
                services.decide_suket(actor, vendor, accept=d["accept"], reasons=d["reasons"])
                done = _("Keputusan Suket PPh Final dicatat.")
            elif decision == "bekukan":
                services.suspend_vendor(actor, vendor, reason=d["reasons"])
                done = _("Vendor dibekukan; produknya tidak tayang lagi.")
            else:
                services.reinstate_vendor(actor, vendor, reason=d["reasons"])
                done = _("Pembekuan vendor dicabut.")
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            forms.show_domain_error(
                form, exc, {"reason": "reasons", "suket_reasons": "suket_reasons"}
            )
        else:
            messages.success(request, done)
            return redirect("vendors:detail", vendor_id=vendor.pk)
    vendor = _visible_vendor(actor, vendor_id)
    return _detail_page(request, actor, vendor, bound={key: form})


@login_required
def document_view(request: HttpRequest, vendor_id: int, document_id: int) -> FileResponse:
    """A vendor document, streamed after the same check as the vendor page (never MEDIA_URL)."""
    actor = _actor(request)
    vendor = _visible_vendor(actor, vendor_id)
    document = queries.documents(vendor).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("Data tidak ditemukan."))
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        document.content_type, "bin"
    )
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"{document.kind.lower()}-{document.pk}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- registry --------------------------------------------------------------------------------


@login_required
def registry_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "vendor.view")
    form = forms.RegistryFilterForm(request.GET or None, provinces=_provinces())
    filters: dict[str, Any] = {}
    vendors = queries.registry(actor)
    if form.is_valid():
        d = form.cleaned_data
        partner: int | None = None
        if d["partner"]:
            partner = (
                Organisation.objects.filter(kind=OrgKind.SATKER, code=d["partner"])
                .values_list("pk", flat=True)
                .first()
            ) or -1
        filters = {
            "status": d["status"],
            "province": d["province"],
            "umkm_class": d["umkm_class"],
            "partner": partner,
            "q": d["q"].strip(),
            "suket": d["suket"],
        }
        vendors = queries.registry(actor, today=clock.today_jakarta(), **filters)
    elif form.is_bound:
        vendors = vendors.none()
    template = "vendors/registry.html#results" if request.htmx else "vendors/registry.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "form": form,
            "page": _page(request, vendors),
            "today": clock.today_jakarta(),
            "oversees": actor.role
            in (Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN, Role.AUDITOR),
        },
    )
