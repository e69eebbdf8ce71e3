"""Policy rule rows: one value per key per period."""

from __future__ import annotations

from fractions import Fraction

from django.db import models
from django.db.models import F, Q

from digipay.policy.rules import PolicyKey, Unit


class PolicyRule(models.Model):
    key = models.CharField(max_length=40, choices=PolicyKey.choices)
    # Exact value as a fraction: rupiah and day counts have denominator 1, 40% is 2/5.
    numerator = models.BigIntegerField()
    denominator = models.BigIntegerField(default=1)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Inclusive; empty = open")
    legal_basis = models.CharField(max_length=300, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "valid_from"], name="policy_rule_key_start"),
            models.CheckConstraint(condition=Q(denominator__gt=0), name="policy_rule_denominator"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="policy_rule_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.numerator}/{self.denominator} from {self.valid_from}"

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)
