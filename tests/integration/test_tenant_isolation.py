"""Tenant isolation, as a matrix over roles × endpoints (API and pages).

A user of one tenant must not read or change another tenant's users or objects. Outside the
actor's reach the answer is 404 with the very same body as for an id that does not exist, so
that nothing leaks, and nothing is written (no row changed, no audit event added).

The reach of each actor is written out here by hand (organisation codes), not computed with the
application's own queries, so that the tests check the code against the rules and not against
itself. Positive controls (the same requests by someone who may make them) keep the matrix from
passing vacuously.

World (see ``digipay.accounts.demo``): satker A 415256 and satker C 652840 under KPPN 019
Jakarta II (Kanwil 31 DKI Jakarta); satker B 527010 under KPPN 030 Bandung I (Kanwil 32 Jawa
Barat); the auditor of Itjen is granted Kanwil 31 and everything under it, read-only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db.models import QuerySet
from django.http import HttpResponse
from django.test import Client

from digipay.accounts import services
from digipay.accounts.models import ApiToken, Appointment, Delegation, Organisation, User
from digipay.accounts.rules import Role
from digipay.audit.models import AuditEvent
from digipay.core import clock
from tests.conftest import ApiClient

MISSING_ID = 999_999
NOT_FOUND_BODY = {"code": "not_found", "message": "Data tidak ditemukan.", "details": {}}
# Small pages, so that the list endpoints are read through several cursors.
PAGE_SIZE = 4

SATKER_A = "415256"
SATKER_B = "527010"
SATKER_C = "652840"
SATKER_LOCALS = ("admin", "pemesan", "pengadaan", "ppk", "penerima", "bendahara")
ITJEN = "ITJEN-KEMENKEU"
VENDOR_1 = "UMKM-0001"
VENDOR_2 = "UMKM-0002"
BANK = "002"

DJPB_ADMIN = "admin@djpb.demo.digipay.id"
KANWIL31_ADMIN = "admin@kanwil31.demo.digipay.id"
KANWIL32_ADMIN = "admin@kanwil32.demo.digipay.id"
KPPN019_ADMIN = "admin@kppn019.demo.digipay.id"
KPPN030_ADMIN = "admin@kppn030.demo.digipay.id"
VENDOR_ADMIN = "admin@umkm-0001.demo.digipay.id"
VENDOR2_ADMIN = "admin@umkm-0002.demo.digipay.id"
BANK_OPERATOR = "operator@bank002.demo.digipay.id"
AUDITOR = "auditor@itjen.demo.digipay.id"
# A KPA of satker A, created and disabled by the satker A admin (see ``tenants``).
DISABLED_KPA_A = "kpa.cuti@415256.demo.digipay.id"


def satker_user(local: str, code: str) -> str:
    return f"{local}@{code}.demo.digipay.id"


A_ADMIN = satker_user("admin", SATKER_A)
A_PEMESAN = satker_user("pemesan", SATKER_A)
B_ADMIN = satker_user("admin", SATKER_B)
B_PEMESAN = satker_user("pemesan", SATKER_B)
C_ADMIN = satker_user("admin", SATKER_C)
C_PEMESAN = satker_user("pemesan", SATKER_C)


# --- the actors and what each may read -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    key: str
    email: str
    # Codes of the organisations whose data the actor may read; None: every organisation.
    reach: frozenset[str] | None
    # Whether the role may read users (``user.view``) and delegations (``delegation.view``).
    reads_users: bool = False
    reads_delegations: bool = False

    def reaches(self, code: str) -> bool:
        return self.reach is None or code in self.reach


def _satker_actors(code: str, label: str) -> list[Actor]:
    return [
        Actor(
            f"{label}-{local}",
            satker_user(local, code),
            frozenset({code}),
            reads_users=local == "admin",
            reads_delegations=local == "admin",
        )
        for local in SATKER_LOCALS
    ]


ACTORS: list[Actor] = [
    *_satker_actors(SATKER_A, "A"),
    Actor("B-admin", B_ADMIN, frozenset({SATKER_B}), reads_users=True, reads_delegations=True),
    Actor("C-admin", C_ADMIN, frozenset({SATKER_C}), reads_users=True, reads_delegations=True),
    Actor("vendor-admin", VENDOR_ADMIN, frozenset({VENDOR_1}), reads_users=True),
    Actor("bank-operator", BANK_OPERATOR, frozenset({BANK})),
    Actor("KPPN030-admin", KPPN030_ADMIN, frozenset({"030", SATKER_B}), reads_users=True),
    Actor("Kanwil32-admin", KANWIL32_ADMIN, frozenset({"32", "030", SATKER_B}), reads_users=True),
    # Positive controls: A's own KPPN and Kanwil, the national admin, the granted auditor.
    Actor("KPPN019-admin", KPPN019_ADMIN, frozenset({"019", SATKER_A, SATKER_C}), reads_users=True),
    Actor(
        "Kanwil31-admin",
        KANWIL31_ADMIN,
        frozenset({"31", "019", SATKER_A, SATKER_C}),
        reads_users=True,
    ),
    Actor("DJPb-admin", DJPB_ADMIN, None, reads_users=True),
    Actor(
        "auditor",
        AUDITOR,
        frozenset({ITJEN, "31", "019", SATKER_A, SATKER_C}),
        reads_users=True,
        reads_delegations=True,
    ),
]
ACTOR_PARAMS = [pytest.param(actor, id=actor.key) for actor in ACTORS]


# --- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def tenants(world: dict[str, Any]) -> dict[str, Any]:
    """The demo world plus a live delegation in each satker and a disabled user in satker A."""
    now = clock.now()
    for code in (SATKER_A, SATKER_B, SATKER_C):
        services.create_delegation(
            User.objects.get(email=satker_user("admin", code)),
            delegate=User.objects.get(email=satker_user("penerima", code)),
            role=Role.PEMESAN,
            valid_from=now,
            valid_until=now + timedelta(days=30),
            reason=f"Surat tugas uji {code}",
        )
    a_admin = User.objects.get(email=A_ADMIN)
    kpa, _password = services.create_user(
        a_admin,
        organisation=world["satker_a"],
        email=DISABLED_KPA_A,
        full_name="Fajar Nugroho (415256)",
        nik="3171011508859001",
        role=Role.KPA,
    )
    services.disable_user(a_admin, kpa, reason="Cuti di luar tanggungan negara")
    return world


def org_id(code: str) -> int:
    return int(Organisation.objects.get(code=code).pk)


def user_id(email: str) -> int:
    return int(User.objects.get(email=email).pk)


def delegation_id(code: str) -> int:
    return int(Delegation.objects.get(organisation__code=code).pk)


def users_of(code: str) -> QuerySet[User]:
    return User.objects.filter(organisation__code=code)


def state() -> dict[str, list[Any]]:
    """Everything a refused write could have touched."""
    return {
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk",
                "email",
                "full_name",
                "organisation_id",
                "role",
                "is_active",
                "disabled_at",
                "password",
                "must_change_password",
            )
        ),
        "organisations": list(Organisation.objects.order_by("pk").values_list()),
        "delegations": list(Delegation.objects.order_by("pk").values_list()),
        "appointments": list(Appointment.objects.order_by("pk").values_list()),
        "api_tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    }


def read_all(client: ApiClient, path: str, **params: Any) -> tuple[int, list[dict[str, Any]]]:
    """Status of the first page and every row, following the ``next`` cursors."""
    response = client.get(path, page_size=PAGE_SIZE, **params)
    if response.status_code != 200:
        return response.status_code, []
    rows: list[dict[str, Any]] = []
    for _page in range(100):
        body = response.json()
        assert set(body) == {"results", "next", "previous"}, body
        rows.extend(body["results"])
        if not body["next"]:
            ids = [row["id"] for row in rows]
            assert len(ids) == len(set(ids)), f"a row came twice while paging {path}"
            return 200, rows
        link = urlsplit(body["next"])
        response = client.get(link.path, **dict(parse_qsl(link.query)))
        assert response.status_code == 200, response.content
    raise AssertionError(f"{path}: more than 100 pages")


_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')


def main_of(response: HttpResponse) -> str:
    """The <main> of a page (without the header, which echoes the path and a CSRF token)."""
    html = response.content.decode()
    start, end = html.index('<main id="main"'), html.index("</main>")
    return _CSRF.sub(r"\1-", html[start:end])


def all_pages(
    client: Client, path: str, *, headers: dict[str, str] | None = None, **params: str
) -> str:
    """The <main> (or the htmx fragment) of every page of a paginated list page."""
    texts: list[str] = []
    number, total = 1, 1
    while number <= total:
        response = client.get(path, {**params, "page": str(number)}, headers=headers)
        assert response.status_code == 200, response.status_code
        html = response.content.decode()
        text = main_of(response) if '<main id="main"' in html else html
        texts.append(text)
        pager = re.search(r"Halaman (\d+) dari (\d+)", text)
        if pager:
            assert int(pager.group(1)) == number
            total = int(pager.group(2))
        number += 1
    return "\n".join(texts)


# --- 1. API reads -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTOR_PARAMS)
@pytest.mark.parametrize("endpoint", ["users", "organisations"])
def test_api_detail_outside_reach_is_indistinguishable_from_missing(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient], endpoint: str, actor: Actor
) -> None:
    """GET /api/v1/<endpoint>/{id} for every object of the world, as this actor."""
    client = api_as(actor.email)
    missing = client.get(f"/api/v1/{endpoint}/{MISSING_ID}")
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND_BODY

    objects: list[tuple[int, str, str]]  # id, organisation code, label
    if endpoint == "users":
        objects = [
            (u.pk, u.organisation.code, u.email)
            for u in User.objects.select_related("organisation")
        ]
        inside = 200 if actor.reads_users else 403
    else:
        objects = [(o.pk, o.code, o.code) for o in Organisation.objects.all()]
        inside = 200
    outsiders = [obj for obj in objects if not actor.reaches(obj[1])]
    insiders = [obj for obj in objects if actor.reaches(obj[1])]
    assert insiders, "the actor must reach something, or the matrix proves nothing"
    if actor.reach is not None:
        assert outsiders, "the world must hold objects outside the actor's reach"

    wrong: list[str] = []
    for pk, code, label in objects:
        response = client.get(f"/api/v1/{endpoint}/{pk}")
        if actor.reaches(code):
            if response.status_code != inside:
                wrong.append(f"{label} ({code}): {response.status_code}, expected {inside}")
            elif inside == 200 and response.json()["id"] != pk:
                wrong.append(f"{label} ({code}): answered with another object")
        elif response.status_code != 404 or response.json() != missing.json():
            wrong.append(f"{label} ({code}): {response.status_code} {response.content[:200]!r}")
    assert not wrong, "\n".join(wrong)


def _expected_rows(endpoint: str, actor: Actor) -> dict[int, str]:
    """id → organisation code of every row the list should hold for this actor."""
    if endpoint == "users":
        rows = [(u.pk, u.organisation.code) for u in User.objects.select_related("organisation")]
    elif endpoint == "organisations":
        rows = [(o.pk, o.code) for o in Organisation.objects.all()]
    else:
        rows = [
            (d.pk, d.organisation.code) for d in Delegation.objects.select_related("organisation")
        ]
    return {pk: code for pk, code in rows if actor.reaches(code)}


@pytest.mark.parametrize("actor", ACTOR_PARAMS)
@pytest.mark.parametrize("endpoint", ["users", "organisations", "delegations"])
def test_api_list_holds_exactly_the_rows_within_reach(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient], endpoint: str, actor: Actor
) -> None:
    allowed = {
        "users": actor.reads_users,
        "organisations": True,
        "delegations": actor.reads_delegations,
    }[endpoint]
    status, rows = read_all(api_as(actor.email), f"/api/v1/{endpoint}")
    if not allowed:
        assert status == 403
        return
    assert status == 200
    expected = _expected_rows(endpoint, actor)
    assert expected, "nothing to list: the check would be vacuous"
    org_of = {o.pk: o.code for o in Organisation.objects.all()}
    if endpoint == "organisations":
        leaked = [row["code"] for row in rows if not actor.reaches(row["code"])]
    else:
        leaked = [row for row in rows if not actor.reaches(org_of[row["organisation_id"]])]
    assert not leaked, f"rows of other tenants: {leaked}"
    assert {row["id"] for row in rows} == set(expected)


@pytest.mark.parametrize(
    ("actor_email", "foreign"),
    [
        pytest.param(A_ADMIN, SATKER_B, id="A-admin-filters-B"),
        pytest.param(A_ADMIN, SATKER_C, id="A-admin-filters-C"),
        pytest.param(B_ADMIN, SATKER_A, id="B-admin-filters-A"),
        pytest.param(KPPN030_ADMIN, SATKER_A, id="KPPN030-admin-filters-A"),
        pytest.param(KANWIL32_ADMIN, SATKER_A, id="Kanwil32-admin-filters-A"),
        pytest.param(VENDOR_ADMIN, SATKER_A, id="vendor-admin-filters-A"),
        pytest.param(AUDITOR, SATKER_B, id="auditor-filters-B"),
    ],
)
def test_api_user_list_filtered_by_a_foreign_organisation_is_empty(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient], actor_email: str, foreign: str
) -> None:
    client = api_as(actor_email)
    status, rows = read_all(client, "/api/v1/users", organisation_id=org_id(foreign))
    assert (status, rows) == (200, [])
    status, rows = read_all(client, "/api/v1/organisations", kind="SATKER")
    assert status == 200
    assert foreign not in {row["code"] for row in rows}


# --- 2. API writes ----------------------------------------------------------------------------

Request = tuple[str, dict[str, Any]]
Operation = Callable[[int], Request]


def change_role(role: str) -> Operation:
    def build(target: int) -> Request:
        return f"/api/v1/users/{target}/role", {"role": role}

    return build


def disable(target: int) -> Request:
    return f"/api/v1/users/{target}/disable", {"reason": "Dipindahtugaskan"}


def enable(target: int) -> Request:
    return f"/api/v1/users/{target}/enable", {}


def create_user(role: str) -> Operation:
    def build(target: int) -> Request:
        return "/api/v1/users", {
            "organisation_id": target,
            "email": "pegawai.baru@contoh.go.id",
            "full_name": "Gita Permatasari",
            "nik": "3171011508859002",
            "role": role,
        }

    return build


def create_delegation(role: str) -> Operation:
    def build(target: int) -> Request:
        now = clock.now()
        return "/api/v1/delegations", {
            "delegate_id": target,
            "role": role,
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=7)).isoformat(),
            "reason": "Surat tugas nomor ST-1/2026",
        }

    return build


def revoke_delegation(target: int) -> Request:
    return f"/api/v1/delegations/{target}/revoke", {}


def register_satker_admin(target: int) -> Request:
    return "/api/v1/satker-admins", {
        "satker_id": target,
        "email": "admin.baru@contoh.go.id",
        "full_name": "Hadi Gunawan",
        "nik": "3171011508859003",
        "letter_number": "KEP-99/KPA/2026",
        "letter_date": "2026-01-05",
    }


TargetKind = Literal["user", "org", "delegation"]


@dataclass(frozen=True, slots=True)
class Write:
    actor: str
    operation: Operation
    target_kind: TargetKind
    target: str  # e-mail of a user, code of an organisation, satker code of its delegation
    status: int

    def target_id(self) -> int:
        if self.target_kind == "user":
            return user_id(self.target)
        if self.target_kind == "org":
            return org_id(self.target)
        return delegation_id(self.target)


def refused(
    key: str, actor: str, op: Operation, kind: TargetKind, target: str, status: int = 404
) -> Any:
    """A write that must be refused (404 outside the actor's reach) and change nothing."""
    return pytest.param(Write(actor, op, kind, target, status), id=key)


def allowed(key: str, actor: str, op: Operation, kind: TargetKind, target: str, status: int) -> Any:
    """A write by someone who reaches the target: it passes the tenant gate."""
    return pytest.param(Write(actor, op, kind, target, status), id=key)


CROSS_TENANT_WRITES = [
    # Satker B's admin on satker A.
    refused("B-admin-changes-role-of-A-user", B_ADMIN, change_role("KPA"), "user", A_PEMESAN),
    refused("B-admin-disables-A-user", B_ADMIN, disable, "user", A_PEMESAN),
    refused("B-admin-enables-A-user", B_ADMIN, enable, "user", DISABLED_KPA_A),
    refused("B-admin-creates-user-in-A", B_ADMIN, create_user("PEMESAN"), "org", SATKER_A),
    refused("B-admin-delegates-to-A-user", B_ADMIN, create_delegation("PPK"), "user", A_PEMESAN),
    refused("B-admin-revokes-A-delegation", B_ADMIN, revoke_delegation, "delegation", SATKER_A),
    # Satker A's admin on its sibling C (same KPPN, still another tenant).
    refused("A-admin-changes-role-of-C-user", A_ADMIN, change_role("KPA"), "user", C_PEMESAN),
    refused("A-admin-disables-C-user", A_ADMIN, disable, "user", C_PEMESAN),
    refused("A-admin-revokes-C-delegation", A_ADMIN, revoke_delegation, "delegation", SATKER_C),
    # A non-admin meets the tenant wall before the role check.
    refused("A-pemesan-disables-B-user", A_PEMESAN, disable, "user", B_PEMESAN),
    # KPPN 030 (Bandung) must not reach satker A or C (Jakarta).
    refused(
        "KPPN030-admin-registers-A-satker-admin",
        KPPN030_ADMIN,
        register_satker_admin,
        "org",
        SATKER_A,
    ),
    refused(
        "KPPN030-admin-registers-C-satker-admin",
        KPPN030_ADMIN,
        register_satker_admin,
        "org",
        SATKER_C,
    ),
    refused("KPPN030-admin-disables-A-admin", KPPN030_ADMIN, disable, "user", A_ADMIN),
    # Kanwil 32 must not reach KPPN 019.
    refused(
        "Kanwil32-admin-disables-KPPN019-admin", KANWIL32_ADMIN, disable, "user", KPPN019_ADMIN
    ),
    refused(
        "Kanwil32-admin-creates-KPPN-admin-in-019",
        KANWIL32_ADMIN,
        create_user("KPPN_ADMIN"),
        "org",
        "019",
    ),
    # Vendors are tenants too.
    refused(
        "vendor-admin-creates-user-in-other-vendor",
        VENDOR_ADMIN,
        create_user("VENDOR_STAFF"),
        "org",
        VENDOR_2,
    ),
    refused(
        "vendor-admin-disables-other-vendor-admin", VENDOR_ADMIN, disable, "user", VENDOR2_ADMIN
    ),
    refused(
        "bank-operator-creates-user-in-A", BANK_OPERATOR, create_user("PEMESAN"), "org", SATKER_A
    ),
    # The auditor reads satker A but writes nothing there: its grant is read-only.
    refused("auditor-changes-role-of-A-user", AUDITOR, change_role("KPA"), "user", A_PEMESAN),
    refused("auditor-disables-A-user", AUDITOR, disable, "user", A_PEMESAN),
    refused("auditor-enables-A-user", AUDITOR, enable, "user", DISABLED_KPA_A),
    refused("auditor-creates-user-in-A", AUDITOR, create_user("PEMESAN"), "org", SATKER_A),
    refused("auditor-delegates-to-A-user", AUDITOR, create_delegation("PPK"), "user", A_PEMESAN),
    refused("auditor-revokes-A-delegation", AUDITOR, revoke_delegation, "delegation", SATKER_A),
    refused("auditor-registers-A-satker-admin", AUDITOR, register_satker_admin, "org", SATKER_A),
    refused("auditor-disables-B-user", AUDITOR, disable, "user", B_PEMESAN),
    # In its own body the auditor is reached, so the role check answers.
    refused(
        "auditor-creates-auditor-in-own-body", AUDITOR, create_user("AUDITOR"), "org", ITJEN, 403
    ),
]

POSITIVE_WRITES = [
    allowed("A-admin-changes-role-of-A-user", A_ADMIN, change_role("KPA"), "user", A_PEMESAN, 200),
    allowed("A-admin-disables-A-user", A_ADMIN, disable, "user", A_PEMESAN, 200),
    allowed("A-admin-enables-A-user", A_ADMIN, enable, "user", DISABLED_KPA_A, 200),
    allowed("A-admin-creates-user-in-A", A_ADMIN, create_user("PEMESAN"), "org", SATKER_A, 201),
    allowed(
        "A-admin-delegates-to-A-user", A_ADMIN, create_delegation("PPK"), "user", A_PEMESAN, 201
    ),
    allowed(
        "A-admin-revokes-A-delegation", A_ADMIN, revoke_delegation, "delegation", SATKER_A, 200
    ),
    allowed("KPPN019-admin-disables-A-admin", KPPN019_ADMIN, disable, "user", A_ADMIN, 200),
    # KPPN 019 passes the tenant gate for satker A and is stopped by the one-admin rule.
    allowed(
        "KPPN019-admin-registers-A-satker-admin",
        KPPN019_ADMIN,
        register_satker_admin,
        "org",
        SATKER_A,
        409,
    ),
    allowed(
        "Kanwil31-admin-disables-KPPN019-admin", KANWIL31_ADMIN, disable, "user", KPPN019_ADMIN, 200
    ),
    allowed(
        "Kanwil31-admin-creates-KPPN-admin-in-019",
        KANWIL31_ADMIN,
        create_user("KPPN_ADMIN"),
        "org",
        "019",
        201,
    ),
    allowed("DJPb-admin-disables-KPPN030-admin", DJPB_ADMIN, disable, "user", KPPN030_ADMIN, 200),
    allowed(
        "vendor-admin-creates-staff-in-own-vendor",
        VENDOR_ADMIN,
        create_user("VENDOR_STAFF"),
        "org",
        VENDOR_1,
        201,
    ),
]


@pytest.mark.parametrize("write", CROSS_TENANT_WRITES)
def test_api_write_outside_reach_is_refused_and_changes_nothing(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient], write: Write
) -> None:
    client = api_as(write.actor)
    path, body = write.operation(write.target_id())
    missing_path, missing_body = write.operation(MISSING_ID)
    before, events = state(), AuditEvent.objects.count()

    response = client.post(path, body)
    missing = client.post(missing_path, missing_body)

    assert response.status_code == write.status, response.content
    if write.status == 404:
        # The same answer as for an id that does not exist: existence does not leak.
        assert missing.status_code == 404
        assert response.json() == missing.json() == NOT_FOUND_BODY
    else:
        assert response.json()["code"] == "forbidden"
    assert state() == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("write", POSITIVE_WRITES)
def test_api_write_inside_reach_passes_the_tenant_gate(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient], write: Write
) -> None:
    client = api_as(write.actor)
    path, body = write.operation(write.target_id())
    before, events = state(), AuditEvent.objects.count()

    response = client.post(path, body)

    assert response.status_code == write.status, response.content
    if write.status < 300:
        assert state() != before
        assert AuditEvent.objects.count() > events
    else:  # refused by a business rule behind the gate
        assert state() == before
        assert AuditEvent.objects.count() == events


def test_api_role_change_within_own_satker_is_recorded(
    tenants: dict[str, Any], api_as: Callable[[str], ApiClient]
) -> None:
    target = User.objects.get(email=A_PEMESAN)
    response = api_as(A_ADMIN).post(f"/api/v1/users/{target.pk}/role", {"role": "KPA"})
    assert response.status_code == 200
    assert response.json()["role"] == "KPA"
    target.refresh_from_db()
    assert target.role == Role.KPA
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None
    assert (event.action, event.tenant_id, event.object_id) == (
        "user.role_changed",
        target.organisation_id,
        str(target.pk),
    )


# --- 3. pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor_email", "satker"),
    [
        pytest.param(B_ADMIN, SATKER_A, id="B-admin-on-A-users"),
        pytest.param(A_ADMIN, SATKER_C, id="A-admin-on-C-users"),
        pytest.param(KPPN030_ADMIN, SATKER_A, id="KPPN030-admin-on-A-users"),
        pytest.param(KANWIL32_ADMIN, SATKER_A, id="Kanwil32-admin-on-A-users"),
        pytest.param(VENDOR_ADMIN, SATKER_A, id="vendor-admin-on-A-users"),
        pytest.param(AUDITOR, SATKER_B, id="auditor-on-B-users"),
        pytest.param(A_PEMESAN, SATKER_B, id="A-pemesan-on-B-users"),
    ],
)
def test_page_user_detail_of_other_tenant_is_404_for_reads_and_writes(
    tenants: dict[str, Any], login_client: Callable[[str], Client], actor_email: str, satker: str
) -> None:
    client = login_client(actor_email)
    missing = client.get(f"/pengguna/{MISSING_ID}/")
    assert missing.status_code == 404
    targets = list(users_of(satker))
    assert len(targets) >= len(SATKER_LOCALS)
    before, events = state(), AuditEvent.objects.count()

    for target in targets:
        url = f"/pengguna/{target.pk}/"
        response = client.get(url)
        assert response.status_code == 404, target.email
        assert main_of(response) == main_of(missing)
        assert target.email not in response.content.decode()
        for form in ({"role": "KPA"}, {"reason": "Dipindahtugaskan"}, {"enable": "1"}):
            response = client.post(url, form)
            assert response.status_code == 404, (target.email, form)
            assert main_of(response) == main_of(missing)

    assert state() == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("actor_email", "satker"),
    [
        pytest.param(B_ADMIN, SATKER_B, id="B-admin-on-B-users"),
        pytest.param(KPPN019_ADMIN, SATKER_A, id="KPPN019-admin-on-A-users"),
        pytest.param(KANWIL31_ADMIN, SATKER_C, id="Kanwil31-admin-on-C-users"),
        pytest.param(AUDITOR, SATKER_A, id="auditor-on-A-users"),
        pytest.param(DJPB_ADMIN, SATKER_B, id="DJPb-admin-on-B-users"),
    ],
)
def test_page_user_detail_within_reach_is_shown(
    tenants: dict[str, Any], login_client: Callable[[str], Client], actor_email: str, satker: str
) -> None:
    client = login_client(actor_email)
    for target in users_of(satker):
        response = client.get(f"/pengguna/{target.pk}/")
        assert response.status_code == 200, target.email
        assert target.email in response.content.decode()


def test_page_role_change_and_disable_within_own_satker_work(
    tenants: dict[str, Any], login_client: Callable[[str], Client]
) -> None:
    """Control for the 404s above: the same forms do change a user of the admin's own satker."""
    client = login_client(A_ADMIN)
    target = User.objects.get(email=A_PEMESAN)
    events = AuditEvent.objects.count()
    response = client.post(f"/pengguna/{target.pk}/", {"role": "KPA"})
    assert response.status_code == 302
    response = client.post(f"/pengguna/{target.pk}/", {"reason": "Dipindahtugaskan"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.is_active) == (Role.KPA, False)
    assert AuditEvent.objects.count() == events + 2


USER_LIST_PARAMS = [
    pytest.param(actor, id=actor.key)
    for actor in ACTORS
    if actor.reads_users or actor.key in {"A-pemesan", "bank-operator"}
]


@pytest.mark.parametrize("actor", USER_LIST_PARAMS)
def test_page_user_list_shows_only_users_within_reach(
    tenants: dict[str, Any],
    login_client: Callable[[str], Client],
    actor: Actor,
) -> None:
    client = login_client(actor.email)
    if not actor.reads_users:
        assert client.get("/pengguna/").status_code == 403
        return
    users = list(User.objects.select_related("organisation"))
    inside = {u.email for u in users if actor.reaches(u.organisation.code)}
    outside = {u.email for u in users} - inside
    assert inside
    if actor.reach is not None:
        assert outside

    for headers in ({}, {"HX-Request": "true"}):  # the full page and its htmx fragment
        listing = all_pages(client, "/pengguna/", headers=headers)
        assert sorted(e for e in outside if e in listing) == []
        assert sorted(e for e in inside if e not in listing) == []
    # Searching for another tenant's users by code, name or role finds nothing of theirs.
    for query in (SATKER_A, SATKER_B, SATKER_C, "admin", "Andi Pratama"):
        found = all_pages(client, "/pengguna/", q=query)
        assert sorted(e for e in outside if e in found) == [], query
    found = all_pages(client, "/pengguna/", role="PEMESAN")
    assert sorted(e for e in outside if e in found) == []


SATKER_LIST_CASES = [
    pytest.param(KPPN030_ADMIN, {SATKER_B}, id="KPPN030-admin"),
    pytest.param(KANWIL32_ADMIN, {SATKER_B}, id="Kanwil32-admin"),
    pytest.param(KPPN019_ADMIN, {SATKER_A, SATKER_C}, id="KPPN019-admin"),
    pytest.param(KANWIL31_ADMIN, {SATKER_A, SATKER_C}, id="Kanwil31-admin"),
    pytest.param(AUDITOR, {SATKER_A, SATKER_C}, id="auditor"),
    pytest.param(B_ADMIN, {SATKER_B}, id="B-admin"),
    pytest.param(VENDOR_ADMIN, set(), id="vendor-admin"),
    pytest.param(DJPB_ADMIN, {SATKER_A, SATKER_B, SATKER_C}, id="DJPb-admin"),
]


@pytest.mark.parametrize(("actor_email", "visible"), SATKER_LIST_CASES)
def test_page_satker_list_shows_only_satkers_within_reach(
    tenants: dict[str, Any],
    login_client: Callable[[str], Client],
    actor_email: str,
    visible: set[str],
) -> None:
    client = login_client(actor_email)
    hidden = {SATKER_A, SATKER_B, SATKER_C} - visible

    def rows(**params: str) -> set[str]:
        text = all_pages(client, "/satker/", **params)
        # The code cell links to the satker's UP position: match the code as the cell's text.
        return {
            code
            for code in (SATKER_A, SATKER_B, SATKER_C)
            if re.search(rf"<td>(<a [^>]*>)?{code}(</a>)?</td>", text)
        }

    assert rows() == visible
    for code in hidden:
        name_word = Organisation.objects.get(code=code).name.split()[0]
        assert rows(q=code[:4]) == set(), code
        assert rows(q=name_word) & hidden == set(), name_word


@pytest.mark.parametrize(
    ("actor_email", "satker"),
    [
        pytest.param(KPPN030_ADMIN, SATKER_A, id="KPPN030-admin-on-A"),
        pytest.param(KPPN030_ADMIN, SATKER_C, id="KPPN030-admin-on-C"),
        pytest.param(KANWIL32_ADMIN, SATKER_A, id="Kanwil32-admin-on-A"),
        pytest.param(KPPN019_ADMIN, SATKER_B, id="KPPN019-admin-on-B"),
        pytest.param(B_ADMIN, SATKER_A, id="B-admin-on-A"),
    ],
)
def test_page_satker_admin_registration_of_other_tenant_is_404(
    tenants: dict[str, Any], login_client: Callable[[str], Client], actor_email: str, satker: str
) -> None:
    client = login_client(actor_email)
    url = f"/satker/{org_id(satker)}/admin/"
    missing = client.get(f"/satker/{MISSING_ID}/admin/")
    assert missing.status_code == 404
    before, events = state(), AuditEvent.objects.count()

    response = client.get(url)
    assert response.status_code == 404
    assert main_of(response) == main_of(missing)
    assert satker not in main_of(response)
    response = client.post(
        url,
        {
            "full_name": "Hadi Gunawan",
            "email": "admin.baru@contoh.go.id",
            "nik": "3171011508859003",
            "letter_number": "KEP-99/KPA/2026",
            "letter_date": "05/01/2026",
        },
    )
    assert response.status_code == 404
    assert state() == before
    assert AuditEvent.objects.count() == events


def test_page_satker_admin_registration_within_reach_is_shown(
    tenants: dict[str, Any], login_client: Callable[[str], Client]
) -> None:
    response = login_client(KPPN019_ADMIN).get(f"/satker/{org_id(SATKER_A)}/admin/")
    assert response.status_code == 200
    assert SATKER_A in main_of(response)


def test_page_delegation_of_other_tenant_cannot_be_revoked_or_seen(
    tenants: dict[str, Any], login_client: Callable[[str], Client]
) -> None:
    client = login_client(B_ADMIN)
    listing = client.get("/delegasi/")
    assert listing.status_code == 200
    assert f"Surat tugas uji {SATKER_B}" in listing.content.decode()
    for code in (SATKER_A, SATKER_C):
        assert f"Surat tugas uji {code}" not in listing.content.decode()

    before, events = state(), AuditEvent.objects.count()
    foreign = client.post("/delegasi/", {"revoke": str(delegation_id(SATKER_A))})
    missing = client.post("/delegasi/", {"revoke": str(MISSING_ID)})
    assert foreign.status_code == missing.status_code == 200
    assert "Data tidak ditemukan." in foreign.content.decode()
    assert main_of(foreign) == main_of(missing)
    # Nor can a delegation be given to a user of satker A through B's form.
    start = clock.now() + timedelta(days=1)

    def delegate_to(email: str) -> HttpResponse:
        return client.post(
            "/delegasi/",
            {
                "delegate": str(user_id(email)),
                "role": "PPK",
                "valid_from": start.strftime("%d/%m/%Y %H:%M"),
                "valid_until": (start + timedelta(days=4)).strftime("%d/%m/%Y %H:%M"),
                "reason": "Surat tugas ST-2/2026",
            },
        )

    assert delegate_to(A_PEMESAN).status_code == 200
    assert state() == before
    assert AuditEvent.objects.count() == events
    # Control: the very same form for a user of B's own satker is accepted.
    assert delegate_to(B_PEMESAN).status_code == 302
    assert Delegation.objects.filter(delegate__email=B_PEMESAN).count() == 1


def test_page_delegation_of_own_satker_can_be_revoked(
    tenants: dict[str, Any], login_client: Callable[[str], Client]
) -> None:
    response = login_client(A_ADMIN).post("/delegasi/", {"revoke": str(delegation_id(SATKER_A))})
    assert response.status_code == 302
    assert Delegation.objects.get(organisation__code=SATKER_A).revoked_at is not None


@pytest.mark.parametrize(
    ("satker", "created"),
    [
        pytest.param(SATKER_A, False, id="into-A-refused"),
        pytest.param(SATKER_B, True, id="into-own-B-allowed"),
    ],
)
def test_page_user_create_only_into_own_satker(
    tenants: dict[str, Any], login_client: Callable[[str], Client], satker: str, created: bool
) -> None:
    client = login_client(B_ADMIN)
    events = AuditEvent.objects.count()
    response = client.post(
        "/pengguna/baru/",
        {
            "full_name": "Gita Permatasari",
            "email": "pegawai.baru@contoh.go.id",
            "nik": "3171011508859002",
            "role": "PEMESAN",
            "organisation": str(org_id(satker)),
        },
    )
    assert response.status_code == 200
    exists = User.objects.filter(email="pegawai.baru@contoh.go.id").exists()
    assert exists is created
    assert (AuditEvent.objects.count() > events) is created
    if created:
        assert User.objects.get(email="pegawai.baru@contoh.go.id").organisation.code == SATKER_B
