"""Reads of the tax table: the rows in force on a date, every row with its history."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from digipay.tax.models import TaxRule
from digipay.tax.rules import RuleRow


def rules_in_force(on: date) -> list[RuleRow]:
    """The rows valid on ``on`` (an invoice keeps the rules of its date)."""
    rows = TaxRule.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )
    return [rule.as_row() for rule in rows.order_by("pk")]


def all_rules() -> QuerySet[TaxRule]:
    return TaxRule.objects.order_by("tax", "collector", "kind", "luxury", "valid_from")
