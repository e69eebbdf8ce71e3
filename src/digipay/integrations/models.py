"""Raw bank traffic, kept for reconciliation: our calls (without secrets), the banks'
notifications as received, and the statement lines they produced."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class BankExchange(models.Model):
    bank_code = models.CharField(max_length=3)
    service = models.CharField(max_length=2, help_text="SNAP service code, e.g. 18")
    external_id = models.CharField(max_length=36)
    partner_reference_no = models.CharField(max_length=64, blank=True)
    request_body = models.JSONField()
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    error = models.CharField(max_length=40, blank=True)
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["bank_code", "partner_reference_no"], name="bank_exchange_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}/{self.service} {self.partner_reference_no}"


class NotificationStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Diterima"
    PROCESSED = "PROCESSED", "Diproses"
    FAILED = "FAILED", "Gagal diproses"


class BankNotification(models.Model):
    """A notification exactly as the bank sent it (after its signature was verified)."""

    bank_code = models.CharField(max_length=3)
    event_id = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=40)
    signature = models.TextField()
    raw_body = models.TextField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.RECEIVED
    )
    error = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bank_code", "event_id"], name="bank_notification_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "id"],
                name="bank_notification_pending",
                condition=Q(status="RECEIVED"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.event_id}"


class StatementLine(models.Model):
    """A movement on an account at a bank, as the bank notified it (one per bank event)."""

    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=34)
    event_id = models.CharField(max_length=64)
    direction = models.CharField(max_length=1, choices=[("C", "Kredit"), ("D", "Debit")])
    amount_idr = models.BigIntegerField()
    reference_no = models.CharField(max_length=64, blank=True)
    partner_reference_no = models.CharField(max_length=64, blank=True)
    booked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "event_id"], name="statement_line_once"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="statement_line_positive"),
        ]
        indexes = [
            models.Index(
                fields=["bank_code", "account_no", "booked_at"], name="statement_line_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.account_no} {self.direction}{self.amount_idr}"
