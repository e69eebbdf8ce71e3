"""KKP card bills: one ``CardBill`` per card and month as the bank issued it, its
``CardBillLine`` rows (the bank's charges, each matched against Digipay's card payments, plus
the Digipay payments the bank did not bill), and how it was verified and paid."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, User
from digipay.cardbills.rules import NOT_MISMATCH, CardBillState, DueDateSource, LineMatch
from digipay.payments.models import BankInstruction, Payment
from digipay.treasury.models import KkpCard


class CardBill(models.Model):
    """The bank's monthly bill of one KKP card (SNAP service 94). The bank's figures
    (``total_idr``, the lines) are stored as received and never edited; a bill not yet
    verified may be replaced by fetching it again (the bank corrected it)."""

    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(KkpCard, on_delete=models.PROTECT, related_name="bills")
    # The first day of the billed (Jakarta) month.
    billing_month = models.DateField()
    state = models.CharField(
        max_length=10, choices=CardBillState.choices, default=CardBillState.RECEIVED
    )
    total_idr = models.BigIntegerField()
    # The bank's view of the card when the bill was read (shown, not used in any sum).
    credit_limit_idr = models.BigIntegerField(null=True, blank=True)
    available_limit_idr = models.BigIntegerField(null=True, blank=True)
    # What the bank says was already paid on this bill, as of the latest fetch (its
    # ``paidAmount``): anything paid outside Digipay makes the bill unpayable here (ADR 0022).
    paid_idr = models.BigIntegerField(default=0)
    due_date = models.DateField()
    due_date_source = models.CharField(max_length=4, choices=DueDateSource.choices)
    # Where the bill is paid: the issuing bank's account for it (the bank's card settlement).
    pay_to_bank_code = models.CharField(max_length=3)
    pay_to_account_no = models.CharField(max_length=20)
    pay_to_name = models.CharField(max_length=150, blank=True)
    fetched_at = models.DateTimeField()  # the latest fetch (final once after the month ends)
    fetched_by = models.ForeignKey(  # None: the worker's monthly job
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fetch_count = models.PositiveIntegerField(default=1)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)
    disputed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disputed_at = models.DateTimeField(null=True, blank=True)
    # The payment of the bill (an UP Tunai transfer through payments).
    pay_requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pay_requested_at = models.DateTimeField(null=True, blank=True)
    # The latest payment asked for (payments.Payment, purpose CARD_BILL); a failed one is
    # replaced by the next attempt, the history stays in payments and the audit log.
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    limit_entry_id = models.BigIntegerField(null=True, blank=True)  # card limit freed
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-billing_month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["card", "billing_month"], name="card_bill_once"),
            models.CheckConstraint(condition=Q(total_idr__gte=0), name="card_bill_total"),
            models.CheckConstraint(condition=Q(paid_idr__gte=0), name="card_bill_paid_idr"),
            models.CheckConstraint(
                condition=~Q(state="PAID") | Q(paid_at__isnull=False), name="card_bill_paid_at"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["RECEIVED", "DISPUTED"]) | Q(verified_by__isnull=False),
                name="card_bill_verified_by",
            ),
        ]

    def __str__(self) -> str:
        return f"KKP •••• {self.card.last4} {self.billing_month:%Y-%m}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    def duty_holders(self) -> Mapping[str, Iterable[int]]:
        """Separation of duties: the PPK who verified or disputed (approve) never pays, and
        the Bendahara who asked for the payment never verifies."""
        holders: dict[str, set[int]] = {}
        for ppk in (self.verified_by_id, self.disputed_by_id):
            if ppk is not None:
                holders.setdefault("approve", set()).add(int(ppk))
        if self.pay_requested_by_id is not None:
            holders.setdefault("pay", set()).add(int(self.pay_requested_by_id))
        return holders

    def audit_state(self) -> dict[str, Any]:
        return {
            "card": self.card_id,
            "month": self.billing_month.isoformat(),
            "state": self.state,
            "total_idr": self.total_idr,
            "due_date": self.due_date.isoformat(),
        }


class CardBillLine(models.Model):
    """One row of the bill's reconciliation: a charge the bank billed (``on_bill``), with the
    Digipay card payment it matched, or a Digipay card payment of the month that the bank did
    not bill (``on_bill`` false, no bank figures)."""

    bill = models.ForeignKey(CardBill, on_delete=models.CASCADE, related_name="lines")
    on_bill = models.BooleanField(default=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    partner_reference_no = models.CharField(max_length=64, blank=True)
    transaction_at = models.DateTimeField(null=True, blank=True)
    merchant_name = models.CharField(max_length=150, blank=True)
    remark = models.CharField(max_length=100, blank=True)
    amount_idr = models.BigIntegerField(null=True, blank=True)  # as billed
    instruction = models.ForeignKey(
        BankInstruction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    digipay_amount_idr = models.BigIntegerField(null=True, blank=True)
    match = models.CharField(max_length=14, choices=LineMatch.choices)

    class Meta:
        ordering = ["-on_bill", "transaction_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_bill=False) | (Q(amount_idr__isnull=False) & ~Q(bank_reference="")),
                name="card_bill_line_billed",
            ),
            models.CheckConstraint(
                condition=Q(on_bill=True)
                | (Q(match__in=["NOT_BILLED", "NEXT_BILL"]) & Q(instruction__isnull=False)),
                name="card_bill_line_not_billed",
            ),
            models.UniqueConstraint(
                fields=["bill", "bank_reference"],
                condition=Q(on_bill=True),
                name="card_bill_line_ref_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}/{self.bank_reference or self.instruction_id}"

    @property
    def mismatch(self) -> bool:
        return self.match not in NOT_MISMATCH
