"""Tax deposits end to end on the real MPN and bank simulators: billing code, transfer from the
treasurer's account to the state's receiving account (through the payments outbox), NTPN; and
the faults — an unknown outcome at billing creation and at the payment report is resolved by
asking, never by a second billing or a second transfer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts.models import Organisation
from digipay.core import clock
from digipay.core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import DepositStatus
from digipay.ledger.models import AccountBalance, Entry
from digipay.ledger.rules import EntryKind
from digipay.notifications.models import Notification
from digipay.payments import deposits, queries, services
from digipay.payments.models import BankInstruction, DepositRequest, Payment
from digipay.payments.movements import MovementKind, MovementStatus
from digipay.payments.rules import DepositState, Purpose
from digipay.treasury import chart
from tests.conftest import current_totp

from ..orders.conftest import tunai
from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    RECEIVING_BRI,
    TREASURER_A,
    A,
    Bank,
    Mpn,
    Shop,
    make_product,
    received,
    user,
    verified,
)

Run = Callable[[], int]


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def posted(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_posted - row.credits_posted)


def pending(account_id: int) -> int:
    row = AccountBalance.objects.get(account_id=account_id)
    return int(row.debits_pending - row.credits_pending)


def fresh_code() -> str:
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return current_totp()


def paid_invoice(shop: Shop, run_worker: Run) -> Invoice:
    """Goods Rp10 juta from a PKP vendor, paid by transfer: PPN 1.100.000 and PPh 22 150.000
    kept in the treasurer's account, two open deposits."""
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    services.pay(user(BENDAHARA), invoice_ids=[invoice.pk], source="UP_TUNAI", otp=fresh_code())
    run_worker()
    return Invoice.objects.get(pk=invoice.pk)


def deposits_of(invoice: Invoice) -> dict[str, TaxDeposit]:
    return {d.tax: d for d in TaxDeposit.objects.filter(invoice=invoice)}


def deposit(ids: list[int], **kw: Any) -> list[DepositRequest]:
    return deposits.deposit_taxes(user(BENDAHARA), deposit_ids=ids, otp=fresh_code(), **kw)


@pytest.fixture
def run_all(run_worker: Run) -> Callable[[], None]:
    """Passes of both jobs (deposits, then the outbox), due rows made due now, until quiet."""

    def run() -> None:
        for _round in range(6):
            DepositRequest.objects.filter(
                state__in=(DepositState.BILLING, DepositState.REPORT)
            ).update(next_attempt_at=timezone.now())
            moved = deposits.advance_deposits()
            moved += run_worker()
            if not moved:
                return

    return run


def advance() -> int:
    DepositRequest.objects.filter(state__in=(DepositState.BILLING, DepositState.REPORT)).update(
        next_attempt_at=timezone.now()
    )
    return deposits.advance_deposits()


def test_deposits_get_billing_codes_transfers_and_ntpns_to_the_rupiah(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    invoice = paid_invoice(shop, run_worker)
    found = deposits_of(invoice)
    assert {t: d.amount_idr for t, d in found.items()} == {"PPN": 1_100_000, "PPH22": 150_000}
    satker = satker_a()
    book = chart.satker_book(satker)
    ppn, pph22 = chart.tax_payable(satker, "PPN"), chart.tax_payable(satker, "PPH22")
    assert (posted(ppn.pk), posted(pph22.pk)) == (-1_100_000, -150_000)
    up_before, available_before = posted(book.up_tunai.pk), tunai(satker)
    treasurer_before = bank.balance(BRI, TREASURER_A)
    state_before = bank.balance(BRI, RECEIVING_BRI)

    requests = deposit([found["PPN"].pk, found["PPH22"].pk])
    assert [r.state for r in requests] == [DepositState.BILLING] * 2
    assert {d.status for d in deposits_of(invoice).values()} == {DepositStatus.PROCESSING}
    # Nothing has left yet.
    assert bank.balance(BRI, TREASURER_A) == treasurer_before
    assert mpn.billings() == []

    # Billing codes, then the transfers are queued and held in the ledger.
    assert advance() == 2
    for r in requests:
        r.refresh_from_db()
        assert r.state == DepositState.TRANSFER
        assert len(r.billing_code) == 15
        assert r.billing_code.isdigit()
    assert pending(book.up_tunai.pk) == -1_250_000
    assert tunai(satker) == available_before - 1_250_000

    run_all()
    for r in requests:
        r.refresh_from_db()
        assert r.state == DepositState.DONE, r.last_error
        assert len(r.ntpn) == 16
    # The bank: 1.250.000 from the treasurer to the state's receiving account, once each.
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 1_250_000
    assert bank.balance(BRI, RECEIVING_BRI) - state_before == 1_250_000
    # The MPN: two billings, paid with the transfers' bank references.
    billings = {b["billingCode"]: b for b in mpn.billings()}
    assert len(billings) == 2
    for r in requests:
        b = billings[r.billing_code]
        assert (b["status"], b["amount"], b["bankCode"]) == ("PAID", int(r.amount_idr), BRI)
        assert b["bankReference"] == r.bank_reference
        assert b["ntpn"] == r.ntpn
        assert b["reference"] == r.reference
        payment = Payment.objects.get(pk=r.payment_id)
        assert payment.purpose == Purpose.TAX_DEPOSIT
        assert payment.instructions.get().bank_reference == r.bank_reference
    ppn_billing = billings[requests[0].billing_code]
    assert (ppn_billing["taxAccount"], ppn_billing["depositType"]) == ("411211", "900")
    # The deposits: deposited with their NTPN, NTB and date.
    after = deposits_of(invoice)
    for tax, d in after.items():
        r = next(x for x in requests if x.deposit_id == d.pk)
        assert d.status == DepositStatus.PAID
        assert (d.billing_code, d.ntpn, d.ntb) == (r.billing_code, r.ntpn, r.ntb)
        assert r.paid_at is not None
        assert d.deposited_on == r.paid_at.astimezone(clock.JAKARTA).date()
        assert d.bank_reference == r.bank_reference, tax
    # The ledger: Dr TAX_PAYABLE, Cr UP_TUNAI; nothing left pending.
    assert (posted(ppn.pk), posted(pph22.pk)) == (0, 0)
    assert posted(book.up_tunai.pk) - up_before == -1_250_000
    assert pending(book.up_tunai.pk) == 0
    assert tunai(satker) == available_before - 1_250_000
    assert (
        Notification.objects.filter(recipient=user(BENDAHARA), title="Pajak disetor").count() == 2
    )
    # The treasurer's movements show both deposits with their bank references and entries.
    today = clock.today_jakarta()
    moves = [
        m
        for m in queries.treasurer_movements(int(satker.pk), today, today)
        if m.kind == MovementKind.TAX_DEPOSIT
    ]
    assert sorted(m.amount_idr for m in moves) == [150_000, 1_100_000]
    for m in moves:
        r = next(x for x in requests if x.bank_reference == m.bank_reference)
        settled = Payment.objects.get(pk=r.payment_id).settled_entry_id
        assert (m.direction, m.status, m.entry_ids) == (-1, MovementStatus.DONE, (settled,))
        assert m.remark == f"MPN {r.billing_code}"
    # Nothing more to do: the jobs find nothing, nothing moves again.
    assert advance() == 0
    assert run_worker() == 0
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 1_250_000
    # Deposited is final: a second request is refused.
    with pytest.raises(Conflict):
        deposit([found["PPN"].pk])


def test_unknown_outcome_at_billing_creation_is_asked_not_created_twice(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    invoice = paid_invoice(shop, run_worker)
    ppn = deposits_of(invoice)["PPN"]
    [request] = deposit([ppn.pk])
    mpn.faults(timeoutAfterExecutionShare=1.0, operations=["create"])
    advance()
    request.refresh_from_db()
    # The MPN made the billing, but Digipay did not hear: still BILLING, nothing sent.
    assert request.state == DepositState.BILLING
    assert request.billing_code == ""
    assert "OutcomeUnknown" in request.last_error
    assert len(mpn.billings()) == 1
    assert not BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).exists()
    # The faults stay on for "create": only the lookup can resolve it.
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.TRANSFER
    assert request.billing_code == mpn.billings()[0]["billingCode"]
    mpn.clear_faults()
    run_all()
    request.refresh_from_db()
    assert request.state == DepositState.DONE
    assert len(mpn.billings()) == 1
    assert BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).count() == 1


def test_unknown_outcome_at_the_payment_report_is_asked_not_transferred_twice(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    invoice = paid_invoice(shop, run_worker)
    pph22 = deposits_of(invoice)["PPH22"]
    treasurer_before = bank.balance(BRI, TREASURER_A)
    [request] = deposit([pph22.pk])
    advance()  # billing
    run_worker()  # transfer
    request.refresh_from_db()
    assert request.state == DepositState.REPORT
    mpn.faults(timeoutAfterExecutionShare=1.0, operations=["pay"])
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.REPORT
    assert "OutcomeUnknown" in request.last_error
    # The MPN recorded it; the status inquiry finds it (the report is never sent blind).
    [billing] = mpn.billings()
    assert billing["status"] == "PAID"
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.DONE
    assert request.ntpn == billing["ntpn"]
    assert TaxDeposit.objects.get(pk=pph22.pk).ntpn == billing["ntpn"]
    # One transfer of 150.000, one billing.
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 150_000
    assert BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).count() == 1
    assert len(mpn.billings()) == 1


def test_the_mpn_down_at_billing_is_retried_later(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    invoice = paid_invoice(shop, run_worker)
    [request] = deposit([deposits_of(invoice)["PPN"].pk])
    mpn.faults(outageSeconds=60)
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.BILLING
    assert mpn.billings() == []
    mpn.faults(outageSeconds=0)
    run_all()
    request.refresh_from_db()
    assert request.state == DepositState.DONE


def test_a_failed_transfer_reopens_the_deposit_and_voids_the_hold(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    invoice = paid_invoice(shop, run_worker)
    ppn = deposits_of(invoice)["PPN"]
    satker = satker_a()
    tax = chart.tax_payable(satker, "PPN")
    available = tunai(satker)
    bank.faults(insufficientFundsAccounts=[f"{BRI}:{TREASURER_A}"])
    [request] = deposit([ppn.pk])
    advance()
    run_worker()
    request.refresh_from_db()
    assert request.state == DepositState.FAILED
    payment = Payment.objects.get(pk=request.payment_id)
    assert Entry.objects.get(pk=payment.settled_entry_id).kind == EntryKind.VOID_HOLD
    assert posted(tax.pk) == -1_100_000
    assert tunai(satker) == available
    assert TaxDeposit.objects.get(pk=ppn.pk).status == DepositStatus.OPEN
    assert Notification.objects.filter(title="Setoran pajak gagal").exists()
    # Deposited again once the account is funded: a new request with a new billing.
    bank.clear_faults()
    [again] = deposit([ppn.pk])
    assert again.reference != request.reference
    run_all()
    again.refresh_from_db()
    assert again.state == DepositState.DONE
    assert posted(tax.pk) == 0
    assert TaxDeposit.objects.get(pk=ppn.pk).status == DepositStatus.PAID


def test_only_the_bendahara_of_the_satker_deposits_with_her_code(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run
) -> None:
    invoice = paid_invoice(shop, run_worker)
    ppn = deposits_of(invoice)["PPN"]
    with pytest.raises(PermissionDenied):
        deposits.deposit_taxes(user(PPK), deposit_ids=[ppn.pk], otp=fresh_code())
    with pytest.raises(AuthenticationFailed):
        deposits.deposit_taxes(user(BENDAHARA), deposit_ids=[ppn.pk], otp="000000")
    with pytest.raises(NotFound):
        deposit([ppn.pk + 999_999])
    assert not DepositRequest.objects.exists()
    assert TaxDeposit.objects.get(pk=ppn.pk).status == DepositStatus.OPEN


def test_the_taxes_of_an_unpaid_invoice_cannot_be_deposited_yet(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run
) -> None:
    """Verified but not paid: the taxes are withheld at payment, nothing to deposit yet."""
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    ppn = deposits_of(invoice)["PPN"]
    with pytest.raises(Conflict):
        deposit([ppn.pk])
    assert TaxDeposit.objects.get(pk=ppn.pk).status == DepositStatus.OPEN
    assert not DepositRequest.objects.exists()


def test_a_deposit_being_deposited_is_not_changed_by_a_resync(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run
) -> None:
    """Its billing code is made for its amount: invoicing refuses to change it meanwhile."""
    invoice = paid_invoice(shop, run_worker)
    ppn = deposits_of(invoice)["PPN"]
    deposit([ppn.pk])
    TaxDeposit.objects.filter(pk=ppn.pk).update(amount_idr=1_000_000)  # as if it drifted
    with pytest.raises(Conflict):
        invoicing._sync_deposits(invoice)
    TaxDeposit.objects.filter(pk=ppn.pk).update(amount_idr=1_100_000)
    invoicing._sync_deposits(invoice)  # the same amount: nothing to change, no refusal
    assert TaxDeposit.objects.get(pk=ppn.pk).status == DepositStatus.PROCESSING


def test_the_request_key_makes_one_request(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run
) -> None:
    invoice = paid_invoice(shop, run_worker)
    ppn = deposits_of(invoice)["PPN"]
    first = deposit([ppn.pk], request_key="setor-1")
    again = deposit([ppn.pk], request_key="setor-1")
    assert [r.pk for r in again] == [r.pk for r in first]
    assert DepositRequest.objects.count() == 1


def test_api_deposit_is_idempotent(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, api_as: Any
) -> None:
    invoice = paid_invoice(shop, run_worker)
    found = deposits_of(invoice)
    api = api_as(BENDAHARA)
    api.headers["Idempotency-Key"] = "setor-api-0001"
    body = {"deposits": [found["PPN"].pk, found["PPH22"].pk], "otp": fresh_code()}
    first = api.post("/api/v1/tax-deposit-requests", body)
    assert first.status_code == 201, first.content
    for _ in range(5):
        again = api.post("/api/v1/tax-deposit-requests", {**body, "otp": "000000"})
        assert again.status_code == 201
        assert again.json() == first.json()
    assert DepositRequest.objects.count() == 2
    changed = api.post("/api/v1/tax-deposit-requests", {**body, "deposits": [found["PPN"].pk]})
    assert changed.status_code == 422
    listed = api.get("/api/v1/tax-deposit-requests")
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 2
    rows = {r["id"]: r for r in api.get("/api/v1/tax-deposits").json()}
    assert rows[found["PPN"].pk]["status"] == DepositStatus.PROCESSING
    assert rows[found["PPN"].pk]["due_date"] == found["PPN"].due_date.isoformat()
    assert rows[found["PPN"].pk]["ntpn"] == ""
    ppk = api_as(PPK)
    ppk.headers["Idempotency-Key"] = "setor-api-0002"
    assert ppk.post("/api/v1/tax-deposit-requests", body).status_code == 403


def test_pages_list_deposit_and_print_the_proof(
    shop: Shop,
    bank: Bank,
    mpn: Mpn,
    run_worker: Run,
    run_all: Callable[[], None],
    login_client: Any,
) -> None:
    client = login_client(BENDAHARA)
    empty = client.get("/pembayaran/setoran-pajak/")
    assert empty.status_code == 200
    assert 'class="empty"' in empty.content.decode()
    invoice = paid_invoice(shop, run_worker)
    found = deposits_of(invoice)
    page = client.get("/pembayaran/setoran-pajak/")
    assert invoice.number in page.content.decode()
    response = client.post(
        "/pembayaran/setoran-pajak/",
        {"deposits": [found["PPN"].pk], "otp": fresh_code(), "request_key": "k-setor-1"},
    )
    assert response.status_code == 302, response.content[:2000]
    run_all()
    request = DepositRequest.objects.get()
    assert request.state == DepositState.DONE
    listed = client.get("/pembayaran/setoran-pajak/?status=PAID").content.decode()
    assert request.ntpn in listed
    assert request.billing_code in listed
    # The invoicing deposit list (read by the overseers too) shows the code and the NTPN.
    overview = client.get("/tagihan/setoran-pajak/").content.decode()
    assert request.ntpn in overview
    assert request.billing_code in overview
    proof = client.get(f"/pembayaran/setoran-pajak/{request.pk}/bukti/")
    assert proof.status_code == 200
    text = proof.content.decode()
    assert request.ntpn in text
    assert request.billing_code in text
    assert "1.100.000" in text
    # Another satker's user cannot see the proof.
    assert login_client(PPK).get("/pembayaran/setoran-pajak/").status_code in (200, 403)


def test_overdue_deposits_are_flagged(shop: Shop, bank: Bank, login_client: Any) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    invoice = verified(order)
    ppn = deposits_of(invoice)["PPN"]
    TaxDeposit.objects.filter(pk=ppn.pk).update(due_date=clock.today_jakarta() - timedelta(days=3))
    page = login_client(BENDAHARA).get("/pembayaran/setoran-pajak/?status=OVERDUE")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="overdue"' in text
    assert invoice.number in text


def test_the_deposit_job_is_registered_with_the_worker() -> None:
    from digipay.worker.registry import jobs

    found = {job.name: job for job in jobs()}
    assert found["payments.advance_deposits"].fn is deposits.advance_deposits
    assert found["payments.match_refunds"].fn.__name__ == "match_refunds"
    assert deposits.on_settled in services._listeners[Purpose.TAX_DEPOSIT]


def test_the_full_demo_pays_invoices_and_deposits_their_taxes(
    shop: Shop, bank: Bank, mpn: Mpn, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from digipay.payments import demo

    monkeypatch.setattr(demo, "_admin_url", lambda _code: bank.url)
    settings.DIGIPAY_MPN_URL = mpn.url
    invoices = [
        verified(received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])) for _ in range(2)
    ]
    treasurer_before = bank.balance(BRI, TREASURER_A)
    demo.load(full=True)
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.payment_reference
        for d in TaxDeposit.objects.filter(invoice=invoice):
            assert d.status == DepositStatus.PAID
            assert len(d.ntpn) == 16
    # 2 × (9.850.000 to the vendor + 1.250.000 of taxes to the state)
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 2 * 11_100_000
    # Loaded again: nothing more is paid or deposited.
    demo.load(full=True)
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 2 * 11_100_000
    assert DepositRequest.objects.count() == 4


def test_a_crash_after_each_network_step_is_resumed_without_repeating_it(
    shop: Shop,
    bank: Bank,
    mpn: Mpn,
    run_worker: Run,
    run_all: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker dies right after the MPN made the billing (before Digipay recorded it), then
    right after the MPN gave the NTPN: the next passes ask and go on — one billing, one
    transfer, one payment report."""
    invoice = paid_invoice(shop, run_worker)
    pph22 = deposits_of(invoice)["PPH22"]
    treasurer_before = bank.balance(BRI, TREASURER_A)
    [request] = deposit([pph22.pk])

    def crash(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("worker killed")

    real_instruct, real_record = deposits._instruct, deposits._record
    monkeypatch.setattr(deposits, "_instruct", crash)
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.BILLING
    assert len(mpn.billings()) == 1
    monkeypatch.setattr(deposits, "_instruct", real_instruct)
    advance()  # asks by reference, finds it, queues the transfer
    run_worker()
    request.refresh_from_db()
    assert request.state == DepositState.REPORT
    monkeypatch.setattr(deposits, "_record", crash)
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.REPORT
    assert mpn.billings()[0]["status"] == "PAID"
    monkeypatch.setattr(deposits, "_record", real_record)
    run_all()
    request.refresh_from_db()
    assert request.state == DepositState.DONE
    assert request.ntpn == mpn.billings()[0]["ntpn"]
    assert len(mpn.billings()) == 1
    assert BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).count() == 1
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 150_000


def test_a_billing_found_expired_before_the_transfer_gets_a_new_one(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, run_all: Callable[[], None]
) -> None:
    """The first billing was made (its answer lost) and expired before the retry: no money is
    sent against it; a new reference gets a new billing code, which is paid."""
    invoice = paid_invoice(shop, run_worker)
    pph22 = deposits_of(invoice)["PPH22"]
    treasurer_before = bank.balance(BRI, TREASURER_A)
    [request] = deposit([pph22.pk])
    first_reference = request.reference
    mpn.faults(timeoutAfterExecutionShare=1.0, operations=["create"])
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.BILLING
    [old] = mpn.billings()
    mpn.admin("POST", f"/admin/billings/{old['billingCode']}/expire")
    mpn.clear_faults()
    advance()
    request.refresh_from_db()
    assert request.reference != first_reference
    assert request.state == DepositState.BILLING
    assert "kedaluwarsa" in request.last_error
    assert not BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).exists()
    advance()  # the new reference: a new billing code
    request.refresh_from_db()
    assert request.state == DepositState.TRANSFER
    assert request.billing_code
    assert request.billing_code != old["billingCode"]
    assert len(mpn.billings()) == 2
    run_all()
    request.refresh_from_db()
    assert request.state == DepositState.DONE
    assert treasurer_before - bank.balance(BRI, TREASURER_A) == 150_000
    assert BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).count() == 1


def test_a_billing_expiring_too_soon_is_not_paid(
    shop: Shop, bank: Bank, mpn: Mpn, run_worker: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh billing that cannot be paid in time fails the request (nothing sent)."""
    invoice = paid_invoice(shop, run_worker)
    [request] = deposit([deposits_of(invoice)["PPH22"].pk])
    monkeypatch.setattr(deposits, "BILLING_MARGIN", timedelta(days=30))
    advance()
    request.refresh_from_db()
    assert request.state == DepositState.FAILED
    assert "kedaluwarsa" in request.last_error
    assert not BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).exists()
    assert TaxDeposit.objects.get(pk=request.deposit_id).status == DepositStatus.OPEN


def test_a_report_refused_after_the_transfer_needs_attention(
    shop: Shop,
    bank: Bank,
    mpn: Mpn,
    run_worker: Run,
    login_client: Any,
) -> None:
    """The money left, then the billing expired before the report: the request stops in
    NEEDS_ATTENTION, the Bendahara is told, the page shows it; the worker leaves it alone."""
    invoice = paid_invoice(shop, run_worker)
    pph22 = deposits_of(invoice)["PPH22"]
    [request] = deposit([pph22.pk])
    advance()  # billing, transfer queued
    request.refresh_from_db()
    mpn.admin("POST", f"/admin/billings/{request.billing_code}/expire")
    run_worker()  # the transfer goes
    request.refresh_from_db()
    assert request.state == DepositState.REPORT
    advance()  # the MPN refuses the report
    request.refresh_from_db()
    assert request.state == DepositState.NEEDS_ATTENTION
    assert "BILLING_EXPIRED" in request.last_error
    assert TaxDeposit.objects.get(pk=pph22.pk).status == DepositStatus.PROCESSING
    assert Notification.objects.filter(
        recipient__in=[user(BENDAHARA)], title="Setoran pajak perlu tindakan"
    ).exists()
    assert advance() == 0  # not retried blindly
    fresh_code()  # the deposit used this step's code
    page = login_client(BENDAHARA).get("/pembayaran/setoran-pajak/").content.decode()
    assert 'data-testid="needs-attention"' in page
    assert request.billing_code in page
    assert request.bank_reference in page
