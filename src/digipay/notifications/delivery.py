"""E-mail copies of notifications, sent by the worker (``tasks.email_notifications``).

Each notification is e-mailed at most once: under a row lock, ``emailed_at`` is set (the claim)
and committed *before* the message is handed to the mail server, so a second run, a duplicate
task or a concurrent worker finds it set and sends nothing. If the server refuses the message
the claim is released (``emailed_at`` back to empty) so that the retry job may try again; if the
process dies between the claim and the send, the e-mail is not sent — the in-app notification
remains. Logs carry notification ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from digipay.core import clock
from digipay.notifications.models import Notification

log = logging.getLogger("digipay.notifications")
SMTP_TIMEOUT_SECONDS = 30


class EmailDeliveryFailed(Exception):
    """Some e-mails were refused; the message names counts only (no addresses)."""


def send_emails(notification_ids: Iterable[int]) -> int:
    """E-mail the given notifications that still need it; returns how many were sent. Raises
    ``EmailDeliveryFailed`` after trying all of them if any was refused (the task is then
    recorded as failed; the retry job tries those again later)."""
    ids = list(dict.fromkeys(int(pk) for pk in notification_ids))
    sent = failed = 0
    connection: BaseEmailBackend | None = None
    with translation.override(settings.LANGUAGE_CODE):
        try:
            for pk in ids:
                claimed = _claim(pk)
                if claimed is None:
                    continue
                notification, claimed_at = claimed
                try:
                    if connection is None:
                        connection = get_connection(
                            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS
                        )
                        connection.open()
                    _message(notification, connection).send()
                except Exception as exc:
                    _release(pk, claimed_at)
                    failed += 1
                    log.error(
                        "notification e-mail failed notification=%s error=%s",
                        pk,
                        type(exc).__name__,
                    )
                else:
                    sent += 1
                    log.info("notification e-mailed notification=%s", pk)
        finally:
            if connection is not None:
                connection.close()
    if failed:
        raise EmailDeliveryFailed(f"{failed} of {len(ids)} notification e-mails were refused")
    return sent


def _claim(pk: int) -> tuple[Notification, datetime] | None:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=pk)
            .first()
        )
        if (
            notification is None
            or not notification.wants_email
            or notification.emailed_at is not None
            or not notification.recipient.is_active
        ):
            return None
        claimed_at = clock.now()
        notification.emailed_at = claimed_at
        notification.email_attempts += 1
        notification.save(update_fields=["emailed_at", "email_attempts"])
    return notification, claimed_at


def _release(pk: int, claimed_at: datetime) -> None:
    Notification.objects.filter(pk=pk, emailed_at=claimed_at).update(emailed_at=None)


def _message(notification: Notification, connection: BaseEmailBackend) -> EmailMessage:
    base = settings.DIGIPAY_BASE_URL
    parts = [
        _("Yth. %(name)s,") % {"name": notification.recipient.full_name},
        notification.title,
    ]
    if notification.body:
        parts.append(notification.body)
    if notification.link:
        parts.append(_("Buka: %(url)s") % {"url": base + notification.link})
    parts.append(
        "-- \n"
        + _("Pesan ini dikirim otomatis oleh Digipay. Semua notifikasi Anda: %(url)s")
        % {"url": base + reverse("notifications:inbox")}
    )
    subject = " ".join(f"Digipay: {notification.title}".split())
    return EmailMessage(
        subject=subject,
        body="\n\n".join(parts),
        to=[notification.recipient.email],
        connection=connection,
    )
