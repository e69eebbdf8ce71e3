"""One row per (caller, Idempotency-Key): the claim while the request runs, then its response."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from digipay.idempotency.rules import KEY_MAX, RecordState


class IdempotencyRecord(models.Model):
    """A key a caller used. UNIQUE(user, key): inserting the row is the claim, so of any number
    of concurrent requests with one key exactly one runs (``services.claim``).

    Keys are scoped to the user, not the token: two tokens of one user share their keys, two
    users may use the same key. The stored response is what the endpoint returned to this same
    user; endpoints whose answer carries a secret (a token, a one-time password) must not be
    idempotent, because the body is kept as sent for the retention period.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=KEY_MAX)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request (rules)")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    state = models.CharField(
        max_length=12, choices=RecordState.choices, default=RecordState.IN_PROGRESS
    )
    claim_token = models.CharField(
        max_length=32, help_text="Who holds the claim now; changes when a stale claim is taken"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(help_text="When the current claim began (for the lease)")
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_one_record_per_key"),
            models.CheckConstraint(
                condition=models.Q(state=RecordState.IN_PROGRESS)
                | models.Q(
                    state=RecordState.COMPLETED,
                    response_status__isnull=False,
                    completed_at__isnull=False,
                    response_body__isnull=False,
                ),
                name="idempotency_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} {self.state}"
