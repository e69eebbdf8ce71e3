"""HTTP API of accounts: tokens, me, organisations, users, satker admins, delegations.

Thin: parse, call the service or query, shape the answer. The gate runs inside the services
(writes) and here for reads.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts import auth, permissions, queries, services
from digipay.accounts.models import AuditorGrant, Delegation, Organisation, User
from digipay.accounts.schemas import (
    AuditorGrantIn,
    AuditorGrantOut,
    DelegationIn,
    DelegationOut,
    DisableIn,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    RoleIn,
    SatkerAdminIn,
    TokenIn,
    TokenOut,
    UserCreatedOut,
    UserCreateIn,
    UserOut,
)
from digipay.core.errors import NotFound

router = Router(tags=["accounts"])
M = TypeVar("M", bound=Model)


def actor_of(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def get_or_404(qs: QuerySet[M], pk: int) -> M:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("Data tidak ditemukan."))
    return obj


@router.post("/auth/token", auth=None, response={200: TokenOut}, summary="Issue a bearer token")
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    user = auth.check_password_login(request, email=payload.email, password=payload.password)
    if auth.needs_second_factor(user):
        auth.check_second_factor(user, payload.otp or "")
    raw, token = services.issue_api_token(user)
    return {"token": raw, "token_id": token.pk, "expires_at": token.expires_at}


@router.post("/auth/token/revoke", response={204: None}, summary="Revoke the calling token")
def revoke_current_token(request: HttpRequest) -> Status[None]:
    services.revoke_api_token(actor_of(request), request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user = actor_of(request)
    return {
        **UserOut.from_orm(user).dict(),
        "effective_roles": sorted(queries.effective_roles(user)),
        "two_factor_required": auth.needs_second_factor(user),
    }


@router.get("/organisations", response=list[OrganisationOut])
@paginate(CursorPagination, ordering=("id",))
def list_organisations(request: HttpRequest, kind: str | None = None) -> QuerySet[Organisation]:
    actor = actor_of(request)
    permissions.require(actor, "organisation.view")
    qs = queries.reachable_organisations(actor)
    return qs.filter(kind=kind) if kind else qs


@router.get("/organisations/{org_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, org_id: int) -> Organisation:
    actor = actor_of(request)
    org = get_or_404(Organisation.objects.all(), org_id)
    permissions.require(actor, "organisation.view", org)
    return org


@router.post("/organisations", response={201: OrganisationOut})
def register_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    parent = (
        get_or_404(Organisation.objects.all(), payload.parent_id)
        if payload.parent_id is not None
        else None
    )
    org = services.register_organisation(
        actor_of(request),
        kind=payload.kind,
        code=payload.code,
        name=payload.name,
        parent=parent,
        province_code=payload.province_code,
        regency=payload.regency,
        ministry_code=payload.ministry_code,
        address=payload.address,
    )
    return Status(201, org)


@router.post("/auditor-grants", response={201: AuditorGrantOut})
def grant_auditor_access(request: HttpRequest, payload: AuditorGrantIn) -> Status[AuditorGrant]:
    auditor = get_or_404(User.objects.all(), payload.auditor_id)
    org = get_or_404(Organisation.objects.all(), payload.organisation_id)
    grant = services.grant_auditor_access(
        actor_of(request), auditor=auditor, organisation=org, valid_until=payload.valid_until
    )
    return Status(201, grant)


@router.get("/users", response=list[UserOut])
@paginate(CursorPagination, ordering=("id",))
def list_users(
    request: HttpRequest, organisation_id: int | None = None, role: str | None = None
) -> QuerySet[User]:
    actor = actor_of(request)
    permissions.require(actor, "user.view")
    qs = queries.visible_users(actor)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if role:
        qs = qs.filter(role=role)
    return qs


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: int) -> User:
    actor = actor_of(request)
    target = get_or_404(User.objects.all(), user_id)
    permissions.require(actor, "user.view", target)
    return target


@router.post("/users", response={201: UserCreatedOut})
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    org = get_or_404(Organisation.objects.all(), payload.organisation_id)
    user, initial = services.create_user(
        actor,
        organisation=org,
        email=payload.email,
        full_name=payload.full_name,
        nik=payload.nik,
        role=payload.role,
    )
    return Status(201, {"user": user, "initial_password": initial})


@router.post("/users/{user_id}/role", response=UserOut)
def change_role(request: HttpRequest, user_id: int, payload: RoleIn) -> User:
    target = get_or_404(User.objects.all(), user_id)
    return services.change_role(actor_of(request), target, role=payload.role)


@router.post("/users/{user_id}/disable", response=UserOut)
def disable_user(request: HttpRequest, user_id: int, payload: DisableIn) -> User:
    target = get_or_404(User.objects.all(), user_id)
    return services.disable_user(actor_of(request), target, reason=payload.reason)


@router.post("/users/{user_id}/enable", response=UserOut)
def enable_user(request: HttpRequest, user_id: int) -> User:
    target = get_or_404(User.objects.all(), user_id)
    return services.enable_user(actor_of(request), target)


@router.post("/satker-admins", response={201: UserCreatedOut})
def register_satker_admin(request: HttpRequest, payload: SatkerAdminIn) -> Status[dict[str, Any]]:
    satker = get_or_404(Organisation.objects.all(), payload.satker_id)
    user, initial = services.register_satker_admin(
        actor_of(request),
        satker=satker,
        email=payload.email,
        full_name=payload.full_name,
        nik=payload.nik,
        letter_number=payload.letter_number,
        letter_date=payload.letter_date,
    )
    return Status(201, {"user": user, "initial_password": initial})


@router.get("/delegations", response=list[DelegationOut])
@paginate(CursorPagination, ordering=("-id",))
def list_delegations(request: HttpRequest) -> QuerySet[Delegation]:
    actor = actor_of(request)
    permissions.require(actor, "delegation.view")
    return Delegation.objects.filter(organisation__in=queries.reachable_organisations(actor))


@router.post("/delegations", response={201: DelegationOut})
def create_delegation(request: HttpRequest, payload: DelegationIn) -> Status[Delegation]:
    delegate = get_or_404(User.objects.all(), payload.delegate_id)
    delegation = services.create_delegation(
        actor_of(request),
        delegate=delegate,
        role=payload.role,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        reason=payload.reason,
    )
    return Status(201, delegation)


@router.post("/delegations/{delegation_id}/revoke", response=DelegationOut)
def revoke_delegation(request: HttpRequest, delegation_id: int) -> Delegation:
    delegation = get_or_404(Delegation.objects.all(), delegation_id)
    return services.revoke_delegation(actor_of(request), delegation)
