"""The audit log: an event for every state change, append-only, hash-chained, verifiable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from digipay.accounts import auth, services
from digipay.accounts.models import Delegation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.audit import queries
from digipay.audit.models import AuditEvent
from digipay.audit.services import record_event
from digipay.core import clock

ADMIN_A = "admin@415256.demo.digipay.id"


def _u(email: str) -> User:
    return User.objects.get(email=email)


def _delegation(world: dict[str, Any]) -> Delegation:
    now = clock.now()
    return services.create_delegation(
        _u(ADMIN_A),
        delegate=_u("ppk@415256.demo.digipay.id"),
        role=Role.BENDAHARA,
        valid_from=now,
        valid_until=now + timedelta(days=3),
        reason="ST-9",
    )


def _totp(world: dict[str, Any]) -> None:
    from django_otp.oath import totp

    user = _u("pemesan@415256.demo.digipay.id")
    device = auth.start_totp_enrolment(user)
    auth.confirm_totp_enrolment(user, device.pk, f"{totp(device.bin_key, step=30, t0=0):06d}")


CHANGES: dict[str, tuple[str, str, Callable[[dict[str, Any]], object]]] = {
    # name: (expected action, actor e-mail, the change)
    "register organisation": (
        "organisation.registered",
        "admin@kppn019.demo.digipay.id",
        lambda w: services.register_organisation(
            _u("admin@kppn019.demo.digipay.id"),
            kind=OrgKind.SATKER,
            code="999003",
            name="Satker Audit",
            parent=w["kppn_a"],
            ministry_code="015",
        ),
    ),
    "create user": (
        "user.created",
        ADMIN_A,
        lambda w: services.create_user(
            _u(ADMIN_A),
            organisation=w["satker_a"],
            email="k@a.go.id",
            full_name="Kepala",
            nik="3171011508856001",
            role=Role.KPA,
        ),
    ),
    "change role": (
        "user.role_changed",
        ADMIN_A,
        lambda w: services.change_role(
            _u(ADMIN_A), _u("pemesan@415256.demo.digipay.id"), role=Role.KPA
        ),
    ),
    "disable user": (
        "user.disabled",
        ADMIN_A,
        lambda w: services.disable_user(
            _u(ADMIN_A), _u("pemesan@415256.demo.digipay.id"), reason="Pensiun"
        ),
    ),
    "change password": (
        "user.password_changed",
        "pemesan@415256.demo.digipay.id",
        lambda w: services.change_own_password(
            _u("pemesan@415256.demo.digipay.id"),
            old_password="Digipay-Demo-2026",
            new_password="Sawah-Hijau-2026",
        ),
    ),
    "create delegation": ("delegation.created", ADMIN_A, _delegation),
    "revoke delegation": (
        "delegation.revoked",
        ADMIN_A,
        lambda w: services.revoke_delegation(_u(ADMIN_A), _delegation(w)),
    ),
    "grant auditor": (
        "auditor.granted",
        "admin@djpb.demo.digipay.id",
        lambda w: services.grant_auditor_access(
            _u("admin@djpb.demo.digipay.id"),
            auditor=_u("auditor@itjen.demo.digipay.id"),
            organisation=w["satker_b"],
            valid_until=date(2027, 6, 30),
        ),
    ),
    "issue token": (
        "api_token.issued",
        "pemesan@415256.demo.digipay.id",
        lambda w: services.issue_api_token(_u("pemesan@415256.demo.digipay.id")),
    ),
    "revoke token": (
        "api_token.revoked",
        "pemesan@415256.demo.digipay.id",
        lambda w: services.revoke_api_token(
            _u("pemesan@415256.demo.digipay.id"),
            services.issue_api_token(_u("pemesan@415256.demo.digipay.id"))[1],
        ),
    ),
    "enrol totp": ("user.2fa_enrolled", "pemesan@415256.demo.digipay.id", _totp),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_state_change_writes_an_audit_event(world: dict[str, Any], name: str) -> None:
    action, actor_email, change = CHANGES[name]
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    change(world)
    events = AuditEvent.objects.filter(id__gt=last, action=action)
    assert events.count() == 1, list(AuditEvent.objects.filter(id__gt=last).values_list("action"))
    event = events.get()
    actor = _u(actor_email)
    assert event.actor_id == actor.pk
    assert event.actor_role == actor.role
    assert event.occurred_at is not None
    assert queries.verify_all()[1] == []


def test_disable_event_records_before_and_after(world: dict[str, Any]) -> None:
    target = _u("pemesan@415256.demo.digipay.id")
    services.disable_user(_u(ADMIN_A), target, reason="Mutasi")
    event = AuditEvent.objects.get(action="user.disabled")
    assert event.before == {"is_active": True}
    assert event.after["is_active"] is False
    assert event.after["reason"] == "Mutasi"
    assert event.object_type == "accounts.user"
    assert event.object_id == str(target.pk)
    assert event.tenant_id == world["satker_a"].pk


def test_request_id_and_ip_are_recorded_from_the_request(world: dict[str, Any]) -> None:
    raw, _token = services.issue_api_token(_u(ADMIN_A))
    response = Client().post(
        f"/api/v1/users/{_u('pemesan@415256.demo.digipay.id').pk}/role",
        {"role": Role.KPA},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "X-Request-ID": "req-audit-42"},
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-audit-42"
    event = AuditEvent.objects.get(action="user.role_changed")
    assert event.request_id == "req-audit-42"
    assert event.ip == "127.0.0.1"
    assert event.before == {"role": Role.PEMESAN}
    assert event.after == {"role": Role.KPA}


def test_record_event_refuses_to_run_outside_a_transaction(transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        record_event(
            tenant_id=1,
            actor_id=None,
            actor_role="SYSTEM",
            action="x.done",
            object_type="t",
            object_id=1,
        )


def test_chains_are_per_tenant_and_start_at_genesis(world: dict[str, Any]) -> None:
    for tenant in (world["satker_a"].pk, world["satker_b"].pk):
        first = AuditEvent.objects.filter(tenant_id=tenant).order_by("seq").first()
        assert first is not None
        assert first.seq == 1
        assert first.prev_hash == "0" * 64
    checked, broken = queries.verify_all()
    assert checked >= 10
    assert broken == []


def _tamper(event_id: int, sql_set: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Behind the app's back: a superuser bypassing the trigger.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE audit_auditevent SET {sql_set} WHERE id = %s", [event_id])  # noqa: S608


def test_verify_detects_a_row_edited_behind_the_apps_back(world: dict[str, Any]) -> None:
    call_command("audit", "verify")  # intact: no error
    target = AuditEvent.objects.filter(
        tenant_id=world["satker_a"].pk, action="user.created"
    ).order_by("seq")[2]
    with transaction.atomic():
        _tamper(target.pk, "actor_role = 'DJPB_ADMIN'")
    with pytest.raises(CommandError, match="rusak"):
        call_command("audit", "verify")
    broken = queries.verify_chain(world["satker_a"].pk)
    assert broken is not None
    assert broken.seq == target.seq
    assert broken.reason == "content does not match its hash"
    # Other tenants' chains are still intact.
    assert queries.verify_chain(world["satker_b"].pk) is None


def test_verify_detects_a_deleted_row(world: dict[str, Any]) -> None:
    target = AuditEvent.objects.filter(tenant_id=world["satker_b"].pk).order_by("seq")[1]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    broken = queries.verify_chain(world["satker_b"].pk)
    assert broken is not None
    assert broken.seq == target.seq
    assert "missing" in broken.reason


def test_verify_detects_a_truncated_tail(world: dict[str, Any]) -> None:
    last = AuditEvent.objects.filter(tenant_id=world["satker_b"].pk).order_by("-seq").first()
    assert last is not None
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    broken = queries.verify_chain(world["satker_b"].pk)
    assert broken is not None
    assert "shorter" in broken.reason


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgres_refuses_update_and_delete(world: dict[str, Any], statement: str) -> None:
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain() -> None:
    """Eight threads append to the same tenant at once: the head row lock serialises them."""
    tenant = 424242
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def append(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    record_event(
                        tenant_id=tenant,
                        actor_id=n,
                        actor_role="TEST",
                        action="test.appended",
                        object_type="t",
                        object_id=f"{n}-{i}",
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(
        AuditEvent.objects.filter(tenant_id=tenant).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 81))
    assert queries.verify_chain(tenant) is None
