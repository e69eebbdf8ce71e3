"""The invoice's steps through the services: the vendor's numbers until verification, the
PPK's test (verify or return; the Bendahara and the vendor cannot), separation of duties,
credit notes (never beyond the invoice), the deposits made on verification and the monthly
tax report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from digipay.accounts import services as accounts
from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.invoicing import queries, rules, services
from digipay.invoicing.models import CreditNote, Invoice, TaxDeposit
from digipay.invoicing.rules import CreditRequest, DepositStatus, InvoiceState
from digipay.tax.rules import Tax

from .conftest import (
    BENDAHARA,
    JUTA,
    PENERIMA,
    PP,
    PPK,
    REASON,
    VENDOR_1,
    VENDOR_2,
    Shop,
    email,
    invoice_of,
    make_kpa,
    make_product,
    received,
    user,
)

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=clock.JAKARTA)
AUGUST = datetime(2026, 7, 20, 12, 0, tzinfo=clock.JAKARTA)


@pytest.fixture
def invoice(shop: Shop) -> Invoice:
    """Goods Rp10 juta (2 × Rp5 juta) from the PKP vendor by transfer, received on 20 July
    2026: PPN 1.100.000 and PPh 22 150.000 withheld."""
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)], at=AUGUST)
    return invoice_of(order)


# --- vendor numbers -----------------------------------------------------------------------


def test_vendor_adds_its_numbers_until_verified(invoice: Invoice) -> None:
    vendor = user(VENDOR_1)
    services.set_vendor_numbers(
        vendor, invoice, vendor_invoice_number="INV-SJA/07/001", tax_invoice_number=""
    )
    done = services.set_vendor_numbers(
        vendor,
        invoice,
        vendor_invoice_number="INV-SJA/07/001",
        tax_invoice_number="020.000-26.00000123",
    )
    assert done.tax_invoice_number == "0200002600000123"
    assert rules.format_faktur_number(done.tax_invoice_number) == "020.000-26.00000123"
    services.verify_invoice(user(PPK), invoice)
    with pytest.raises(Conflict) as exc:
        services.set_vendor_numbers(
            vendor, invoice, vendor_invoice_number="X-2", tax_invoice_number=""
        )
    assert exc.value.code == "invalid_transition"


def test_coretax_faktur_number_is_accepted_and_a_bad_one_refused(invoice: Invoice) -> None:
    vendor = user(VENDOR_1)
    ok = services.set_vendor_numbers(
        vendor, invoice, vendor_invoice_number="", tax_invoice_number="04002600000000123"
    )
    assert ok.tax_invoice_number == "04002600000000123"
    with pytest.raises(ValidationFailed) as exc:
        services.set_vendor_numbers(
            vendor, invoice, vendor_invoice_number="", tax_invoice_number="12345"
        )
    assert exc.value.details == {"field": "tax_invoice_number"}
    assert "16 digit" in exc.value.message


def test_non_pkp_vendor_cannot_give_a_faktur_number(shop: Shop) -> None:
    invoice = invoice_of(received(shop, [(make_product("UMKM-0002", price=JUTA), 1)]))
    with pytest.raises(ValidationFailed, match="Hanya vendor PKP"):
        services.set_vendor_numbers(
            user(VENDOR_2),
            invoice,
            vendor_invoice_number="",
            tax_invoice_number="010.000-26.00000001",
        )


def test_another_vendor_and_the_satker_cannot_set_the_vendor_numbers(invoice: Invoice) -> None:
    with pytest.raises(NotFound):
        services.set_vendor_numbers(
            user(VENDOR_2), invoice, vendor_invoice_number="X", tax_invoice_number=""
        )
    with pytest.raises(NotFound):  # the vendor side's tenant is the vendor
        services.set_vendor_numbers(
            user(PPK), invoice, vendor_invoice_number="X", tax_invoice_number=""
        )


# --- the PPK's test -----------------------------------------------------------------------


def test_ppk_verifies_and_is_recorded(invoice: Invoice) -> None:
    ppk = user(PPK)
    with clock.frozen(datetime(2026, 7, 21, 9, 0, tzinfo=clock.JAKARTA)):
        done = services.verify_invoice(ppk, invoice)
    assert done.state == InvoiceState.VERIFIED
    assert done.verified_by == ppk
    assert done.verified_at == datetime(2026, 7, 21, 9, 0, tzinfo=clock.JAKARTA)
    event = AuditEvent.objects.get(action="invoice.verified", object_id=str(invoice.pk))
    assert event.actor_id == ppk.pk
    with pytest.raises(Conflict):
        services.verify_invoice(ppk, invoice)


@pytest.mark.parametrize("who", [BENDAHARA, PP, PENERIMA, "kpa"])
def test_only_the_ppk_verifies(invoice: Invoice, who: str) -> None:
    actor = make_kpa() if who == "kpa" else user(who)
    with pytest.raises(PermissionDenied):
        services.verify_invoice(actor, invoice)
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.UNVERIFIED


def test_the_vendor_cannot_verify(invoice: Invoice) -> None:
    with pytest.raises(NotFound):
        services.verify_invoice(user(VENDOR_1), invoice)


def test_other_satkers_ppk_sees_nothing(invoice: Invoice) -> None:
    with pytest.raises(NotFound):
        services.verify_invoice(user(email("ppk", "527010")), invoice)


def test_separation_of_duties_the_receiver_acting_as_ppk_cannot_verify(
    invoice: Invoice,
) -> None:
    receiver = user(PENERIMA)
    now = clock.now()
    accounts.create_delegation(
        user(email("admin")),
        delegate=receiver,
        role="PPK",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=3),
        reason="PPK cuti, didelegasikan sementara.",
    )
    with pytest.raises(PermissionDenied) as exc:
        services.verify_invoice(receiver, invoice)
    assert exc.value.code == "separation_of_duties"


def test_whoever_verified_holds_the_approve_step(invoice: Invoice) -> None:
    ppk = user(PPK)
    services.verify_invoice(ppk, invoice)
    holders = Invoice.objects.get(pk=invoice.pk).duty_holders()
    assert ppk.pk in set(holders["approve"])
    from digipay.accounts.rules import violates_separation

    assert violates_separation(actor_id=ppk.pk, step="pay", duty_holders=holders) == "approve"


def test_return_needs_a_reason_and_the_vendor_sends_it_back(invoice: Invoice) -> None:
    ppk, vendor = user(PPK), user(VENDOR_1)
    with pytest.raises(ValidationFailed):
        services.return_invoice(ppk, invoice, reason="salah")
    done = services.return_invoice(ppk, invoice, reason="Nomor faktur pajak belum diisi.")
    assert (done.state, done.return_reason) == (
        InvoiceState.RETURNED,
        "Nomor faktur pajak belum diisi.",
    )
    with pytest.raises(Conflict):
        services.verify_invoice(ppk, invoice)
    again = services.set_vendor_numbers(
        vendor,
        invoice,
        vendor_invoice_number="SJA-1",
        tax_invoice_number="020.000-26.00000124",
    )
    assert again.state == InvoiceState.UNVERIFIED
    assert services.verify_invoice(ppk, invoice).state == InvoiceState.VERIFIED


# --- deposits -----------------------------------------------------------------------------


def test_verification_makes_one_deposit_per_tax_withheld(invoice: Invoice) -> None:
    assert not TaxDeposit.objects.filter(invoice=invoice).exists()
    services.verify_invoice(user(PPK), invoice)
    deposits = {d.tax: d for d in TaxDeposit.objects.filter(invoice=invoice)}
    assert set(deposits) == {Tax.PPN, Tax.PPH22}
    assert (deposits[Tax.PPN].account_code, deposits[Tax.PPN].amount_idr) == ("411211", 1_100_000)
    assert (deposits[Tax.PPH22].account_code, deposits[Tax.PPH22].amount_idr) == (
        "411122",
        150_000,
    )
    for d in deposits.values():
        # Invoice of 20 July 2026: 15 August is a Saturday, 17 August Independence Day.
        assert d.due_date == date(2026, 8, 18)
        assert d.tax_period == date(2026, 7, 1)
        assert d.status == DepositStatus.OPEN
        assert d.satker_id == invoice.satker_id


def test_kkp_goods_make_no_deposit(shop: Shop) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 1)], method="KKP")
    invoice = invoice_of(order)
    services.verify_invoice(user(PPK), invoice)
    assert not TaxDeposit.objects.filter(invoice=invoice).exists()


def test_overdue_when_still_open_after_the_due_date() -> None:
    due = date(2026, 8, 18)
    assert not rules.is_overdue(status=DepositStatus.OPEN, due_date=due, today=due)
    assert rules.is_overdue(status=DepositStatus.OPEN, due_date=due, today=due + timedelta(1))
    assert not rules.is_overdue(status=DepositStatus.PAID, due_date=due, today=date(2027, 1, 1))


# --- credit notes -------------------------------------------------------------------------


def test_credit_note_reduces_outstanding_and_taxes(invoice: Invoice) -> None:
    line = invoice.lines.get()
    note = services.issue_credit_note(
        user(PPK), invoice, lines={line.pk: CreditRequest(quantity=1)}, reason=REASON
    )
    assert note.number.startswith("KN/415256/")
    assert (note.base_idr, note.ppn_idr, note.collected_idr) == (5 * JUTA, 550_000, 625_000)
    left = queries.outstanding(invoice)
    assert (left.base, left.ppn, left.collected(Tax.PPH22)) == (5 * JUTA, 550_000, 75_000)
    assert left.net == 5 * JUTA + 550_000 - 625_000
    # The invoice itself is never edited.
    invoice.refresh_from_db()
    assert (invoice.base_idr, invoice.collected_idr) == (10 * JUTA, 1_250_000)
    assert AuditEvent.objects.filter(action="invoice.credited").count() == 1


def test_credit_by_value_and_the_threshold_of_the_whole_payment(invoice: Invoice) -> None:
    line = invoice.lines.get()
    # Down to Rp1.500.000 left: below the Rp2 juta threshold, nothing is collected any more.
    services.issue_credit_note(
        user(PPK), invoice, lines={line.pk: CreditRequest(amount=8_500_000)}, reason=REASON
    )
    left = queries.outstanding(invoice)
    assert left.base == 1_500_000
    assert left.ppn == 165_000
    assert left.collected_total == 0


def test_credit_beyond_the_invoice_is_refused(invoice: Invoice) -> None:
    line = invoice.lines.get()
    ppk = user(PPK)
    with pytest.raises(ValidationFailed) as exc:
        services.issue_credit_note(
            ppk, invoice, lines={line.pk: CreditRequest(quantity=3)}, reason=REASON
        )
    assert exc.value.code == "credit_exceeds_invoice"
    services.issue_credit_note(
        ppk, invoice, lines={line.pk: CreditRequest(quantity=2)}, reason=REASON
    )
    assert queries.outstanding(invoice) == rules.ZERO
    with pytest.raises(ValidationFailed):
        services.issue_credit_note(
            ppk, invoice, lines={line.pk: CreditRequest(amount=1)}, reason=REASON
        )
    assert CreditNote.objects.filter(invoice=invoice).count() == 1


def test_only_the_ppk_credits(invoice: Invoice) -> None:
    line = invoice.lines.get()
    with pytest.raises(PermissionDenied):
        services.issue_credit_note(
            user(BENDAHARA), invoice, lines={line.pk: CreditRequest(quantity=1)}, reason=REASON
        )


def test_credit_after_verification_adjusts_the_open_deposits(invoice: Invoice) -> None:
    ppk = user(PPK)
    services.verify_invoice(ppk, invoice)
    line = invoice.lines.get()
    services.issue_credit_note(
        ppk, invoice, lines={line.pk: CreditRequest(quantity=1)}, reason=REASON
    )
    deposits = {d.tax: d for d in TaxDeposit.objects.filter(invoice=invoice)}
    assert deposits[Tax.PPH22].amount_idr == 75_000
    assert deposits[Tax.PPN].amount_idr == 550_000
    services.issue_credit_note(
        ppk, invoice, lines={line.pk: CreditRequest(quantity=1)}, reason=REASON
    )
    assert set(TaxDeposit.objects.filter(invoice=invoice).values_list("status", flat=True)) == {
        DepositStatus.VOID
    }


# --- the monthly report -------------------------------------------------------------------


def test_monthly_report_totals_equal_the_deposits(shop: Shop, invoice: Invoice) -> None:
    other = invoice_of(received(shop, [(make_product("UMKM-0002", price=4 * JUTA), 1)], at=AUGUST))
    services.verify_invoice(user(PPK), invoice)
    services.verify_invoice(user(PPK), other)
    report = queries.monthly_report(shop.satker, date(2026, 7, 1))
    deposits = TaxDeposit.objects.filter(satker=shop.satker, tax_period=date(2026, 7, 1))
    assert report.total.collected == sum(d.amount_idr for d in deposits) == 1_250_000 + 60_000
    by_code = {row.account_code: row for row in report.rows}
    assert by_code["411122"].collected == 150_000 + 60_000
    assert by_code["411211"].collected == 1_100_000
    assert report.total.deposited == 0
    assert report.total.outstanding == report.total.collected
    # Today (after 18 August 2026) they are overdue.
    assert report.total.overdue == report.total.collected
    assert queries.monthly_report(shop.satker, date(2026, 6, 1)).rows == []
