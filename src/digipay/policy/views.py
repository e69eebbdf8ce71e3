"""The policy table page: every rule with its history; DJPb admins schedule new values."""

from __future__ import annotations

from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from digipay.accounts import permissions
from digipay.accounts.forms import add_domain_error
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.core.errors import DomainError
from digipay.policy import queries, rules, services
from digipay.policy.forms import PolicyForm


@login_required
def policy_view(request: HttpRequest) -> HttpResponse:
    actor = request.user
    assert isinstance(actor, User)
    permissions.require(actor, "policy.view")
    can_edit = actor.role == Role.DJPB_ADMIN
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and can_edit and form.is_valid():
        data = form.cleaned_data
        try:
            value = rules.parse_value(data["value"], rules.UNIT_OF[data["key"]])
        except (ValueError, ZeroDivisionError):
            form.add_error("value", _("Nilai tidak dapat dibaca."))
        else:
            try:
                services.schedule_policy_value(
                    actor,
                    key=data["key"],
                    value=Fraction(value),
                    valid_from=data["valid_from"],
                    legal_basis=data["legal_basis"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Nilai kebijakan baru dijadwalkan."))
                return redirect("policy:rules")
    today = clock.today_jakarta()
    rows = [
        (
            rule,
            rules.display(rule.value, rule.unit),
            rule.valid_from <= today and (rule.valid_to is None or rule.valid_to >= today),
        )
        for rule in queries.all_rules()
    ]
    return render(request, "policy/rules.html", {"rows": rows, "form": form, "can_edit": can_edit})
