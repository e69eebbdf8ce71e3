"""Refunds and the GUP: a refund received before the GUP already restored UP Tunai by its
amount, so the GUP pays back only the rest of the invoice (gross and net less the refunds, the
taxes as withheld); an invoice with a refund still expected waits; one whose refunds exceed
its net is left out with the reason; once an invoice is in a live SPM, no refund is recorded
in Digipay (the vendor's money goes to the Kas Negara by SSPB)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict
from digipay.ledger.models import AccountBalance
from digipay.payments import refunds
from digipay.payments.models import PaymentInvoice, Refund
from digipay.replenishment import queries, services
from digipay.replenishment.models import SpmLine
from digipay.treasury import chart

from ..payments.test_refunds import credit
from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    TREASURER_A,
    TREASURER_BALANCE,
    A,
    Bank,
    Shop,
    paid_goods,
    user,
)

Run = Callable[[], int]


@pytest.fixture(autouse=True)
def _treasurer_funded(bank: Bank) -> None:
    """The module-wide bank's treasurer account (whose statement the refunds are matched on)
    with its opening balance again: each test pays up to Rp200 juta from it."""
    bank.admin(
        "PUT", f"/admin/accounts/{BRI}/{TREASURER_A}", {"balance": f"{TREASURER_BALANCE}.00"}
    )


def posted(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return int(row.debits_posted - row.credits_posted) if row else 0


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def ask_refund(paid: PaymentInvoice, units: int, amount: int) -> Refund:
    line = paid.invoice.lines.get()
    return refunds.request_refund(
        user(PPK),
        invoice_id=paid.invoice_id,
        returned={line.pk: units},
        amount_idr=amount,
        reason="Barang rusak, dikembalikan ke vendor",
    )


def receive(refund: Refund) -> None:
    credit(int(refund.amount_idr), f"retur {refund.reference}")
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == "RECEIVED"


def test_gup_pays_back_the_invoice_less_the_refund_received(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """Four units of Rp45 juta, gross 199.800.000 (PPN 19.800.000, PPh 22 2.700.000, net
    177.300.000); one returned and 40.000.000 refunded, which restored UP Tunai. The GUP lists
    the invoice at 159.800.000 (net 137.300.000, taxes unchanged): UP is restored once, not
    twice."""
    paid = paid_goods(shop, run_worker, price=45 * JUTA, qty=4)
    assert (paid.gross_idr, paid.net_idr) == (199_800_000, 177_300_000)
    satker = satker_a()
    book = chart.satker_book(satker)
    up_before = posted(book.up_tunai.pk)
    receive(ask_refund(paid, 1, 40 * JUTA))
    assert posted(book.up_tunai.pk) - up_before == 40 * JUTA

    readiness = queries.gup_readiness(satker)
    assert readiness.spent == 159_800_000  # not 199.800.000
    assert readiness.ready
    assert readiness.held == ()
    spm = services.draft_gup(user(BENDAHARA))
    assert spm.amount_idr == 159_800_000
    assert spm.tax_total_idr == 22_500_000
    line = SpmLine.objects.get(spm=spm)
    assert line.payment_invoice_id == paid.pk
    assert (line.gross_idr, line.net_idr) == (159_800_000, 137_300_000)
    assert line.taxes == {"411211": 19_800_000, "411122": 2_700_000}
    assert line.gross_idr - line.tax_total == line.net_idr
    # SPAN's request carries the same figures.
    request = services.span_request(spm)
    assert request.amount_idr == 159_800_000
    assert [(i.gross_idr, i.net_idr) for i in request.invoices] == [(159_800_000, 137_300_000)]


def test_invoice_with_a_refund_expected_waits(shop: Shop, bank: Bank, run_worker: Run) -> None:
    paid = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    satker = satker_a()
    refund = ask_refund(paid, 1, 77_700_000)
    assert not queries.listable_invoices(satker).exists()
    readiness = queries.gup_readiness(satker)
    assert readiness.spent == 0
    [held] = readiness.held
    assert held.payment_invoice == paid
    assert held.waiting
    assert "Menunggu pengembalian" in held.reason
    with pytest.raises(Conflict) as refused:
        services.draft_gup(user(BENDAHARA), payment_invoice_ids=[paid.pk])
    assert refused.value.code == "invoice_not_listable"
    receive(refund)
    assert queries.gup_readiness(satker).spent == 77_700_000
    assert queries.gup_readiness(satker).held == ()


def test_refunds_over_the_net_leave_the_invoice_out_with_the_reason(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """Both units returned and refunded (155.400.000): SPAN's net = gross − taxes cannot hold
    (the taxes withheld, 17.500.000, exceed what is left), so no GUP lists it."""
    paid = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    satker = satker_a()
    receive(ask_refund(paid, 2, 155_400_000))
    assert not queries.listable_invoices(satker).exists()
    readiness = queries.gup_readiness(satker)
    assert readiness.spent == 0
    [held] = readiness.held
    assert not held.waiting
    assert held.refunded_idr == 155_400_000
    assert "di luar Digipay" in held.reason


def test_no_refund_once_the_invoice_is_in_a_live_spm(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    paid = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    assert services.refund_check(paid.invoice) is None
    spm = services.draft_gup(user(BENDAHARA))
    message = services.refund_check(paid.invoice)
    assert message is not None
    assert spm.number in message
    assert "SSPB" in message
    with pytest.raises(Conflict) as refused:
        ask_refund(paid, 1, 77_700_000)
    assert spm.number in refused.value.message
    assert not Refund.objects.filter(invoice_id=paid.invoice_id).exists()
    # A cancelled draft frees the invoice: the refund may be recorded again.
    services.cancel_spm(user(BENDAHARA), spm, reason="Salah pilih tagihan")
    assert services.refund_check(paid.invoice) is None
    ask_refund(paid, 1, 77_700_000)


def test_an_instalment_waits_and_a_cancelled_rest_lists_what_was_received(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """A refund of 49.950.000 paid in part (20.000.000, accepted by the PPK) still waits for
    the rest; once the PPK cancels the rest, the GUP lists the invoice less what came."""
    paid = paid_goods(shop, run_worker, price=45 * JUTA, qty=4)
    satker = satker_a()
    refund = ask_refund(paid, 1, 49_950_000)
    credit(20 * JUTA, f"retur {refund.reference}")
    refunds.match_refunds()
    flagged = refund.credits.get()
    refund = refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=flagged.pk)
    assert (refund.state, refund.received_idr) == ("EXPECTED", 20 * JUTA)
    [held] = queries.gup_readiness(satker).held
    assert held.waiting
    assert held.refunded_idr == 20 * JUTA
    refunds.cancel_refund(user(PPK), refund_id=refund.pk, reason="Vendor tidak sanggup melunasi")
    readiness = queries.gup_readiness(satker)
    assert readiness.held == ()
    assert readiness.spent == 199_800_000 - 20 * JUTA
    assert readiness.ready
    spm = services.draft_gup(user(BENDAHARA))
    line = SpmLine.objects.get(spm=spm)
    assert (line.gross_idr, line.net_idr) == (179_800_000, 157_300_000)
