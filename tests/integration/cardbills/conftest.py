"""Fixtures of the card bill tests: the payment tests' world and a bank simulator of its own —
the payments one plus BRI's card settlement account (where KKP bills are paid), so that a paid
bill frees the card's limit at the bank too. Digipay's gateway is pointed at it with a real
SNAP clock, so Digipay's own clock may be frozen at a later month to fetch a closed bill."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from digipay.accounts.models import Organisation
from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.gateway import SnapBankGateway
from digipay.integrations.banks.profiles import BankProfile
from digipay.payments import services as payments
from digipay.payments.models import TreasurerAccount
from digipay.simulators.banksim import config_from_dict, create_app
from digipay.snap import signing
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from ..payments.conftest import (  # noqa: F401 - fixtures
    BENDAHARA,
    BERKAH_BNI,
    BNI,
    BRI,
    CARD_A,
    JUTA,
    PPK,
    SINAR_BRI,
    TREASURER_A,
    TREASURER_BALANCE,
    A,
    Bank,
    Shop,
    _module_world,
    email,
    make_product,
    received,
    run_worker,
    shop,
    user,
    verified,
    world,
)
from ..simulators.conftest import CLIENT_ID, SECRET, live_server

SETTLEMENT_BRI = "000001990000013"
CARD_LIMIT = 100 * JUTA

__all__ = [
    "BENDAHARA",
    "BERKAH_BNI",
    "BNI",
    "BRI",
    "CARD_A",
    "CARD_LIMIT",
    "JUTA",
    "PPK",
    "SETTLEMENT_BRI",
    "SINAR_BRI",
    "TREASURER_A",
    "TREASURER_BALANCE",
    "A",
    "Bank",
    "CardBank",
    "Shop",
    "email",
    "make_product",
    "received",
    "user",
    "verified",
]


class CardBank(Bank):
    def gateway(self, bank: str) -> SnapBankGateway:
        """As the payments tests' gateway, but SNAP timestamps come from the real clock (the
        simulator checks them) whatever Digipay's clock says."""
        profile = BankProfile(
            bank_code=bank,
            base_url=f"{self.url}/{bank}",
            partner_id=CLIENT_ID,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            private_key_pem=self.partner_private_pem,
            bank_public_key_pem=self.bank_public_pem,
            timeout_seconds=2.0,
        )
        http = httpx.Client(base_url=profile.base_url, timeout=2.0)
        real = lambda: datetime.now(UTC)  # noqa: E731
        return SnapBankGateway(
            SnapClient(profile, http=http, now=real),
            sleep=lambda _s: None,
            today=real,
        )

    def available(self, card_ref: str = CARD_A) -> int:
        """The card's available limit as the bank reports it (on any month's bill)."""
        bill = self.gateway(BRI).card_bill(card_ref=card_ref, billing_month="2026-01")
        assert bill.available_limit_idr is not None
        return bill.available_limit_idr


@pytest.fixture
def _cardbank() -> Iterator[CardBank]:
    """A fresh simulator per test: a bill lists every charge of the card in the month, so
    one test's charges must not land on another's bill."""
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    config = {
        "database": ":memory:",
        "signingKey": {"privateKey": bank_private},
        "banks": [
            {
                "code": BRI,
                "name": "BANK RAKYAT INDONESIA",
                "shortName": "BRI",
                "cardSettlementAccountNo": SETTLEMENT_BRI,
            },
            {"code": BNI, "name": "BANK NEGARA INDONESIA", "shortName": "BNI"},
        ],
        "partners": [{"clientId": CLIENT_ID, "clientSecret": SECRET, "publicKey": partner_public}],
        "accounts": [
            {
                "bank": BRI,
                "accountNo": TREASURER_A,
                "name": "BPG 415256 SETDITJEN PERBENDAHARAAN",
                "balance": f"{TREASURER_BALANCE}.00",
            },
            {"bank": BRI, "accountNo": SINAR_BRI, "name": "CV SINAR JAYA ABADI", "balance": 0},
            {"bank": BNI, "accountNo": BERKAH_BNI, "name": "UD BERKAH TANI MAKMUR", "balance": 0},
            {
                "bank": BRI,
                "accountNo": SETTLEMENT_BRI,
                "name": "BRI PELUNASAN TAGIHAN KKP",
                "balance": 0,
                "notify": False,
            },
        ],
        "cards": [
            {
                "cardRef": CARD_A,
                "last4": "4821",
                "bank": BRI,
                "limit": f"{CARD_LIMIT}.00",
                "billAccountNo": TREASURER_A,
            }
        ],
        "notifications": {"pollSeconds": 0.05, "retryBaseSeconds": 0.05, "retryMaxSeconds": 0.2},
    }
    with live_server(create_app(config_from_dict(config))) as url:
        yield CardBank(url, partner_private, bank_public)


@pytest.fixture
def bank(
    _cardbank: CardBank,
    world: dict[str, Any],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CardBank]:
    """The simulator, Digipay pointed at it, satker A's treasurer account registered and the
    demo vendors' primary accounts verified."""
    monkeypatch.setattr(payments, "gateway_for", _cardbank.gateway)
    satker = Organisation.objects.get(code=A)
    TreasurerAccount.objects.update_or_create(
        satker=satker, defaults={"bank_code": BRI, "account_no": TREASURER_A}
    )
    VendorBankAccount.objects.filter(is_primary=True, removed_at__isnull=True).update(
        status=BankAccountStatus.VERIFIED
    )
    _cardbank.clear_faults()
    yield _cardbank
    _cardbank.clear_faults()


Run = Callable[[], int]
