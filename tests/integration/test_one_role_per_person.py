"""One person, one role per satker; one e-mail, one user — in the services and in the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from digipay.accounts import services
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.core.errors import ValidationFailed


def test_same_person_cannot_take_a_second_role_in_the_same_satker(world: dict[str, Any]) -> None:
    admin = User.objects.get(email="admin@415256.demo.digipay.id")
    services.create_user(
        admin,
        organisation=world["satker_a"],
        email="kpa@a.go.id",
        full_name="Kepala Satker",
        nik="3171011508858001",
        role=Role.KPA,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            admin,
            organisation=world["satker_a"],
            email="lain@a.go.id",
            full_name="Kepala Satker",
            nik="3171011508858001",
            role=Role.PPSPM,
        )
    assert exc.value.code == "one_role_per_person"
    assert not User.objects.filter(email="lain@a.go.id").exists()


def test_same_person_may_serve_in_another_satker(world: dict[str, Any]) -> None:
    admin_a = User.objects.get(email="admin@415256.demo.digipay.id")
    admin_b = User.objects.get(email="admin@527010.demo.digipay.id")
    services.create_user(
        admin_a,
        organisation=world["satker_a"],
        email="p@a.go.id",
        full_name="Pindahan",
        nik="3171011508858002",
        role=Role.KPA,
    )
    services.create_user(
        admin_b,
        organisation=world["satker_b"],
        email="p@b.go.id",
        full_name="Pindahan",
        nik="3171011508858002",
        role=Role.KPA,
    )
    assert User.objects.filter(full_name="Pindahan").count() == 2


def test_one_email_one_user_case_insensitive(world: dict[str, Any]) -> None:
    admin = User.objects.get(email="admin@415256.demo.digipay.id")
    with pytest.raises(ValidationFailed):
        services.create_user(
            admin,
            organisation=world["satker_a"],
            email="PEMESAN@415256.demo.digipay.id",
            full_name="Dup",
            nik="3171011508858003",
            role=Role.KPA,
        )


def test_database_refuses_a_second_role_even_behind_the_service(world: dict[str, Any]) -> None:
    existing = User.objects.get(email="ppk@415256.demo.digipay.id")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            email="x@a.go.id",
            full_name="X",
            organisation=world["satker_a"],
            role=Role.KPA,
            person_key=existing.person_key,
            nik_last4="0000",
        )


def test_database_refuses_two_active_satker_admins(world: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            email="y@a.go.id",
            full_name="Y",
            organisation=world["satker_a"],
            role=Role.SATKER_ADMIN,
            person_key="f" * 64,
            nik_last4="0000",
        )


def test_nik_is_not_stored(world: dict[str, Any]) -> None:
    admin = User.objects.get(email="admin@415256.demo.digipay.id")
    user, _pw = services.create_user(
        admin,
        organisation=world["satker_a"],
        email="n@a.go.id",
        full_name="Nik Test",
        nik="3171011508858004",
        role=Role.KPA,
    )
    row = User.objects.filter(pk=user.pk).values().get()
    assert "3171011508858004" not in str(row)
    assert row["nik_last4"] == "8004"
    assert row["person_key"] == services.person_key("3171011508858004")
