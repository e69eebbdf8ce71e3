"""HTTP API of policy: every rule with its history; DJPb admins schedule new values."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from digipay.accounts.api import actor_of
from digipay.accounts.permissions import require
from digipay.core.errors import ValidationFailed
from digipay.policy import queries, rules, services
from digipay.policy.models import PolicyRule
from digipay.policy.schemas import PolicyRuleIn, PolicyRuleOut

router = Router(tags=["policy"])


def _out(rule: PolicyRule) -> dict[str, Any]:
    value = rule.value
    return {
        "id": rule.pk,
        "key": rule.key,
        "label": str(rules.PolicyKey(rule.key).label),
        "value": str(value),
        "unit": rule.unit,
        "valid_from": rule.valid_from,
        "valid_to": rule.valid_to,
        "legal_basis": rule.legal_basis,
    }


@router.get("/rules", response=list[PolicyRuleOut])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    require(actor_of(request), "policy.view")
    return [_out(rule) for rule in queries.all_rules()]


@router.post("/rules", response={201: PolicyRuleOut})
def schedule_rule(request: HttpRequest, payload: PolicyRuleIn) -> Status[dict[str, Any]]:
    unit = rules.UNIT_OF.get(payload.key)
    if unit is None:
        raise ValidationFailed(_("Kebijakan tidak dikenal."), details={"field": "key"})
    try:
        value = rules.parse_value(payload.value, unit)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValidationFailed(_("Nilai tidak dapat dibaca."), details={"field": "value"}) from exc
    rule = services.schedule_policy_value(
        actor_of(request),
        key=payload.key,
        value=Fraction(value),
        valid_from=payload.valid_from,
        legal_basis=payload.legal_basis,
    )
    return Status(201, _out(rule))
