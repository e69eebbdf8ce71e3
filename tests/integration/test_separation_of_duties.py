"""Separation of duties: even holding two roles by delegation, one person never does two
incompatible steps (order+approve, approve+pay, approve+receive, receive+pay) on the same purchase.

The purchase objects arrive with the orders issue; here a minimal object stands in for one,
implementing the gate's protocol (tenant_id + duty_holders) exactly as orders will.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from digipay.accounts import permissions, services
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.core.errors import NotFound, PermissionDenied


@dataclass
class Purchase:
    satker: Organisation
    steps: dict[str, list[int]] = field(default_factory=dict)
    pk: int = 1

    @property
    def tenant_id(self) -> int:
        return int(self.satker.pk)

    def duty_holders(self) -> Mapping[str, Iterable[int]]:
        return self.steps


def _u(email: str) -> User:
    return User.objects.get(email=email)


def _delegate(role: str, to: User) -> None:
    admin = User.objects.get(organisation_id=to.organisation_id, role=Role.SATKER_ADMIN)
    now = clock.now()
    services.create_delegation(
        admin,
        delegate=to,
        role=role,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=7),
        reason="ST-01/2026: bendahara cuti",
    )


def test_ppk_without_delegation_cannot_pay(world: dict[str, Any]) -> None:
    ppk = _u("ppk@415256.demo.digipay.id")
    with pytest.raises(PermissionDenied) as exc:
        permissions.require(ppk, "invoice.pay", Purchase(world["satker_a"]))
    assert exc.value.code == "forbidden"


def test_delegated_ppk_may_pay_what_someone_else_approved(world: dict[str, Any]) -> None:
    ppk = _u("ppk@415256.demo.digipay.id")
    other = _u("bendahara@415256.demo.digipay.id")
    _delegate(Role.BENDAHARA, ppk)
    permissions.require(ppk, "invoice.pay", Purchase(world["satker_a"], {"approve": [other.pk]}))


@pytest.mark.parametrize(
    ("holder", "delegated", "earlier_step", "action"),
    [
        ("ppk", Role.BENDAHARA, "approve", "invoice.pay"),  # approve + pay
        ("penerima", Role.BENDAHARA, "receive", "invoice.pay"),  # receive + pay
        ("pengadaan", Role.PPK, "order", "order.approve"),  # order + approve
        ("bendahara", Role.PPK, "pay", "order.approve"),  # pay + approve, other way round
    ],
)
def test_incompatible_steps_are_refused_even_with_both_roles(
    world: dict[str, Any],
    holder: str,
    delegated: str,
    earlier_step: str,
    action: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = _u(f"{holder}@415256.demo.digipay.id")
    _delegate(delegated, person)
    purchase = Purchase(world["satker_a"], {earlier_step: [person.pk]})
    with (
        caplog.at_level(logging.WARNING, logger="digipay.security"),
        pytest.raises(PermissionDenied) as exc,
    ):
        permissions.require(person, action, purchase)
    assert exc.value.code == "separation_of_duties"
    # The denial is logged with ids only: no e-mail or name of the person.
    assert f"actor={person.pk}" in caplog.text
    assert "separation" in caplog.text
    assert person.email not in caplog.text
    assert person.full_name not in caplog.text


def test_delegation_ends_at_its_time_and_on_revocation(world: dict[str, Any]) -> None:
    ppk = _u("ppk@415256.demo.digipay.id")
    _delegate(Role.BENDAHARA, ppk)
    purchase = Purchase(world["satker_a"])
    permissions.require(ppk, "invoice.pay", purchase)
    with clock.frozen(clock.now() + timedelta(days=8)), pytest.raises(PermissionDenied):
        permissions.require(ppk, "invoice.pay", purchase)
    delegation = ppk.delegations.get()
    services.revoke_delegation(_u("admin@415256.demo.digipay.id"), delegation)
    with pytest.raises(PermissionDenied):
        permissions.require(ppk, "invoice.pay", purchase)


def test_delegated_role_does_not_reach_another_satker(world: dict[str, Any]) -> None:
    ppk = _u("ppk@415256.demo.digipay.id")
    _delegate(Role.BENDAHARA, ppk)
    with pytest.raises(NotFound):
        permissions.require(ppk, "invoice.pay", Purchase(world["satker_b"]))


def test_delegation_only_within_own_satker_and_audited(world: dict[str, Any]) -> None:
    from digipay.audit.models import AuditEvent
    from digipay.core.errors import ValidationFailed

    admin_a = _u("admin@415256.demo.digipay.id")
    foreign = _u("ppk@527010.demo.digipay.id")
    now = clock.now()
    with pytest.raises(NotFound):
        services.create_delegation(
            admin_a,
            delegate=foreign,
            role=Role.BENDAHARA,
            valid_from=now,
            valid_until=now + timedelta(days=1),
            reason="x",
        )
    with pytest.raises(ValidationFailed):
        services.create_delegation(
            admin_a,
            delegate=_u("ppk@415256.demo.digipay.id"),
            role=Role.BENDAHARA,
            valid_from=now,
            valid_until=now + timedelta(days=1),
            reason="  ",
        )
    _delegate(Role.BENDAHARA, _u("ppk@415256.demo.digipay.id"))
    event = AuditEvent.objects.filter(action="delegation.created").get()
    assert event.actor_id == admin_a.pk
    assert event.after["role"] == Role.BENDAHARA
    assert event.tenant_id == world["satker_a"].pk
