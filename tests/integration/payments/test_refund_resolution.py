"""Refunds capped by what the payment brought (credit notes and earlier refunds count), the
check other apps register, and a person resolving a flagged credit: accepting what it brought
(instalments add up, never more than is due) or cancelling what is still due."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import CreditRequest
from digipay.orders.models import Order
from digipay.payments import queries, refunds, services
from digipay.payments.models import PaymentInvoice, Refund, RefundCredit
from digipay.payments.movements import MovementKind
from digipay.payments.rules import RefundState
from digipay.treasury import chart

from ..orders.conftest import VENDOR_1
from .conftest import BENDAHARA, JUTA, PPK, Bank, Shop, make_product, received, user, verified
from .test_refunds import ask, credit, fresh_code, paid, posted, satker_a

Run = Callable[[], int]


def test_refund_cap_counts_credit_notes(shop: Shop, bank: Bank, run_worker: Run) -> None:
    """Two units, one credited before payment: only one unit was paid (5.550.000)."""
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    line = invoice.lines.get()
    invoicing.issue_credit_note(
        user(PPK),
        invoice,
        lines={line.pk: CreditRequest(quantity=1)},
        reason="Satu unit tidak jadi dibeli karena rusak",
    )
    services.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source="UP_TUNAI", otp=fresh_code())
    run_worker()
    paid_gross = PaymentInvoice.objects.get(invoice=invoice, active=True).gross_idr
    assert paid_gross == 5_550_000
    reason = "Dua unit dikembalikan ke vendor"
    with pytest.raises(ValidationFailed):  # two units back when one is left
        refunds.request_refund(
            user(PPK),
            invoice_id=invoice.pk,
            returned={line.pk: 2},
            amount_idr=11_100_000,
            reason=reason,
        )
    with pytest.raises(ValidationFailed):  # one unit, more than was paid for it
        refunds.request_refund(
            user(PPK),
            invoice_id=invoice.pk,
            returned={line.pk: 1},
            amount_idr=5_550_001,
            reason=reason,
        )
    refund = refunds.request_refund(
        user(PPK), invoice_id=invoice.pk, returned={line.pk: 1}, amount_idr=5_550_000, reason=reason
    )
    assert refund.amount_idr <= paid_gross


def test_refund_cap_counts_an_amount_credit_note_and_earlier_refunds(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    line = invoice.lines.get()
    invoicing.issue_credit_note(
        user(PPK),
        invoice,
        lines={line.pk: CreditRequest(amount=1 * JUTA)},
        reason="Potongan harga karena terlambat kirim",
    )
    services.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source="UP_TUNAI", otp=fresh_code())
    run_worker()
    paid_gross = PaymentInvoice.objects.get(invoice=invoice, active=True).gross_idr
    # Base 9 juta left over two units: each unit was paid 4.995.000 with its PPN.
    per_unit = paid_gross // 2
    with pytest.raises(ValidationFailed):
        ask(invoice, line, 5_550_000)
    first = ask(invoice, line, per_unit)
    second = ask(invoice, line, paid_gross - per_unit)
    assert first.amount_idr + second.amount_idr == paid_gross
    with pytest.raises(ValidationFailed):  # both units already refunded
        ask(invoice, line, 1)
    # A cancelled refund that brought nothing frees its unit again.
    refunds.cancel_refund(user(PPK), refund_id=second.pk, reason="Vendor mengganti barangnya")
    assert ask(invoice, line, paid_gross - per_unit).state == RefundState.EXPECTED


def test_a_registered_check_refuses_a_refund(
    shop: Shop, bank: Bank, run_worker: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice, line = paid(shop, run_worker)
    monkeypatch.setattr(refunds, "REFUND_CHECKS", [])
    seen: list[int] = []

    def check(found: Invoice) -> str | None:
        seen.append(found.pk)
        return "Tagihan ini tercantum dalam SPM yang sedang berjalan."

    refunds.on_refund_check(check)
    refunds.on_refund_check(check)  # once only
    assert [check] == refunds.REFUND_CHECKS
    with pytest.raises(Conflict) as refused:
        ask(invoice, line)
    assert refused.value.code == "refund_blocked"
    assert refused.value.message == "Tagihan ini tercantum dalam SPM yang sedang berjalan."
    assert seen == [invoice.pk]
    assert not Refund.objects.exists()
    refunds.on_refund_check(lambda _invoice: None)
    monkeypatch.setattr(refunds, "REFUND_CHECKS", [lambda _invoice: None])
    assert ask(invoice, line).state == RefundState.EXPECTED


def _books(invoice: Invoice) -> tuple[int, int, int, int]:
    satker = satker_a()
    up = chart.satker_book(satker).up_tunai.pk
    expense = chart.expense(satker, Order.objects.get(pk=invoice.order_id).akun).pk
    return up, expense, posted(up), posted(expense)


def test_instalments_are_accepted_up_to_what_is_due(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    invoice, line = paid(shop, run_worker)
    up, expense, up_before, expense_before = _books(invoice)
    refund = ask(invoice, line)  # 5.550.000
    credit(2_000_000, f"CICILAN 1 {refund.reference}")
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.flag
    assert refund.state == RefundState.EXPECTED
    first = RefundCredit.objects.get(refund=refund)
    with pytest.raises(NotFound):  # another tenant
        refunds.accept_credit(user(VENDOR_1), refund_id=refund.pk, credit_id=first.pk)
    with pytest.raises(PermissionDenied):
        refunds.accept_credit(user(BENDAHARA), refund_id=refund.pk, credit_id=first.pk)
    refund = refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=first.pk)
    assert (refund.state, refund.received_idr, refund.flag) == (RefundState.EXPECTED, 2_000_000, "")
    assert posted(up) - up_before == 2_000_000
    assert posted(expense) - expense_before == -2_000_000
    assert AuditEvent.objects.filter(action="refund.credit_accepted").count() == 1
    with pytest.raises(Conflict):
        refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=first.pk)
    # The second instalment is more than the rest: only the rest is posted.
    credit(4_000_000, f"CICILAN 2 {refund.reference}")
    refunds.match_refunds()
    second = RefundCredit.objects.filter(refund=refund).exclude(pk=first.pk).get()
    assert not second.matched
    refund = refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=second.pk)
    second.refresh_from_db()
    assert second.accepted_idr == 3_550_000
    assert (refund.state, refund.received_idr) == (RefundState.RECEIVED, 5_550_000)
    assert refund.statement_line_id == second.statement_line_id
    assert posted(up) - up_before == 5_550_000
    assert posted(expense) - expense_before == -5_550_000
    # Each instalment is a movement into the treasurer's account, with its own entry.
    today = clock.today_jakarta()
    moves = [
        m
        for m in queries.treasurer_movements(int(satker_a().pk), today, today)
        if m.kind == MovementKind.REFUND
    ]
    assert sorted(m.amount_idr for m in moves) == [2_000_000, 4_000_000]
    assert all(len(m.entry_ids) == 1 for m in moves)
    assert len({m.entry_ids for m in moves}) == 2
    with pytest.raises(Conflict):
        refunds.cancel_refund(user(PPK), refund_id=refund.pk, reason="Sudah lunas tidak perlu")


def test_the_last_instalment_with_the_exact_rest_matches_by_itself(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    invoice, line = paid(shop, run_worker)
    up, _expense, up_before, _e = _books(invoice)
    refund = ask(invoice, line)
    credit(1_550_000, refund.reference)
    refunds.match_refunds()
    refunds.accept_credit(
        user(PPK), refund_id=refund.pk, credit_id=RefundCredit.objects.get(refund=refund).pk
    )
    credit(4_000_000, refund.reference)
    refunds.match_refunds()
    refund.refresh_from_db()
    assert (refund.state, refund.received_idr, refund.flag) == (RefundState.RECEIVED, 5_550_000, "")
    assert posted(up) - up_before == 5_550_000


def test_cancel_what_is_still_due(shop: Shop, bank: Bank, run_worker: Run) -> None:
    invoice, line = paid(shop, run_worker)
    up, _expense, up_before, _e = _books(invoice)
    refund = ask(invoice, line)
    credit(1_000_000, refund.reference)
    refunds.match_refunds()
    waiting = RefundCredit.objects.get(refund=refund)
    with pytest.raises(Conflict) as refused:  # the credit's money must be recorded first
        refunds.cancel_refund(user(PPK), refund_id=refund.pk, reason="Vendor tidak sanggup bayar")
    assert refused.value.code == "refund_credit_waiting"
    refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=waiting.pk)
    with pytest.raises(ValidationFailed):
        refunds.cancel_refund(user(PPK), refund_id=refund.pk, reason="pendek")
    with pytest.raises(NotFound):
        refunds.cancel_refund(user(VENDOR_1), refund_id=refund.pk, reason="Vendor tidak sanggup")
    refund = refunds.cancel_refund(
        user(PPK), refund_id=refund.pk, reason="Vendor tidak sanggup membayar sisanya"
    )
    assert (refund.state, refund.received_idr) == (RefundState.CANCELLED, 1_000_000)
    assert refund.cancel_reason == "Vendor tidak sanggup membayar sisanya"
    assert AuditEvent.objects.filter(action="refund.cancelled").count() == 1
    assert posted(up) - up_before == 1_000_000
    # A later credit quoting a cancelled refund is flagged, never posted.
    credit(4_550_000, refund.reference)
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == RefundState.CANCELLED
    assert "dibatalkan" in refund.flag
    assert posted(up) - up_before == 1_000_000
    # Its unit stays refunded (it brought money): only the other unit can be asked back.
    with pytest.raises(ValidationFailed):
        ask(invoice, line, 11_100_000, returned={line.pk: 2})
    assert ask(invoice, line).amount_idr == 5_550_000


def test_resolution_pages_and_api(
    shop: Shop, bank: Bank, run_worker: Run, login_client: Any, api_as: Any
) -> None:
    invoice, line = paid(shop, run_worker)
    refund = ask(invoice, line)
    credit(5_000_000, refund.reference)
    refunds.match_refunds()
    flagged = RefundCredit.objects.get(refund=refund)
    ppk = login_client(PPK)
    page = ppk.get(f"/pembayaran/pengembalian/{refund.pk}/").content.decode()
    assert f'data-testid="accept-{flagged.pk}"' in page
    assert 'data-testid="cancel"' in page
    vendor = login_client(VENDOR_1)
    vendor_page = vendor.get(f"/pembayaran/pengembalian/{refund.pk}/")
    assert 'data-testid="cancel"' not in vendor_page.content.decode()
    assert vendor.post(
        f"/pembayaran/pengembalian/{refund.pk}/", {"action": "cancel", "reason": "x" * 20}
    ).status_code in (403, 404)
    done = ppk.post(
        f"/pembayaran/pengembalian/{refund.pk}/", {"action": "accept", "credit": str(flagged.pk)}
    )
    assert done.status_code == 302
    refund.refresh_from_db()
    assert refund.received_idr == 5_000_000
    bad = ppk.post(f"/pembayaran/pengembalian/{refund.pk}/", {"action": "cancel", "reason": "x"})
    assert 'role="alert"' in bad.content.decode()
    api = api_as(PPK)
    api.headers["Idempotency-Key"] = "cancel-1"
    body = {"reason": "Sisa Rp550.000 direlakan"}
    first = api.post(f"/api/v1/refunds/{refund.pk}/cancel", body)
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "CANCELLED"
    assert first.json()["received_idr"] == 5_000_000
    assert first.json()["credits"][0]["accepted_idr"] == 5_000_000
    assert api.post(f"/api/v1/refunds/{refund.pk}/cancel", body).json() == first.json()
    # Another refund, accepted through the API.
    other = ask(invoice, line)
    credit(5_000_000, other.reference)
    refunds.match_refunds()
    waiting = RefundCredit.objects.get(refund=other)
    api.headers["Idempotency-Key"] = "accept-1"
    accepted = api.post(f"/api/v1/refunds/{other.pk}/credits/{waiting.pk}/accept", {})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["received_idr"] == 5_000_000
