"""The replenishment-age sanction: no GUP for 2 months after the UP was given → the KPPN and
the satker are warned; 3 months → a 25% cut notice the KPPN decides on. Once per episode;
a credited GUP starts a new one; a KPPN sees and decides only for the satkers it pays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.notifications.models import Notification
from digipay.replenishment import queries, services
from digipay.replenishment.models import SanctionNotice
from digipay.replenishment.rules import SanctionLevel

from .conftest import (
    BENDAHARA,
    JUTA,
    A,
    B,
    Bank,
    Shop,
    Span,
    email,
    fresh_code,
    kppn_admin,
    make_ppspm,
    paid_goods,
    user,
)

Run = Callable[[], int]


def test_warning_then_cut_once_per_episode(world: object) -> None:
    year = clock.today_jakarta().year  # the demo UP is given on 15 January
    assert services.check_sanctions(date(year, 3, 14)) == 0
    assert services.check_sanctions(date(year, 3, 15)) == 3
    assert services.check_sanctions(date(year, 3, 20)) == 0  # told once
    warning = SanctionNotice.objects.get(satker__code=A, level=SanctionLevel.WARNING)
    assert (warning.since, warning.months, warning.cut_amount_idr) == (date(year, 1, 15), 2, 0)
    jakarta = kppn_admin("019")
    assert (
        Notification.objects.filter(recipient=jakarta, title="Peringatan: belum ada GUP").count()
        == 2
    )
    assert (
        Notification.objects.filter(recipient=user(BENDAHARA))
        .filter(title="Peringatan: belum ada GUP")
        .exists()
    )
    assert services.check_sanctions(date(year, 4, 15)) == 3
    cut = SanctionNotice.objects.get(satker__code=A, level=SanctionLevel.CUT)
    assert cut.up_amount_idr == 500 * JUTA
    assert cut.cut_amount_idr == 125 * JUTA  # 25%, to the rupiah
    # KPPN 019 pays A and C; KPPN 030 pays B.
    assert {n.satker.code for n in queries.sanctions(jakarta)} == {A, "652840"}
    bandung = kppn_admin("030")
    assert {n.satker.code for n in queries.sanctions(bandung)} == {B}
    with pytest.raises(NotFound):
        services.decide_cut(bandung, cut, note="Bukan satker kami, tidak boleh.")
    with pytest.raises(ValidationFailed):
        services.decide_cut(jakarta, cut, note="ok")
    with pytest.raises(Conflict):
        services.decide_cut(jakarta, warning, note="Peringatan tidak diputuskan.")
    decided = services.decide_cut(
        jakarta, cut, note="UP dipotong 25% pada SP2D-UP berikutnya (Nota Dinas 12/2026)."
    )
    assert decided.decided_by == jakarta
    with pytest.raises(Conflict):
        services.decide_cut(jakarta, cut, note="Keputusan kedua tidak boleh dicatat.")
    with pytest.raises(PermissionDenied):
        services.decide_cut(user(BENDAHARA), cut, note="Bendahara tidak berwenang memutus.")


def test_a_credited_gup_starts_a_new_episode(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    services.approve_spm(kppn_admin(), spm)
    today = clock.today_jakarta()
    services.check_sanctions(today)
    assert not SanctionNotice.objects.filter(satker__code=A).exists()
    assert queries.last_replenished(spm.satker, today.year) == today
    assert SanctionNotice.objects.filter(satker__code=B).exists() == (
        today >= date(today.year, 3, 15)
    )
    assert not queries.sanctions(user(email("bendahara", A))).exists()
