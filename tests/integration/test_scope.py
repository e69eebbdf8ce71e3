"""Reach of each kind of actor down the four-level hierarchy DJPb → Kanwil → KPPN → Satker."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine

from digipay.accounts import queries, services
from digipay.accounts.models import User
from digipay.core import clock


def _u(email: str) -> User:
    return User.objects.get(email=email)


def test_auditor_granted_djpb_reaches_every_satker(world: dict[str, Any]) -> None:
    auditor = _u("auditor@itjen.demo.digipay.id")
    assert not queries.can_reach(auditor, world["satker_b"].pk, read_only=True)
    services.grant_auditor_access(
        _u("admin@djpb.demo.digipay.id"),
        auditor=auditor,
        organisation=world["djpb"],
        valid_until=date(2027, 12, 31),
    )
    for key in ("satker_a", "satker_b", "satker_c", "kppn_b", "kanwil_b"):
        assert queries.can_reach(auditor, world[key].pk, read_only=True), key
    # Read-only: a grant never lets an auditor act.
    assert not queries.can_reach(auditor, world["satker_b"].pk, read_only=False)


def test_auditor_grant_expires(world: dict[str, Any]) -> None:
    auditor = _u("auditor@itjen.demo.digipay.id")
    assert queries.can_reach(auditor, world["satker_a"].pk, read_only=True)
    with time_machine.travel(clock.now() + timedelta(days=800)):
        assert not queries.can_reach(auditor, world["satker_a"].pk, read_only=True)


def test_kanwil_admin_reaches_satkers_two_levels_down_only_in_its_region(
    world: dict[str, Any],
) -> None:
    kanwil = _u("admin@kanwil31.demo.digipay.id")
    assert queries.can_reach(kanwil, world["satker_a"].pk, read_only=False)
    assert queries.can_reach(kanwil, world["satker_c"].pk, read_only=False)
    assert not queries.can_reach(kanwil, world["satker_b"].pk, read_only=True)
    satkers = set(queries.satkers_of(kanwil).values_list("code", flat=True))
    assert satkers == {"415256", "652840"}


def test_djpb_admin_reaches_everything(world: dict[str, Any]) -> None:
    djpb = _u("admin@djpb.demo.digipay.id")
    assert set(queries.satkers_of(djpb).values_list("code", flat=True)) == {
        "415256",
        "652840",
        "527010",
    }


def test_logout_forgets_the_tracked_session(world: dict[str, Any]) -> None:
    from django.test import Client

    from digipay.accounts.models import UserSession
    from tests.conftest import page_login

    client = page_login(Client(), "pemesan@415256.demo.digipay.id")
    assert UserSession.objects.count() == 1
    client.post("/keluar/")
    assert UserSession.objects.count() == 0
