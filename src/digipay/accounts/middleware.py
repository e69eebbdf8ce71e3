"""Session policy for pages: absolute lifetime, 2FA invariant, forced first password change.

The idle timeout is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from digipay.accounts import rules
from digipay.core import clock

LOGIN_AT = "digipay_login_at"
_EXEMPT_PREFIXES = ("/static/", "/api/", "/i18n/")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(_EXEMPT_PREFIXES):
            login_at = request.session.get(LOGIN_AT)
            expired = (
                login_at is None
                or clock.now().timestamp() - float(login_at) > settings.SESSION_ABSOLUTE_SECONDS
            )
            # django-otp's middleware adds is_verified() to the user of each request.
            is_verified = getattr(user, "is_verified", lambda: False)
            unverified = rules.requires_two_factor(getattr(user, "role", "")) and not is_verified()
            if expired or unverified:
                logout(request)
                return redirect(reverse("accounts:login") + "?expired=1")
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if getattr(user, "must_change_password", False) and request.path not in allowed:
                return redirect("accounts:password_change")
        return self.get_response(request)
