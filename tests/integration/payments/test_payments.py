"""Paying invoices end to end: the Bendahara pays, the outbox job talks to the real bank
simulator, the ledger posts the order's hold; every rupiah is checked at the bank and in the
ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts.models import Organisation
from digipay.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.ledger.models import AccountBalance, Entry
from digipay.notifications.models import Notification
from digipay.orders.models import Order, PaymentMethod
from digipay.payments import services
from digipay.payments.models import BankInstruction, Payment, PaymentInvoice
from digipay.payments.rules import InstructionStatus, PaymentState, Source
from digipay.treasury import chart
from tests.conftest import current_totp

from ..orders.conftest import card_available, kkp, lines_of, tunai
from .conftest import (
    BENDAHARA,
    BERKAH_BNI,
    BNI,
    BRI,
    JUTA,
    PPK,
    SINAR_BRI,
    TREASURER_A,
    A,
    Bank,
    Shop,
    email,
    make_product,
    received,
    user,
    verified,
)

Run = Callable[[], int]


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def posted(account_id: int) -> int:
    """Posted balance, + debit / − credit."""
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_posted - row.credits_posted)


def pending(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_pending - row.credits_pending)


def fresh_code() -> str:
    """The current code, usable again (django-otp refuses a code already used, and these tests
    pay several times within one 30-second step)."""
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return current_totp()


def pay(invoices: list[Invoice], source: str = Source.UP_TUNAI, **kw: Any) -> Payment:
    return services.pay(
        user(BENDAHARA),
        invoice_ids=[i.pk for i in invoices],
        source=source,
        otp=fresh_code(),
        **kw,
    )


def goods(shop: Shop, price: int = 5 * JUTA, qty: int = 2, **kw: Any) -> Order:
    return received(shop, [(make_product("UMKM-0001", price=price), qty)], **kw)


# --- transfer ------------------------------------------------------------------------------------


def test_transfer_payment_with_taxes_to_the_rupiah(shop: Shop, bank: Bank, run_worker: Run) -> None:
    """Goods Rp10 juta from a PKP vendor: gross 11.100.000 (PPN 1.100.000), PPh 22 150.000
    withheld; the vendor gets 9.850.000 and the ledger says the same."""
    order = goods(shop)
    invoice = verified(order)
    assert (invoice.gross_idr, invoice.collected_idr, invoice.net_idr) == (
        11_100_000,
        1_250_000,
        9_850_000,
    )
    satker = satker_a()
    book = chart.satker_book(satker)
    expense = chart.expense(satker, order.akun)
    ppn, pph22 = chart.tax_payable(satker, "PPN"), chart.tax_payable(satker, "PPH22")
    vendor_before = bank.balance(BRI, SINAR_BRI)
    treasurer_before = bank.balance(BRI, TREASURER_A)
    available_before = tunai(satker)
    up_before = posted(book.up_tunai.pk)
    expense_before = posted(expense.pk)

    payment = pay([invoice])
    assert payment.state == PaymentState.IN_PROGRESS
    [ins] = payment.instructions.all()
    assert ins.status == InstructionStatus.PENDING
    assert ins.amount_idr == 9_850_000
    assert ins.external_id.isdigit()
    assert len(ins.external_id) == 28
    # Nothing has left yet: the bank and the ledger are untouched until the worker sends it.
    assert bank.balance(BRI, SINAR_BRI) == vendor_before
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.VERIFIED

    assert run_worker() == 1
    ins.refresh_from_db()
    payment.refresh_from_db()
    assert ins.status == InstructionStatus.DONE
    assert ins.bank_reference
    assert payment.state == PaymentState.PAID
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == 9_850_000
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 9_850_000
    paid = Invoice.objects.get(pk=invoice.pk)
    assert paid.state == InvoiceState.PAID
    assert paid.payment_reference == ins.bank_reference
    # Ledger: expense by akun for the gross, taxes payable, UP Tunai down by the net.
    assert posted(expense.pk) - expense_before == 11_100_000
    assert posted(ppn.pk) == -1_100_000
    assert posted(pph22.pk) == -150_000
    assert posted(book.up_tunai.pk) - up_before == -9_850_000
    assert pending(book.up_tunai.pk) == 0
    assert pending(expense.pk) == 0
    # The whole hold (11.100.000) was consumed: what stays available grew by the taxes kept
    # in the treasurer's account until they are deposited.
    assert tunai(satker) - available_before == 1_250_000
    assert Entry.objects.filter(resolves_id=order.hold_entry_id).count() == 1
    # Told: the Bendahara and the vendor.
    assert Notification.objects.filter(
        recipient=user(BENDAHARA), title="Pembayaran berhasil"
    ).exists()
    # A second pass sends nothing again.
    assert run_worker() == 0
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == 9_850_000


def test_batch_of_two_invoices_of_one_vendor_is_one_transfer(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    first, second = verified(goods(shop)), verified(goods(shop, price=3 * JUTA, qty=1))
    vendor_before = bank.balance(BRI, SINAR_BRI)
    payment = pay([first, second])
    [ins] = payment.instructions.all()
    assert ins.amount_idr == first.net_idr + second.net_idr == payment.net_idr
    assert payment.lines.count() == 2
    run_worker()
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == first.net_idr + second.net_idr
    states = set(
        Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
    )
    assert states == {InvoiceState.PAID}


def test_batch_of_two_vendors_makes_two_instructions(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    mine = verified(goods(shop))
    other = verified(received(shop, [(make_product("UMKM-0002", price=2 * JUTA), 1)]))
    before = bank.balance(BNI, BERKAH_BNI)
    payment = pay([mine, other])
    assert payment.instructions.count() == 2
    run_worker()
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert bank.balance(BNI, BERKAH_BNI) - before == other.net_idr


def test_partial_invoices_consume_the_hold_piecewise(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """Two BASTs of one order: the first payment posts its gross and holds the rest again;
    the second consumes what is left; nothing stays held."""
    satker = satker_a()
    order = shop.at("DIKIRIM", [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    held = order.total_idr
    [line] = lines_of(order)
    order = shop.receive(order, {line.pk: 1})
    invoices = list(Invoice.objects.filter(order=order).order_by("id"))
    first = verified(order) if len(invoices) == 1 else invoices[0]
    available = tunai(satker)
    pay([first])
    run_worker()
    order = Order.objects.get(pk=order.pk)
    new_hold = order.hold_entry_id
    assert Entry.objects.get(pk=new_hold).kind == "HOLD"
    expense = chart.expense(satker, order.akun)
    assert pending(expense.pk) == held - first.gross_idr
    assert tunai(satker) - available == first.collected_idr  # the rest is still held
    order = shop.receive(order, {line.pk: 1})
    second = invoicing_verify_last(order)
    pay([second])
    run_worker()
    assert pending(expense.pk) == 0
    assert posted(expense.pk) >= first.gross_idr + second.gross_idr
    assert held - first.gross_idr - second.gross_idr >= 0


def invoicing_verify_last(order: Order) -> Invoice:
    from digipay.invoicing import services as invoicing

    last = Invoice.objects.filter(order=order).order_by("-id").first()
    assert last is not None
    return invoicing.verify_invoice(user(PPK), last)


def test_timeout_after_execution_is_settled_by_status_never_resent(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    invoice = verified(goods(shop))
    vendor_before = bank.balance(BRI, SINAR_BRI)
    payment = pay([invoice])
    # The bank executes the transfer but its answer never arrives, nor do status answers.
    bank.faults(timeoutAfterExecutionShare=1.0, services=["17", "18", "36"])
    run_worker()
    [ins] = payment.instructions.all()
    assert ins.status == InstructionStatus.UNKNOWN
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.VERIFIED
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == invoice.net_idr  # it did happen
    bank.clear_faults()
    run_worker()  # asks the status first: done; nothing is sent again
    ins.refresh_from_db()
    assert ins.status == InstructionStatus.DONE
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == invoice.net_idr
    transfers = bank.admin("GET", "/admin/transfers?limit=200")
    rows = transfers if isinstance(transfers, list) else transfers.get("transfers", [])
    mine = [t for t in rows if t.get("partnerReferenceNo") == ins.partner_reference_no]
    assert len(mine) == 1
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID


def test_failed_payment_releases_nothing_and_tells_the_bendahara(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    order = goods(shop)
    invoice = verified(order)
    satker = satker_a()
    available = tunai(satker)
    vendor_before = bank.balance(BRI, SINAR_BRI)
    bank.faults(insufficientFundsAccounts=[f"{BRI}:{TREASURER_A}"])
    payment = pay([invoice])
    run_worker()
    payment.refresh_from_db()
    [ins] = payment.instructions.all()
    assert payment.state == PaymentState.FAILED
    assert ins.status == InstructionStatus.FAILED
    assert "403" in ins.last_error
    assert bank.balance(BRI, SINAR_BRI) == vendor_before
    assert tunai(satker) == available  # still held for the order, nothing posted
    assert Order.objects.get(pk=order.pk).hold_entry_id == order.hold_entry_id
    assert not Entry.objects.filter(resolves_id=order.hold_entry_id).exists()
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.VERIFIED
    assert not PaymentInvoice.objects.filter(invoice=invoice, active=True).exists()
    note = Notification.objects.filter(recipient=user(BENDAHARA), title="Pembayaran gagal").get()
    assert invoice.number in note.body
    # A failed payment no longer holds the invoice: the PPK may correct it again.
    from digipay.invoicing import queries as invoicing_queries

    assert "CREDIT" in invoicing_queries.allowed_actions(user(PPK), invoice)
    # Paid again once the account is funded.
    bank.clear_faults()
    again = pay([invoice])
    run_worker()
    again.refresh_from_db()
    assert again.state == PaymentState.PAID
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == invoice.net_idr


def test_closed_vendor_account_fails_at_the_inquiry(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    invoice = verified(goods(shop))
    bank.admin("PUT", f"/admin/accounts/{BRI}/{SINAR_BRI}", {"status": "INACTIVE"})
    try:
        payment = pay([invoice])
        run_worker()
        payment.refresh_from_db()
        assert payment.state == PaymentState.FAILED
    finally:
        bank.admin("PUT", f"/admin/accounts/{BRI}/{SINAR_BRI}", {"status": "ACTIVE"})


# --- KKP -----------------------------------------------------------------------------------------


def test_kkp_payment_charges_the_card_and_posts_up_kkp(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    order = goods(shop, method=PaymentMethod.KKP)
    invoice = verified(order)
    assert invoice.collected_idr == 0
    assert invoice.net_idr == 11_100_000
    satker = satker_a()
    card = shop.card
    book = chart.satker_book(satker)
    line = chart.card_line(satker, card.pk, card.last4)
    kkp_before, card_before = kkp(satker), card_available(card)
    up_kkp_before, line_before = posted(book.up_kkp.pk), posted(line.pk)
    vendor_before = bank.balance(BRI, SINAR_BRI)
    with pytest.raises(ValidationFailed) as wrong:
        pay([invoice], source=Source.UP_TUNAI)
    assert wrong.value.code == "wrong_source"
    payment = pay([invoice], source=Source.KKP)
    [ins] = payment.instructions.all()
    assert ins.kind == "CARD_CHARGE"
    assert ins.card_id == card.pk
    run_worker()
    ins.refresh_from_db()
    assert ins.status == InstructionStatus.DONE
    assert ins.bank_reference
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == 11_100_000  # the bank paid the vendor
    assert posted(book.up_kkp.pk) - up_kkp_before == -11_100_000
    assert posted(line.pk) - line_before == -11_100_000
    assert pending(line.pk) == 0
    # Available did not move: held before, spent now.
    assert kkp(satker) == kkp_before
    assert card_available(card) == card_before
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID


# --- who may pay ---------------------------------------------------------------------------------


def test_only_the_bendahara_pays_and_never_the_ppk_who_verified(shop: Shop, bank: Bank) -> None:
    invoice = verified(goods(shop))
    with pytest.raises(PermissionDenied):
        services.pay(user(PPK), invoice_ids=[invoice.pk], source=Source.UP_TUNAI, otp=fresh_code())
    assert pay([invoice]).state == PaymentState.IN_PROGRESS


def test_unverified_invoice_and_wrong_otp_are_refused(shop: Shop, bank: Bank) -> None:
    order = goods(shop)
    invoice = Invoice.objects.get(order=order)
    with pytest.raises(Conflict):
        pay([invoice])
    invoice = verified(order)
    with pytest.raises(AuthenticationFailed):
        services.pay(
            user(BENDAHARA), invoice_ids=[invoice.pk], source=Source.UP_TUNAI, otp="000000"
        )
    assert not Payment.objects.exists()
    pay([invoice])
    with pytest.raises(Conflict):  # one live payment per invoice
        pay([invoice])


def test_another_satker_cannot_pay_or_see(shop: Shop, bank: Bank, api_as: Any) -> None:
    invoice = verified(goods(shop))
    other = user(email("bendahara", "652840"))
    with pytest.raises(NotFound):
        services.pay(other, invoice_ids=[invoice.pk], source=Source.UP_TUNAI, otp=fresh_code())
    payment = pay([invoice])
    assert (
        api_as(email("bendahara", "652840")).get(f"/api/v1/payments/{payment.pk}").status_code
        == 404
    )
    assert api_as(BENDAHARA).get(f"/api/v1/payments/{payment.pk}").status_code == 200


# --- the endpoint ---------------------------------------------------------------------------


def test_pay_endpoint_is_idempotent(shop: Shop, bank: Bank, api_as: Any) -> None:
    invoice = verified(goods(shop))
    api = api_as(BENDAHARA)
    api.headers["Idempotency-Key"] = "bayar-uji-0001"
    body = {"invoices": [invoice.pk], "source": "UP_TUNAI", "otp": fresh_code()}
    first = api.post("/api/v1/payments", body)
    assert first.status_code == 201, first.content
    for _ in range(10):
        again = api.post("/api/v1/payments", body)
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
    # A renewed (or wrong) TOTP code on a retry is not another request: the replay answers.
    renewed = api.post("/api/v1/payments", {**body, "otp": "000000"})
    assert renewed.status_code == 201
    assert renewed.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1
    assert BankInstruction.objects.count() == 1
    changed = api.post("/api/v1/payments", {**body, "source": "KKP"})
    assert changed.status_code == 422
    listed = api.get("/api/v1/payments")
    assert [p["id"] for p in listed.json()["results"]] == [first.json()["id"]]


def test_pages_of_the_bendahara(shop: Shop, bank: Bank, login_client: Any) -> None:
    invoice = verified(goods(shop))
    client = login_client(BENDAHARA)
    page = client.get("/pembayaran/bayar/")
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    response = client.post(
        "/pembayaran/bayar/",
        {
            "invoices": [invoice.pk],
            "source": "UP_TUNAI",
            "otp": fresh_code(),
            "request_key": "k1",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    payment = Payment.objects.get()
    assert client.get(f"/pembayaran/{payment.pk}/").status_code == 200
    assert payment.number in client.get("/pembayaran/").content.decode()


def test_a_bendahara_who_verified_as_delegated_ppk_cannot_pay(shop: Shop, bank: Bank) -> None:
    from datetime import timedelta

    from digipay.accounts import services as accounts
    from digipay.core import clock
    from digipay.invoicing import services as invoicing

    order = goods(shop)
    bendahara = user(BENDAHARA)
    now = clock.now()
    accounts.create_delegation(
        user(email("admin")),
        delegate=bendahara,
        role="PPK",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=3),
        reason="PPK cuti, didelegasikan sementara.",
    )
    invoice = invoicing.verify_invoice(bendahara, Invoice.objects.get(order=order))
    with pytest.raises(PermissionDenied) as exc:
        pay([invoice])
    assert exc.value.code == "separation_of_duties"
    assert not Payment.objects.exists()


def test_the_vendor_sees_paid_with_the_bank_reference(
    shop: Shop, bank: Bank, run_worker: Run, api_as: Any, login_client: Any
) -> None:
    invoice = verified(goods(shop))
    vendor = api_as("admin@umkm-0001.demo.digipay.id")
    assert vendor.get(f"/api/v1/invoices/{invoice.pk}").json()["state"] == "VERIFIED"
    pay([invoice])
    run_worker()
    seen = vendor.get(f"/api/v1/invoices/{invoice.pk}").json()
    reference = BankInstruction.objects.get().bank_reference
    assert seen["state"] == "PAID"
    assert seen["payment_reference"] == reference != ""
    page = login_client("admin@umkm-0001.demo.digipay.id").get(f"/tagihan/{invoice.pk}/")
    assert reference in page.content.decode()
    # The vendor sees no payment of the satker's through the payments API.
    assert vendor.get("/api/v1/payments").json()["results"] == []


def test_no_credit_note_while_the_transfer_is_in_flight(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """The bank pays what the Bendahara confirmed: while that transfer is in flight the PPK
    cannot issue a credit note (neither offered on the page nor accepted by the service), and
    the ledger posts the confirmed figures."""
    from digipay.core.errors import Conflict
    from digipay.invoicing import queries as invoicing_queries
    from digipay.invoicing import rules as invoicing_rules
    from digipay.invoicing import services as invoicing

    invoice = verified(goods(shop))
    satker = satker_a()
    ppn = chart.tax_payable(satker, "PPN")
    vendor_before = bank.balance(BRI, SINAR_BRI)
    assert "CREDIT" in invoicing_queries.allowed_actions(user(PPK), invoice)
    pay([invoice])
    line = invoice.lines.first()
    assert line is not None
    assert "CREDIT" not in invoicing_queries.allowed_actions(user(PPK), invoice)
    with pytest.raises(Conflict) as exc:
        invoicing.issue_credit_note(
            user(PPK),
            Invoice.objects.get(pk=invoice.pk),
            lines={line.pk: invoicing_rules.CreditRequest(quantity=1)},
            reason="Satu unit dikembalikan karena rusak.",
        )
    assert exc.value.code == "invoice_being_paid"
    assert not invoice.credit_notes.exists()
    run_worker()
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == 9_850_000
    assert posted(ppn.pk) == -1_100_000
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID


def test_a_transfer_that_never_arrived_is_sent_again_with_the_same_ids(
    shop: Shop, bank: Bank, run_worker: Run
) -> None:
    """500 before execution: the status says "not found"; the next pass asks again, then sends
    the same instruction (same external id and partner reference) — paid once."""
    invoice = verified(goods(shop))
    vendor_before = bank.balance(BRI, SINAR_BRI)
    payment = pay([invoice])
    [ins] = payment.instructions.all()
    ids = (ins.external_id, ins.partner_reference_no)
    bank.faults(errorBeforeExecutionShare=1.0, services=["17", "18"])
    run_worker()
    ins.refresh_from_db()
    assert ins.status == InstructionStatus.UNKNOWN
    assert bank.balance(BRI, SINAR_BRI) == vendor_before
    bank.clear_faults()
    run_worker()
    ins.refresh_from_db()
    assert ins.status == InstructionStatus.DONE
    assert (ins.external_id, ins.partner_reference_no) == ids
    assert ins.attempts == 2
    assert bank.balance(BRI, SINAR_BRI) - vendor_before == invoice.net_idr


def test_the_outbox_job_is_registered_with_the_worker() -> None:
    from digipay.worker.registry import jobs

    found = {job.name: job for job in jobs()}
    assert found["payments.send_instructions"].fn is services.send_due_instructions
