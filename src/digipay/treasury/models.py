"""UP allocations (SP2D-UP and TUP), KKP share settings, year-end returns, KKP cards."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.treasury.rules import FundingSource


class UpKind(models.TextChoices):
    UP = "UP", "UP"
    TUP = "TUP", "TUP"


class UpAllocation(models.Model):
    """UP (or TUP) given to a satker by SP2D; its ledger entry moves the money in."""

    satker = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="up_allocations"
    )
    kind = models.CharField(max_length=3, choices=UpKind.choices, default=UpKind.UP)
    fiscal_year = models.PositiveSmallIntegerField()
    funding_source = models.CharField(max_length=4, choices=FundingSource.choices)
    sp2d_number = models.CharField(max_length=40)
    sp2d_date = models.DateField()
    annual_budget_idr = models.BigIntegerField(help_text="Pagu setahun yang dapat dibayar via UP")
    amount_idr = models.BigIntegerField()
    tunai_idr = models.BigIntegerField()
    kkp_idr = models.BigIntegerField()
    kanwil_approval_ref = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True, help_text="TUP: the urgent need")
    due_date = models.DateField(null=True, blank=True, help_text="TUP: account for it by then")
    extensions = models.PositiveSmallIntegerField(default=0)
    # TUP: accounted for by an approved SPM-PTUP (its SP2D "nihil"), or not yet.
    accounted_sp2d_number = models.CharField(max_length=40, blank=True)
    accounted_at = models.DateTimeField(null=True, blank=True)
    # TUP: the day its lateness was last told (a later due date after an extension resets it).
    overdue_notified_on = models.DateField(null=True, blank=True)
    ledger_entry_id = models.BigIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sp2d_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["satker", "fiscal_year", "funding_source"],
                condition=Q(kind="UP"),
                name="treasury_one_up_per_source_year",
            ),
            models.UniqueConstraint(
                fields=["sp2d_number", "fiscal_year"], name="treasury_sp2d_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_idr__gt=0, tunai_idr__gte=0, kkp_idr__gte=0),
                name="treasury_up_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sp2d_number}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class KkpShareSetting(models.Model):
    """A Kanwil's decision on a satker's KKP share; the newest applies to later UP."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kkp_shares")
    share_numerator = models.BigIntegerField()
    share_denominator = models.BigIntegerField()
    reason = models.TextField()
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]

    def __str__(self) -> str:
        return f"{self.satker_id}: {self.share_numerator}/{self.share_denominator}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class UpReturn(models.Model):
    """Unused UP returned to the state treasury at year end."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="up_returns")
    fiscal_year = models.PositiveSmallIntegerField()
    tunai_idr = models.BigIntegerField()
    kkp_idr = models.BigIntegerField()
    deposit_reference = models.CharField(max_length=40, help_text="NTPN of the deposit")
    returned_on = models.DateField()
    ledger_entry_id = models.BigIntegerField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["satker", "fiscal_year"], name="treasury_return_once")
        ]

    def __str__(self) -> str:
        return f"return {self.satker_id}/{self.fiscal_year}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class CardStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Aktif"
    BLOCKED = "BLOCKED", "Diblokir"
    CLOSED = "CLOSED", "Ditutup"


class KkpCard(models.Model):
    """A government charge card. Only the bank's reference and the last 4 digits are kept."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kkp_cards")
    cardholder = models.ForeignKey(User, on_delete=models.PROTECT, related_name="kkp_cards")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    bank_card_ref = models.CharField(max_length=40)
    last4 = models.CharField(max_length=4)
    card_limit_idr = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    issued_on = models.DateField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-issued_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "bank_card_ref"], name="kkp_card_bank_ref"),
            models.CheckConstraint(
                condition=Q(card_limit_idr__gt=0), name="kkp_card_limit_positive"
            ),
            models.CheckConstraint(condition=Q(last4__regex=r"^[0-9]{4}$"), name="kkp_card_last4"),
        ]

    def __str__(self) -> str:
        return f"KKP •••• {self.last4}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)
