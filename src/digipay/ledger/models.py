"""Ledger tables. Entries and postings are append-only (PostgreSQL triggers refuse UPDATE and
DELETE); ``AccountBalance`` is the one mutable row per account, a locked running total that
``validate_ledger`` checks against the postings."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from digipay.ledger.rules import STATUS_LABELS, EntryKind, Side


class AccountKind(models.TextChoices):
    ASSET = "ASSET", "Aset"
    LIABILITY = "LIABILITY", "Kewajiban"
    EQUITY = "EQUITY", "Ekuitas/dana"
    EXPENSE = "EXPENSE", "Belanja"
    MEMO = "MEMO", "Memorial"


class Account(models.Model):
    owner_id = models.BigIntegerField(help_text="Tenant (organisation id) that owns the account")
    code = models.CharField(max_length=60, help_text="e.g. UP_TUNAI, EXPENSE:521211, KKP_CARD:7")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    normal_side = models.CharField(max_length=1, choices=Side.choices)
    must_not_go_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_id", "code"], name="ledger_account_owner_code")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.code}"


class AccountBalance(models.Model):
    """Running counters of one account (TigerBeetle's model), locked while an entry is written."""

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.PROTECT, related_name="balance"
    )
    normal_side = models.CharField(max_length=1, choices=Side.choices)
    must_not_go_negative = models.BooleanField(default=False)
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    debits_pending__gte=0,
                    debits_posted__gte=0,
                    credits_pending__gte=0,
                    credits_posted__gte=0,
                ),
                name="ledger_balance_counters_non_negative",
            ),
            # The database's own guard: available = posted − held never below zero where forbidden.
            models.CheckConstraint(
                condition=Q(must_not_go_negative=False)
                | Q(
                    normal_side=Side.DEBIT,
                    debits_posted__gte=F("credits_posted") + F("credits_pending"),
                )
                | Q(
                    normal_side=Side.CREDIT,
                    credits_posted__gte=F("debits_posted") + F("debits_pending"),
                ),
                name="ledger_balance_available_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"balance {self.account_id}"


class Entry(models.Model):
    idempotency_key = models.CharField(max_length=120, unique=True)
    content_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    tenant_id = models.BigIntegerField(help_text="Whose book this entry belongs to (for filters)")
    reason_code = models.CharField(max_length=60)
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=300, blank=True)
    # A POST_HOLD or VOID_HOLD resolves exactly one HOLD; unique = resolved at most once.
    resolves = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resolution"
    )
    # A CORRECT entry corrects exactly one earlier entry, at most once.
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "created_at"], name="ledger_entry_tenant_time"),
            models.Index(fields=["source_type", "source_id"], name="ledger_entry_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolves__isnull=True)
                | Q(kind__in=[EntryKind.POST_HOLD, EntryKind.VOID_HOLD]),
                name="ledger_entry_only_resolutions_resolve",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | Q(kind=EntryKind.CORRECT),
                name="ledger_entry_only_corrections_correct",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"

    @property
    def status(self) -> str:
        """Holds: pending → posted | voided (derived from the resolving entry); others: posted."""
        if self.kind != EntryKind.HOLD:
            return "posted"
        resolution = getattr(self, "resolution", None)
        if resolution is None:
            return "pending"
        return "posted" if resolution.kind == EntryKind.POST_HOLD else "voided"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class Posting(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(help_text="Whole rupiah: + debit, − credit")
    pending = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_non_zero"),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_posting_account")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"
