"""Replenishment under concurrent writers (PostgreSQL only): workers racing to record the
same SP2D credit restore UP once; two drafts racing for the same paid invoices make one SPM.
The demo world is loaded inside each (transactional) test, as in the payments' ones."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from digipay import demo as demo_set
from digipay.accounts.models import Organisation
from digipay.core.errors import Conflict
from digipay.integrations.span import client as span_client
from digipay.ledger.models import Entry
from digipay.payments import services as payments
from digipay.payments.models import TreasurerAccount
from digipay.replenishment import services
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmState
from digipay.treasury import chart
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from ..orders.conftest import _world
from ..orders.test_concurrency import as_user, race
from .conftest import (
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    SPAN_CLIENT,
    SPAN_SECRET,
    TREASURER_BALANCE,
    A,
    Bank,
    Shop,
    fresh_code,
    kppn_admin,
    make_ppspm,
    paid_goods,
    user,
)
from .test_gup import posted

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 6
_accounts = itertools.count(1)


@pytest.fixture
def shop() -> Shop:
    demo_set.load(full=False)
    return Shop(_world())


@pytest.fixture
def sim(
    _banksim: Bank, _spansim: str, shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[Bank]:
    monkeypatch.setattr(payments, "gateway_for", _banksim.gateway)
    settings.DIGIPAY_SPAN_URL = _spansim
    settings.DIGIPAY_SPAN_CLIENT_ID = SPAN_CLIENT
    settings.DIGIPAY_SPAN_SECRET = SPAN_SECRET
    account = f"0346010098{next(_accounts):05d}"  # a statement of its own (see conftest.span)
    _banksim.admin(
        "PUT",
        f"/admin/accounts/{BRI}/{account}",
        {"name": "BPG 415256 UJI", "balance": f"{TREASURER_BALANCE}.00", "notify": False},
    )
    TreasurerAccount.objects.update_or_create(
        satker=Organisation.objects.get(code=A),
        defaults={"bank_code": BRI, "account_no": account},
    )
    VendorBankAccount.objects.filter(is_primary=True, removed_at__isnull=True).update(
        status=BankAccountStatus.VERIFIED
    )
    httpx.post(f"{_spansim}/admin/reset", timeout=5).raise_for_status()
    _banksim.clear_faults()
    return _banksim


def test_racing_pollers_restore_up_once(shop: Shop, sim: Bank, run_worker: Any) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    assert spm.state == SpmState.SUBMITTED
    # Approved in SPAN while Digipay has not heard yet (a lost answer): every poller sees it.
    remote = span_client.approve_spm(spm.span_id, kppn_code="019", user_id="digipay.user.0")
    assert remote.credited
    book = chart.satker_book(Organisation.objects.get(code=A))
    before = posted(book.up_tunai.pk)
    results = race(*(lambda: services.sync_spm(spm.pk) for _ in range(THREADS)))
    assert all(isinstance(r, Spm) for r in results), results
    spm.refresh_from_db()
    assert spm.state == SpmState.APPROVED
    assert spm.credit_status == CreditState.CREDITED
    assert Entry.objects.filter(source_type="replenishment.spm", source_id=str(spm.pk)).count() == 1
    assert posted(book.up_tunai.pk) - before == 155_400_000


def test_racing_drafts_make_one_spm(shop: Shop, sim: Bank, run_worker: Any) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    bendahara = as_user(BENDAHARA)
    results = race(*(lambda: services.draft_gup(bendahara()) for _ in range(THREADS)))
    made = [r for r in results if isinstance(r, Spm)]
    assert len(made) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Spm)), results
    assert Spm.objects.count() == 1


def test_decisions_outside_a_request_transaction_are_audited(
    shop: Shop, sim: Bank, run_worker: Any
) -> None:
    """The KPPN's approval and rejection call SPAN outside any transaction (as the worker and
    the demo loader do): their audit events must still be written (in one of their own)."""
    from digipay.audit.models import AuditEvent

    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    spm = services.sign_spm(make_ppspm(), services.draft_gup(user(BENDAHARA)), otp=fresh_code())
    spm = services.approve_spm(kppn_admin(), spm)
    assert spm.state == SpmState.APPROVED
    assert AuditEvent.objects.filter(action="spm.approved").count() == 1


def test_a_refund_racing_a_draft_of_its_invoice_never_both(
    shop: Shop, sim: Bank, run_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft holds the satker's lock while it lists the invoice (slowed down here); a
    refund of the same invoice asked meanwhile must not pass the SPM check before the draft
    commits: it is refused (the invoice is in the SPM), never recorded beside it."""
    import time

    from digipay.payments import refunds
    from digipay.payments.models import PaymentInvoice, Refund

    paid: PaymentInvoice = paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    line_id = paid.invoice.lines.get().pk
    slow_add = services._add_lines

    def add_slowly(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)  # the draft has read the refunds and holds the satker's lock
        return slow_add(*args, **kwargs)

    monkeypatch.setattr(services, "_add_lines", add_slowly)
    bendahara, ppk = as_user(BENDAHARA), as_user(PPK)

    def refund() -> Refund:
        time.sleep(0.3)  # the draft goes first
        return refunds.request_refund(
            ppk(),
            invoice_id=paid.invoice_id,
            returned={line_id: 1},
            amount_idr=77_700_000,
            reason="Satu unit rusak, dikembalikan ke vendor",
        )

    drafted, refunded = race(lambda: services.draft_gup(bendahara()), refund)
    assert isinstance(drafted, Spm), drafted
    assert isinstance(refunded, Conflict), refunded
    assert refunded.code == "refund_blocked"
    assert not Refund.objects.filter(invoice_id=paid.invoice_id).exists()
