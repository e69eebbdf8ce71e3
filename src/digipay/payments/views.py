"""Payment pages of the Bendahara: the verified invoices to pay with the source and a TOTP
confirmation, her satker's payments, one payment. Thin: the same services decide; a
DomainError becomes a form error."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.accounts.models import User
from digipay.accounts.permissions import allows, require
from digipay.core.errors import DomainError, NotFound, PermissionDenied
from digipay.invoicing import queries as invoicing_queries
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.payments import deposits, queries, refunds, services
from digipay.payments.models import TreasurerAccount
from digipay.payments.rules import DepositState, Source


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class PayForm(forms.Form):
    invoices = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Tagihan"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(label=gettext_lazy("Sumber dana"), choices=Source.choices)
    otp = forms.CharField(label=gettext_lazy("Kode verifikasi (TOTP)"), max_length=10)
    # One form = one payment: the key rides in the form, so a double submit pays once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


@login_required
def payment_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    payments = list(queries.visible_payments(actor)[:100])
    return render(request, "payments/list.html", {"payments": payments})


@login_required
def pay_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    invoices = list(queries.payable_invoices(actor).select_related("vendor", "order"))
    form = PayForm(request.POST or None, initial={"request_key": uuid.uuid4().hex})
    field = form.fields["invoices"]
    assert isinstance(field, forms.TypedMultipleChoiceField)
    field.choices = [(i.pk, i.number) for i in invoices]
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.pay(
                actor,
                invoice_ids=form.cleaned_data["invoices"],
                source=form.cleaned_data["source"],
                otp=form.cleaned_data["otp"],
                request_key=form.cleaned_data["request_key"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("payments:detail", payment_id=payment.pk)
    return render(request, "payments/pay.html", {"form": form, "invoices": invoices})


@login_required
def payment_detail_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = queries.payment_for(_actor(request), payment_id)
    lines = payment.lines.select_related("invoice").order_by("id")
    instructions = payment.instructions.select_related("vendor").order_by("id")
    return render(
        request,
        "payments/detail.html",
        {"payment": payment, "lines": lines, "instructions": instructions},
    )


# --- tax deposits -------------------------------------------------------------------------------

PAGE_SIZE = 25


class DepositForm(forms.Form):
    deposits = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Setoran pajak"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    otp = forms.CharField(label=gettext_lazy("Kode verifikasi (TOTP)"), max_length=10)
    # One form = one request: a double submit deposits once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


@login_required
def deposit_list_view(request: HttpRequest) -> HttpResponse:
    """The satker's tax deposits (open, overdue, being deposited, deposited with billing code
    and NTPN) and, for the Bendahara, the form to deposit open ones."""
    actor = _actor(request)
    status = request.GET.get("status", "")
    found = queries.satker_deposits(actor, status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queries.deposit_rows(page.object_list)
    can_deposit = allows(actor, "tax_deposit.pay")
    form = DepositForm(request.POST or None, initial={"request_key": uuid.uuid4().hex})
    field = form.fields["deposits"]
    assert isinstance(field, forms.TypedMultipleChoiceField)
    field.choices = [
        (d.pk, d.pk)
        for d in queries.satker_deposits(actor, DepositStatus.OPEN).filter(
            amount_idr__gt=0, invoice__state=InvoiceState.PAID
        )
    ]
    if request.method == "POST":
        if not can_deposit:
            raise PermissionDenied(_("Peran Anda tidak berwenang melakukan tindakan ini."))
        if form.is_valid():
            try:
                deposits.deposit_taxes(
                    actor,
                    deposit_ids=form.cleaned_data["deposits"],
                    otp=form.cleaned_data["otp"],
                    request_key=form.cleaned_data["request_key"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(f"{reverse('payments:deposits')}?status=PROCESSING")
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": [
            ("OPEN", _("Belum disetor")),
            ("OVERDUE", _("Lewat jatuh tempo")),
            ("PROCESSING", _("Sedang disetor")),
            ("PAID", _("Sudah disetor")),
        ],
        "form": form,
        "can_deposit": can_deposit,
        # Transferred, but the MPN refused the report: a person must act (docs/adr/0021).
        "attention": list(
            queries.deposit_requests(actor)
            .filter(state=DepositState.NEEDS_ATTENTION)
            .select_related("deposit__invoice")
            .order_by("id")
        ),
    }
    return render(request, "payments/deposits.html", context)


@login_required
def deposit_proof_view(request: HttpRequest, request_id: int) -> HttpResponse:
    """The printable proof of one deposit: billing code, NTPN, NTB, bank reference."""
    found = queries.deposit_request_for(_actor(request), request_id)
    if found.state != DepositState.DONE:
        raise NotFound(_("Setoran ini belum mendapat NTPN."))
    return render(request, "payments/deposit_proof.html", {"r": found, "d": found.deposit})


# --- refunds ------------------------------------------------------------------------------------


@login_required
def refund_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    found = refunds.visible_refunds(actor)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    # The PPK starts a refund from a paid invoice of her satker (the latest ones here).
    paid = (
        invoicing_queries.visible_invoices(actor)
        .filter(satker_id=actor.organisation_id, state=InvoiceState.PAID)
        .select_related("vendor")
        .order_by("-paid_at", "-id")[:20]
        if allows(actor, "refund.request")
        else []
    )
    return render(request, "payments/refunds.html", {"page": page, "paid": paid})


@login_required
def refund_detail_view(request: HttpRequest, refund_id: int) -> HttpResponse:
    """The refund as the vendor must pay it: amount, the treasurer's account, the reference;
    for the PPK, the credits that came in and the buttons to accept a flagged one or to cancel
    what is still due."""
    actor = _actor(request)
    refund = refunds.refund_for(actor, refund_id)
    can_resolve = allows(actor, "refund.request")
    error = ""
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied(_("Peran Anda tidak berwenang melakukan tindakan ini."))
        try:
            if request.POST.get("action") == "accept":
                refunds.accept_credit(
                    actor, refund_id=refund.pk, credit_id=int(request.POST.get("credit") or 0)
                )
            elif request.POST.get("action") == "cancel":
                refunds.cancel_refund(
                    actor, refund_id=refund.pk, reason=request.POST.get("reason", "")
                )
        except DomainError as exc:
            error = exc.message
        except ValueError:
            error = str(_("Kredit tidak ditemukan pada pengembalian ini."))
        else:
            return redirect("payments:refund", refund_id=refund.pk)
    treasurer = TreasurerAccount.objects.filter(satker_id=refund.satker_id).first()
    lines = {line.pk: line for line in refund.invoice.lines.all()}
    returned = [(lines.get(int(k)), v) for k, v in dict(refund.quantities).items()]
    return render(
        request,
        "payments/refund.html",
        {
            "refund": refund,
            "treasurer": treasurer,
            "returned": returned,
            "credits": list(refund.credits.order_by("id")) if can_resolve else [],
            "can_resolve": can_resolve,
            "error": error,
        },
    )


@login_required
def refund_new_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The PPK records a refund for goods returned from a paid invoice."""
    actor = _actor(request)
    invoice = invoicing_queries.visible_invoices(actor).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("Tagihan tidak ditemukan."))
    require(actor, "refund.request", invoice)
    lines = list(invoice.lines.all())
    error = ""
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {k: str(v) for k, v in request.POST.items()}
        try:
            returned = {
                line.pk: int(values.get(f"qty-{line.pk}") or 0)
                for line in lines
                if (values.get(f"qty-{line.pk}") or "0").strip() not in ("", "0")
            }
            amount = int((values.get("amount_idr") or "0").replace(".", "").strip())
        except ValueError:
            error = str(_("Isi jumlah dengan angka bulat."))
        else:
            try:
                refund = refunds.request_refund(
                    actor,
                    invoice_id=invoice.pk,
                    returned=returned,
                    amount_idr=amount,
                    reason=values.get("reason", ""),
                )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("payments:refund", refund_id=refund.pk)
    return render(
        request,
        "payments/refund_new.html",
        {"invoice": invoice, "lines": lines, "error": error, "values": values},
    )
