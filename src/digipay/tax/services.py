"""Tax use cases: quote a case under the rules of its date; DJPb admins add rule rows.

A rule change is a new row: the row it supersedes (same tax, collector and conditions, open
until now) is closed the day before, so an old invoice keeps the rules of its date. Rows never
start in the past and never overlap; every addition is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.audit.services import record_event
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.tax import queries, rules, schemas
from digipay.tax.models import TaxRule


def quote(case: rules.TaxCase) -> rules.QuoteResult:
    """Every tax of the case, under the rule rows in force on its date."""
    return rules.quote(case, queries.rules_in_force(case.date))


def quote_json(raw: str | bytes) -> dict[str, Any]:
    """Parse one JSON case, quote it and return the JSON-ready result: the one path of
    ``POST /api/v1/tax/quote`` and ``digipay tax-quote``."""
    return rules.as_dict(quote(schemas.parse_case(raw)))


def estimate_gross(
    *,
    on: date,
    collector: str,
    vendor: rules.VendorFacts,
    lines: Sequence[rules.Line],
    split: bool = False,
) -> int:
    """Price + PPN under the rules of ``on``: what an order's UP hold must cover."""
    return rules.estimate_gross(
        queries.rules_in_force(on),
        on=on,
        collector=collector,
        vendor=vendor,
        lines=lines,
        split=split,
    )


def _row_state(row: rules.RuleRow) -> dict[str, Any]:
    return {
        "tax": row.tax,
        "collector": row.collector,
        "kind": row.kind,
        "luxury": row.luxury,
        "rate": rules.fraction_text(row.rate),
        "rate_without_npwp": rules.fraction_text(row.rate_without_npwp),
        "base_fraction": rules.fraction_text(row.base_fraction),
        "base_rounding": row.base_rounding,
        "threshold_idr": row.threshold_idr,
        "threshold_basis": row.threshold_basis,
        "collected": row.collected,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "legal_basis": row.legal_basis,
    }


@transaction.atomic
def add_tax_rule(
    actor: User,
    *,
    tax: str,
    collector: str,
    kind: str = rules.KindCondition.ALL,
    luxury: str = rules.LuxuryCondition.ANY,
    rate: Fraction,
    rate_without_npwp: Fraction | None = None,
    base_fraction: Fraction = Fraction(1),
    base_rounding: str = rules.BaseRounding.EXACT,
    threshold_idr: int | None = None,
    threshold_basis: str = rules.ThresholdBasis.EXCL_PPN,
    collected: bool = True,
    valid_from: date,
    valid_to: date | None = None,
    legal_basis: str,
) -> TaxRule:
    """Add a tax rule row (DJPb admins). Refused when it starts in the past or overlaps a row
    of the same tax and collector whose conditions meet it, except the open row of exactly
    the same key that it supersedes (closed the day before ``valid_from``)."""
    # One lock for every change of the tax table: additions queue, so two admins cannot add
    # overlapping rows at the same moment.
    # The tax table is national: the role decides (a DJPb admin lives only in DJPb), and
    # everyone else gets a plain "not allowed" rather than "not found".
    require(actor, "tax.manage")
    djpb = Organisation.objects.select_for_update().get(kind=OrgKind.DJPB)
    if not legal_basis.strip():
        raise ValidationFailed(
            _("Dasar hukum/alasan aturan pajak wajib diisi."), details={"field": "legal_basis"}
        )
    new = rules.RuleRow(
        id=0,
        tax=tax,
        collector=collector,
        kind=kind,
        luxury=luxury,
        rate=Fraction(rate),
        rate_without_npwp=Fraction(rate_without_npwp) if rate_without_npwp is not None else None,
        base_fraction=Fraction(base_fraction),
        base_rounding=base_rounding,
        threshold_idr=threshold_idr,
        threshold_basis=threshold_basis,
        collected=collected,
        valid_from=valid_from,
        valid_to=valid_to,
        legal_basis=legal_basis.strip(),
    )
    problem = rules.rule_problem(new)
    if problem is not None:
        raise ValidationFailed(problem.message, details={"field": problem.field})
    existing = [rule.as_row() for rule in TaxRule.objects.filter(tax=tax, collector=collector)]
    problem, superseded = rules.schedule_problem(new, existing, today=clock.today_jakarta())
    if problem is not None:
        if problem.code == "tax_rule_overlap":
            raise Conflict(problem.message, code=problem.code, details={"field": problem.field})
        raise ValidationFailed(problem.message, details={"field": problem.field})
    before: dict[str, Any] = {}
    if superseded is not None:
        closed_on = valid_from - timedelta(days=1)
        TaxRule.objects.filter(pk=superseded.id).update(valid_to=closed_on)
        before = {"superseded_rule_id": superseded.id, "valid_to": None}
    rule = TaxRule.objects.create(
        tax=tax,
        collector=collector,
        kind=kind,
        luxury=luxury,
        rate_numerator=new.rate.numerator,
        rate_denominator=new.rate.denominator,
        rate_no_npwp_numerator=(
            new.rate_without_npwp.numerator if new.rate_without_npwp is not None else None
        ),
        rate_no_npwp_denominator=(
            new.rate_without_npwp.denominator if new.rate_without_npwp is not None else None
        ),
        base_numerator=new.base_fraction.numerator,
        base_denominator=new.base_fraction.denominator,
        base_rounding=base_rounding,
        threshold_idr=threshold_idr,
        threshold_basis=threshold_basis,
        collected=collected,
        valid_from=valid_from,
        valid_to=valid_to,
        legal_basis=new.legal_basis,
        created_by_id=actor.pk,
    )
    after = _row_state(rule.as_row())
    if superseded is not None:
        after["superseded_rule_valid_to"] = (valid_from - timedelta(days=1)).isoformat()
    record_event(
        tenant_id=djpb.pk,
        actor_id=actor.pk,
        actor_role=actor.role,
        action="tax_rule.added",
        object_type="tax.taxrule",
        object_id=rule.pk,
        before=before,
        after=after,
    )
    return rule
