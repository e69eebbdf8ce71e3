"""Invoices (one per BAST), their lines and taxes frozen from the tax engine, credit notes and
the tax deposits the collector owes (docs/adr/0016-invoices-and-tax-deposits.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import F, Q

from digipay.accounts.models import Organisation, User
from digipay.invoicing import rules
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.orders.models import Order, OrderLine, Receipt
from digipay.tax.rules import Tax
from digipay.vendors.models import Vendor


class Invoice(models.Model):
    """The tagihan of one BAST: its lines at the order's agreed prices and the taxes the
    engine computed for the BAST date, channel and vendor facts — every figure stored, so an
    old invoice never changes when the tax rules do. Its tenant is the satker; the vendor
    reaches it through ``vendor_view()``."""

    number = models.CharField(max_length=40, unique=True)
    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, related_name="invoice")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="invoices")
    vendor_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    invoice_date = models.DateField()  # the BAST date in Asia/Jakarta
    state = models.CharField(
        max_length=12, choices=InvoiceState.choices, default=InvoiceState.UNVERIFIED
    )
    payment_method = models.CharField(max_length=8)
    collector = models.CharField(max_length=12)
    split = models.BooleanField(default=False)
    # The vendor's facts on the invoice date, as the engine saw them.
    vendor_pkp = models.BooleanField(default=False)
    vendor_npwp = models.CharField(max_length=16)
    vendor_suket = models.BooleanField(default=False)
    vendor_suket_number = models.CharField(max_length=60, blank=True)
    # The engine's figures (whole rupiah) and its explanation (``tax.rules.as_dict``).
    base_idr = models.BigIntegerField()
    ppn_idr = models.BigIntegerField()
    gross_idr = models.BigIntegerField()
    collected_idr = models.BigIntegerField()
    net_idr = models.BigIntegerField()
    quote = models.JSONField(default=dict)
    # Added by the vendor until the invoice is verified.
    vendor_invoice_number = models.CharField(max_length=40, blank=True)
    tax_invoice_number = models.CharField(max_length=17, blank=True)
    vendor_numbers_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vendor_numbers_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    # Set by the payments app when the bank confirms the payment (invoicing.services.mark_paid).
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-invoice_date", "-id"]
        indexes = [
            models.Index(fields=["satker", "state", "-invoice_date"], name="invoice_satker_state"),
            models.Index(
                fields=["vendor_organisation", "state", "-invoice_date"],
                name="invoice_vendor_state",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_idr__gte=0)
                & Q(ppn_idr__gte=0)
                & Q(collected_idr__gte=0)
                & Q(gross_idr=F("base_idr") + F("ppn_idr"))
                & Q(net_idr=F("gross_idr") - F("collected_idr")),
                name="invoice_figures_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)

    def vendor_view(self) -> InvoiceVendorSide:
        return InvoiceVendorSide(self)

    def duty_holders(self) -> Mapping[str, Iterable[int]]:
        """The order's purchase steps, and the PPK who verified this invoice as part of the
        "approve" step: whoever verified it can never pay it."""
        holders = {k: set(v) for k, v in self.order.duty_holders().items()}
        if self.verified_by_id is not None:
            holders.setdefault("approve", set()).add(int(self.verified_by_id))
        return holders

    def figures(self) -> rules.Figures:
        return rules.Figures(
            int(self.base_idr),
            {
                t.tax: rules.TaxAmount(int(t.amount_idr), int(t.collected_idr))
                for t in self.taxes.all()
            },
        )

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state,
            "receipt": self.receipt.number if self.receipt_id else "",
            "invoice_date": self.invoice_date.isoformat(),
            "collector": self.collector,
            "base_idr": self.base_idr,
            "gross_idr": self.gross_idr,
            "collected_idr": self.collected_idr,
            "net_idr": self.net_idr,
            "vendor_invoice_number": self.vendor_invoice_number,
            "tax_invoice_number": self.tax_invoice_number,
        }


class InvoiceVendorSide:
    """The invoice as the vendor acts on it: the gate's tenant is the vendor organisation."""

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.pk = invoice.pk

    @property
    def tenant_id(self) -> int:
        return int(self.invoice.vendor_organisation_id)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()  # 1-based, the engine's line number
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=40)
    unit = models.CharField(max_length=20)
    kind = models.CharField(max_length=8)  # tax.rules.LineKind
    quantity = models.PositiveIntegerField()
    unit_price_idr = models.BigIntegerField()
    base_idr = models.BigIntegerField()
    # This line's share of each invoice tax (the engine's largest-remainder allocation).
    ppn_idr = models.BigIntegerField(default=0)
    pph22_idr = models.BigIntegerField(default=0)
    pph23_idr = models.BigIntegerField(default=0)
    pph_final_idr = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="invoice_line_quantity"),
            models.CheckConstraint(
                condition=Q(base_idr=F("quantity") * F("unit_price_idr")),
                name="invoice_line_base",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class InvoiceTax(models.Model):
    """One tax of the invoice: its amount and the part the collector withholds/collects."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="taxes")
    tax = models.CharField(max_length=10, choices=Tax.choices)
    amount_idr = models.BigIntegerField()
    collected_idr = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "tax"], name="invoice_tax_once"),
            models.CheckConstraint(
                condition=Q(collected_idr__gte=0) & Q(amount_idr__gte=F("collected_idr")),
                name="invoice_tax_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.tax}"


class CreditNote(models.Model):
    """A correction of an invoice (never an edit): fewer units or a lower value on some lines,
    with the taxes that go with it, so that the invoice's outstanding figures drop by it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40, unique=True)
    reason = models.TextField()
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    base_idr = models.BigIntegerField()
    ppn_idr = models.BigIntegerField()
    gross_idr = models.BigIntegerField()
    collected_idr = models.BigIntegerField()
    net_idr = models.BigIntegerField()
    # The engine's quote of what is left of the invoice after this credit note.
    quote_after = models.JSONField(default=dict)

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_idr__gte=0) & Q(ppn_idr__gte=0) & Q(collected_idr__gte=0),
                name="credit_note_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tenant_id(self) -> int:
        return int(self.invoice.satker_id)

    def figures(self) -> rules.Figures:
        return rules.Figures(
            int(self.base_idr),
            {
                t.tax: rules.TaxAmount(int(t.amount_idr), int(t.collected_idr))
                for t in self.taxes.all()
            },
        )


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="credits")
    quantity = models.PositiveIntegerField(default=0)  # units credited (0: a value credit)
    base_idr = models.BigIntegerField()  # the value credited

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(base_idr__gt=0), name="credit_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_line_id} −{self.base_idr}"


class CreditNoteTax(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="taxes")
    tax = models.CharField(max_length=10, choices=Tax.choices)
    amount_idr = models.BigIntegerField()
    collected_idr = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["credit_note", "tax"], name="credit_note_tax_once"),
            # Not amount ≥ collected: a credit that brings the payment under a threshold takes
            # back all that was collected but only part of the tax.
            models.CheckConstraint(
                condition=Q(collected_idr__gte=0) & Q(amount_idr__gte=0),
                name="credit_note_tax_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credit_note_id} {self.tax}"


class TaxDeposit(models.Model):
    """One tax the collector withheld/collected on a verified invoice, to be deposited with
    its own billing code by the due date (paid in the payments issue)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deposits")
    satker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    tax = models.CharField(max_length=10, choices=Tax.choices)
    account_code = models.CharField(max_length=6)
    amount_idr = models.BigIntegerField()
    tax_period = models.DateField()  # first day of the invoice's month (masa pajak)
    due_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=DepositStatus.choices, default=DepositStatus.OPEN
    )
    # Filled when deposited (payments, through the MPN): the billing code paid, the NTPN and
    # NTB receipting it, the bank reference of the transfer, and the date of the NTPN.
    billing_code = models.CharField(max_length=15, blank=True)
    ntpn = models.CharField(max_length=16, blank=True)
    ntb = models.CharField(max_length=32, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    deposited_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["satker", "tax_period"], name="deposit_satker_period"),
            models.Index(fields=["satker", "status", "due_date"], name="deposit_satker_due"),
        ]
        constraints = [
            # Two verifications racing cannot make two deposits of one tax.
            models.UniqueConstraint(fields=["invoice", "tax"], name="deposit_once_per_tax"),
            models.CheckConstraint(condition=Q(amount_idr__gte=0), name="deposit_nonnegative"),
            # A deposit is deposited with its NTPN, never without.
            models.CheckConstraint(
                condition=~Q(status=DepositStatus.PAID)
                | (~Q(ntpn="") & Q(deposited_on__isnull=False)),
                name="deposit_paid_has_ntpn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_code} {self.amount_idr}"

    @property
    def tenant_id(self) -> int:
        return int(self.satker_id)
