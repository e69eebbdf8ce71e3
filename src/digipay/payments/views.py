"""Payment pages of the Bendahara: the verified invoices to pay with the source and a TOTP
confirmation, her satker's payments, one payment. Thin: the same services decide; a
DomainError becomes a form error."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from digipay.accounts.models import User
from digipay.core.errors import DomainError
from digipay.payments import queries, services
from digipay.payments.rules import Source


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
