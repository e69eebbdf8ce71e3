"""Reads of payments: what the Bendahara may pay, her satker's payments, one payment."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.core.errors import NotFound
from digipay.invoicing import queries as invoicing_queries
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.payments.models import Payment, PaymentInvoice


def payable_invoices(actor: User) -> QuerySet[Invoice]:
    """The satker's verified invoices that no live payment covers."""
    require(actor, "invoice.pay")
    live = PaymentInvoice.objects.filter(invoice=OuterRef("pk"), active=True)
    return (
        invoicing_queries.visible_invoices(actor)
        .filter(satker_id=actor.organisation_id, state=InvoiceState.VERIFIED)
        .exclude(Exists(live))
        .order_by("invoice_date", "id")
    )


def visible_payments(actor: User) -> QuerySet[Payment]:
    """Satker users see their satker's payments (the gate decides which roles)."""
    require(actor, "invoice.view")
    return Payment.objects.filter(satker_id=actor.organisation_id).select_related("created_by")


def payment_for(actor: User, payment_id: int) -> Payment:
    payment = visible_payments(actor).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Pembayaran tidak ditemukan."))
    require(actor, "invoice.view", payment)
    return payment


def invoice_being_paid(invoice: Invoice) -> bool:
    """A live payment line holds the invoice (in progress; a failed payment releases it)."""
    return PaymentInvoice.objects.filter(invoice=invoice, active=True).exists()
