"""Payments: one ``Payment`` per request of the Bendahara (a batch of invoices), its
``PaymentInvoice`` rows, and the ``BankInstruction`` outbox rows the worker sends."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.payments.rules import (
    DepositState,
    InstructionKind,
    InstructionStatus,
    PaymentState,
    Purpose,
    RefundState,
    Source,
)
from digipay.treasury.models import KkpCard
from digipay.vendors.models import Vendor, VendorBankAccount


class TreasurerAccount(models.Model):
    """The satker's Bendahara Pengeluaran account (the UP Tunai's cash) at its bank: the
    source of every transfer."""

    satker = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="+")
    bank_code = models.CharField(max_length=3)
    account_no = models.CharField(max_length=20)
    holder_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.account_no}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class Payment(models.Model):
    number = models.CharField(max_length=40, unique=True)
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    # VENDOR: invoices paid by ``pay`` (lines below). Otherwise a generic transfer another app
    # asked for (``instruct_transfer``); ``purpose_ref`` names its row ("cardbills.cardbill:12").
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.VENDOR)
    purpose_ref = models.CharField(max_length=80, blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    # A generic transfer's own ledger hold, and the entry that resolved it (post or void).
    hold_entry_id = models.BigIntegerField(null=True, blank=True)
    settled_entry_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=PaymentState.choices, default=PaymentState.IN_PROGRESS
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The request's Idempotency-Key (replays return this payment).
    request_key = models.CharField(max_length=100, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    gross_idr = models.BigIntegerField(default=0)
    collected_idr = models.BigIntegerField(default=0)
    net_idr = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "request_key"],
                condition=~Q(request_key=""),
                name="payment_request_key_once",
            ),
            models.CheckConstraint(
                condition=Q(net_idr=models.F("gross_idr") - models.F("collected_idr")),
                name="payment_net",
            ),
            # A generic transfer always reserves its money in the ledger first.
            models.CheckConstraint(
                condition=Q(purpose=Purpose.VENDOR) | Q(hold_entry_id__isnull=False),
                name="payment_transfer_held",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state,
            "source": self.source,
            "purpose": self.purpose,
            "purpose_ref": self.purpose_ref,
            "gross_idr": self.gross_idr,
            "collected_idr": self.collected_idr,
            "net_idr": self.net_idr,
        }


class BankInstruction(models.Model):
    """One instruction to a bank (the outbox): written in the payment's transaction, sent by
    the worker. Its ids never change, so a repeat is recognised by the bank."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="instructions")
    kind = models.CharField(max_length=12, choices=InstructionKind.choices)
    status = models.CharField(
        max_length=8, choices=InstructionStatus.choices, default=InstructionStatus.PENDING
    )
    bank_code = models.CharField(max_length=3)  # the bank the instruction is sent to
    external_id = models.CharField(max_length=36, unique=True)
    partner_reference_no = models.CharField(max_length=64, unique=True)
    source_account = models.CharField(max_length=20, blank=True)
    card = models.ForeignKey(KkpCard, null=True, blank=True, on_delete=models.PROTECT)
    # Set for vendor payments; empty for generic transfers (the beneficiary fields say where).
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vendor_account = models.ForeignKey(
        VendorBankAccount, null=True, blank=True, on_delete=models.PROTECT
    )
    beneficiary_bank_code = models.CharField(max_length=3)
    beneficiary_account = models.CharField(max_length=20)
    beneficiary_name = models.CharField(max_length=150)
    amount_idr = models.BigIntegerField()
    service = models.CharField(max_length=4, blank=True)  # the SNAP service it went on
    remark = models.CharField(max_length=50, blank=True)  # sent to the bank; default the number
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="instruction_due")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="instruction_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.partner_reference_no}"

    @property
    def tenant_id(self) -> int:
        return int(self.payment.satker_id)


class PaymentInvoice(models.Model):
    """One invoice of a payment, with the figures paid (frozen at the request)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="lines")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payment_lines")
    instruction = models.ForeignKey(BankInstruction, on_delete=models.PROTECT, related_name="lines")
    gross_idr = models.BigIntegerField()
    collected_idr = models.BigIntegerField()
    net_idr = models.BigIntegerField()
    # What the collector withholds/collects per tax ({"PPN": 1100000, ...}), frozen with the
    # figures: the ledger posts these, whatever happens to the invoice meanwhile.
    taxes = models.JSONField(default=dict)
    # Cleared when the payment fails: an invoice has at most one live payment.
    active = models.BooleanField(default=True)
    posted_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(active=True), name="invoice_one_live_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}/{self.invoice_id}"


class DepositRequest(models.Model):
    """One tax deposit (``invoicing.TaxDeposit``) being deposited through the MPN: billing
    code, transfer to the state's receiving account, payment report for the NTPN. The worker
    moves it step by step; every step is resumable after a crash (docs/adr/0021)."""

    deposit = models.ForeignKey(TaxDeposit, on_delete=models.PROTECT, related_name="requests")
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=16, choices=DepositState.choices, default=DepositState.BILLING
    )
    amount_idr = models.BigIntegerField()  # frozen at the request: the billing's amount
    # Our stable reference at the MPN (random, kept): a retry finds the same billing code.
    reference = models.CharField(max_length=64, unique=True)
    billing_code = models.CharField(max_length=15, blank=True)
    billing_expires_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bank_code = models.CharField(max_length=3, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    ntpn = models.CharField(max_length=16, blank=True)
    ntb = models.CharField(max_length=32, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    request_key = models.CharField(max_length=100, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    # Attempts of the current step; > 1 means an earlier call may have reached the MPN.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="deposit_request_due")]
        constraints = [
            # A deposit is deposited once: one live (or done) request at a time.
            models.UniqueConstraint(
                fields=["deposit"],
                condition=~Q(state=DepositState.FAILED),
                name="deposit_request_once",
            ),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="deposit_request_positive"),
            models.CheckConstraint(
                condition=~Q(state=DepositState.DONE) | ~Q(ntpn=""), name="deposit_done_has_ntpn"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)


class Refund(models.Model):
    """Money a vendor owes back after a complaint settled by returning goods already paid
    for: recorded by the PPK, quoted by the vendor in its transfer, matched on the
    treasurer's statement (docs/adr/0021)."""

    number = models.CharField(max_length=40, unique=True)
    # What the vendor quotes in its transfer's remark: short, digits and letters only.
    reference = models.CharField(max_length=20, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+")
    complaint_id = models.BigIntegerField(null=True, blank=True)  # orders.Complaint
    amount_idr = models.BigIntegerField()
    # {invoice line id: quantity returned}
    quantities = models.JSONField(default=dict)
    reason = models.TextField()
    state = models.CharField(
        max_length=10, choices=RefundState.choices, default=RefundState.EXPECTED
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # The credit that settled it (integrations.StatementLine) and its ledger entry.
    statement_line_id = models.BigIntegerField(null=True, blank=True, unique=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    entry_id = models.BigIntegerField(null=True, blank=True)
    # A credit quoting the reference with another amount: flagged, never matched silently.
    flag = models.CharField(max_length=300, blank=True)
    # What has been received so far (matched credits, flagged credits a person accepted):
    # RECEIVED once it reaches ``amount_idr``; instalments leave it EXPECTED in between.
    received_idr = models.BigIntegerField(default=0)
    # An expected refund the PPK gave up on (the vendor will not pay the rest), and why.
    cancel_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="refund_positive"),
            models.CheckConstraint(
                condition=Q(received_idr__gte=0) & Q(received_idr__lte=models.F("amount_idr")),
                name="refund_received_within_due",
            ),
            models.CheckConstraint(
                condition=~Q(state=RefundState.RECEIVED)
                | (Q(statement_line_id__isnull=False) & Q(entry_id__isnull=False)),
                name="refund_received_matched",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    def vendor_view(self) -> RefundVendorView:
        return RefundVendorView(self)

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "reference": self.reference,
            "invoice": self.invoice_id,
            "amount_idr": self.amount_idr,
            "state": self.state,
            "flag": self.flag,
            "received_idr": self.received_idr,
            "cancel_reason": self.cancel_reason,
        }

    @property
    def remaining_idr(self) -> int:
        """What the vendor still owes on it (nothing once received or cancelled)."""
        if self.state != RefundState.EXPECTED:
            return 0
        return int(self.amount_idr) - int(self.received_idr)


class RefundVendorView:
    """The refund as its vendor is gated on (tenant = the vendor's organisation)."""

    def __init__(self, refund: Refund) -> None:
        self.refund = refund

    @property
    def tenant_id(self) -> int:
        return int(self.refund.vendor.organisation_id)


class RefundCredit(models.Model):
    """A credit on a treasurer's statement that quoted a refund reference, examined once:
    matched, or flagged (another amount, or the refund already received)."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="credits")
    statement_line_id = models.BigIntegerField(unique=True)
    amount_idr = models.BigIntegerField()
    matched = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    # A flagged credit a person accepted: the part posted (never more than was still due)
    # and its ledger entry. ``matched`` is then True.
    accepted_idr = models.BigIntegerField(null=True, blank=True)
    entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.refund_id}:{self.statement_line_id}"
