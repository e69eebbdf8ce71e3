"""The permission gate: every service, API endpoint and page asks ``require`` before acting.

Three checks, in this order:

1. tenant — the object must lie inside the actor's reach (own organisation; for KPPN/Kanwil
   admins the organisations under them; for auditors their grants, read-only). Outside it the
   answer is the same "not found" as for an object that does not exist, so nothing leaks.
2. role — the actor's own role, or a role delegated to them right now, must allow the action.
3. separation of duties — for purchase steps, the actor must not have done an incompatible
   step on the same object (``obj.duty_holders()``), even when holding both roles by delegation.

Every denial is logged with ids only (no names, e-mails or NIKs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from django.utils.translation import gettext as _

from digipay.accounts import queries, rules
from digipay.accounts.models import User
from digipay.core.errors import AuthenticationFailed, DomainError, NotFound, PermissionDenied

log = logging.getLogger("digipay.security")


@runtime_checkable
class Tenanted(Protocol):
    @property
    def tenant_id(self) -> int: ...


@runtime_checkable
class HasDuties(Protocol):
    def duty_holders(self) -> Mapping[str, Iterable[int]]:
        """Which user ids did each purchase step (order, approve, receive, pay) on this object."""
        ...


def _describe(obj: Any) -> str:
    if obj is None:
        return "-"
    return f"{type(obj).__name__}:{getattr(obj, 'pk', '?')}"


def _deny(actor: User, action: str, obj: Any, reason: str) -> None:
    log.warning(
        "denied action=%s actor=%s object=%s reason=%s", action, actor.pk, _describe(obj), reason
    )


def allows(actor: User | Any, action: str, obj: Tenanted | None = None) -> bool:
    """Whether ``require`` would let the actor through, without logging a denial (for pages
    that show only the actions a user may take)."""
    try:
        _check(actor, action, obj, log=False)
    except DomainError:
        return False
    return True


def require(actor: User | Any, action: str, obj: Tenanted | None = None) -> None:
    """Allow ``actor`` to do ``action`` on ``obj``, or raise a DomainError (401/403/404)."""
    _check(actor, action, obj, log=True)


def _check(actor: User | Any, action: str, obj: Tenanted | None, *, log: bool) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise AuthenticationFailed(_("Silakan masuk terlebih dahulu."))
    policy = rules.ACTIONS.get(action)
    if policy is None:
        raise KeyError(f"unknown action {action!r}")
    if obj is not None and not queries.can_reach(actor, obj.tenant_id, read_only=policy.read_only):
        if log:
            _deny(actor, action, obj, "tenant")
        raise NotFound(_("Data tidak ditemukan."))
    roles = queries.effective_roles(actor)
    if not rules.role_allows(roles, action):
        if log:
            _deny(actor, action, obj, "role")
        raise PermissionDenied(_("Peran Anda tidak berwenang melakukan tindakan ini."))
    if policy.step is not None and isinstance(obj, HasDuties):
        conflict = rules.violates_separation(
            actor_id=actor.pk, step=policy.step, duty_holders=obj.duty_holders()
        )
        if conflict is not None:
            if log:
                _deny(actor, action, obj, f"separation:{conflict}")
            raise PermissionDenied(
                _("Pemisahan tugas: Anda sudah melakukan langkah '%(step)s' pada transaksi ini.")
                % {"step": conflict},
                code="separation_of_duties",
            )
