"""The full demo's replenishment part against the real bank and SPAN simulators: the PPSPMs
are made, satker 415256 buys and pays until the GUP threshold is reached and completes one GUP
whose SP2D is credited; loading again changes nothing. The small world is left untouched."""

from __future__ import annotations

from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.replenishment import demo, queries
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmKind, SpmState

from .conftest import JUTA, A, Bank, Span, make_product


def test_small_world_gets_nothing(world: object) -> None:
    demo.load(full=False)
    assert not User.objects.filter(role=Role.PPSPM).exists()
    assert not Spm.objects.exists()


def test_full_demo_completes_a_gup(bank: Bank, span: Span) -> None:
    # The full demo's catalog has more of the vendor's goods than the small world: one more.
    make_product("UMKM-0001", price=2 * JUTA, stock=1_000)
    demo.load(full=True)
    assert User.objects.filter(role=Role.PPSPM).count() == 3
    spm = Spm.objects.get(satker__code=A)
    assert spm.kind == SpmKind.GUP
    assert spm.state == SpmState.APPROVED
    assert spm.credit_status == CreditState.CREDITED
    assert spm.ledger_entry_id is not None
    assert spm.amount_idr >= queries.gup_readiness(spm.satker).threshold_amount
    assert spm.lines.count() >= 1
    demo.load(full=True)
    assert Spm.objects.count() == 1
    assert User.objects.filter(role=Role.PPSPM).count() == 3
