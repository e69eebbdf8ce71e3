"""Write use cases of accounts. Each: one transaction, lock, gate, rules, write, audit.

The actor is passed explicitly. ``None`` as actor means the system itself (bootstrap and demo
data), recorded in the audit log as role ``SYSTEM``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

from digipay.accounts import queries, rules
from digipay.accounts.models import (
    ApiToken,
    Appointment,
    AuditorGrant,
    Delegation,
    Organisation,
    Province,
    User,
    UserSession,
)
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind, Role
from digipay.audit.services import record_event
from digipay.core import clock
from digipay.core.errors import AuthenticationFailed, Conflict, ValidationFailed

SYSTEM_ROLE = "SYSTEM"
TOKEN_PREFIX = "dp_"  # noqa: S105 - a label, not a secret


def audit(
    actor: User | None,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record an event about a model instance in the chain of the object's tenant
    (``object_type`` is ``<app label>.<model name>``, e.g. ``accounts.user``)."""
    record_event(
        tenant_id=obj.tenant_id,
        actor_id=actor.pk if actor else None,
        actor_role=actor.role if actor else SYSTEM_ROLE,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        before=before,
        after=after,
    )


# --- identity -----------------------------------------------------------------------------


def person_key(nik: str) -> str:
    """Keyed hash of a NIK: the same person gives the same key, the NIK itself is not kept."""
    return hmac.new(settings.PERSON_KEY.encode(), nik.encode(), hashlib.sha256).hexdigest()


def _clean_nik(nik: str) -> str:
    try:
        return str(stdnum_nik.validate(nik))
    except StdnumError as exc:
        raise ValidationFailed(
            _("NIK tidak valid: harus 16 digit dengan kode wilayah dan tanggal lahir yang benar."),
            details={"field": "nik"},
        ) from exc


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(_("Alamat e-mail tidak valid."), details={"field": "email"}) from exc
    return email


def _clean_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    if len(name) < 3:
        raise ValidationFailed(_("Nama lengkap wajib diisi."), details={"field": "full_name"})
    return name


def _check_password(password: str, user: User, *, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(str(m) for m in exc.messages), details={"field": field}
        ) from exc


def generate_initial_password() -> str:
    """A random one-time password that satisfies the policy (letters, digits, symbol, 16 chars)."""
    while True:
        candidate = secrets.token_urlsafe(12)[:14] + secrets.choice("!@#%") + secrets.choice("2345")
        if any(c.isalpha() for c in candidate):
            return candidate


def _insert_user(
    *,
    actor: User | None,
    organisation: Organisation,
    email: str,
    full_name: str,
    nik: str,
    role: str,
    password: str | None,
) -> tuple[User, str]:
    email = _clean_email(email)
    full_name = _clean_name(full_name)
    nik = _clean_nik(nik)
    if not rules.role_fits_organisation(role, organisation.kind):
        raise ValidationFailed(
            _("Peran %(role)s tidak sesuai untuk organisasi %(org)s.")
            % {"role": Role(role).label, "org": organisation.name},
            details={"field": "role"},
        )
    key = person_key(nik)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(_("E-mail ini sudah terdaftar."), details={"field": "email"})
    if User.objects.filter(organisation=organisation, person_key=key).exists():
        raise ValidationFailed(
            _(
                "Orang dengan NIK ini sudah memegang peran di organisasi ini "
                "(satu orang, satu peran)."
            ),
            code="one_role_per_person",
            details={"field": "nik"},
        )
    user = User(
        email=email,
        full_name=full_name,
        organisation=organisation,
        role=role,
        person_key=key,
        nik_last4=nik[-4:],
        created_by=actor,
        # A generated password is a one-time secret handed over by the admin: replace it.
        must_change_password=password is None,
    )
    initial = password or generate_initial_password()
    _check_password(initial, user)
    user.set_password(initial)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Lost a race with a concurrent registration of the same e-mail or person.
        raise Conflict(_("E-mail atau orang ini baru saja didaftarkan.")) from exc
    audit(actor, "user.created", user, after=user.audit_state())
    return user, initial


# --- organisations ------------------------------------------------------------------------


@transaction.atomic
def register_organisation(
    actor: User | None,
    *,
    kind: str,
    code: str,
    name: str,
    parent: Organisation | None = None,
    province_code: str | None = None,
    regency: str = "",
    ministry_code: str = "",
    address: str = "",
) -> Organisation:
    """Register an organisation under its parent (satker under its paying KPPN, ...).

    ``actor=None`` is the system (vendor self-registration, demo data).
    """
    if actor is not None:
        require(actor, "organisation.create", parent or actor.organisation)
        if kind not in rules.CREATABLE_ORG_KINDS.get(actor.role, frozenset()):
            raise ValidationFailed(_("Anda tidak dapat mendaftarkan jenis organisasi ini."))
    code = (code or "").strip().upper()
    problem = rules.organisation_error(
        kind=kind, code=code, name=name, parent_kind=parent.kind if parent else None
    )
    if problem:
        raise ValidationFailed(problem, details={"field": "code"})
    if kind == OrgKind.SATKER and not re.match(r"^\d{3}$", ministry_code or ""):
        raise ValidationFailed(
            _("Kode K/L satker harus 3 digit."), details={"field": "ministry_code"}
        )
    if province_code is not None and not Province.objects.filter(code=province_code).exists():
        raise ValidationFailed(_("Kode provinsi tidak dikenal."), details={"field": "province"})
    taken = _("Kode %(code)s sudah terdaftar.") % {"code": code}
    if Organisation.objects.filter(kind=kind, code=code).exists():
        raise ValidationFailed(taken, details={"field": "code"})
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                kind=kind,
                code=code,
                name=" ".join(name.split()),
                parent=parent,
                province_id=province_code,
                regency=regency.strip(),
                ministry_code=ministry_code,
                address=address.strip(),
            )
    except IntegrityError as exc:  # a concurrent registration of the same code won
        raise Conflict(taken) from exc
    audit(
        actor,
        "organisation.registered",
        org,
        after={"kind": kind, "code": code, "name": org.name, "parent_id": org.parent_id},
    )
    return org


@transaction.atomic
def register_vendor_admin(
    *, vendor: Organisation, email: str, full_name: str, nik: str, password: str | None = None
) -> tuple[User, str]:
    """The admin of a self-registering vendor (no actor: anyone may sign up; the partner satker
    verifies the business before it can sell — the vendors issue builds that flow on this)."""
    vendor = Organisation.objects.select_for_update().get(pk=vendor.pk)
    if vendor.kind != OrgKind.VENDOR:
        raise ValidationFailed(_("Organisasi ini bukan vendor."))
    if User.objects.filter(organisation=vendor, role=Role.VENDOR_ADMIN).exists():
        raise Conflict(_("Vendor ini sudah memiliki admin."), code="vendor_admin_exists")
    return _insert_user(
        actor=None,
        organisation=vendor,
        email=email,
        full_name=full_name,
        nik=nik,
        role=Role.VENDOR_ADMIN,
        password=password,
    )


# --- onboarding ---------------------------------------------------------------------------


@transaction.atomic
def bootstrap_djpb_admin(*, email: str, full_name: str, nik: str, password: str) -> User:
    """The first national admin, created by the system (``digipay create-djpb-admin``)."""
    djpb = Organisation.objects.select_for_update().get(kind=OrgKind.DJPB)
    user, _pw = _insert_user(
        actor=None,
        organisation=djpb,
        email=email,
        full_name=full_name,
        nik=nik,
        role=Role.DJPB_ADMIN,
        password=password,
    )
    return user


@transaction.atomic
def create_user(
    actor: User,
    *,
    organisation: Organisation,
    email: str,
    full_name: str,
    nik: str,
    role: str,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user with one role in ``organisation``. Returns the user and the initial password
    (generated when none is given; the user must change it at first login)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    require(actor, "user.create", organisation)
    if role in rules.ROLES_NEEDING_APPOINTMENT:
        raise ValidationFailed(
            _("Admin satker didaftarkan oleh KPPN berdasarkan surat penunjukan KPA."),
            code="appointment_required",
            details={"field": "role"},
        )
    if not rules.can_create_role(actor.role, role):
        raise ValidationFailed(
            _("Anda tidak dapat membuat pengguna dengan peran ini."), details={"field": "role"}
        )
    return _insert_user(
        actor=actor,
        organisation=organisation,
        email=email,
        full_name=full_name,
        nik=nik,
        role=role,
        password=password,
    )


@transaction.atomic
def register_satker_admin(
    actor: User,
    *,
    satker: Organisation,
    email: str,
    full_name: str,
    nik: str,
    letter_number: str,
    letter_date: date,
    password: str | None = None,
) -> tuple[User, str]:
    """A KPPN admin registers a satker's admin from the KPA's appointment letter."""
    satker = Organisation.objects.select_for_update().get(pk=satker.pk)
    require(actor, "satker_admin.register", satker)
    if satker.kind != OrgKind.SATKER:
        raise ValidationFailed(_("Organisasi ini bukan satker."), details={"field": "satker"})
    problem = rules.appointment_error(
        letter_number=letter_number, letter_date=letter_date, today=clock.today_jakarta()
    )
    if problem:
        raise ValidationFailed(problem, details={"field": "letter"})
    if queries.satker_admin_of(satker) is not None:
        raise Conflict(
            _("Satker ini sudah memiliki admin aktif. Nonaktifkan admin lama terlebih dahulu."),
            code="satker_admin_exists",
        )
    user, initial = _insert_user(
        actor=actor,
        organisation=satker,
        email=email,
        full_name=full_name,
        nik=nik,
        role=Role.SATKER_ADMIN,
        password=password,
    )
    appointment = Appointment.objects.create(
        user=user,
        letter_number=letter_number.strip(),
        letter_date=letter_date,
        registered_by=actor,
    )
    audit(
        actor,
        "satker_admin.registered",
        user,
        after={"letter_number": appointment.letter_number, "letter_date": letter_date.isoformat()},
    )
    return user, initial


def _lock_user(user: User) -> User:
    return User.objects.select_for_update().select_related("organisation").get(pk=user.pk)


def _require_manages(actor: User, target: User, *, role: str | None = None) -> None:
    if target.pk == actor.pk:
        raise ValidationFailed(_("Anda tidak dapat mengubah akun Anda sendiri."))
    managed = queries.managed_roles(actor)
    if target.role not in managed or (role is not None and role not in managed):
        raise ValidationFailed(_("Anda tidak dapat mengelola pengguna dengan peran ini."))


@transaction.atomic
def change_role(actor: User, user: User, *, role: str) -> User:
    user = _lock_user(user)
    require(actor, "user.change_role", user)
    _require_manages(actor, user, role=role)
    if role in rules.ROLES_NEEDING_APPOINTMENT:
        raise ValidationFailed(
            _("Admin satker didaftarkan oleh KPPN berdasarkan surat penunjukan KPA."),
            code="appointment_required",
        )
    if not rules.role_fits_organisation(role, user.organisation.kind):
        raise ValidationFailed(_("Peran tidak sesuai dengan organisasi pengguna."))
    if role == user.role:
        return user
    before = user.audit_state()
    user.role = role
    user.save(update_fields=["role"])
    audit(actor, "user.role_changed", user, before={"role": before["role"]}, after={"role": role})
    return user


@transaction.atomic
def disable_user(actor: User, user: User, *, reason: str) -> User:
    """Disable a user: every session ends and every API token is revoked at once."""
    user = _lock_user(user)
    require(actor, "user.disable", user)
    _require_manages(actor, user)
    if not reason.strip():
        raise ValidationFailed(_("Alasan penonaktifan wajib diisi."), details={"field": "reason"})
    if not user.is_active:
        return user
    user.is_active = False
    user.disabled_at = clock.now()
    user.save(update_fields=["is_active", "disabled_at"])
    ended = end_all_sessions(user)
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit(
        actor,
        "user.disabled",
        user,
        before={"is_active": True},
        after={
            "is_active": False,
            "reason": reason.strip(),
            "sessions_ended": ended,
            "tokens_revoked": revoked,
        },
    )
    return user


@transaction.atomic
def enable_user(actor: User, user: User) -> User:
    user = _lock_user(user)
    require(actor, "user.disable", user)
    _require_manages(actor, user)
    if user.is_active:
        return user
    if user.role == Role.SATKER_ADMIN and queries.satker_admin_of(user.organisation):
        raise Conflict(_("Satker ini sudah memiliki admin aktif."), code="satker_admin_exists")
    user.is_active = True
    user.disabled_at = None
    user.save(update_fields=["is_active", "disabled_at"])
    audit(actor, "user.enabled", user, before={"is_active": False}, after={"is_active": True})
    return user


@transaction.atomic
def change_own_password(user: User, *, old_password: str, new_password: str) -> None:
    user = _lock_user(user)
    if not user.check_password(old_password):
        raise ValidationFailed(_("Kata sandi lama salah."), details={"field": "old_password"})
    if old_password == new_password:
        raise ValidationFailed(
            _("Kata sandi baru harus berbeda dari yang lama."), details={"field": "new_password"}
        )
    _check_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit(user, "user.password_changed", user)


# --- delegation and auditor grants ---------------------------------------------------------


@transaction.atomic
def create_delegation(
    actor: User,
    *,
    delegate: User,
    role: str,
    valid_from: datetime,
    valid_until: datetime,
    reason: str,
) -> Delegation:
    delegate = _lock_user(delegate)
    require(actor, "delegation.create", delegate)
    if delegate.organisation_id != actor.organisation_id or not delegate.is_active:
        raise ValidationFailed(_("Delegasi hanya untuk pegawai aktif satker Anda."))
    if not reason.strip():
        raise ValidationFailed(_("Dasar/alasan delegasi wajib diisi."), details={"field": "reason"})
    problem = rules.delegation_error(
        delegate_role=delegate.role,
        delegated_role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        now=clock.now(),
    )
    if problem:
        raise ValidationFailed(problem)
    if queries.active_delegations(delegate).filter(role=role).exists():
        raise Conflict(_("Pengguna ini sudah menerima delegasi peran tersebut."))
    delegation = Delegation.objects.create(
        organisation_id=actor.organisation_id,
        delegate=delegate,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason.strip(),
        created_by=actor,
    )
    audit(
        actor,
        "delegation.created",
        delegation,
        after={
            "delegate_id": delegate.pk,
            "role": role,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return delegation


@transaction.atomic
def revoke_delegation(actor: User, delegation: Delegation) -> Delegation:
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    require(actor, "delegation.revoke", delegation)
    if delegation.revoked_at is not None:
        return delegation
    delegation.revoked_at = clock.now()
    delegation.revoked_by = actor
    delegation.save(update_fields=["revoked_at", "revoked_by"])
    audit(actor, "delegation.revoked", delegation, after={"revoked": True})
    return delegation


@transaction.atomic
def grant_auditor_access(
    actor: User, *, auditor: User, organisation: Organisation, valid_until: date
) -> AuditorGrant:
    require(actor, "auditor.grant", organisation)
    auditor = _lock_user(auditor)
    if auditor.role != Role.AUDITOR or not auditor.is_active:
        raise ValidationFailed(_("Akses hanya dapat diberikan kepada auditor."))
    if valid_until < clock.today_jakarta():
        raise ValidationFailed(_("Masa berlaku akses sudah lewat."))
    grant, _created = AuditorGrant.objects.update_or_create(
        auditor=auditor,
        organisation=organisation,
        defaults={"valid_until": valid_until, "granted_by": actor},
    )
    audit(
        actor,
        "auditor.granted",
        organisation,
        after={"auditor_id": auditor.pk, "valid_until": valid_until.isoformat()},
    )
    return grant


# --- sessions and tokens -------------------------------------------------------------------


def record_session(user: User, session_key: str) -> None:
    UserSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "started_at": clock.now()}
    )


def forget_session(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_all_sessions(user: User) -> int:
    """Delete every stored session of the user (engine-independent)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_api_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token for an authenticated user; the raw value is shown only once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=clock.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit(user, "api_token.issued", user, after={"token_id": token.pk})
    return raw, token


@transaction.atomic
def revoke_api_token(actor: User, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    require(actor, "api_token.revoke", token.user)
    if token.user_id != actor.pk:
        _require_manages(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit(actor, "api_token.revoked", token.user, after={"token_id": token.pk})
    return token


def authenticate_token(raw: str) -> ApiToken:
    """The live token (with its user) for a raw bearer value, or AuthenticationFailed."""
    token = queries.token_by_hash(hash_token(raw))
    now = clock.now()
    if (
        token is None
        or token.revoked_at is not None
        or token.expires_at <= now
        or not token.user.is_active
    ):
        raise AuthenticationFailed(_("Token tidak valid, kedaluwarsa, atau sudah dicabut."))
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        # Coarse-grained, so that a busy client does not write on every request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
