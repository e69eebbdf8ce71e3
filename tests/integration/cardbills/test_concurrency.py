"""Card bills under concurrent writers (PostgreSQL only): the worker and several clicks
fetching the same bill at once store one bill; duplicate pay clicks queue one transfer."""

from __future__ import annotations

from typing import Any

import pytest

from digipay import demo as demo_set
from digipay.accounts.models import Organisation
from digipay.cardbills import services
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.core.errors import DomainError
from digipay.payments import services as payments
from digipay.payments.models import Payment, TreasurerAccount
from digipay.treasury.models import KkpCard
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from ..orders.conftest import _world
from ..orders.test_concurrency import as_user, race
from .conftest import BENDAHARA, BRI, PPK, TREASURER_A, A, CardBank, Shop, user
from .test_cardbills import after, card_paid, month_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 5


@pytest.fixture
def shop() -> Shop:
    demo_set.load(full=False)
    return Shop(_world())


@pytest.fixture
def sim(_cardbank: CardBank, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> CardBank:
    monkeypatch.setattr(payments, "gateway_for", _cardbank.gateway)
    TreasurerAccount.objects.update_or_create(
        satker=Organisation.objects.get(code=A),
        defaults={"bank_code": BRI, "account_no": TREASURER_A},
    )
    VendorBankAccount.objects.filter(is_primary=True, removed_at__isnull=True).update(
        status=BankAccountStatus.VERIFIED
    )
    return _cardbank


def _run_worker() -> int:
    from django.utils import timezone

    from digipay.payments.models import BankInstruction
    from digipay.payments.rules import OPEN_STATUSES

    BankInstruction.objects.filter(status__in=OPEN_STATUSES).update(next_attempt_at=timezone.now())
    return payments.send_due_instructions()


def test_concurrent_fetches_store_one_bill_and_duplicate_pay_clicks_pay_once(
    shop: Shop, sim: CardBank
) -> None:
    charge = card_paid(shop, _run_worker, price=1_000_000, qty=1)
    month = month_of(charge)
    card_id = KkpCard.objects.get(satker__code=A).pk
    bendahara = as_user(BENDAHARA)
    moment = after(month)

    def fetch(worker: bool) -> Any:
        with clock.frozen(moment):
            card = KkpCard.objects.select_related("bank").get(pk=card_id)
            return services.fetch_bill(None if worker else bendahara(), card, month)

    results = race(*(lambda n=n: fetch(n == 0) for n in range(THREADS)))
    assert all(isinstance(r, CardBill) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert CardBill.objects.count() == 1
    bill = CardBill.objects.get()
    assert bill.lines.count() == 1

    with clock.frozen(moment):
        services.verify_bill(user(PPK), bill)

    def click() -> Any:
        with clock.frozen(moment):
            return services._pay(bendahara(), CardBill.objects.get(pk=bill.pk))

    clicks = race(*(click for _ in range(THREADS)))
    won = [r for r in clicks if isinstance(r, CardBill)]
    assert len(won) == 1, clicks
    assert all(
        isinstance(r, DomainError) and r.code == "not_payable" for r in clicks if r not in won
    )
    assert Payment.objects.filter(purpose="CARD_BILL").count() == 1
    assert CardBill.objects.get(pk=bill.pk).state == CardBillState.PAYING
