"""Who may do what: the Bendahara drafts, the PPSPM signs (not the drafter, never by
delegation of the drafting role), only the paying KPPN decides; a KPPN sees only the SPMs and
sanctions of the satkers it pays, a satker only its own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from digipay.replenishment import queries, services
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import SpmState

from .conftest import (
    BENDAHARA,
    JUTA,
    PPK,
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


def submitted(shop: Shop, run: Run) -> Spm:
    paid_goods(shop, run, price=70 * JUTA, qty=2)
    spm = services.draft_gup(user(BENDAHARA))
    return services.sign_spm(make_ppspm(), spm, otp=fresh_code())


def test_roles_and_tenants(shop: Shop, bank: Bank, span: Span, run_worker: Run) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    # Only the Bendahara drafts.
    with pytest.raises(PermissionDenied):
        services.draft_gup(user(PPK))
    with pytest.raises(PermissionDenied):
        services.draft_gup(make_ppspm())
    spm = services.draft_gup(user(BENDAHARA))
    # Only the PPSPM signs, with a valid code; a wrong code signs nothing.
    with pytest.raises(PermissionDenied):
        services.sign_spm(user(BENDAHARA), spm, otp=fresh_code())
    ppspm = make_ppspm()
    with pytest.raises(AuthenticationFailed):
        services.sign_spm(ppspm, spm, otp="000000" if fresh_code() != "000000" else "111111")
    assert Spm.objects.get(pk=spm.pk).state == SpmState.DRAFT
    # Another satker's PPSPM does not even see it.
    other_ppspm = make_ppspm(B)
    with pytest.raises(NotFound):
        services.sign_spm(other_ppspm, spm, otp=fresh_code())
    with pytest.raises(NotFound):
        queries.spm_for(user(email("bendahara", B)), spm.pk)
    assert list(queries.sign_queue(ppspm)) == [spm]
    assert list(queries.sign_queue(other_ppspm)) == []
    spm = services.sign_spm(ppspm, spm, otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    with pytest.raises(Conflict):
        services.sign_spm(ppspm, spm, otp=fresh_code())
    # The Bendahara and the PPSPM cannot decide; KPPN 030 (satker B's) neither sees it nor
    # decides; KPPN 019 (satker A's) does.
    for nobody in (user(BENDAHARA), ppspm):
        with pytest.raises(PermissionDenied):
            services.approve_spm(nobody, spm)
    bandung = kppn_admin("030")
    assert list(queries.kppn_queue(bandung)) == []
    assert not queries.visible_spms(bandung).exists()
    with pytest.raises(NotFound):
        queries.spm_for(bandung, spm.pk)
    with pytest.raises(NotFound):
        services.approve_spm(bandung, spm)
    with pytest.raises(NotFound):
        services.reject_spm(bandung, spm, reason="Bukan KPPN pembayar satker ini.")
    assert Spm.objects.get(pk=spm.pk).state == SpmState.SUBMITTED
    jakarta = kppn_admin("019")
    assert list(queries.kppn_queue(jakarta)) == [spm]
    assert queries.spm_for(jakarta, spm.pk) == spm
    spm = services.approve_spm(jakarta, spm)
    assert spm.state == SpmState.APPROVED
    assert spm.decided_by == jakarta
    # Decided once: a second approval is refused and changes nothing.
    with pytest.raises(Conflict):
        services.approve_spm(jakarta, spm)


def test_only_drafts_can_be_cancelled_by_their_satker(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.draft_gup(user(BENDAHARA))
    with pytest.raises(NotFound):
        services.cancel_spm(user(email("bendahara", B)), spm, reason="bukan milik kami")
    cancelled = services.cancel_spm(user(BENDAHARA), spm, reason="Salah pilih tagihan")
    assert cancelled.state == SpmState.CANCELLED
    assert queries.listable_invoices(cancelled.satker).count() == 1
    with pytest.raises(Conflict):
        services.sign_spm(make_ppspm(), cancelled, otp=fresh_code())
