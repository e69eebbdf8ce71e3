"""Invoice pages: the "Tagihan" list (to-do and states), the invoice with its lines, taxes per
line and per invoice, the explanation of every figure, credit notes and the forms of exactly
the steps the viewer may take now; the four documents as PDF; the satker's tax deposits and
its monthly tax report (page and XLSX).

Thin, like the API: a form parses, the same services decide; a DomainError becomes a form
error.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from digipay.accounts import permissions
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, NotFound
from digipay.invoicing import documents, exports, forms, queries, rules, services
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import Action, InvoiceState
from digipay.tax.rules import OUTPUT_KEY, TAX_ORDER, Tax
from digipay.vendors.forms import show_domain_error

PAGE_SIZE = 25
TODO, ALL = "todo", "semua"
TODO_ROLES = frozenset({Role.PPK, Role.BENDAHARA, Role.VENDOR_ADMIN, Role.VENDOR_STAFF})


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int


@login_required
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "invoice.view")
    counts = queries.counts_by_state(actor)
    todo = queries.todo(actor)
    has_todo = actor.role in TODO_ROLES
    default = TODO if has_todo else ALL
    status = request.GET.get("status", default)
    if status not in {TODO, ALL, *InvoiceState.values} or (status == TODO and not has_todo):
        status = default
    if status == TODO:
        found = todo
    elif status == ALL:
        found = queries.visible_invoices(actor)
    else:
        found = queries.visible_invoices(actor).filter(state=status)
    tabs = []
    if has_todo:
        tabs.append(Tab(TODO, _("Perlu tindakan"), todo.count()))
    tabs.append(Tab(ALL, _("Semua"), sum(counts.values())))
    tabs.extend(
        Tab(str(state), str(state.label), counts.get(state, 0))
        for state in InvoiceState
        if counts.get(state, 0) or status == state
    )
    page = Paginator(found.order_by("-invoice_date", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "tabs": tabs,
        "status": status,
        "page": page,
        "can_report": permissions.allows(actor, "tax_report.view"),
    }
    template = "invoicing/list.html#results" if _htmx(request) else "invoicing/list.html"
    return render(request, template, context)


# --- the invoice page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    action: str
    title: Any
    done: Any
    danger: bool = False


SPECS: dict[str, ActionSpec] = {
    "nomor-vendor": ActionSpec(
        Action.VENDOR_NUMBERS,
        gettext_lazy("Nomor tagihan dan faktur pajak"),
        gettext_lazy("Nomor tagihan dan faktur pajak disimpan."),
    ),
    "uji": ActionSpec(
        Action.VERIFY,
        gettext_lazy("Tagihan sah (diuji)"),
        gettext_lazy("Tagihan telah diuji; setoran pajak dicatat dan Bendahara dapat membayar."),
    ),
    "kembalikan": ActionSpec(
        Action.RETURN,
        gettext_lazy("Kembalikan kepada vendor"),
        gettext_lazy("Tagihan dikembalikan kepada vendor."),
        danger=True,
    ),
    "nota-kredit": ActionSpec(
        Action.CREDIT,
        gettext_lazy("Terbitkan nota kredit"),
        gettext_lazy("Nota kredit diterbitkan; sisa tagihan dan pajaknya berkurang."),
        danger=True,
    ),
}


def _make_form(slug: str, invoice: Invoice, data: Any = None) -> django_forms.Form:
    if slug == "nomor-vendor":
        return forms.VendorNumbersForm(
            data,
            prefix=slug,
            initial={
                "vendor_invoice_number": invoice.vendor_invoice_number,
                "tax_invoice_number": rules.format_faktur_number(invoice.tax_invoice_number)
                if invoice.tax_invoice_number
                else "",
            },
        )
    if slug == "kembalikan":
        return forms.ReasonForm(data, prefix=slug)
    if slug == "nota-kredit":
        return forms.CreditNoteForm(
            data,
            prefix=slug,
            lines=list(invoice.lines.all()),
            balances=queries.balances(invoice),
        )
    return forms.ConfirmForm(data, prefix=slug)


def _run(slug: str, actor: User, invoice: Invoice, form: django_forms.Form) -> None:
    d = form.cleaned_data
    if slug == "nomor-vendor":
        services.set_vendor_numbers(
            actor,
            invoice,
            vendor_invoice_number=d["vendor_invoice_number"],
            tax_invoice_number=d["tax_invoice_number"],
        )
    elif slug == "uji":
        services.verify_invoice(actor, invoice)
    elif slug == "kembalikan":
        services.return_invoice(actor, invoice, reason=d["reason"])
    elif slug == "nota-kredit":
        assert isinstance(form, forms.CreditNoteForm)
        services.issue_credit_note(actor, invoice, lines=form.requests(), reason=d["reason"])


@dataclass(frozen=True)
class TaxRow:
    label: str
    code: str
    amount: int
    collected: int
    outstanding_amount: int
    outstanding_collected: int


def _full_identity(actor: User, invoice: Invoice) -> bool:
    """The slips show the vendor's full NPWP to the satker and the vendor only."""
    return actor.organisation_id in (invoice.satker_id, invoice.vendor_organisation_id)


def _detail_page(
    request: HttpRequest,
    actor: User,
    invoice: Invoice,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    allowed = set(queries.allowed_actions(actor, invoice))
    action_forms = [
        {"slug": slug, "spec": spec, "form": (bound or {}).get(slug) or _make_form(slug, invoice)}
        for slug, spec in SPECS.items()
        if spec.action in allowed
    ]
    figures = invoice.figures()
    left = queries.outstanding(invoice)
    taxes = [
        TaxRow(
            str(Tax(t).label),
            rules.ACCOUNT_CODE[t],
            figures.amount(t),
            figures.collected(t),
            left.amount(t),
            left.collected(t),
        )
        for t in TAX_ORDER
        if figures.amount(t) or figures.collected(t)
    ]
    today = clock.today_jakarta()
    deposits = [
        (d, rules.is_overdue(status=d.status, due_date=d.due_date, today=today))
        for d in invoice.deposits.order_by("id")
    ]
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "taxes": taxes,
        "figures": figures,
        "outstanding": left,
        "explanation": invoice.quote.get("explanation", []),
        "credit_notes": list(queries.credit_notes(invoice)),
        "deposits": deposits,
        "documents": documents.available(invoice),
        "action_forms": action_forms,
        "faktur": rules.format_faktur_number(invoice.tax_invoice_number)
        if invoice.tax_invoice_number
        else "",
        "output_keys": OUTPUT_KEY,
    }
    return render(request, "invoicing/detail.html", context, status=status)


@login_required
def invoice_detail_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    actor = _actor(request)
    return _detail_page(request, actor, queries.invoice_for(actor, invoice_id))


@require_POST
@login_required
def invoice_action_view(request: HttpRequest, invoice_id: int, slug: str) -> HttpResponse:
    actor = _actor(request)
    invoice = queries.invoice_for(actor, invoice_id)
    spec = SPECS.get(slug)
    if spec is None:
        raise NotFound(_("Data tidak ditemukan."))
    if spec.action not in queries.allowed_actions(actor, invoice):
        # The same refusal the service would give: who may not (403/404), or not now (409).
        row = next(t for t in rules.TRANSITIONS if t.action == spec.action)
        permissions.require(actor, row.gate, invoice.vendor_view() if row.vendor_side else invoice)
        raise Conflict(
            _("Tagihan berstatus %(state)s: tindakan ini tidak dapat dilakukan.")
            % {"state": InvoiceState(invoice.state).label},
            code="invalid_transition",
        )
    form = _make_form(slug, invoice, request.POST)
    if form.is_valid():
        try:
            _run(slug, actor, invoice, form)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            show_domain_error(form, exc)
        else:
            messages.success(request, str(spec.done))
            return redirect("invoicing:detail", invoice_id=invoice.pk)
    invoice = queries.invoice_for(actor, invoice_id)
    return _detail_page(request, actor, invoice, bound={slug: form}, status=422)


# --- documents ----------------------------------------------------------------------------


@login_required
def document_pdf_view(request: HttpRequest, invoice_id: int, slug: str) -> HttpResponse:
    actor = _actor(request)
    invoice = queries.invoice_for(actor, invoice_id)
    document = documents.by_slug(invoice, slug, full_identity=_full_identity(actor, invoice))
    response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- deposits and the monthly report ------------------------------------------------------


def _month(raw: str) -> date:
    try:
        year, month = (int(x) for x in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return rules.tax_period(clock.today_jakarta())


@login_required
def deposit_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker = queries.satker_for_report(actor, request.GET.get("satker") or None)
    today = clock.today_jakarta()
    found = queries.deposits_of(satker)
    status = request.GET.get("status", "")
    if status in rules.DepositStatus.values:
        found = found.filter(status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (
            d,
            rules.is_overdue(status=d.status, due_date=d.due_date, today=today),
            rules.deposited_late(status=d.status, due_date=d.due_date, deposited_on=d.deposited_on),
        )
        for d in page.object_list
    ]
    context = {
        "satker": satker,
        "satkers": queries.report_satkers(actor) if actor.role in queries.OVERSEERS else [],
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": rules.DepositStatus.choices,
    }
    return render(request, "invoicing/deposits.html", context)


@login_required
def tax_report_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker = queries.satker_for_report(actor, request.GET.get("satker") or None)
    period = _month(request.GET.get("masa", ""))
    report = queries.monthly_report(satker, period)
    context = {
        "report": report,
        "masa": period.strftime("%Y-%m"),
        "satkers": queries.report_satkers(actor) if actor.role in queries.OVERSEERS else [],
        "tax_labels": {t: str(Tax(t).label) for t in TAX_ORDER},
    }
    return render(request, "invoicing/report.html", context)


@login_required
def tax_report_xlsx_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker = queries.satker_for_report(actor, request.GET.get("satker") or None)
    period = _month(request.GET.get("masa", ""))
    report = queries.monthly_report(satker, period)
    out = io.BytesIO()
    exports.report_workbook(report).save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"laporan-pajak-{satker.code}-{period.strftime('%Y-%m')}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
