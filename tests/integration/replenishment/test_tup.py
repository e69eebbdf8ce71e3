"""TUP through SPAN: the Bendahara asks, the PPSPM signs, the KPPN approves, the SP2D credit
records the TUP (treasury's allocation with SPAN's due date) and puts it into UP Tunai; an
SPM-PTUP listing what was paid within the due date accounts for it; overdue TUPs are seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict, ValidationFailed
from digipay.ledger.models import AccountBalance
from digipay.notifications.models import Notification
from digipay.replenishment import queries, services
from digipay.replenishment.models import Spm, SpmLine
from digipay.replenishment.rules import CreditState, SpmKind, SpmState
from digipay.treasury import chart
from digipay.treasury import services as treasury
from digipay.treasury.models import UpAllocation, UpKind

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
NEED = "Penanganan banjir di kantor wilayah: perbaikan darurat."


def posted(account_id: int) -> int:
    row = AccountBalance.objects.filter(account_id=account_id).first()
    return int(row.debits_posted - row.credits_posted) if row else 0


def approved_tup(amount: int) -> Spm:
    spm = services.request_tup(user(BENDAHARA), amount_idr=amount, reason=NEED)
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    return services.approve_spm(kppn_admin(), spm)


def test_tup_request_sp2d_and_ptup(shop: Shop, bank: Bank, span: Span, run_worker: Run) -> None:
    satker = Organisation.objects.get(code=A)
    book = chart.satker_book(satker)
    up_before = posted(book.up_tunai.pk)
    treasurer_before = bank.balance(BRI, span.treasurer)

    spm = services.request_tup(user(BENDAHARA), amount_idr=40 * JUTA, reason=NEED)
    assert (spm.kind, spm.state, spm.amount_idr) == (SpmKind.TUP, SpmState.DRAFT, 40 * JUTA)
    assert "/TUP/" in spm.number
    with pytest.raises(Conflict) as second:
        services.request_tup(user(BENDAHARA), amount_idr=JUTA, reason=NEED)
    assert second.value.code == "tup_open"
    spm = services.sign_spm(make_ppspm(), spm, otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.credit_status == CreditState.CREDITED
    assert spm.sp2d_number[5] == "3"  # SPAN's kind digit of a TUP
    # The TUP is recorded once, with SPAN's due date (one month), and its money is in.
    tup = UpAllocation.objects.get(kind=UpKind.TUP, satker=satker)
    assert spm.tup_id == tup.pk
    assert tup.sp2d_number == spm.sp2d_number
    assert tup.amount_idr == tup.tunai_idr == 40 * JUTA
    assert tup.due_date == spm.tup_due_date
    assert tup.due_date is not None
    assert spm.sp2d_date is not None
    assert tup.due_date > spm.sp2d_date
    assert tup.ledger_entry_id == spm.ledger_entry_id
    assert posted(book.up_tunai.pk) - up_before == 40 * JUTA
    assert posted(book.fund_tup.pk) == -40 * JUTA
    assert bank.balance(BRI, span.treasurer) - treasurer_before == 40 * JUTA
    services.sync_spm(spm.pk)
    assert UpAllocation.objects.filter(kind=UpKind.TUP).count() == 1
    assert posted(book.up_tunai.pk) - up_before == 40 * JUTA
    assert list(queries.open_tups(satker)) == [tup]

    # Spend it: Rp30 juta of goods (gross 33.300.000), then account for it.
    paid = paid_goods(shop, run_worker, price=30 * JUTA)
    ptup = services.draft_ptup(user(BENDAHARA), tup=tup)
    assert ptup.kind == SpmKind.PTUP
    assert ptup.amount_idr == paid.gross_idr == 33_300_000
    assert list(SpmLine.objects.filter(spm=ptup).values_list("payment_invoice_id", flat=True)) == [
        paid.pk
    ]
    with pytest.raises(Conflict):
        services.draft_ptup(user(BENDAHARA), tup=tup)
    ptup = services.sign_spm(make_ppspm(), ptup, otp=fresh_code())
    assert ptup.state == SpmState.SUBMITTED
    up_mid = posted(book.up_tunai.pk)
    ptup = services.approve_spm(kppn_admin(), ptup)
    assert ptup.state == SpmState.APPROVED
    assert ptup.credit_status == CreditState.NONE
    assert ptup.ledger_entry_id is None  # an SP2D without money
    assert posted(book.up_tunai.pk) == up_mid
    tup.refresh_from_db()
    assert tup.accounted_sp2d_number == ptup.sp2d_number
    assert tup.accounted_at is not None
    assert not queries.open_tups(satker).exists()
    # A new TUP may be asked now; the accounted invoice is not listable for a GUP.
    assert not queries.listable_invoices(satker).exists()
    services.request_tup(user(BENDAHARA), amount_idr=JUTA, reason=NEED)


def test_tup_request_validation_changes_nothing(world: object) -> None:
    bendahara = user(BENDAHARA)
    for amount, reason in ((0, NEED), (-5, NEED), (JUTA, "mendesak")):
        with pytest.raises(ValidationFailed):
            services.request_tup(bendahara, amount_idr=amount, reason=reason)
    assert not Spm.objects.exists()


def test_overdue_tup_is_flagged(bank: Bank, span: Span) -> None:
    spm = approved_tup(10 * JUTA)
    tup = UpAllocation.objects.get(pk=spm.tup_id)
    assert tup.due_date is not None
    kppn = kppn_admin()
    assert list(queries.overdue_tups(kppn, on=tup.due_date)) == []
    assert list(queries.overdue_tups(kppn, on=tup.due_date + timedelta(days=1))) == [tup]
    assert list(queries.overdue_tups(user(BENDAHARA), on=tup.due_date + timedelta(days=1))) == [tup]
    assert list(queries.overdue_tups(kppn_admin("030"), on=tup.due_date + timedelta(days=9))) == []
    # The daily job tells the KPPN and the Bendahara once per due date.
    title = "TUP melewati batas pertanggungjawaban"
    services.check_sanctions(tup.due_date)
    assert not Notification.objects.filter(title=title).exists()
    services.check_sanctions(tup.due_date + timedelta(days=1))
    services.check_sanctions(tup.due_date + timedelta(days=2))
    assert Notification.objects.filter(title=title, recipient=kppn).count() == 1
    assert Notification.objects.filter(title=title, recipient=user(BENDAHARA)).count() == 1
    extended = treasury.extend_tup(kppn, tup, reason="Pengadaan darurat belum selesai.")
    assert extended.due_date is not None
    services.check_sanctions(extended.due_date + timedelta(days=1))
    assert Notification.objects.filter(title=title, recipient=kppn).count() == 2
