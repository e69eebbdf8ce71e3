"""Authentication: password (with django-axes lock-out), TOTP second factor, bearer tokens.

Pages and the API both use ``check_password_login`` and ``check_second_factor`` so that the
lock-out and the 2FA requirement are enforced once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja.security import HttpBearer

from digipay.accounts import rules, services
from digipay.accounts.models import User
from digipay.core.errors import AuthenticationFailed, Throttled

DEVICE_NAME = "Aplikasi autentikator"


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The lock-out key: the e-mail, case-folded.

    axes calls this with Django's credentials (``username``) when recording a failure and with
    its own (``email``, our form field name) when checking the lock; pages also post ``email``.
    """
    creds = credentials or {}
    value = creds.get("username") or creds.get("email") or request.POST.get("email", "")
    return str(value).strip().lower()


def check_password_login(request: HttpRequest, *, email: str, password: str) -> User:
    """The user whose e-mail and password match, or AuthenticationFailed/Throttled.

    Goes through django-axes, which counts failures per account and refuses a locked account
    even with the right password until the cool-off ends.
    """
    user = authenticate(request, username=(email or "").strip().lower(), password=password)
    if getattr(request, "axes_locked_out", False):
        raise Throttled(
            _("Terlalu banyak percobaan masuk yang gagal. Akun dikunci sementara; coba lagi nanti.")
        )
    if user is None or not isinstance(user, User):
        raise AuthenticationFailed(_("E-mail atau kata sandi salah."))
    return user


def confirmed_device(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def needs_second_factor(user: User) -> bool:
    return rules.requires_two_factor(user.role)


def check_second_factor(user: User, token: str) -> TOTPDevice:
    """The user's confirmed device if ``token`` is its current code, else AuthenticationFailed.

    django-otp throttles repeated wrong codes per device (growing delays).
    """
    device = confirmed_device(user)
    if device is None:
        raise AuthenticationFailed(
            _("Verifikasi dua langkah belum diaktifkan. Aktifkan melalui halaman masuk web."),
            code="otp_enrolment_required",
        )
    if not (token or "").strip():
        # Asking for the code is not a failed attempt: don't feed the throttle.
        raise AuthenticationFailed(
            _("Kode verifikasi dua langkah wajib diisi."), code="otp_required"
        )
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise Throttled(_("Terlalu banyak kode salah. Tunggu sebentar lalu coba lagi."))
    if not device.verify_token((token or "").strip()):
        raise AuthenticationFailed(_("Kode verifikasi salah."), code="otp_invalid")
    return device


@transaction.atomic
def start_totp_enrolment(user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for the user (replacing an earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_totp_enrolment(user: User, device_id: int, token: str) -> TOTPDevice:
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device_id, user=user, confirmed=False)
        .first()
    )
    if device is None:
        raise AuthenticationFailed(_("Pendaftaran verifikasi dua langkah kedaluwarsa. Ulangi."))
    if not device.verify_token((token or "").strip()):
        raise AuthenticationFailed(_("Kode verifikasi salah."), code="otp_invalid")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    services.audit(user, "user.2fa_enrolled", user, after={"device_id": device.pk})
    return device


class BearerAuth(HttpBearer):
    """``Authorization: Bearer dp_…`` for the API."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        try:
            api_token = services.authenticate_token(token)
        except AuthenticationFailed:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user
