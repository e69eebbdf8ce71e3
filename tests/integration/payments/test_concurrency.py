"""Payments under concurrent writers (PostgreSQL only): duplicate clicks on "pay" make one
payment; several workers sending the outbox at once pay the vendor once and post once.

The demo world is loaded inside each (transactional) test, as in the orders' concurrency tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from digipay import demo as demo_set
from digipay.accounts.models import Organisation
from digipay.core.errors import DomainError
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.ledger.models import Entry
from digipay.payments import services
from digipay.payments.models import BankInstruction, Payment, PaymentInvoice, TreasurerAccount
from digipay.payments.rules import InstructionStatus, Source
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from ..orders.conftest import _world
from ..orders.test_concurrency import as_user, race
from .conftest import BENDAHARA, BRI, JUTA, SINAR_BRI, TREASURER_A, A, Bank, Shop, make_product
from .conftest import received as received_order
from .conftest import verified as verified_invoice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 6


@pytest.fixture
def shop() -> Shop:
    demo_set.load(full=False)
    return Shop(_world())


@pytest.fixture
def sim(_banksim: Bank, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    monkeypatch.setattr(services, "gateway_for", _banksim.gateway)
    TreasurerAccount.objects.update_or_create(
        satker=Organisation.objects.get(code=A),
        defaults={"bank_code": BRI, "account_no": TREASURER_A},
    )
    VendorBankAccount.objects.filter(is_primary=True, removed_at__isnull=True).update(
        status=BankAccountStatus.VERIFIED
    )
    _banksim.clear_faults()
    return _banksim


def an_invoice(shop: Shop) -> Invoice:
    order = received_order(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)])
    return verified_invoice(order)


def test_duplicate_pay_clicks_make_one_payment(shop: Shop, sim: Bank) -> None:
    invoice = an_invoice(shop)
    bendahara = as_user(BENDAHARA)
    ids = [invoice.pk]
    digest = services.request_digest(ids, Source.UP_TUNAI)

    # The TOTP check is per click and outside the race (a code is usable once): the race is
    # on the locked write.
    def click(n: int) -> Any:
        return services._pay(bendahara(), ids, Source.UP_TUNAI, f"klik-{n}", digest)

    results = race(*(lambda n=n: click(n) for n in range(THREADS)))
    won = [r for r in results if isinstance(r, Payment)]
    assert len(won) == 1, results
    lost = [r for r in results if not isinstance(r, Payment)]
    assert all(isinstance(r, DomainError) and r.code == "payment_in_progress" for r in lost), (
        results
    )
    assert PaymentInvoice.objects.filter(invoice=invoice, active=True).count() == 1
    assert BankInstruction.objects.count() == 1


def test_workers_racing_on_the_outbox_pay_once(shop: Shop, sim: Bank) -> None:
    invoice = an_invoice(shop)
    digest = services.request_digest([invoice.pk], Source.UP_TUNAI)
    services._pay(as_user(BENDAHARA)(), [invoice.pk], Source.UP_TUNAI, "", digest)
    before = sim.balance(BRI, SINAR_BRI)

    results = race(*(services.send_due_instructions for _ in range(4)))

    assert sum(r for r in results if isinstance(r, int)) == 1, results
    ins = BankInstruction.objects.get()
    assert ins.status == InstructionStatus.DONE
    assert ins.attempts == 1
    assert sim.balance(BRI, SINAR_BRI) - before == invoice.net_idr
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.PAID
    order_hold = Invoice.objects.get(pk=invoice.pk).order
    assert Entry.objects.filter(source_id=str(order_hold.pk), kind="POST_HOLD").count() == 1


def test_pay_endpoint_with_one_key_makes_one_payment_under_twenty_concurrent_replays(
    shop: Shop, sim: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real HTTP, one client and connection per thread, one Idempotency-Key: the handler runs
    once; the duplicates get the replay or 409 while it is in flight; ten sequential replays
    answer the same payment; the key with another body is 422."""
    import json
    import time

    from django.db import connection
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from digipay.accounts import services as account_services
    from tests.conftest import current_totp

    from ..orders.conftest import user

    invoice = an_invoice(shop)
    raw, _token = account_services.issue_api_token(user(BENDAHARA))
    TOTPDevice.objects.update(last_t=-1)
    body = json.dumps({"invoices": [invoice.pk], "source": "UP_TUNAI", "otp": current_totp()})
    slow = services.pay

    def pay_slowly(*args: Any, **kwargs: Any) -> Payment:
        time.sleep(0.4)  # the duplicates arrive while the first is in flight
        return slow(*args, **kwargs)

    monkeypatch.setattr(services, "pay", pay_slowly)

    def send(payload: str = body) -> Any:
        try:
            return Client().post(
                "/api/v1/payments",
                payload,
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "serentak-bayar"},
            )
        finally:
            connection.close()

    results = race(*([send] * 20))
    originals, replays, busy = [], [], []
    for response in results:
        assert not isinstance(response, BaseException), response
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress", response.content
            busy.append(response)
        elif response.get("Idempotent-Replayed") == "true":
            replays.append(response)
        else:
            assert response.status_code == 201, response.content
            originals.append(response)
    assert len(originals) == 1
    assert busy, "no duplicate arrived while the first was in flight"
    assert len(originals) + len(replays) + len(busy) == 20
    assert Payment.objects.count() == 1
    assert BankInstruction.objects.count() == 1
    first_id = originals[0].json()["id"]
    for _ in range(10):
        again = send()
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first_id
    changed = send(json.dumps({"invoices": [invoice.pk], "source": "KKP", "otp": "000000"}))
    assert changed.status_code == 422
    assert Payment.objects.count() == 1


@pytest.fixture
def mpn_sim(_mpnsim: Any, sim: Bank, monkeypatch: pytest.MonkeyPatch) -> Any:
    from digipay.payments import deposits

    from .conftest import RECEIVING_BRI

    monkeypatch.setattr(deposits, "mpn_client", _mpnsim.client)
    sim.admin(
        "PUT", f"/admin/accounts/{BRI}/{RECEIVING_BRI}", {"name": "KAS NEGARA", "notify": False}
    )
    _mpnsim.admin("POST", "/admin/reset")
    return _mpnsim


def test_deposit_workers_racing_make_one_billing_and_one_transfer_each(
    shop: Shop, sim: Bank, mpn_sim: Any
) -> None:
    from digipay.invoicing.models import TaxDeposit
    from digipay.payments import deposits
    from digipay.payments.models import DepositRequest
    from digipay.payments.rules import DepositState, Purpose

    from .conftest import RECEIVING_BRI

    invoice = an_invoice(shop)
    digest = services.request_digest([invoice.pk], Source.UP_TUNAI)
    services._pay(as_user(BENDAHARA)(), [invoice.pk], Source.UP_TUNAI, "", digest)
    services.send_due_instructions()
    ids = sorted(TaxDeposit.objects.filter(invoice=invoice).values_list("pk", flat=True))
    assert len(ids) == 2
    deposits._deposit(as_user(BENDAHARA)(), ids, "", deposits.request_digest(ids))
    state_before = sim.balance(BRI, RECEIVING_BRI)

    race(*(deposits.advance_deposits for _ in range(4)))
    assert len(mpn_sim.billings()) == 2
    assert BankInstruction.objects.filter(payment__purpose=Purpose.TAX_DEPOSIT).count() == 2
    race(*(services.send_due_instructions for _ in range(4)))
    race(*(deposits.advance_deposits for _ in range(4)))

    assert set(DepositRequest.objects.values_list("state", flat=True)) == {DepositState.DONE}
    assert len(mpn_sim.billings()) == 2
    assert sim.balance(BRI, RECEIVING_BRI) - state_before == 1_250_000
