"""Tax rule rows: one rate per tax, collector channel and line condition per period."""

from __future__ import annotations

from fractions import Fraction

from django.db import models
from django.db.models import F, Q

from digipay.tax.rules import (
    BaseRounding,
    Collector,
    KindCondition,
    LuxuryCondition,
    RuleRow,
    Tax,
    ThresholdBasis,
)


class TaxRule(models.Model):
    """A row of the tax table. Rows never change once in force (only an open row's end is set
    when a newer row supersedes it); rows of one key never overlap (``services.add_tax_rule``).
    Rates and the DPP fraction are exact fractions: 12% is 12/100, DPP nilai lain is 11/12."""

    tax = models.CharField(max_length=10, choices=Tax.choices)
    collector = models.CharField(max_length=12, choices=Collector.choices)
    kind = models.CharField(max_length=10, choices=KindCondition.choices)
    luxury = models.CharField(max_length=12, choices=LuxuryCondition.choices)
    rate_numerator = models.BigIntegerField()
    rate_denominator = models.BigIntegerField(default=100)
    # The rate for a vendor without NPWP (both empty: the same rate).
    rate_no_npwp_numerator = models.BigIntegerField(null=True, blank=True)
    rate_no_npwp_denominator = models.BigIntegerField(null=True, blank=True)
    # DPP = base fraction × price (11/12: DPP nilai lain), rounded down first if FLOOR.
    base_numerator = models.BigIntegerField(default=1)
    base_denominator = models.BigIntegerField(default=1)
    base_rounding = models.CharField(
        max_length=5, choices=BaseRounding.choices, default=BaseRounding.EXACT
    )
    # A payment of at most this (measured on the basis) is exempt unless the purchase is split.
    threshold_idr = models.BigIntegerField(null=True, blank=True)
    threshold_basis = models.CharField(
        max_length=8, choices=ThresholdBasis.choices, default=ThresholdBasis.EXCL_PPN
    )
    # False: the collector never collects it on this channel (the vendor accounts for it).
    collected = models.BooleanField(default=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Inclusive; empty = open")
    legal_basis = models.CharField(max_length=300)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tax", "collector", "kind", "luxury", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax", "collector", "kind", "luxury", "valid_from"],
                name="tax_rule_key_start",
            ),
            models.CheckConstraint(
                condition=Q(rate_denominator__gt=0)
                & Q(rate_numerator__gte=0)
                & Q(rate_numerator__lte=F("rate_denominator")),
                name="tax_rule_rate",
            ),
            models.CheckConstraint(
                condition=(
                    Q(rate_no_npwp_numerator__isnull=True)
                    & Q(rate_no_npwp_denominator__isnull=True)
                )
                | (
                    Q(rate_no_npwp_denominator__gt=0)
                    & Q(rate_no_npwp_numerator__gte=0)
                    & Q(rate_no_npwp_numerator__lte=F("rate_no_npwp_denominator"))
                ),
                name="tax_rule_rate_no_npwp",
            ),
            models.CheckConstraint(
                condition=Q(base_denominator__gt=0)
                & Q(base_numerator__gt=0)
                & Q(base_numerator__lte=F("base_denominator")),
                name="tax_rule_base_fraction",
            ),
            models.CheckConstraint(
                condition=Q(threshold_idr__isnull=True) | Q(threshold_idr__gte=0),
                name="tax_rule_threshold",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tax_rule_period",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.tax} {self.collector} {self.kind} {self.luxury} "
            f"{self.rate_numerator}/{self.rate_denominator} from {self.valid_from}"
        )

    def as_row(self) -> RuleRow:
        no_npwp = None
        if self.rate_no_npwp_numerator is not None and self.rate_no_npwp_denominator:
            no_npwp = Fraction(self.rate_no_npwp_numerator, self.rate_no_npwp_denominator)
        return RuleRow(
            id=self.pk,
            tax=self.tax,
            collector=self.collector,
            kind=self.kind,
            luxury=self.luxury,
            rate=Fraction(self.rate_numerator, self.rate_denominator),
            rate_without_npwp=no_npwp,
            base_fraction=Fraction(self.base_numerator, self.base_denominator),
            base_rounding=self.base_rounding,
            threshold_idr=self.threshold_idr,
            threshold_basis=self.threshold_basis,
            collected=self.collected,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            legal_basis=self.legal_basis,
        )
