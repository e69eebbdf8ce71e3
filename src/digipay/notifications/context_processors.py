"""The unread-notification count for the header badge (base.html)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest

from digipay.notifications import queries


def unread(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications``: a callable, so the COUNT runs only in templates that show it
    (base.html reads it once with ``{% with %}``), not in htmx fragments."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": partial(queries.unread_count, user)}
