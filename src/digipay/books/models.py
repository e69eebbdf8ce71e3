"""Books tables: the daily reconciliation runs of a treasurer account, the cases they open
(with their notes), and the LPJ snapshots. The books themselves (BKU, sub-books) are not
stored: they are read from the ledger every time, so they cannot drift from it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.books.rules import CaseKind, CaseStatus


class ReconciliationRun(models.Model):
    """The last run of one satker's day (re-running the day updates it: one row per day)."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The Jakarta day reconciled")
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=20)
    runs = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField()
    statement_lines = models.PositiveIntegerField(default=0)
    movements = models.PositiveIntegerField(default=0)
    ledger_lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-day", "satker_id"]
        constraints = [
            models.UniqueConstraint(fields=["satker", "day"], name="books_run_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"recon {self.satker_id} {self.day}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class ReconciliationCase(models.Model):
    """One mismatch between the ledger, the payment records and the bank statement.

    ``fingerprint`` identifies the mismatch across runs (unique per satker), so re-running a
    day finds the case again instead of opening another. When a later run no longer sees the
    cause, ``cause_gone_at`` is set and a note written; the case is never deleted."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=24, choices=CaseKind.choices)
    fingerprint = models.CharField(max_length=200)
    status = models.CharField(max_length=14, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    amount_idr = models.BigIntegerField()
    expected_idr = models.BigIntegerField(null=True, blank=True)
    bank_reference = models.CharField(max_length=200, blank=True)
    partner_reference = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=300, blank=True)
    detail = models.TextField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    # Who works on it: the satker's Bendahara by default (owner_org = the satker, owner empty
    # until someone takes it); the KPPN may take it over (owner_org = the KPPN).
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    resolution = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    cause_gone_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["satker", "status"], name="books_case_satker_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["satker", "fingerprint"], name="books_case_fingerprint_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["OPEN", "INVESTIGATING"])
                | (~Q(resolution="") & Q(closed_at__isnull=False)),
                name="books_case_closed_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.fingerprint}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    @property
    def is_open(self) -> bool:
        return self.status in (CaseStatus.OPEN, CaseStatus.INVESTIGATING)

    def audit_state(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "owner_org": self.owner_org_id,
            "owner": self.owner_id,
            "amount_idr": self.amount_idr,
            "resolution": self.resolution,
        }


class CaseNote(models.Model):
    case = models.ForeignKey(ReconciliationCase, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.case_id}"


class Lpj(models.Model):
    """A submitted LPJ: the month's figures frozen at submission. Never updated."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(help_text="First day of the month reported")
    number = models.CharField(max_length=40, unique=True)
    due_date = models.DateField()
    late = models.BooleanField(default=False)
    up_tunai_idr = models.BigIntegerField()
    up_kkp_idr = models.BigIntegerField()
    kkp_bill_paid_idr = models.BigIntegerField()
    taxes_held_idr = models.BigIntegerField()
    bank_closing_idr = models.BigIntegerField()
    bank_closing_at = models.DateTimeField()
    in_transit_idr = models.BigIntegerField()
    transit_items = models.JSONField(default=list)
    open_cases = models.PositiveIntegerField(default=0)
    unused_up_idr = models.BigIntegerField(null=True, blank=True)
    up_returned = models.BooleanField(null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-period", "satker_id"]
        constraints = [
            models.UniqueConstraint(fields=["satker", "period"], name="books_lpj_once"),
            models.CheckConstraint(
                condition=Q(bank_closing_idr=models.F("up_tunai_idr") + models.F("in_transit_idr")),
                name="books_lpj_agrees_with_bank",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a submitted LPJ is never changed")
        super().save(*args, **kwargs)

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)
