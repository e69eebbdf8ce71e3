"""Write use cases of notifications: notify, mark read, mark all read.

``notify`` is what other apps call; it never sends anything itself. The e-mail copies go out
from the worker (``tasks.email_notifications``), enqueued only once the caller's transaction has
committed, so a rolled-back change notifies nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.core import clock
from digipay.core.errors import AuthenticationFailed, NotFound, ValidationFailed
from digipay.notifications import rules
from digipay.notifications.models import Notification

log = logging.getLogger("digipay.notifications")
security_log = logging.getLogger("digipay.security")


def notify(
    recipients: Iterable[User],
    *,
    title: str,
    body: str,
    link: str = "",
    email: bool = True,
) -> list[Notification]:
    """Write one notification per (distinct, active) recipient in the caller's transaction and,
    after it commits, enqueue their e-mail copies. ``link`` is a path inside Digipay ("/…").

    Title and body are stored as given: pass text already translated (``gettext``), in
    Indonesian unless the recipients read another language.
    """
    problem = rules.text_error(title, body) or rules.link_error(link)
    if problem:
        raise ValidationFailed(problem)
    users: dict[int, User] = {}
    for user in recipients:
        if user.is_active:
            users.setdefault(user.pk, user)
    if not users:
        return []
    with transaction.atomic():
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    tenant_id=user.organisation_id,
                    title=title.strip(),
                    body=body.strip(),
                    link=link,
                    wants_email=email,
                )
                for user in users.values()
            ]
        )
        if email:
            transaction.on_commit(partial(_enqueue_emails, [row.pk for row in rows]))
    return rows


def _enqueue_emails(ids: list[int]) -> None:
    from digipay.notifications.tasks import email_notifications

    try:
        result = email_notifications.enqueue(ids)
    except Exception as exc:
        # The notifications are committed; the periodic retry job will enqueue them again.
        log.error(
            "enqueue of notification e-mails failed count=%s error=%s", len(ids), type(exc).__name__
        )
    else:
        log.debug("notification e-mails enqueued task=%s count=%s", result.id, len(ids))


def _require_own(actor: User | Any, notification: Notification) -> None:
    """The gate of this app: a user acts only on notifications addressed to them. Another
    user's notification is "not found", so its existence does not leak."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise AuthenticationFailed(_("Silakan masuk terlebih dahulu."))
    if notification.recipient_id != actor.pk:
        security_log.warning(
            "denied action=notification.read actor=%s object=Notification:%s reason=owner",
            actor.pk,
            notification.pk,
        )
        raise NotFound(_("Data tidak ditemukan."))


def mark_read(actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (idempotent: the first read time stays)."""
    _require_own(actor, notification)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=clock.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise AuthenticationFailed(_("Silakan masuk terlebih dahulu."))
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )
