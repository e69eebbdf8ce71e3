"""The GUP Tunai cycle through the real SPAN simulator and bank simulator: the Bendahara
drafts an SPM-GUP of paid invoices, the PPSPM signs (SPAN receives it), the KPPN approves, the
SP2D credits the treasurer's account and the ledger restores UP — to the rupiah, exactly once
even when the credit is seen again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict, ValidationFailed
from digipay.ledger.models import AccountBalance, Entry
from digipay.payments.movements import MovementKind, MovementStatus
from digipay.replenishment import queries, services
from digipay.replenishment.models import Spm, SpmLine
from digipay.replenishment.rules import CreditState, SpmKind, SpmState
from digipay.treasury import chart

from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    A,
    Bank,
    Shop,
    Span,
    fresh_code,
    kppn_admin,
    make_ppspm,
    paid_goods,
    user,
)

Run = Callable[[], int]


def posted(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return int(row.debits_posted - row.credits_posted) if row else 0


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def test_gup_cycle_restores_up_once_to_the_rupiah(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    """Rp140 juta of goods (gross 155.400.000 with PPN, over half of the Rp300 juta UP
    Tunai): SPM-GUP → signed → SPAN → KPPN approves → SP2D credited → UP Tunai restored by
    the gross, once, however often the credit is seen."""
    paid = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    # Price 140.000.000: PPN 15.400.000, PPh 22 2.100.000 (1.5%), net 137.900.000.
    assert (paid.gross_idr, paid.net_idr) == (155_400_000, 137_900_000)
    satker = satker_a()
    book = chart.satker_book(satker)
    gup = chart.kppn_book(satker.parent, satker).gup_disbursed  # type: ignore[arg-type]
    readiness = queries.gup_readiness(satker)
    assert readiness.up_tunai == 300 * JUTA
    assert readiness.spent == 155_400_000
    assert readiness.threshold_amount == 150 * JUTA
    assert readiness.ready

    spm = services.draft_gup(user(BENDAHARA))
    assert spm.kind == SpmKind.GUP
    assert spm.state == SpmState.DRAFT
    assert spm.number.endswith(f"/GUP/{A}/{spm.fiscal_year}")
    assert spm.amount_idr == 155_400_000
    assert spm.tax_total_idr == 17_500_000
    [line] = SpmLine.objects.filter(spm=spm)
    assert line.payment_invoice_id == paid.pk
    assert line.taxes == {"411211": 15_400_000, "411122": 2_100_000}
    assert line.gross_idr - line.tax_total == line.net_idr == 137_900_000
    assert len(line.npwp) == 16
    # Listed: no second draft can claim it.
    with pytest.raises(Conflict) as refused:
        services.draft_gup(user(BENDAHARA))
    assert refused.value.code == "nothing_to_replenish"

    up_before = posted(book.up_tunai.pk)
    treasurer_before = bank.balance(BRI, span.treasurer)
    ppspm = make_ppspm()
    spm = services.sign_spm(ppspm, spm, otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    assert spm.span_id

    kppn = kppn_admin()
    assert list(queries.kppn_queue(kppn)) == [spm]
    spm = services.approve_spm(kppn, spm)
    assert spm.state == SpmState.APPROVED
    assert len(spm.sp2d_number) == 15
    assert spm.credit_status == CreditState.CREDITED
    assert spm.bank_reference
    assert spm.ledger_entry_id
    # The bank: the treasurer's account got the SP2D; the ledger: UP Tunai up by the gross.
    assert bank.balance(BRI, span.treasurer) - treasurer_before == 155_400_000
    assert posted(book.up_tunai.pk) - up_before == 155_400_000
    assert posted(gup.pk) == -155_400_000
    entry = Entry.objects.get(pk=spm.ledger_entry_id)
    assert entry.reason_code == "GUP_SP2D"

    # Seen again (the worker's poll, a direct sync): nothing moves twice.
    services.sync_spm(spm.pk)
    assert services.poll_span() == 0
    assert posted(book.up_tunai.pk) - up_before == 155_400_000
    assert Entry.objects.filter(source_type="replenishment.spm", source_id=str(spm.pk)).count() == 1
    # The invoice is replenished: no longer listable, not counted as spent.
    assert not queries.listable_invoices(satker).exists()
    assert queries.gup_readiness(satker).spent == 0


def test_gup_below_the_threshold_is_refused_and_changes_nothing(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    """Rp50 juta of goods (gross 55.500.000) is under half of the Rp300 juta UP Tunai: no
    SPM; once a second payment brings the spend over 150.000.000, the GUP lists both."""
    first = paid_goods(shop, run_worker, price=50 * JUTA)
    assert first.gross_idr == 55_500_000
    satker = satker_a()
    assert not queries.gup_readiness(satker).ready
    with pytest.raises(Conflict) as refused:
        services.draft_gup(user(BENDAHARA))
    assert refused.value.code == "gup_threshold"
    assert "150.000.000" in refused.value.message
    assert not Spm.objects.exists()
    assert not SpmLine.objects.exists()
    # Choosing only some invoices is measured the same way.
    second = paid_goods(shop, run_worker, price=85 * JUTA)  # gross 94.350.000
    with pytest.raises(Conflict):
        services.draft_gup(user(BENDAHARA), payment_invoice_ids=[second.pk])
    readiness = queries.gup_readiness(satker)
    assert readiness.spent == 55_500_000 + 94_350_000 == 149_850_000
    assert not readiness.ready  # 150.000 rupiah short of exactly half
    third = paid_goods(shop, run_worker, price=1 * JUTA)  # gross 1.110.000
    assert queries.gup_readiness(satker).ready
    spm = services.draft_gup(user(BENDAHARA))
    assert spm.amount_idr == 149_850_000 + third.gross_idr
    assert set(SpmLine.objects.filter(spm=spm).values_list("payment_invoice_id", flat=True)) == {
        first.pk,
        second.pk,
        third.pk,
    }


def test_rejected_gup_frees_its_invoices_for_a_new_number(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    paid = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.draft_gup(user(BENDAHARA))
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    kppn = kppn_admin()
    with pytest.raises(ValidationFailed):
        services.reject_spm(kppn, spm, reason="kurang")
    spm = services.reject_spm(kppn, spm, reason="Kuitansi tagihan tidak ditandatangani.")
    assert spm.state == SpmState.REJECTED
    assert spm.rejection_reason == "Kuitansi tagihan tidak ditandatangani."
    assert spm.ledger_entry_id is None
    assert not SpmLine.objects.filter(spm=spm, active=True).exists()
    assert list(queries.listable_invoices(satker_a())) == [paid]
    # Approving a rejected SPM is refused; the new SPM gets the next number and SPAN takes it.
    with pytest.raises(Conflict):
        services.approve_spm(kppn, spm)
    again = services.draft_gup(user(BENDAHARA))
    assert again.number != spm.number
    assert again.number.startswith("00002/GUP/")
    again = services.sign_spm(make_ppspm(), again, otp=fresh_code())
    assert again.state == SpmState.SUBMITTED
    again = services.approve_spm(kppn, again)
    assert again.credit_status == CreditState.CREDITED


def test_up_is_restored_only_when_credited_not_when_approved(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    """The bank refuses the SP2D credit (the treasurer's account is inactive): the SPM is
    APPROVED, the credit FAILED and UP stays as it was; after the account is reopened the
    KPPN asks SPAN to credit again, and UP is restored — once."""
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    satker = satker_a()
    book = chart.satker_book(satker)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    up_before = posted(book.up_tunai.pk)
    treasurer_before = bank.balance(BRI, span.treasurer)
    bank.admin("PUT", f"/admin/accounts/{BRI}/{span.treasurer}", {"status": "INACTIVE"})
    try:
        spm = services.approve_spm(kppn_admin(), spm)
        assert spm.state == SpmState.APPROVED
        assert spm.credit_status == CreditState.FAILED
        assert spm.ledger_entry_id is None
        assert posted(book.up_tunai.pk) == up_before
        services.poll_span()
        assert Spm.objects.get(pk=spm.pk).ledger_entry_id is None
    finally:
        bank.admin("PUT", f"/admin/accounts/{BRI}/{span.treasurer}", {"status": "ACTIVE"})
    spm = services.retry_credit(kppn_admin(), spm)
    assert spm.credit_status == CreditState.CREDITED
    assert posted(book.up_tunai.pk) - up_before == 155_400_000
    assert bank.balance(BRI, span.treasurer) - treasurer_before == 155_400_000
    services.poll_span()
    services.sync_spm(spm.pk)
    assert posted(book.up_tunai.pk) - up_before == 155_400_000
    with pytest.raises(Conflict):
        services.retry_credit(kppn_admin(), spm)


def test_span_unreachable_at_signing_keeps_the_spm_signed_until_the_worker_submits(
    shop: Shop, bank: Bank, span: Span, run_worker: Run, settings: object
) -> None:
    """Nothing is lost when SPAN is down at signing: the SPM stays SIGNED with the error; the
    worker's poll asks SPAN (by number) and submits the same SPM once it is back."""
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.draft_gup(user(BENDAHARA))
    settings.DIGIPAY_SPAN_URL = "http://127.0.0.1:9"  # type: ignore[attr-defined]
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    assert spm.state == SpmState.SIGNED
    assert "SpanUnavailable" in spm.last_error
    assert spm.span_id == ""
    settings.DIGIPAY_SPAN_URL = span.url  # type: ignore[attr-defined]
    assert services.poll_span() == 1
    spm.refresh_from_db()
    assert spm.state == SpmState.SUBMITTED
    assert spm.span_id
    assert spm.submit_attempts == 2
    services.poll_span()  # asked again: still the one SPM
    assert Spm.objects.get(pk=spm.pk).span_id == spm.span_id


def test_treasurer_movements_show_the_sp2d_credit(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.decided_at is not None
    start = spm.decided_at - timedelta(minutes=1)
    [movement] = queries.treasurer_movements(satker_a().pk, start, start + timedelta(hours=1))
    assert movement.kind == MovementKind.SP2D
    assert movement.direction == 1
    assert movement.amount_idr == 155_400_000
    assert movement.status == MovementStatus.DONE
    assert movement.remark == f"SP2D {spm.sp2d_number}"
    assert movement.bank_reference == spm.bank_reference
    assert movement.entry_ids == (spm.ledger_entry_id,)
    assert queries.treasurer_movements(satker_a().pk, start - timedelta(days=2), start) == []


def test_treasurer_movements_find_a_credit_retried_days_after_the_sp2d(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    """The SP2D is issued but its credit fails (the treasurer's account is inactive); three
    days later the KPPN retries and Digipay restores UP. The movement is found in the window
    of the day it posted (not only the SP2D's), DONE, settled when Digipay posted it."""
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    bank.admin("PUT", f"/admin/accounts/{BRI}/{span.treasurer}", {"status": "INACTIVE"})
    try:
        spm = services.approve_spm(kppn_admin(), spm)
    finally:
        bank.admin("PUT", f"/admin/accounts/{BRI}/{span.treasurer}", {"status": "ACTIVE"})
    assert spm.credit_status == CreditState.FAILED
    assert spm.decided_at is not None
    decided = spm.decided_at - timedelta(days=3)  # the SP2D was issued three days ago
    Spm.objects.filter(pk=spm.pk).update(decided_at=decided)
    sp2d_day = (decided - timedelta(hours=1), decided + timedelta(hours=1))
    [open_one] = queries.treasurer_movements(satker_a().pk, *sp2d_day)
    assert open_one.status == MovementStatus.FAILED
    assert open_one.settled_at is None

    spm = services.retry_credit(kppn_admin(), spm)
    assert spm.credit_status == CreditState.CREDITED
    assert spm.restored_at is not None
    today = (spm.restored_at - timedelta(hours=1), spm.restored_at + timedelta(hours=1))
    [movement] = queries.treasurer_movements(satker_a().pk, *today)
    assert movement.status == MovementStatus.DONE
    assert movement.created_at == decided
    assert movement.settled_at == spm.restored_at
    assert movement.entry_ids == (spm.ledger_entry_id,)
    # Still found from the SP2D's day, now settled; not in a window touching neither.
    [again] = queries.treasurer_movements(satker_a().pk, *sp2d_day)
    assert again.status == MovementStatus.DONE
    assert (
        queries.treasurer_movements(
            satker_a().pk, decided + timedelta(hours=2), decided + timedelta(days=1)
        )
        == []
    )


def test_lost_answers_of_span_are_resolved_by_asking(
    shop: Shop, bank: Bank, span: Span, run_worker: Run
) -> None:
    """SPAN does the submission and the approval but its answers are lost (504 after
    execution): Digipay asks (by number, by id) instead of sending again, and records what
    happened — one SPM in SPAN, one SP2D credit, UP restored once."""
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    satker = satker_a()
    book = chart.satker_book(satker)
    spm = services.draft_gup(user(BENDAHARA))
    httpx.put(
        f"{span.url}/admin/faults",
        json={
            "timeoutAfterExecutionShare": 1,
            "timeoutHoldSeconds": 0.2,
            "operations": ["submit", "approve"],
        },
        timeout=5,
    ).raise_for_status()
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    before = posted(book.up_tunai.pk)
    treasurer_before = bank.balance(BRI, span.treasurer)
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.state == SpmState.APPROVED
    assert spm.credit_status == CreditState.CREDITED
    assert posted(book.up_tunai.pk) - before == 155_400_000
    assert bank.balance(BRI, span.treasurer) - treasurer_before == 155_400_000
    listed = httpx.get(f"{span.url}/admin/spms", timeout=5).json()
    assert len(listed["spms"]) == 1
