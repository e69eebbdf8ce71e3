"""The BKU and sub-books agree with the ledger to the rupiah (opening, every running balance,
closing); the LPJ agrees with the real bank simulator's statement, items in transit
included, is frozen when submitted and refused when the bank and the books differ."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db.models import Sum
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.books import exports, queries, services
from digipay.books.models import Lpj
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied
from digipay.ledger import services as ledger
from digipay.ledger.models import AccountBalance, Posting
from digipay.ledger.rules import Leg
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction, TreasurerAccount
from digipay.payments.rules import InstructionStatus, Source
from digipay.treasury import chart
from digipay.treasury.models import UpAllocation, UpReturn
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
    up_tunai_posted,
    user,
    verified,
)

Run = Callable[[], int]


def pay_one(shop: Shop, run_worker: Run, price: int = 5 * JUTA) -> BankInstruction:
    order = received(shop, [(make_product("UMKM-0001", price=price), 1)])
    invoice = verified(order)
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    payment = payments.pay(
        user(BENDAHARA), invoice_ids=[invoice.pk], source=Source.UP_TUNAI, otp=current_totp()
    )
    run_worker()
    return BankInstruction.objects.get(payment=payment)


def posted(codes: tuple[str, ...] = (), prefix: str = "") -> int:
    """The ledger's own posted balance (+ debit) of satker A's accounts, from the counters."""
    rows = AccountBalance.objects.filter(account__owner_id=satker_a().pk)
    rows = (
        rows.filter(account__code__startswith=prefix)
        if prefix
        else rows.filter(account__code__in=codes)
    )
    return sum(int(r.debits_posted - r.credits_posted) for r in rows)


def last_month() -> datetime:
    first = clock.today_jakarta().replace(day=1)
    return datetime.combine(first - timedelta(days=3), datetime.min.time(), tzinfo=clock.JAKARTA)


def test_bku_and_sub_books_agree_with_the_ledger(
    shop: Shop, bank: Bank, treasurer: str, run_worker: Run
) -> None:
    satker = satker_a()
    # Last month: a refund received (Dr UP_TUNAI, Cr EXPENSE), with a formula-looking memo.
    with clock.frozen(last_month().replace(hour=10)):
        ledger.post(
            key="test:refund-last-month",
            tenant_id=int(satker.pk),
            reason_code="REFUND_RECEIVED",
            legs=[
                Leg(chart.satker_book(satker).up_tunai.pk, 2_500_000),
                Leg(chart.expense(satker, "521211").pk, -2_500_000),
            ],
            memo='=HYPERLINK("http://x")',
        )
    ins = pay_one(shop, run_worker)
    assert ins.status == InstructionStatus.DONE
    bendahara = user(BENDAHARA)
    before = queries.book(bendahara, satker, "bku", last_month().date().replace(day=1))
    assert before.opening == 0
    assert [(r.debit, r.credit) for r in before.rows] == [(2_500_000, 0)]
    assert before.closing == 2_500_000

    period = clock.today_jakarta().replace(day=1)
    bku = queries.book(bendahara, satker, "bku", period)
    assert bku.opening == 2_500_000
    assert bku.closing == posted(("UP_TUNAI", "UP_KKP", "KKP_BILL_PAID"))
    balance = bku.opening
    for row in bku.rows:
        balance += row.debit - row.credit
        assert row.balance == balance
    assert bku.total_debit - bku.total_credit == bku.closing - bku.opening
    month_lines = Posting.objects.filter(
        account__owner_id=satker.pk,
        account__code__in=["UP_TUNAI", "UP_KKP", "KKP_BILL_PAID"],
        pending=False,
        entry__created_at__gte=queries.month_bounds(period)[0],
    ).count()
    assert len(bku.rows) == month_lines

    bank_book = queries.book(bendahara, satker, "bank", period)
    assert bank_book.closing == up_tunai_posted(satker)
    # The transfer: the gross out and the withheld taxes back in (net = what the bank paid).
    payment_rows = [r for r in bank_book.rows if r.entry_id in _entries_of(ins)]
    assert sum(r.debit - r.credit for r in payment_rows) == -int(ins.amount_idr)
    # Rows name their documents: the order (its hold posted), the payment (the taxes kept),
    # the SP2D of the UP advance.
    order_number = ins.lines.get().invoice.order.number
    assert {r.reference for r in payment_rows} == {order_number, ins.payment.number}
    sp2d = UpAllocation.objects.get(satker=satker, kind="UP").sp2d_number
    assert sp2d in {r.reference for r in bank_book.rows}

    taxes = queries.book(bendahara, satker, "pajak", period)
    assert taxes.closing == -posted(prefix="TAX_PAYABLE:")
    assert taxes.closing == 5 * JUTA * 11 // 100 + 5 * JUTA * 15 // 1000  # PPN 11%, PPh 22 1.5%

    up = queries.book(bendahara, satker, "up", period)
    assert up.closing == posted(("UP_KKP", "KKP_BILL_PAID"))

    # XLSX: the same figures, text quoted; PDF renders.
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(before))).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][-1] == 2_500_000
    assert values[-2][2] == '\'=HYPERLINK("http://x")'
    pdf = exports.render_pdf("books/book_pdf.html", {"book": bku})
    assert pdf.startswith(b"%PDF")


def _entries_of(ins: BankInstruction) -> set[int]:
    from digipay.ledger.models import Entry

    ids: set[int] = set()
    for line in ins.lines.all():
        ids.add(int(line.posted_entry_id or 0))
        tax = Entry.objects.filter(idempotency_key=f"payment-line:{line.pk}:tax").first()
        if tax is not None:
            ids.add(int(tax.pk))
    return ids


def test_books_permissions_and_tenants(world: object) -> None:
    satker = satker_a()
    period = clock.today_jakarta().replace(day=1)
    # Overseers above the satker read its books.
    kppn_admin = User.objects.get(organisation=satker.parent, role=Role.KPPN_ADMIN)
    assert queries.satker_for(kppn_admin, satker.code) == satker
    assert queries.book(kppn_admin, satker, "bku", period).satker == satker
    assert queries.book(user(email("ppk")), satker, "pajak", period).satker == satker
    # Another satker's Bendahara: not found; the Pemesan and vendors: not allowed.
    other = user(email("bendahara", "527010"))
    with pytest.raises(NotFound):
        queries.satker_for(other, satker.code)
    with pytest.raises(NotFound):
        queries.book(other, satker, "bku", period)
    with pytest.raises(PermissionDenied):
        queries.book(user(email("pemesan")), satker, "bku", period)
    with pytest.raises(PermissionDenied):
        queries.satker_for(user("admin@umkm-0001.demo.digipay.id"), None)
    with pytest.raises(NotFound):
        queries.book(user(BENDAHARA), satker, "rahasia", period)


def test_lpj_agrees_with_the_bank_items_in_transit_included_and_is_frozen(
    shop: Shop, bank: Bank, treasurer: str, records: Records, run_worker: Run
) -> None:
    satker = satker_a()
    bendahara = user(BENDAHARA)
    period = clock.today_jakarta().replace(day=1)
    done = pay_one(shop, run_worker)
    assert done.status == InstructionStatus.DONE
    # A second payment executed by the bank whose answer never came: open in Digipay.
    bank.faults(timeoutAfterExecutionShare=1.0, services=["17", "18", "36"])
    stuck = pay_one(shop, run_worker, price=2 * JUTA)
    bank.clear_faults()
    assert stuck.status == InstructionStatus.UNKNOWN

    figures = services.lpj_figures(bendahara, satker, period)
    assert figures.bank_closing == bank.balance(BRI, treasurer)
    assert figures.up_tunai == up_tunai_posted(satker)
    assert [i.bank_effect for i in figures.items] == [-int(stuck.amount_idr)]
    assert figures.in_transit == -int(stuck.amount_idr)
    assert figures.bank_closing == figures.up_tunai + figures.in_transit
    assert figures.unexplained == 0
    assert figures.taxes_held == -posted(prefix="TAX_PAYABLE:")
    assert figures.due_date == (period + timedelta(days=32)).replace(day=10)
    assert figures.late is False

    lpj = services.submit_lpj(bendahara, satker, period)
    assert (lpj.bank_closing_idr, lpj.up_tunai_idr, lpj.in_transit_idr) == (
        figures.bank_closing,
        figures.up_tunai,
        figures.in_transit,
    )
    assert lpj.number == f"LPJ-{satker.code}-{period:%Y%m}"
    # Frozen: the stuck transfer settling later changes nothing in it.
    run_worker()
    assert Lpj.objects.get(pk=lpj.pk).in_transit_idr == -int(stuck.amount_idr)
    with pytest.raises(Conflict):
        services.submit_lpj(bendahara, satker, period)
    with pytest.raises(ValueError, match="never changed"):
        lpj.save()
    assert Lpj.objects.count() == 1


def test_lpj_refused_when_the_bank_and_the_books_differ(
    bank: Bank, treasurer: str, records: Records
) -> None:
    satker = satker_a()
    period = clock.today_jakarta().replace(day=1)
    bank.admin(
        "POST",
        "/admin/credits",
        {
            "bank": BRI,
            "accountNo": treasurer,
            "amount": "1.00",
            "sourceBankCode": BRI,
            "sourceAccountNo": "0000000003",
            "sourceName": "BUNGA",
            "remark": "jasa giro",
        },
    )
    figures = services.lpj_figures(user(BENDAHARA), satker, period)
    assert figures.unexplained == 1
    with pytest.raises(Conflict) as refused:
        services.submit_lpj(user(BENDAHARA), satker, period)
    assert refused.value.code == "lpj_does_not_agree"
    assert Lpj.objects.count() == 0
    # Only the Bendahara submits.
    with pytest.raises(PermissionDenied):
        services.submit_lpj(user(email("ppk")), satker, period)
    total = Posting.objects.aggregate(total=Sum("amount"))["total"]
    assert total == 0  # nothing was posted by the refusal


def frozen_bank(monkeypatch: pytest.MonkeyPatch, returned: Callable[[], int] = lambda: 0) -> None:
    """The real statement of this month, read now and replayed later (the bank simulator
    cannot be asked from a frozen clock: SNAP refuses a timestamp outside its window), less
    what the year-end return deposited (``returned()``)."""
    satker = satker_a()
    account = TreasurerAccount.objects.get(satker=satker)
    start = queries.month_bounds(clock.today_jakarta().replace(day=1))[0]
    real = services.fetch_statement(account, start, clock.now())

    def statement(account: object, start: datetime, end: datetime) -> services.BankStatement:
        closing = real.closing - returned()
        return services.BankStatement(real.lines, real.opening, closing, end, False)

    monkeypatch.setattr(services, "fetch_statement", statement)


def test_lpj_of_last_month_submitted_after_the_tenth_is_late(
    bank: Bank, treasurer: str, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    satker = satker_a()
    period = clock.today_jakarta().replace(day=1)
    frozen_bank(monkeypatch)
    due = (period + timedelta(days=32)).replace(day=10)
    on_time = datetime.combine(due, datetime.min.time(), tzinfo=clock.JAKARTA).replace(hour=15)
    with clock.frozen(on_time):
        assert services.lpj_figures(user(BENDAHARA), satker, period).late is False
    with clock.frozen(on_time + timedelta(days=1)):
        figures = services.lpj_figures(user(BENDAHARA), satker, period)
        assert figures.late is True
        assert figures.cut_off == queries.month_bounds(period)[1]
        lpj = services.submit_lpj(user(BENDAHARA), satker, period)
    assert lpj.late is True
    assert lpj.due_date == due
    assert lpj.unused_up_idr is None  # not December


def test_december_lpj_shows_the_unused_up_and_its_return(
    bank: Bank, treasurer: str, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digipay.treasury import services as treasury

    satker = satker_a()
    year = clock.today_jakarta().year
    december = datetime(year, 12, 20, 10, tzinfo=clock.JAKARTA)
    frozen_bank(
        monkeypatch,
        lambda: sum(int(r.tunai_idr) for r in UpReturn.objects.filter(satker=satker)),
    )
    period = december.date().replace(day=1)
    kkp_left = posted(("UP_KKP",))
    with clock.frozen(december):
        before = services.lpj_figures(user(BENDAHARA), satker, period)
        assert before.unused_up == up_tunai_posted(satker) + kkp_left
        assert before.unused_up > 0
        assert before.up_returned is False
        kppn = User.objects.get(organisation=satker.parent, role=Role.KPPN_ADMIN)
        treasury.return_up(
            kppn,
            satker=satker,
            fiscal_year=year,
            deposit_reference="NTPN0123456789AB",
            returned_on=december.date(),
        )
        after = services.lpj_figures(user(BENDAHARA), satker, period)
        assert (after.unused_up, after.up_returned) == (0, True)
        lpj = services.submit_lpj(user(BENDAHARA), satker, period)
    assert (lpj.unused_up_idr, lpj.up_returned) == (0, True)
    assert lpj.late is False
