"""Refunds of returned goods and the treasurer's movements: the PPK records what the vendor
owes back, the vendor sees where to pay and what to quote, a credit on the treasurer's account
(as the bank notifies it, through the integrations inbox) settles it once and restores UP in
the ledger; another amount is flagged, never matched silently."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts.models import Organisation
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.integrations import services as inbox
from digipay.integrations.models import BankNotification
from digipay.invoicing.models import Invoice, InvoiceLine
from digipay.ledger.models import AccountBalance
from digipay.notifications.models import Notification
from digipay.orders.models import Order
from digipay.payments import queries, refunds, services
from digipay.payments.models import Payment, Refund, RefundCredit
from digipay.payments.movements import MovementKind, MovementStatus
from digipay.payments.rules import RefundState
from digipay.treasury import chart
from tests.conftest import current_totp

from ..orders.conftest import VENDOR_1, VENDOR_2
from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    TREASURER_A,
    A,
    Bank,
    Shop,
    make_product,
    received,
    user,
    verified,
)

Run = Callable[[], int]
_events = itertools.count(1)


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def posted(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_posted - row.credits_posted)


def fresh_code() -> str:
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return current_totp()


def paid(shop: Shop, run_worker: Run) -> tuple[Invoice, InvoiceLine]:
    """Two units of Rp5 juta from a PKP vendor, paid: each unit cost 5.550.000 with PPN."""
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    services.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source="UP_TUNAI", otp=fresh_code())
    run_worker()
    invoice = Invoice.objects.get(pk=invoice.pk)
    line = invoice.lines.get()
    return invoice, line


def credit(amount: int, remark: str, *, event: str = "") -> str:
    """A credit to the treasurer's account as the bank notifies it, stored and processed by
    the integrations inbox (the signature was checked on receipt; here the row is stored as
    ``receive_notification`` would). Returns the event id."""
    event = event or f"CR002{next(_events):012d}"
    body = {
        "notificationId": event,
        "eventType": "CREDIT",
        "bankCode": BRI,
        "accountNo": TREASURER_A,
        "amount": {"value": f"{amount}.00", "currency": "IDR"},
        "referenceNo": f"REF{event}",
        "serviceCode": "18",
        "partnerReferenceNo": "",
        "sourceBankCode": "002",
        "sourceAccountNo": "034601000456302",
        "remark": remark,
        "transactionDate": clock.now().isoformat(),
    }
    BankNotification.objects.get_or_create(
        bank_code=BRI,
        event_id=event,
        defaults={"timestamp": "", "signature": "", "raw_body": json.dumps(body)},
    )
    inbox.process_pending()
    return event


def ask(invoice: Invoice, line: InvoiceLine, amount: int = 5_550_000, **kw: Any) -> Refund:
    args: dict[str, Any] = {
        "invoice_id": invoice.pk,
        "returned": {line.pk: 1},
        "amount_idr": amount,
        "reason": "Satu unit rusak, dikembalikan ke vendor",
    }
    args.update(kw)
    return refunds.request_refund(user(PPK), **args)


def test_refund_is_recorded_seen_by_the_vendor_and_matched_once(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    invoice, line = paid(shop, run_worker)
    satker = satker_a()
    book = chart.satker_book(satker)
    order = Order.objects.get(pk=invoice.order_id)
    expense = chart.expense(satker, order.akun)
    up_before, expense_before = posted(book.up_tunai.pk), posted(expense.pk)

    refund = ask(invoice, line)
    assert refund.state == RefundState.EXPECTED
    assert refund.reference.startswith("RF")
    assert len(refund.reference) == 12
    assert refund.number.startswith(f"RFD/{A}/")
    # The vendor is told where to pay and what to quote.
    note = Notification.objects.get(recipient=user(VENDOR_1), title="Pengembalian dana diminta")
    assert refund.reference in note.body
    assert TREASURER_A in note.body
    assert refunds.refund_for(user(VENDOR_1), refund.pk) == refund
    with pytest.raises(NotFound):
        refunds.refund_for(user(VENDOR_2), refund.pk)

    # A credit quoting it with another amount: flagged, not matched.
    credit(5_000_000, f"PENGEMBALIAN {refund.reference}")
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == RefundState.EXPECTED
    assert "5.000.000" in refund.flag
    assert posted(book.up_tunai.pk) == up_before
    assert Notification.objects.filter(title="Pengembalian perlu diperiksa").exists()
    # Credits not quoting a reference are not refunds.
    credit(5_550_000, "TITIPAN LAIN")
    # The right amount, notified twice (a lost acknowledgement), matched once.
    event = credit(5_550_000, f"Retur {refund.reference.lower()} CV Sinar")
    credit(5_550_000, f"Retur {refund.reference}", event=event)
    assert refunds.match_refunds() == 1
    assert refunds.match_refunds() == 0
    refund.refresh_from_db()
    assert refund.state == RefundState.RECEIVED
    assert refund.flag == ""
    assert refund.bank_reference == f"REF{event}"
    assert RefundCredit.objects.filter(refund=refund, matched=True).count() == 1
    # The ledger: UP restored, the expense reduced, to the rupiah.
    assert posted(book.up_tunai.pk) - up_before == 5_550_000
    assert posted(expense.pk) - expense_before == -5_550_000
    # A second credit with the reference after it was received is flagged, not posted again.
    credit(5_550_000, refund.reference)
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == RefundState.RECEIVED
    assert "kedua" in refund.flag
    assert posted(book.up_tunai.pk) - up_before == 5_550_000

    # The treasurer's movements: the vendor transfer (out) and the refund (in).
    today = clock.today_jakarta()
    moves = queries.treasurer_movements(int(satker.pk), today, today)
    kinds = [(m.kind, m.direction, m.amount_idr, m.status) for m in moves]
    assert (MovementKind.VENDOR_TRANSFER, -1, 9_850_000, MovementStatus.DONE) in kinds
    assert (MovementKind.REFUND, 1, 5_550_000, MovementStatus.DONE) in kinds
    out = next(m for m in moves if m.kind == MovementKind.VENDOR_TRANSFER)
    assert out.bank_reference == invoice.payment_reference
    assert len(out.entry_ids) == 2  # the order's hold posted, the taxes kept
    assert out.source.startswith("payments.payment:")
    back = next(m for m in moves if m.kind == MovementKind.REFUND)
    assert back.entry_ids == (refund.entry_id,)
    assert back.partner_reference == refund.reference
    assert sum(m.signed_amount for m in moves if m.status == MovementStatus.DONE) == (
        -9_850_000 + 5_550_000
    )
    # Another satker's window is empty; a window before today too.
    yesterday = today - timezone.timedelta(days=1)
    assert queries.treasurer_movements(int(satker.pk), yesterday, yesterday) == []


def test_refund_requests_are_checked(shop: Shop, bank: Bank, run_worker: Run) -> None:
    invoice, line = paid(shop, run_worker)
    with pytest.raises(ValidationFailed):
        ask(invoice, line, amount=5_550_001)  # more than was paid for one unit
    with pytest.raises(ValidationFailed):
        ask(invoice, line, returned={line.pk: 3}, amount=1000)  # more than invoiced
    with pytest.raises(ValidationFailed):
        ask(invoice, line, returned={}, amount=1000)
    with pytest.raises(ValidationFailed):
        ask(invoice, line, reason="rusak")
    with pytest.raises(ValidationFailed):
        ask(invoice, line, amount=0)
    with pytest.raises(PermissionDenied):
        refunds.request_refund(
            user(BENDAHARA),
            invoice_id=invoice.pk,
            returned={line.pk: 1},
            amount_idr=1000,
            reason="Satu unit rusak, dikembalikan",
        )
    assert not Refund.objects.exists()
    # Both units back, in two refunds: the second cannot go beyond what is left.
    ask(invoice, line, amount=5_550_000)
    ask(invoice, line, amount=5_550_000)
    with pytest.raises(ValidationFailed):
        ask(invoice, line, amount=1)
    # An unpaid invoice has nothing to refund.
    unpaid = verified(received(shop, [(make_product("UMKM-0001", price=JUTA), 1)]))
    with pytest.raises(Conflict):
        ask(unpaid, unpaid.lines.get(), amount=1000)


def test_card_charges_are_not_treasurer_movements(shop: Shop, bank: Bank, run_worker: Run) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=JUTA), 1)], method="KKP")
    invoice = verified(order)
    services.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source="KKP", otp=fresh_code())
    run_worker()
    assert Payment.objects.get().state == "PAID"
    today = clock.today_jakarta()
    assert queries.treasurer_movements(int(satker_a().pk), today, today) == []


def test_refund_pages_and_api(
    shop: Shop, bank: Bank, run_worker: Run, login_client: Any, api_as: Any
) -> None:
    invoice, line = paid(shop, run_worker)
    ppk = login_client(PPK)
    listing = ppk.get("/pembayaran/pengembalian/").content.decode()
    assert 'class="empty"' in listing
    assert f"/pembayaran/pengembalian/baru/{invoice.pk}/" in listing  # where the PPK starts
    form = ppk.get(f"/pembayaran/pengembalian/baru/{invoice.pk}/")
    assert form.status_code == 200
    bad = ppk.post(
        f"/pembayaran/pengembalian/baru/{invoice.pk}/",
        {f"qty-{line.pk}": "1", "amount_idr": "9.000.000", "reason": "Satu unit rusak berat"},
    )
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()
    done = ppk.post(
        f"/pembayaran/pengembalian/baru/{invoice.pk}/",
        {f"qty-{line.pk}": "1", "amount_idr": "5.550.000", "reason": "Satu unit rusak berat"},
    )
    assert done.status_code == 302
    refund = Refund.objects.get()
    vendor_page = login_client(VENDOR_1).get(f"/pembayaran/pengembalian/{refund.pk}/")
    assert vendor_page.status_code == 200
    text = vendor_page.content.decode()
    assert refund.reference in text
    assert TREASURER_A in text
    assert login_client(VENDOR_2).get(f"/pembayaran/pengembalian/{refund.pk}/").status_code == 404
    api = api_as(PPK)
    api.headers["Idempotency-Key"] = "refund-1"
    body = {
        "invoice_id": invoice.pk,
        "returned": {str(line.pk): 1},
        "amount_idr": 5_550_000,
        "reason": "Unit kedua juga rusak",
    }
    first = api.post("/api/v1/refunds", body)
    assert first.status_code == 201, first.content
    assert api.post("/api/v1/refunds", body).json()["id"] == first.json()["id"]
    assert Refund.objects.count() == 2
    assert first.json()["treasurer_account"] == TREASURER_A
    listed = api_as(VENDOR_1).get("/api/v1/refunds")
    assert {r["id"] for r in listed.json()} == set(Refund.objects.values_list("pk", flat=True))
