"""Reads of notifications: always the actor's own."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.core.errors import NotFound
from digipay.notifications import rules
from digipay.notifications.models import Notification


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_for(user: User, pk: int) -> Notification:
    """One of the user's notifications; another user's is "not found" (nothing leaks)."""
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise NotFound(_("Data tidak ditemukan."))
    return notification


def unsent_emails(*, now: datetime) -> QuerySet[Notification]:
    """E-mail copies still owed: not sent, not tried too often, older than the retry delay (the
    first task has had its chance) and younger than a day (stale news is not e-mailed)."""
    return Notification.objects.filter(
        wants_email=True,
        emailed_at__isnull=True,
        email_attempts__lt=rules.MAX_EMAIL_ATTEMPTS,
        created_at__lte=now - rules.RETRY_AFTER,
        created_at__gte=now - rules.RETRY_WITHIN,
        recipient__is_active=True,
    ).order_by("id")
