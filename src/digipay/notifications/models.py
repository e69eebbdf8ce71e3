"""One in-app notification for one user."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from digipay.notifications.rules import LINK_MAX, TITLE_MAX


class Notification(models.Model):
    """A message to one user. ``tenant_id`` is the recipient's organisation (the tenant key of
    this hot table). ``wants_email``/``emailed_at``/``email_attempts`` are the e-mail outbox
    state: ``emailed_at`` is set under a row lock before sending, so each is sent at most once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    tenant_id = models.BigIntegerField(db_index=True)
    title = models.CharField(_("judul"), max_length=TITLE_MAX)
    body = models.TextField(_("isi"), blank=True)
    link = models.CharField(_("tautan"), max_length=LINK_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    wants_email = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(wants_email=True, emailed_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk} → user {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
