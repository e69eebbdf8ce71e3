"""Three-way reconciliation against the real bank simulator: a clean day (a real payment, the
UP advance credited by the treasury) gives no case; discrepancies injected at the bank (admin
endpoints, transfers Digipay never recorded) and in Digipay's records each give their case,
once, however often the day is re-run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.books import queries, services
from digipay.books.models import CaseNote, ReconciliationCase, ReconciliationRun
from digipay.books.rules import CaseKind, CaseStatus
from digipay.core import clock
from digipay.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipay.integrations.banks.gateway import TransferInstruction
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.payments import queries as payments_queries
from digipay.payments import services as payments
from digipay.payments.movements import Movement, MovementKind, MovementStatus
from digipay.payments.rules import Source
from digipay.treasury import chart
from tests.conftest import current_totp

from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    Bank,
    Records,
    Shop,
    email,
    make_product,
    received,
    satker_a,
    user,
    verified,
)

SINAR_BRI = "034601000456302"
Run = Callable[[], int]


def today() -> object:
    return clock.today_jakarta()


def pay_one(shop: Shop, run_worker: Run, price: int = 5 * JUTA) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=price), 1)])
    invoice = verified(order)
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    payments.pay(
        user(BENDAHARA), invoice_ids=[invoice.pk], source=Source.UP_TUNAI, otp=current_totp()
    )
    assert run_worker() == 1


def bank_transfer(bank: Bank, account_no: str, amount: int, reference: str) -> str:
    """A transfer from the treasurer's account that Digipay knows nothing about (or records
    differently): executed at the bank through SNAP."""
    result = bank.gateway(BRI).transfer(
        TransferInstruction(
            partner_reference_no=reference,
            external_id=str(abs(hash(reference)))[:20],
            source_account=account_no,
            beneficiary_account=SINAR_BRI,
            beneficiary_bank_code=BRI,
            beneficiary_name="CV SINAR JAYA ABADI",
            amount_idr=amount,
            remark="uji rekonsiliasi",
        )
    )
    return str(result.reference_no)


def post_up_tunai(amount: int, key: str) -> int:
    """A ledger entry moving UP Tunai out (as a transfer's posting would)."""
    satker = satker_a()
    entry = ledger.post(
        key=key,
        tenant_id=int(satker.pk),
        reason_code="TEST_TRANSFER",
        legs=[
            Leg(chart.expense(satker, "521211").pk, amount),
            Leg(chart.satker_book(satker).up_tunai.pk, -amount),
        ],
        source_type="test.transfer",
        source_id=key,
    )
    return int(entry.pk)


def record(
    reference: str,
    amount: int,
    *,
    entry_ids: tuple[int, ...],
    status: MovementStatus = MovementStatus.DONE,
    bank_reference: str = "",
    settled_ago: timedelta = timedelta(0),
    source: str = "",
) -> Movement:
    now = clock.now()
    return Movement(
        kind=MovementKind.VENDOR_TRANSFER,
        direction=-1,
        amount_idr=amount,
        status=status,
        bank_reference=bank_reference,
        partner_reference=reference,
        remark="uji",
        created_at=now - settled_ago,
        settled_at=None if status == MovementStatus.OPEN else now - settled_ago,
        entry_ids=entry_ids,
        source=source or f"test.movement:{reference}",
    )


def kinds() -> list[str]:
    return sorted(ReconciliationCase.objects.values_list("kind", flat=True))


def test_clean_day_with_a_real_payment_gives_no_case(
    shop: Shop, bank: Bank, treasurer: str, records: Records, run_worker: Run
) -> None:
    pay_one(shop, run_worker)
    run = services.reconcile_day(satker_a(), today())
    assert run.error == ""
    assert run.statement_lines == 2  # the SP2D credit and the vendor transfer
    assert run.matched == 2
    assert run.findings == 0
    assert ReconciliationCase.objects.count() == 0


@pytest.mark.skipif(
    not hasattr(payments_queries, "treasurer_movements"),
    reason="payments does not publish treasurer_movements yet",
)
def test_clean_day_through_the_published_sources(
    shop: Shop, bank: Bank, treasurer: str, run_worker: Run
) -> None:
    """The same clean day with the records payments, replenishment and treasury publish
    themselves (no seam)."""
    pay_one(shop, run_worker)
    pay_one(shop, run_worker, price=3 * JUTA)
    run = services.reconcile_day(satker_a(), today())
    assert (run.error, run.statement_lines, run.matched) == ("", 3, 3)
    assert list(ReconciliationCase.objects.values_list("detail", flat=True)) == []


def test_five_injected_discrepancies_each_give_their_case_once(
    bank: Bank, treasurer: str, records: Records
) -> None:
    # 1. Missing in Digipay: money credited at the bank that Digipay never recorded.
    bank.admin(
        "POST",
        "/admin/credits",
        {
            "bank": BRI,
            "accountNo": treasurer,
            "amount": "750000.00",
            "sourceBankCode": BRI,
            "sourceAccountNo": "0000000002",
            "sourceName": "PENYETOR TAK DIKENAL",
            "remark": "setoran tanpa keterangan",
        },
    )
    # 2. Unknown reference: a transfer from the account with a reference Digipay never issued.
    stranger = bank_transfer(bank, treasurer, 125_000, "ASING-0001")
    # 3. Amount off by Rp1: the bank paid 1.000.000, Digipay recorded (and posted) 999.999.
    paid = bank_transfer(bank, treasurer, 1_000_000, "DGP-AMOUNT-1")
    off = post_up_tunai(999_999, "test:amount")
    records.extra.append(record("DGP-AMOUNT-1", 999_999, entry_ids=(off,), bank_reference=paid))
    # 4. Duplicated in Digipay: one bank transfer recorded twice.
    twice = bank_transfer(bank, treasurer, 200_000, "DGP-TWICE-1")
    entry = post_up_tunai(200_000, "test:twice")
    records.extra.append(record("DGP-TWICE-1", 200_000, entry_ids=(entry,), bank_reference=twice))
    records.extra.append(
        record("DGP-TWICE-1", 200_000, entry_ids=(entry,), source="test.movement:twin")
    )
    # 5. Late settlement: Digipay recorded it done three days ago, the bank booked it today.
    late = bank_transfer(bank, treasurer, 300_000, "DGP-LATE-1")
    records.extra.append(
        record(
            "DGP-LATE-1", 300_000, entry_ids=(), bank_reference=late, settled_ago=timedelta(days=3)
        )
    )

    run = services.reconcile_day(satker_a(), today())
    assert run.error == ""
    assert kinds() == sorted(
        [
            CaseKind.AMOUNT_MISMATCH,
            CaseKind.DUPLICATE,
            CaseKind.LATE_SETTLEMENT,
            CaseKind.MISSING_IN_DIGIPAY,
            CaseKind.UNKNOWN_REFERENCE,
        ]
    )
    amount = ReconciliationCase.objects.get(kind=CaseKind.AMOUNT_MISMATCH)
    assert (amount.amount_idr, amount.expected_idr) == (-1_000_000, -999_999)
    assert ReconciliationCase.objects.get(kind=CaseKind.UNKNOWN_REFERENCE).bank_reference == (
        stranger
    )
    assert ReconciliationCase.objects.get(kind=CaseKind.MISSING_IN_DIGIPAY).amount_idr == 750_000
    for case in ReconciliationCase.objects.all():
        assert case.status == CaseStatus.OPEN
        assert case.owner_org_id == satker_a().pk

    # Re-running the day finds the same cases: nothing duplicated.
    again = services.reconcile_day(satker_a(), today())
    assert again.runs == 2
    assert ReconciliationCase.objects.count() == 5
    assert ReconciliationRun.objects.count() == 1

    # The duplicate's cause disappears (the twin record is withdrawn): noted, not deleted.
    records.extra.pop(2)
    services.reconcile_day(satker_a(), today())
    dup = ReconciliationCase.objects.get(kind=CaseKind.DUPLICATE)
    assert dup.cause_gone_at is not None
    assert dup.status == CaseStatus.OPEN
    assert CaseNote.objects.filter(case=dup, text__contains="tidak terlihat lagi").count() == 1
    assert ReconciliationCase.objects.count() == 5


def test_recorded_done_but_never_on_the_statement_and_open_long_after_the_bank(
    bank: Bank, treasurer: str, records: Records
) -> None:
    entry = post_up_tunai(410_000, "test:ghost")
    records.extra.append(record("DGP-GHOST-1", 410_000, entry_ids=(entry,)))
    executed = bank_transfer(bank, treasurer, 90_000, "DGP-OPEN-1")
    records.extra.append(record("DGP-OPEN-1", 90_000, entry_ids=(), status=MovementStatus.OPEN))
    # Today: both are in transit, no case.
    services.reconcile_day(satker_a(), today())
    assert kinds() == []
    # Two days on, the ledger's record never reached the bank and the executed transfer is
    # still open in Digipay.
    services.reconcile_day(satker_a(), today(), now=clock.now() + timedelta(days=2))
    assert kinds() == sorted([CaseKind.LATE_SETTLEMENT, CaseKind.MISSING_ON_STATEMENT])
    late = ReconciliationCase.objects.get(kind=CaseKind.LATE_SETTLEMENT)
    assert late.bank_reference == executed


def test_ledger_entry_without_record_and_record_without_ledger(
    bank: Bank, treasurer: str, records: Records
) -> None:
    orphan = post_up_tunai(55_000, "test:orphan")
    paid = bank_transfer(bank, treasurer, 66_000, "DGP-NOLEDGER-1")
    records.extra.append(record("DGP-NOLEDGER-1", 66_000, entry_ids=(), bank_reference=paid))
    bank.admin(
        "PUT",
        f"/admin/accounts/{BRI}/{treasurer}",
        {"balance": f"{bank_balance(bank, treasurer) - 55_000}.00"},
    )
    services.reconcile_day(satker_a(), today())
    cases = {c.fingerprint: c for c in ReconciliationCase.objects.all()}
    assert cases[f"ledger-orphan:{orphan}"].kind == CaseKind.MISSING_IN_LEDGER
    assert cases[f"ledger-orphan:{orphan}"].amount_idr == -55_000
    assert (
        cases["ledger:test.movement:DGP-NOLEDGER-1:DGP-NOLEDGER-1"].kind
        == CaseKind.MISSING_IN_LEDGER
    )
    # The admin's balance change has no reference Digipay could follow.
    assert sum(1 for c in cases.values() if c.kind == CaseKind.MISSING_IN_DIGIPAY) == 1


def bank_balance(bank: Bank, account_no: str) -> int:
    return bank.balance(BRI, account_no)


def test_case_life_owner_notes_and_tenants(bank: Bank, treasurer: str, records: Records) -> None:
    bank_transfer(bank, treasurer, 125_000, "ASING-0002")
    services.reconcile_day(satker_a(), today())
    case = ReconciliationCase.objects.get()
    bendahara = user(BENDAHARA)
    services.add_note(bendahara, case.pk, "Menghubungi bank untuk rincian transaksi.")
    with pytest.raises(ValidationFailed):
        services.close_case(bendahara, case.pk, status=CaseStatus.RESOLVED, reason="ok")
    taken = services.take_case(bendahara, case.pk)
    assert (taken.status, taken.owner_id) == (CaseStatus.INVESTIGATING, bendahara.pk)
    closed = services.close_case(
        bendahara,
        case.pk,
        status=CaseStatus.DISMISSED,
        reason="Transfer uji coba bank, bukan transaksi satker.",
    )
    assert closed.status == CaseStatus.DISMISSED
    assert closed.closed_by_id == bendahara.pk
    # Other satker's Bendahara: the case does not exist for her.
    other = user(email("bendahara", "527010"))
    with pytest.raises(NotFound):
        services.take_case(other, case.pk)
    # A PPK may look but not act.
    with pytest.raises(PermissionDenied):
        services.add_note(user(email("ppk")), case.pk, "Catatan dari PPK.")


def test_kppn_sees_and_takes_over_open_cases_of_its_satkers(
    bank: Bank, treasurer: str, records: Records
) -> None:
    bank_transfer(bank, treasurer, 125_000, "ASING-0003")
    services.reconcile_day(satker_a(), today())
    case = ReconciliationCase.objects.get()
    satker = satker_a()
    kppn = User.objects.get(organisation=satker.parent, role=Role.KPPN_ADMIN)
    assert [c.pk for c in queries.open_cases(kppn)] == [case.pk]
    taken = services.take_case(kppn, case.pk)
    assert taken.owner_org_id == satker.parent_id
    assert [c.pk for c in queries.open_cases(user(BENDAHARA))] == [case.pk]
    # Another KPPN's admin does not see it.
    other = User.objects.filter(role=Role.KPPN_ADMIN).exclude(organisation=satker.parent).first()
    if other is not None:
        assert list(queries.open_cases(other)) == []
        with pytest.raises(NotFound):
            services.take_case(other, case.pk)
    services.close_case(
        kppn, case.pk, status=CaseStatus.RESOLVED, reason="Bank mengoreksi transaksinya."
    )
    assert list(queries.open_cases(kppn)) == []


def test_digipay_movements_keep_every_credit_of_a_refund_and_drop_another_sources_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Payments gives one row per posted credit of a refund (instalments, a credit a person
    accepted): same record and reference, the bank's own reference each. All are kept; the
    same row given again by another source is kept once."""
    now = clock.now()

    def credit(bank_reference: str, amount: int, entry: int) -> Movement:
        return Movement(
            kind=MovementKind.REFUND,
            direction=1,
            amount_idr=amount,
            status=MovementStatus.DONE,
            bank_reference=bank_reference,
            partner_reference="RF-7",
            remark="RF-7",
            created_at=now,
            settled_at=now,
            entry_ids=(entry,),
            source="payments.refund:7",
        )

    instalments = [credit("C1", 600_000, 1), credit("C2", 400_000, 2)]
    monkeypatch.setattr(
        services,
        "movement_sources",
        [lambda *_: instalments, lambda *_: instalments[:1]],
    )
    found = services.digipay_movements(1, now - timedelta(days=1), now)
    assert [m.bank_reference for m in found] == ["C1", "C2"]
