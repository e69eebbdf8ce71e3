"""The GUP Tunai cycle through the real SPAN simulator and bank simulator: the Bendahara
drafts an SPM-GUP of paid invoices, the PPSPM signs (SPAN receives it), the KPPN approves, the
SP2D credits the treasurer's account and the ledger restores UP — to the rupiah, exactly once
even when the credit is seen again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict
from digipay.ledger.models import AccountBalance, Entry
from digipay.replenishment import queries, services
from digipay.replenishment.models import SpmLine
from digipay.replenishment.rules import CreditState, SpmKind, SpmState
from digipay.treasury import chart

from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    TREASURER_A,
    A,
    Bank,
    Shop,
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
    shop: Shop, bank: Bank, span: str, run_worker: Run
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
    treasurer_before = bank.balance(BRI, TREASURER_A)
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
    assert bank.balance(BRI, TREASURER_A) - treasurer_before == 155_400_000
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
