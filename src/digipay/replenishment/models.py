"""SPMs of the replenishment cycle (GUP, GUP KKP, TUP, PTUP) as Digipay keeps them beside
SPAN, the invoices each lists, and the replenishment-age sanctions the KPPN sees.

An ``Spm`` mirrors the SPM in SPAN (``span_id``) and keeps what Digipay needs to act once:
who drafted, signed and decided it, the SP2D, the credit's status and the ledger entry that
restored UP (``ledger_entry_id``: set once, under the row's lock)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.cardbills.models import CardBill
from digipay.payments.models import PaymentInvoice
from digipay.replenishment.rules import CreditState, SanctionLevel, SpmKind, SpmState
from digipay.treasury.models import UpAllocation


class Spm(models.Model):
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kppn = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=SpmKind.choices)
    number = models.CharField(max_length=40)
    fiscal_year = models.PositiveSmallIntegerField()
    spm_date = models.DateField()
    amount_idr = models.BigIntegerField()
    tax_total_idr = models.BigIntegerField(default=0)
    # The treasurer's account the SP2D credits, frozen when drafted.
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=34)
    account_name = models.CharField(max_length=100)
    reason = models.TextField(blank=True, help_text="TUP: the urgent need")
    # PTUP: the TUP it accounts for. TUP: the allocation recorded when the SP2D was credited.
    tup = models.ForeignKey(
        UpAllocation, null=True, blank=True, on_delete=models.PROTECT, related_name="spms"
    )
    state = models.CharField(max_length=10, choices=SpmState.choices, default=SpmState.DRAFT)
    drafted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signature_ref = models.CharField(max_length=128, blank=True)
    span_id = models.CharField(max_length=40, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sp2d_number = models.CharField(max_length=20, blank=True)
    sp2d_date = models.DateField(null=True, blank=True)
    tup_due_date = models.DateField(null=True, blank=True)
    credit_status = models.CharField(
        max_length=8, choices=CreditState.choices, default=CreditState.NOT_YET, blank=True
    )
    bank_reference = models.CharField(max_length=64, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    credit_error = models.CharField(max_length=300, blank=True)
    # The ledger entry that restored UP (or recorded the TUP), set once.
    ledger_entry_id = models.BigIntegerField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-drafted_at", "-id"]
        indexes = [
            models.Index(fields=["kppn", "state"], name="spm_kppn_state"),
            models.Index(fields=["state", "credit_status"], name="spm_state_credit"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["satker", "number"], name="spm_number_per_satker"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="spm_amount_positive"),
            models.CheckConstraint(
                condition=Q(tax_total_idr__gte=0) & Q(tax_total_idr__lte=models.F("amount_idr")),
                name="spm_tax_total",
            ),
            models.CheckConstraint(
                condition=Q(ledger_entry_id__isnull=True) | Q(credit_status="CREDITED"),
                name="spm_restored_only_when_credited",
            ),
            models.CheckConstraint(
                condition=~Q(kind="PTUP") | Q(tup__isnull=False), name="spm_ptup_names_tup"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    @property
    def remark(self) -> str:
        """What the treasurer's statement shows for the SP2D credit."""
        return f"SP2D {self.sp2d_number}" if self.sp2d_number else ""

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "state": self.state,
            "amount_idr": self.amount_idr,
            "sp2d_number": self.sp2d_number,
            "credit_status": self.credit_status,
        }


class SpmLine(models.Model):
    """One paid invoice an SPM lists, with the figures SPAN receives (gross, taxes by tax
    account code, net). ``active`` is cleared when the SPM is rejected or cancelled, which
    frees the invoice for another SPM; the database holds an invoice in one live SPM only."""

    spm = models.ForeignKey(Spm, on_delete=models.PROTECT, related_name="lines")
    payment_invoice = models.ForeignKey(
        PaymentInvoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(max_length=64)
    vendor_name = models.CharField(max_length=100)
    npwp = models.CharField(max_length=16)
    akun = models.CharField(max_length=6)
    gross_idr = models.BigIntegerField()
    net_idr = models.BigIntegerField()
    taxes = models.JSONField(default=dict)  # {"411211": 110000, ...}
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_invoice"],
                condition=Q(active=True, payment_invoice__isnull=False),
                name="spm_invoice_once",
            ),
            models.CheckConstraint(
                condition=Q(gross_idr__gt=0, net_idr__gte=0, net_idr__lte=models.F("gross_idr")),
                name="spm_line_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spm_id}/{self.number}"

    @property
    def tax_total(self) -> int:
        return sum(int(v) for v in dict(self.taxes).values())


class SpmCardBill(models.Model):
    """A paid KKP bill an SPM-GUP KKP replenishes (its total left UP Tunai when the bill was
    paid). ``active`` as for ``SpmLine``: a bill is in one live SPM only."""

    spm = models.ForeignKey(Spm, on_delete=models.PROTECT, related_name="card_bills")
    card_bill = models.ForeignKey(CardBill, on_delete=models.PROTECT, related_name="+")
    total_idr = models.BigIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["card_bill"], condition=Q(active=True), name="spm_card_bill_once"
            ),
            models.CheckConstraint(condition=Q(total_idr__gt=0), name="spm_card_bill_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.spm_id}/bill {self.card_bill_id}"


class SanctionNotice(models.Model):
    """A satker that has not replenished its UP for the policy's months: a warning, then a
    cut. Found by the daily job once per episode (``since`` is the UP's or the last GUP's SP2D
    date); the KPPN records its decision on a cut (``decided_*``)."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kppn = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=SanctionLevel.choices)
    since = models.DateField()
    months = models.PositiveSmallIntegerField()
    up_amount_idr = models.BigIntegerField()
    cut_amount_idr = models.BigIntegerField(default=0)
    detected_on = models.DateField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-detected_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["satker", "level", "since"], name="sanction_once_per_episode"
            ),
            models.CheckConstraint(
                condition=Q(cut_amount_idr__gte=0, up_amount_idr__gte=models.F("cut_amount_idr")),
                name="sanction_cut_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.satker_id} {self.since}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)
