"""Checks other apps register before an SPM that asks for money (``on_spm_check``): the books
app refuses the next SP2D while an LPJ is late (DOMAIN.md §5). A check that returns a message
stops ``draft_gup``, ``draft_gup_kkp`` and ``request_tup`` with ``spm_blocked``."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict
from digipay.replenishment import services
from digipay.replenishment.models import Spm

from .conftest import BENDAHARA, A, user

LATE = "LPJ Bendahara bulan Oktober terlambat; SP2D berikutnya ditahan."


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[services.SpmCheck]:
    registry: list[services.SpmCheck] = []
    monkeypatch.setattr(services, "SPM_CHECKS", registry)
    return registry


def test_a_registered_check_blocks_every_spm_asking_for_money(
    world: dict[str, Any], checks: list[services.SpmCheck]
) -> None:
    seen: list[str] = []

    def lpj_late(satker: Organisation) -> str | None:
        seen.append(satker.code)
        return LATE if satker.code == A else None

    services.on_spm_check(lpj_late)
    services.on_spm_check(lpj_late)  # twice is once
    assert checks == [lpj_late]
    bendahara = user(BENDAHARA)
    for draft in (
        lambda: services.draft_gup(bendahara),
        lambda: services.draft_gup_kkp(bendahara),
        lambda: services.request_tup(
            bendahara, amount_idr=50_000_000, reason="Kebutuhan mendesak penanganan banjir"
        ),
    ):
        with pytest.raises(Conflict) as refused:
            draft()
        assert refused.value.code == "spm_blocked"
        assert refused.value.message == LATE
    assert seen == [A, A, A]
    assert not Spm.objects.exists()


def test_a_check_without_a_message_lets_the_spm_through(
    world: dict[str, Any], checks: list[services.SpmCheck]
) -> None:
    services.on_spm_check(lambda satker: None)
    spm = services.request_tup(
        user(BENDAHARA), amount_idr=50_000_000, reason="Kebutuhan mendesak penanganan banjir"
    )
    assert spm.kind == "TUP"
