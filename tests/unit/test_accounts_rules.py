from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digipay.accounts import rules
from digipay.accounts.rules import OrgKind, Role

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "second"),
    [("order", "approve"), ("approve", "pay"), ("approve", "receive"), ("receive", "pay")],
)
def test_incompatible_steps_conflict_both_ways(first: str, second: str) -> None:
    assert rules.violates_separation(actor_id=7, step=second, duty_holders={first: [7]}) == first
    assert rules.violates_separation(actor_id=7, step=first, duty_holders={second: [7]}) == second


def test_compatible_steps_and_other_people_do_not_conflict() -> None:
    assert (
        rules.violates_separation(actor_id=7, step="receive", duty_holders={"order": [7]}) is None
    )
    assert rules.violates_separation(actor_id=7, step="pay", duty_holders={"approve": [8]}) is None
    assert rules.violates_separation(actor_id=7, step=None, duty_holders={"approve": [7]}) is None


def test_every_role_lives_in_exactly_one_kind_of_organisation() -> None:
    assert set(rules.ROLE_ORG_KIND) == set(Role.values)
    assert rules.role_fits_organisation(Role.PPK, OrgKind.SATKER)
    assert not rules.role_fits_organisation(Role.PPK, OrgKind.VENDOR)


def test_two_factor_roles_match_the_issue() -> None:
    for role in (
        Role.PPK,
        Role.BENDAHARA,
        Role.PPSPM,
        Role.DJPB_ADMIN,
        Role.KANWIL_ADMIN,
        Role.KPPN_ADMIN,
        Role.SATKER_ADMIN,
        Role.VENDOR_ADMIN,
    ):
        assert rules.requires_two_factor(role)
    for role in (Role.PEMESAN, Role.PEJABAT_PENGADAAN, Role.PENERIMA_BARANG, Role.AUDITOR):
        assert not rules.requires_two_factor(role)


def test_creation_chain() -> None:
    assert rules.can_create_role(Role.KPPN_ADMIN, Role.SATKER_ADMIN)
    assert rules.can_create_role(Role.SATKER_ADMIN, Role.PEMESAN)
    assert not rules.can_create_role(Role.SATKER_ADMIN, Role.SATKER_ADMIN)
    assert not rules.can_create_role(Role.PEMESAN, Role.PEMESAN)
    assert not rules.can_create_role(Role.KPPN_ADMIN, Role.PPK)


def test_every_action_names_known_roles() -> None:
    for action, policy in rules.ACTIONS.items():
        assert policy.roles <= set(Role.values), action
    with pytest.raises(KeyError):
        rules.role_allows([Role.PPK], "order.teleport")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delegated_role": Role.SATKER_ADMIN}, "operasional"),
        ({"delegate_role": Role.BENDAHARA, "delegated_role": Role.BENDAHARA}, "sudah memegang"),
        (
            {"valid_until": NOW - timedelta(days=2), "valid_from": NOW - timedelta(days=3)},
            "berakhir",
        ),
        ({"valid_until": NOW - timedelta(days=1)}, "setelah"),
        ({"valid_until": NOW + timedelta(days=91)}, "90 hari"),
    ],
)
def test_delegation_errors(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "delegate_role": Role.PPK,
        "delegated_role": Role.BENDAHARA,
        "valid_from": NOW,
        "valid_until": NOW + timedelta(days=7),
        "now": NOW,
    }
    base.update(kwargs)
    problem = rules.delegation_error(**base)  # type: ignore[arg-type]
    assert problem is not None
    assert message in problem


def test_valid_delegation_has_no_error() -> None:
    assert (
        rules.delegation_error(
            delegate_role=Role.PPK,
            delegated_role=Role.BENDAHARA,
            valid_from=NOW,
            valid_until=NOW + timedelta(days=90),
            now=NOW,
        )
        is None
    )


@pytest.mark.parametrize(
    ("kind", "code", "parent", "ok"),
    [
        (OrgKind.SATKER, "415256", OrgKind.KPPN, True),
        (OrgKind.SATKER, "41525", OrgKind.KPPN, False),
        (OrgKind.SATKER, "415256", OrgKind.KANWIL, False),
        (OrgKind.KPPN, "019", OrgKind.KANWIL, True),
        (OrgKind.KANWIL, "31", OrgKind.DJPB, True),
        (OrgKind.BANK, "002", None, True),
    ],
)
def test_organisation_codes_and_parents(kind: str, code: str, parent: str | None, ok: bool) -> None:
    problem = rules.organisation_error(kind=kind, code=code, name="Nama", parent_kind=parent)
    assert (problem is None) is ok


def test_appointment_letter_must_be_numbered_and_not_future() -> None:
    today = date(2026, 11, 28)
    assert rules.appointment_error(letter_number="KEP-1", letter_date=today, today=today) is None
    assert rules.appointment_error(letter_number=" ", letter_date=today, today=today)
    assert rules.appointment_error(
        letter_number="KEP-1", letter_date=today + timedelta(days=1), today=today
    )
