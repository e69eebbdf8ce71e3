"""Fixtures of the replenishment tests: the payment tests' world and real bank simulator
(satker A's treasurer account), a real SPAN simulator on a loopback port crediting that bank
(Digipay's settings pointed at it, its SPMs reset for each test), satker A's PPSPM, and
helpers that pay invoices end to end through the payments services and the outbox job."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts import demo as accounts_demo
from digipay.accounts import services as accounts
from digipay.accounts.models import User
from digipay.invoicing.models import Invoice
from digipay.orders.models import Order
from digipay.payments import services as payments
from digipay.payments.models import PaymentInvoice, TreasurerAccount
from digipay.payments.rules import Source
from digipay.simulators.spansim import config_from_dict, create_app
from tests.conftest import current_totp

from ..invoicing.conftest import B
from ..payments.conftest import (  # noqa: F401 - fixtures
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    TREASURER_A,
    TREASURER_BALANCE,
    A,
    Bank,
    Shop,
    _banksim,
    _module_world,
    bank,
    email,
    make_product,
    received,
    run_worker,
    shop,
    user,
    verified,
    world,
)
from ..simulators.conftest import live_server

SPAN_CLIENT, SPAN_SECRET = "digipay", "test-span-secret-replenishment-0001"
PPSPM = email("ppspm")
KPPN_019 = "admin@kppn019.demo.digipay.id"


@pytest.fixture(scope="module")
def _spansim(_banksim: Bank) -> Iterator[str]:  # noqa: F811 - the fixture
    config = config_from_dict(
        {
            "clients": [{"clientId": SPAN_CLIENT, "secret": SPAN_SECRET}],
            "bank": {"url": _banksim.url, "timeoutSeconds": 2, "retrySeconds": 3600},
        }
    )
    with live_server(create_app(config)) as url:
        yield url


@dataclass(frozen=True)
class Span:
    url: str
    treasurer: str  # satker A's treasurer account at the bank, fresh for the test


_accounts = itertools.count(1)


@pytest.fixture
def span(
    _spansim: str,
    bank: Bank,  # noqa: F811 - the fixture
    settings: Any,
) -> Iterator[Span]:
    """The SPAN simulator, emptied, and Digipay pointed at it. Satker A's treasurer gets a
    fresh account at the (module-wide) bank with the opening balance: SPAN restarts its SP2D
    numbers when emptied, and it recognises an earlier credit on the statement by remark and
    amount, so each test needs a statement of its own (docs/spansim.md)."""
    settings.DIGIPAY_SPAN_URL = _spansim
    settings.DIGIPAY_SPAN_CLIENT_ID = SPAN_CLIENT
    settings.DIGIPAY_SPAN_SECRET = SPAN_SECRET
    account = f"03460100{next(_accounts):07d}"
    bank.admin(
        "PUT",
        f"/admin/accounts/{BRI}/{account}",
        {"name": "BPG 415256 UJI", "balance": f"{TREASURER_BALANCE}.00", "notify": False},
    )
    TreasurerAccount.objects.filter(satker__code=A).update(account_no=account)
    httpx.post(f"{_spansim}/admin/reset", timeout=5).raise_for_status()
    httpx.delete(f"{_spansim}/admin/faults", timeout=5)
    yield Span(_spansim, account)
    httpx.delete(f"{_spansim}/admin/faults", timeout=5)


def make_ppspm(satker: str = A) -> User:
    """The satker's PPSPM (enrolled in 2FA with the demo key), made by its admin."""
    found = User.objects.filter(email=email("ppspm", satker)).first()
    if found is not None:
        return found
    admin = user(email("admin", satker))
    ppspm, _password = accounts.create_user(
        admin,
        organisation=admin.organisation,
        email=email("ppspm", satker),
        full_name=f"PPSPM Uji ({satker})",
        nik=accounts_demo.demo_nik(970 + int(satker[-2:])),
        role="PPSPM",
        password=accounts_demo.DEMO_PASSWORD,
    )
    accounts_demo.enrol(ppspm)
    return ppspm


def kppn_admin(code: str = "019") -> User:
    return User.objects.get(organisation__code=code, role="KPPN_ADMIN")


def fresh_code() -> str:
    """The current TOTP code, usable again (django-otp refuses a code already used)."""
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return current_totp()


def pay_and_settle(
    invoices: list[Invoice], run: Callable[[], int], source: str = Source.UP_TUNAI
) -> list[PaymentInvoice]:
    """The Bendahara pays the invoices; the outbox job sends the transfer to the bank."""
    payment = payments.pay(
        user(BENDAHARA), invoice_ids=[i.pk for i in invoices], source=source, otp=fresh_code()
    )
    run()
    lines = list(PaymentInvoice.objects.filter(payment=payment).order_by("id"))
    assert all(line.posted_entry_id for line in lines), "the bank did not pay"
    return lines


def paid_goods(
    shop: Shop,  # noqa: F811 - the fixture
    run: Callable[[], int],
    *,
    price: int,
    qty: int = 1,
) -> PaymentInvoice:
    """Goods from the PKP vendor received, verified and paid from UP Tunai."""
    order: Order = received(shop, [(make_product("UMKM-0001", price=price), qty)])
    [line] = pay_and_settle([verified(order)], run)
    return line


__all__ = [
    "BENDAHARA",
    "BRI",
    "JUTA",
    "KPPN_019",
    "PPK",
    "PPSPM",
    "TREASURER_A",
    "TREASURER_BALANCE",
    "A",
    "B",
    "Bank",
    "Shop",
    "Span",
    "email",
    "fresh_code",
    "kppn_admin",
    "make_ppspm",
    "make_product",
    "paid_goods",
    "pay_and_settle",
    "user",
]
