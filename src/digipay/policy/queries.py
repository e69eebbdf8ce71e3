"""The policy value in force on a date."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from digipay.core.errors import DomainError
from digipay.policy.models import PolicyRule
from digipay.policy.rules import PolicyKey


def rule_in_force(key: str, on: date) -> PolicyRule:
    rule = (
        PolicyRule.objects.filter(key=key, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )
    if rule is None:
        raise DomainError(
            _("Kebijakan %(key)s belum ditetapkan untuk tanggal %(date)s.")
            % {"key": PolicyKey(key).label, "date": on.strftime("%d/%m/%Y")},
            code="policy_missing",
        )
    return rule


def value_in_force(key: str, on: date) -> Fraction:
    return rule_in_force(key, on).value


def idr_in_force(key: str, on: date) -> int:
    value = value_in_force(key, on)
    if value.denominator != 1:
        raise DomainError(_("Nilai kebijakan rupiah harus bilangan bulat."), code="policy_invalid")
    return value.numerator


def all_rules() -> QuerySet[PolicyRule]:
    return PolicyRule.objects.order_by("key", "-valid_from")
