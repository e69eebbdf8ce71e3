"""Pages of accounts: login with 2FA, home per role, users, satker admins, delegations.

Thin: a form parses, a service decides, a DomainError becomes a form error.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts import auth, forms, permissions, queries, services
from digipay.accounts.middleware import LOGIN_AT
from digipay.accounts.models import Delegation, Organisation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock
from digipay.core.errors import DomainError, NotFound, PermissionDenied

PENDING_USER = "digipay_pending_user"
PENDING_AT = "digipay_pending_at"
PENDING_DEVICE = "digipay_pending_device"
PENDING_SECONDS = 300
PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _complete_login(request: HttpRequest, user: User, device: TOTPDevice | None) -> HttpResponse:
    for key in (PENDING_USER, PENDING_AT, PENDING_DEVICE):
        request.session.pop(key, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    request.session[LOGIN_AT] = clock.now().timestamp()
    request.session.save()
    assert request.session.session_key is not None
    services.record_session(user, request.session.session_key)
    return redirect("accounts:home")


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT)
    if user_id is None or started is None:
        return None
    if clock.now().timestamp() - float(started) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth.check_password_login(
                request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status if exc.status == 429 else 200
            return render(request, "accounts/login.html", {"form": form}, status=status)
        if not auth.needs_second_factor(user):
            return _complete_login(request, user, None)
        request.session.cycle_key()
        request.session[PENDING_USER] = user.pk
        request.session[PENDING_AT] = clock.now().timestamp()
        if auth.confirmed_device(user) is None:
            return redirect("accounts:otp_enrol")
        return redirect("accounts:otp_verify")
    expired = request.GET.get("expired") == "1"
    return render(request, "accounts/login.html", {"form": form, "expired": expired})


def otp_verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    form = forms.OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = auth.check_second_factor(user, form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            return _complete_login(request, user, device)
    return render(request, "accounts/otp_verify.html", {"form": form})


@never_cache  # the page shows the TOTP secret
def otp_enrol_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if auth.confirmed_device(user) is not None:
        return redirect("accounts:otp_verify")
    device_id = request.session.get(PENDING_DEVICE)
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        device = auth.start_totp_enrolment(user)
        request.session[PENDING_DEVICE] = device.pk
    form = forms.OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = auth.confirm_totp_enrolment(user, device.pk, form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            return _complete_login(request, user, confirmed)
    secret = base64.b32encode(device.bin_key).decode()
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)
    return render(
        request,
        "accounts/otp_enrol.html",
        {"form": form, "secret": secret, "qr_svg": qr_svg},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.forget_session(request.session.session_key)
    logout(request)
    messages.info(request, _("Anda telah keluar."))
    return redirect("accounts:login")


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes lock-out response: JSON for the API, a page for people."""
    message = _(
        "Terlalu banyak percobaan masuk yang gagal. Akun dikunci sementara; coba lagi nanti."
    )
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "too_many_attempts", "message": message, "details": {}}, status=429
        )
    form = forms.LoginForm(request.POST or None)
    form.is_valid()
    form.add_error(None, message)
    return render(request, "accounts/login.html", {"form": form}, status=429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "csrf_failure.html", status=403)


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    context: dict[str, Any] = {
        "effective_roles": [Role(r).label for r in sorted(queries.effective_roles(actor))],
    }
    if actor.role in (Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN):
        satkers = queries.satkers_of(actor)
        context["satker_count"] = satkers.count()
        context["satker_without_admin"] = satkers.exclude(
            users__role=Role.SATKER_ADMIN, users__is_active=True
        ).count()
    if actor.role == Role.SATKER_ADMIN:
        staff = User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
        present = set(staff.values_list("role", flat=True))
        context["missing_roles"] = [
            Role(r).label
            for r in (
                Role.PEMESAN,
                Role.PEJABAT_PENGADAAN,
                Role.PPK,
                Role.PENERIMA_BARANG,
                Role.BENDAHARA,
            )
            if r not in present
        ]
    return render(request, "accounts/home.html", context)


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(
                actor,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            forms.add_domain_error(form, exc)
        else:
            actor.refresh_from_db()
            update_session_auth_hash(request, actor)
            messages.success(request, _("Kata sandi berhasil diganti."))
            return redirect("accounts:home")
    return render(request, "accounts/password_change.html", {"form": form})


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "user.view")
    qs = queries.visible_users(actor).order_by("organisation__name", "full_name")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(email__icontains=q))
    if role in Role.values:
        qs = qs.filter(role=role)
    template = "accounts/user_list.html#results" if request.htmx else "accounts/user_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": _page(request, qs),
            "q": q,
            "role": role,
            "roles": Role.choices,
            "can_create": bool(queries.creatable_roles(actor)),
        },
    )


def _user_form(actor: User, data: Any = None) -> forms.UserCreateForm:
    roles = queries.creatable_roles(actor)
    orgs: dict[int, str] = {}
    for value, _label in roles:
        for org in queries.target_organisations(actor, value):
            orgs[org.pk] = str(org)
    return forms.UserCreateForm(
        data, roles=roles, organisations=sorted(orgs.items(), key=lambda kv: kv[1])
    )


@never_cache  # the result page shows a one-time password
@login_required
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "user.create")
    form = _user_form(actor, request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = Organisation.objects.filter(pk=form.cleaned_data["organisation"]).first()
        try:
            if organisation is None:
                raise NotFound(_("Organisasi tidak ditemukan."))
            user, initial = services.create_user(
                actor,
                organisation=organisation,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                nik=form.cleaned_data["nik"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            forms.add_domain_error(form, exc)
        else:
            return render(
                request,
                "accounts/user_created.html",
                {"created": user, "initial_password": initial},
            )
    return render(request, "accounts/user_form.html", {"form": form})


def _visible_user(actor: User, user_id: int) -> User:
    target = User.objects.select_related("organisation").filter(pk=user_id).first()
    if target is None:
        raise NotFound(_("Data tidak ditemukan."))
    permissions.require(actor, "user.view", target)
    return target


@login_required
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    target = _visible_user(actor, user_id)
    managed = queries.managed_roles(actor)
    can_manage = target.pk != actor.pk and target.role in managed
    role_choices = [c for c in queries.creatable_roles(actor) if c[0] != target.role]
    role_form = forms.RoleForm(roles=role_choices)
    disable_form = forms.DisableForm()
    if request.method == "POST" and can_manage:
        try:
            if "role" in request.POST:
                role_form = forms.RoleForm(request.POST, roles=role_choices)
                if role_form.is_valid():
                    services.change_role(actor, target, role=role_form.cleaned_data["role"])
                    messages.success(request, _("Peran pengguna diubah."))
                    return redirect("accounts:user_detail", user_id=target.pk)
            elif "reason" in request.POST:
                disable_form = forms.DisableForm(request.POST)
                if disable_form.is_valid():
                    services.disable_user(actor, target, reason=disable_form.cleaned_data["reason"])
                    messages.success(request, _("Pengguna dinonaktifkan; semua sesinya diakhiri."))
                    return redirect("accounts:user_detail", user_id=target.pk)
            elif "enable" in request.POST:
                services.enable_user(actor, target)
                messages.success(request, _("Pengguna diaktifkan kembali."))
                return redirect("accounts:user_detail", user_id=target.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "can_manage": can_manage,
            "role_form": role_form,
            "disable_form": disable_form,
            "appointment": getattr(target, "appointment", None),
        },
    )


@login_required
def satker_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "organisation.view")
    satkers = queries.satkers_of(actor).order_by("code")
    q = request.GET.get("q", "").strip()
    if q:
        satkers = satkers.filter(Q(name__icontains=q) | Q(code__startswith=q))
    page = _page(request, satkers)
    admins = {
        u.organisation_id: u
        for u in User.objects.filter(
            organisation__in=[s.pk for s in page.object_list],
            role=Role.SATKER_ADMIN,
            is_active=True,
        )
    }
    rows = [(s, admins.get(s.pk)) for s in page.object_list]
    return render(
        request,
        "accounts/satker_list.html",
        {"page": page, "rows": rows, "q": q, "can_register": actor.role == Role.KPPN_ADMIN},
    )


@login_required
def satker_create_view(request: HttpRequest) -> HttpResponse:
    """A KPPN admin registers a satker it pays (the satker's admin comes next)."""
    actor = _actor(request)
    if actor.role != Role.KPPN_ADMIN:
        raise PermissionDenied(_("Hanya admin KPPN yang mendaftarkan satker di halaman ini."))
    provinces = [(p.code, p.name) for p in queries.provinces()]
    form = forms.SatkerForm(request.POST or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            satker = services.register_organisation(
                actor,
                kind=OrgKind.SATKER,
                code=data["code"],
                name=data["name"],
                parent=actor.organisation,
                province_code=data["province"],
                regency=data["regency"],
                ministry_code=data["ministry_code"],
                address=data["address"],
            )
        except DomainError as exc:
            forms.add_domain_error(form, exc)
        else:
            messages.success(request, _("Satker %(code)s terdaftar.") % {"code": satker.code})
            return redirect("accounts:satker_admin_register", satker_id=satker.pk)
    return render(request, "accounts/satker_form.html", {"form": form})


@never_cache
@login_required
def satker_admin_register_view(request: HttpRequest, satker_id: int) -> HttpResponse:
    actor = _actor(request)
    satker = Organisation.objects.filter(pk=satker_id).first()
    if satker is None:
        raise NotFound(_("Data tidak ditemukan."))
    permissions.require(actor, "satker_admin.register", satker)
    form = forms.SatkerAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, initial = services.register_satker_admin(
                actor, satker=satker, **form.cleaned_data
            )
        except DomainError as exc:
            forms.add_domain_error(form, exc)
        else:
            return render(
                request,
                "accounts/user_created.html",
                {"created": user, "initial_password": initial},
            )
    return render(request, "accounts/satker_admin_form.html", {"form": form, "satker": satker})


@login_required
def delegation_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "delegation.view", actor.organisation)
    staff = User.objects.filter(organisation_id=actor.organisation_id, is_active=True).exclude(
        pk=actor.pk
    )
    form = forms.DelegationForm(
        request.POST or None,
        delegates=[(u.pk, f"{u.full_name} — {u.get_role_display()}") for u in staff],
    )
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                revoke_id = request.POST.get("revoke", "")
                delegation = (
                    Delegation.objects.filter(pk=int(revoke_id)).first()
                    if revoke_id.isdigit()
                    else None
                )
                if delegation is None:
                    raise NotFound(_("Data tidak ditemukan."))
                services.revoke_delegation(actor, delegation)
                messages.success(request, _("Delegasi dicabut."))
                return redirect("accounts:delegation_list")
            if form.is_valid():
                delegate = staff.filter(pk=form.cleaned_data["delegate"]).first()
                if delegate is None:
                    raise NotFound(_("Data tidak ditemukan."))
                services.create_delegation(
                    actor,
                    delegate=delegate,
                    role=form.cleaned_data["role"],
                    valid_from=form.cleaned_data["valid_from"],
                    valid_until=form.cleaned_data["valid_until"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Delegasi dicatat."))
                return redirect("accounts:delegation_list")
        except DomainError as exc:
            forms.add_domain_error(form, exc)
    page = _page(request, queries.delegations_in(actor.organisation))
    return render(
        request, "accounts/delegation_list.html", {"form": form, "page": page, "now": clock.now()}
    )
