"""Demo invoices: the demo orders' BASTs made their invoices through the orders app's
listener (``digipay.orders.demo``); here the PPK of each demo satker tests (verifies) the
older half of its transfer invoices, so the Bendahara finds invoices to pay and the tax
deposits and the monthly report have figures. Only in the full demo set (``make run``);
loading again changes nothing."""

from __future__ import annotations

from django.db import transaction

from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.invoicing import services
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState

DEMO_SATKERS = ("415256", "652840", "527010")


def load(*, full: bool = True) -> int:
    """Verify the older half of each demo satker's unverified invoices; the number verified."""
    if not full:
        return 0
    verified = 0
    with transaction.atomic():
        for code in DEMO_SATKERS:
            invoices = list(
                Invoice.objects.filter(satker__code=code).order_by("invoice_date", "id")
            )
            if not invoices or any(i.state != InvoiceState.UNVERIFIED for i in invoices):
                continue  # none yet, or already done
            ppk = User.objects.filter(
                organisation__code=code, role=Role.PPK, is_active=True
            ).first()
            if ppk is None:
                continue
            for invoice in invoices[: (len(invoices) + 1) // 2]:
                services.verify_invoice(ppk, invoice)
                verified += 1
    return verified
