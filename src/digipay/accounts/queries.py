"""Reads for accounts: the reach of an actor, effective roles, lists for pages and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from digipay.accounts import rules
from digipay.accounts.models import (
    ApiToken,
    AuditorGrant,
    Delegation,
    Organisation,
    Province,
    User,
)
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock


def _under(ids: QuerySet[Organisation] | list[int] | int) -> Q:
    """An organisation and everything below it: DJPb → Kanwil → KPPN → Satker, four levels."""
    if isinstance(ids, int):
        return (
            Q(pk=ids)
            | Q(parent_id=ids)
            | Q(parent__parent_id=ids)
            | Q(parent__parent__parent_id=ids)
        )
    return (
        Q(pk__in=ids)
        | Q(parent_id__in=ids)
        | Q(parent__parent_id__in=ids)
        | Q(parent__parent__parent_id__in=ids)
    )


def active_grant_ids(actor: User) -> list[int]:
    return list(
        AuditorGrant.objects.filter(
            auditor=actor, valid_until__gte=clock.today_jakarta()
        ).values_list("organisation_id", flat=True)
    )


def reachable_organisations(actor: User, *, read_only: bool = True) -> QuerySet[Organisation]:
    """Organisations whose data the actor may see (``read_only``) or act on."""
    orgs = Organisation.objects.all()
    if actor.role == Role.DJPB_ADMIN:
        return orgs
    if actor.role in (Role.KANWIL_ADMIN, Role.KPPN_ADMIN):
        return orgs.filter(_under(actor.organisation_id))
    if actor.role == Role.AUDITOR and read_only:
        return orgs.filter(Q(pk=actor.organisation_id) | _under(active_grant_ids(actor)))
    return orgs.filter(pk=actor.organisation_id)


def can_reach(actor: User, tenant_id: int, *, read_only: bool) -> bool:
    if actor.role != Role.AUDITOR and tenant_id == actor.organisation_id:
        return True
    return reachable_organisations(actor, read_only=read_only).filter(pk=tenant_id).exists()


def active_delegations(user: User) -> QuerySet[Delegation]:
    now = clock.now()
    return Delegation.objects.filter(
        delegate=user,
        organisation_id=user.organisation_id,
        revoked_at__isnull=True,
        valid_from__lte=now,
        valid_until__gt=now,
    )


def effective_roles(user: User) -> frozenset[str]:
    """The user's own role plus any role delegated to them right now."""
    delegated = active_delegations(user).values_list("role", flat=True)
    return frozenset({user.role, *delegated})


def visible_users(actor: User) -> QuerySet[User]:
    return User.objects.filter(organisation__in=reachable_organisations(actor)).select_related(
        "organisation"
    )


def managed_roles(actor: User) -> frozenset[str]:
    return rules.CREATABLE_ROLES.get(actor.role, frozenset())


def creatable_roles(actor: User) -> list[tuple[str, Any]]:
    """Role choices an admin may give to a new user (satker admins come by appointment)."""
    allowed = managed_roles(actor) - rules.ROLES_NEEDING_APPOINTMENT
    return [(value, label) for value, label in Role.choices if value in allowed]


def target_organisations(actor: User, role: str) -> QuerySet[Organisation]:
    """Where the actor may place a user of ``role``."""
    kind = rules.ROLE_ORG_KIND[role]
    return reachable_organisations(actor, read_only=False).filter(kind=kind, is_active=True)


def satkers_of(actor: User) -> QuerySet[Organisation]:
    return (
        reachable_organisations(actor)
        .filter(kind=OrgKind.SATKER)
        .select_related("parent", "province")
    )


def satker_admin_of(satker: Organisation) -> User | None:
    return User.objects.filter(organisation=satker, role=Role.SATKER_ADMIN, is_active=True).first()


def delegations_in(organisation: Organisation) -> QuerySet[Delegation]:
    return Delegation.objects.filter(organisation=organisation).select_related(
        "delegate", "created_by"
    )


def provinces() -> QuerySet[Province]:
    return Province.objects.all()


def token_by_hash(key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=key_hash)
        .first()
    )
