"""Reads for invoicing: which invoices an actor sees (two-sided tenancy like orders), the
actions the actor may take now, what is outstanding, the deposits and the monthly report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts import queries as account_queries
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import allows, require
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.invoicing import rules
from digipay.invoicing.models import CreditNote, Invoice, TaxDeposit

VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.VENDOR_STAFF, Role.VENDOR_COURIER})
OVERSEERS = frozenset({Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN, Role.AUDITOR})


def _base() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("satker", "vendor", "order", "receipt")


def visible_invoices(actor: User) -> QuerySet[Invoice]:
    """Vendor users: their vendor's invoices; KPPN, Kanwil, DJPb and auditors: the satkers
    they oversee; satker users: their satker's (the gate decides which roles may look)."""
    if actor.role in VENDOR_ROLES:
        return _base().filter(vendor_organisation_id=actor.organisation_id)
    if actor.role in OVERSEERS:
        reachable = account_queries.reachable_organisations(actor, read_only=True)
        return _base().filter(satker__in=reachable)
    return _base().filter(satker_id=actor.organisation_id)


def gate_object(actor: User, invoice: Invoice) -> Invoice | object:
    return invoice.vendor_view() if actor.role in VENDOR_ROLES else invoice


def invoice_for(actor: User, invoice_id: int) -> Invoice:
    invoice = visible_invoices(actor).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("Tagihan tidak ditemukan."))
    require(actor, "invoice.view", gate_object(actor, invoice))  # type: ignore[arg-type]
    return invoice


def counts_by_state(actor: User) -> dict[str, int]:
    rows = visible_invoices(actor).order_by().values("state").annotate(n=Count("id"))
    return {str(row["state"]): int(row["n"]) for row in rows}


def todo(actor: User) -> QuerySet[Invoice]:
    """The invoices waiting for this actor's role: the PPK tests unverified ones, the vendor
    answers returned ones, the Bendahara pays verified ones."""
    invoices = visible_invoices(actor)
    if actor.role == Role.PPK:
        return invoices.filter(state=rules.InvoiceState.UNVERIFIED)
    if actor.role in (Role.VENDOR_ADMIN, Role.VENDOR_STAFF):
        return invoices.filter(state=rules.InvoiceState.RETURNED)
    if actor.role == Role.BENDAHARA:
        return invoices.filter(state=rules.InvoiceState.VERIFIED)
    return invoices.none()


PaymentCheck = Callable[[Invoice], bool]
_payment_checks: list[PaymentCheck] = []


def on_payment_check(check: PaymentCheck) -> None:
    """The payments app tells whether an invoice is being paid right now (invoicing cannot
    import payments): while it is, no credit note may change what the bank is paying."""
    if check not in _payment_checks:
        _payment_checks.append(check)


def being_paid(invoice: Invoice) -> bool:
    return any(check(invoice) for check in _payment_checks)


def allowed_actions(actor: User, invoice: Invoice) -> list[str]:
    """The steps this actor may take on this invoice now (the state table and the gate; no
    credit note while a payment of it is in flight)."""
    allowed = []
    busy = being_paid(invoice)
    for row in rules.actions_from(invoice.state):
        if row.action == rules.Action.CREDIT and busy:
            continue
        target = invoice.vendor_view() if row.vendor_side else invoice
        if allows(actor, row.gate, target) and row.action not in allowed:
            allowed.append(str(row.action))
    return allowed


def credit_notes(invoice: Invoice) -> QuerySet[CreditNote]:
    return invoice.credit_notes.select_related("issued_by").prefetch_related(
        "taxes", "lines__invoice_line"
    )


def _credits(invoice: Invoice) -> list[CreditNote]:
    return list(invoice.credit_notes.prefetch_related("taxes", "lines").order_by("id"))


def outstanding(invoice: Invoice) -> rules.Figures:
    """The invoice minus its credit notes (never negative)."""
    return rules.outstanding(invoice.figures(), [c.figures() for c in _credits(invoice)])


def balances(invoice: Invoice) -> dict[int, rules.LineBalance]:
    """What is left of each invoice line after the credit notes."""
    out = {}
    for line in invoice.lines.prefetch_related("credits").order_by("position"):
        credited = list(line.credits.all())
        out[line.pk] = rules.LineBalance(
            line.pk,
            line.kind,
            int(line.unit_price_idr),
            int(line.quantity) - sum(int(c.quantity) for c in credited),
            int(line.base_idr) - sum(int(c.base_idr) for c in credited),
        )
    return out


# --- deposits and the monthly report ----------------------------------------------------------


def report_satkers(actor: User) -> QuerySet[Organisation]:
    """The satkers whose deposits and tax report the actor may read."""
    require(actor, "tax_report.view")
    reachable = account_queries.reachable_organisations(actor, read_only=True)
    return reachable.filter(kind=OrgKind.SATKER).order_by("code")


def satker_for_report(actor: User, code: str | None) -> Organisation:
    """The satker of the report: the actor's own, or one the overseer picks by code."""
    satkers = report_satkers(actor)
    if code:
        found = satkers.filter(code=code).first()
    elif actor.organisation.kind == OrgKind.SATKER:
        found = satkers.filter(pk=actor.organisation_id).first()
    else:
        found = satkers.first()
    if found is None:
        raise NotFound(_("Satker tidak ditemukan."))
    require(actor, "tax_report.view", found)
    return found


def deposits_of(satker: Organisation, *, period: date | None = None) -> QuerySet[TaxDeposit]:
    found = TaxDeposit.objects.filter(satker=satker).select_related("invoice", "invoice__vendor")
    if period is not None:
        found = found.filter(tax_period=period)
    return found.order_by("due_date", "id")


@dataclass(frozen=True)
class MonthlyReport:
    satker: Organisation
    period: date
    rows: list[rules.ReportRow]
    total: rules.ReportRow
    deposits: list[TaxDeposit]


def monthly_report(satker: Organisation, period: date) -> MonthlyReport:
    """The satker's taxes of one month (masa pajak = the invoice's month) per account code."""
    period = rules.tax_period(period)
    deposits = list(deposits_of(satker, period=period))
    rows = rules.monthly_report(
        (
            rules.DepositFact(d.tax, d.account_code, int(d.amount_idr), d.status, d.due_date)
            for d in deposits
        ),
        today=clock.today_jakarta(),
    )
    return MonthlyReport(satker, period, rows, rules.report_total(rows), deposits)
