"""Scheduling a new policy value (DJPb admins). The value in force until then is closed the day
before; history is kept, and nothing is changed retroactively."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.audit.services import record_event
from digipay.core import clock
from digipay.core.errors import ValidationFailed
from digipay.policy import rules
from digipay.policy.models import PolicyRule


@transaction.atomic
def schedule_policy_value(
    actor: User, *, key: str, value: Fraction, valid_from: date, legal_basis: str
) -> PolicyRule:
    djpb = Organisation.objects.get(kind=OrgKind.DJPB)
    require(actor, "policy.edit", djpb)
    problem = rules.value_error(key, value)
    if problem:
        raise ValidationFailed(problem, details={"field": "value"})
    if not legal_basis.strip():
        raise ValidationFailed(
            _("Dasar hukum/alasan perubahan wajib diisi."), details={"field": "legal_basis"}
        )
    rows = list(PolicyRule.objects.select_for_update().filter(key=key).order_by("valid_from"))
    current = next((r for r in reversed(rows) if r.valid_to is None), None)
    problem = rules.schedule_error(
        valid_from=valid_from,
        today=clock.today_jakarta(),
        current=rules.Period(current.valid_from, current.valid_to) if current else None,
    )
    if problem:
        raise ValidationFailed(problem, details={"field": "valid_from"})
    before = {}
    if current is not None:
        before = {"value": str(current.value), "valid_from": current.valid_from.isoformat()}
        current.valid_to = valid_from - timedelta(days=1)
        current.save(update_fields=["valid_to"])
    rule = PolicyRule.objects.create(
        key=key,
        numerator=value.numerator,
        denominator=value.denominator,
        unit=rules.UNIT_OF[key],
        valid_from=valid_from,
        legal_basis=legal_basis.strip(),
        created_by_id=actor.pk,
    )
    record_event(
        tenant_id=djpb.pk,
        actor_id=actor.pk,
        actor_role=actor.role,
        action="policy.scheduled",
        object_type="policy.policyrule",
        object_id=rule.pk,
        before=before,
        after={"key": key, "value": str(value), "valid_from": valid_from.isoformat()},
    )
    return rule
