"""Fixtures of the payment tests: the invoicing tests' world (orders of satker A walked through
the real services) and the real bank simulator on a loopback port, holding the treasurer's
account of satker A, the demo vendors' accounts and satker A's KKP card. Digipay's gateway
is pointed at it (``services.gateway_for``) with SNAP signatures and no sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from digipay.accounts.models import Organisation
from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.gateway import SnapBankGateway
from digipay.integrations.banks.profiles import BankProfile
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice
from digipay.payments import services
from digipay.payments.models import TreasurerAccount
from digipay.simulators.banksim import config_from_dict, create_app
from digipay.snap import signing
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from ..invoicing.conftest import (  # noqa: F401 - fixtures
    BENDAHARA,
    JUTA,
    PPK,
    A,
    Shop,
    _module_world,
    email,
    invoice_of,
    make_product,
    received,
    shop,
    user,
    world,
)
from ..simulators.conftest import CLIENT_ID, SECRET, live_server

BRI, BNI = "002", "009"
TREASURER_A = "034601000123307"
SINAR_BRI = "034601000456302"  # UMKM-0001 CV Sinar Jaya Abadi (PKP)
BERKAH_BNI = "0912345678"  # UMKM-0002 UD Berkah Tani Makmur
CARD_A = "BRI-KKP-415256-01"
TREASURER_BALANCE = 300 * JUTA


@dataclass
class Bank:
    url: str
    partner_private_pem: str
    bank_public_pem: str

    def gateway(self, bank: str) -> SnapBankGateway:
        profile = BankProfile(
            bank_code=bank,
            base_url=f"{self.url}/{bank}",
            partner_id=CLIENT_ID,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            private_key_pem=self.partner_private_pem,
            bank_public_key_pem=self.bank_public_pem,
            timeout_seconds=1.0,
        )
        http = httpx.Client(base_url=profile.base_url, timeout=1.0)
        return SnapBankGateway(SnapClient(profile, http=http), sleep=lambda _s: None)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=5.0)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def balance(self, bank: str, account_no: str) -> int:
        data = self.admin("GET", f"/admin/accounts/{bank}/{account_no}")
        return round(float(str(data.get("balance", data.get("account", {}).get("balance")))))

    def faults(self, **values: Any) -> None:
        self.admin("PUT", "/admin/faults", values)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/admin/faults")


@pytest.fixture(scope="module")
def _banksim() -> Iterator[Bank]:
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    config = {
        "database": ":memory:",
        "signingKey": {"privateKey": bank_private},
        "banks": [
            {"code": BRI, "name": "BANK RAKYAT INDONESIA", "shortName": "BRI"},
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
        ],
        "cards": [
            {
                "cardRef": CARD_A,
                "last4": "4821",
                "bank": BRI,
                "limit": f"{100 * JUTA}.00",
                "billAccountNo": TREASURER_A,
            }
        ],
        "faults": {"timeoutHoldSeconds": 1.5},
        "notifications": {"pollSeconds": 0.05, "retryBaseSeconds": 0.05, "retryMaxSeconds": 0.2},
    }
    with live_server(create_app(config_from_dict(config))) as url:
        yield Bank(url, partner_private, bank_public)


@pytest.fixture
def bank(
    _banksim: Bank,
    world: dict[str, Any],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Bank]:
    """The simulator, Digipay pointed at it, satker A's treasurer account registered and the
    demo vendors' primary accounts verified (as the account-name inquiry would)."""
    monkeypatch.setattr(services, "gateway_for", _banksim.gateway)
    satker = Organisation.objects.get(code=A)
    TreasurerAccount.objects.update_or_create(
        satker=satker, defaults={"bank_code": BRI, "account_no": TREASURER_A}
    )
    VendorBankAccount.objects.filter(is_primary=True, removed_at__isnull=True).update(
        status=BankAccountStatus.VERIFIED
    )
    _banksim.clear_faults()
    yield _banksim
    _banksim.clear_faults()


def verified(order: Any) -> Invoice:
    """The order's invoice, tested and found right by the PPK."""
    invoice = invoice_of(order)
    return invoicing.verify_invoice(user(PPK), invoice)


MPN_CLIENT, MPN_SECRET = "digipay", "payments-test-mpn-secret-0123456789"
RECEIVING_BRI = "000001990000021"  # payments.deposits.DEFAULT_RECEIVING_ACCOUNTS["002"]


@dataclass
class Mpn:
    url: str

    def client(self) -> Any:
        from digipay.integrations.mpn.client import MpnClient

        return MpnClient(self.url, MPN_CLIENT, MPN_SECRET, timeout=1.0)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=5.0)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def billings(self) -> list[dict[str, Any]]:
        data = self.admin("GET", "/admin/billings?limit=1000")
        return list(data["billings"] if isinstance(data, dict) else data)

    def faults(self, **values: Any) -> None:
        self.admin("PUT", "/admin/faults", values)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/admin/faults")


@pytest.fixture(scope="module")
def _mpnsim() -> Iterator[Mpn]:
    from digipay.simulators.mpnsim import config_from_dict as mpn_config
    from digipay.simulators.mpnsim import create_app as mpn_app

    config = mpn_config(
        {
            "clients": [{"clientId": MPN_CLIENT, "secret": MPN_SECRET}],
            "faults": {"timeoutHoldSeconds": 1.5},
        }
    )
    with live_server(mpn_app(config)) as url:
        yield Mpn(url)


@pytest.fixture
def mpn(_mpnsim: Mpn, bank: Bank, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mpn]:
    """The MPN simulator, Digipay's deposit worker pointed at it, and the state's receiving
    account opened at the treasurer's bank in the bank simulator."""
    from digipay.payments import deposits

    monkeypatch.setattr(deposits, "mpn_client", _mpnsim.client)
    bank.admin(
        "PUT",
        f"/admin/accounts/{BRI}/{RECEIVING_BRI}",
        {"name": "KAS NEGARA PENERIMAAN MPN BRI", "notify": False},
    )
    _mpnsim.admin("POST", "/admin/reset")
    yield _mpnsim
    _mpnsim.clear_faults()


@pytest.fixture
def run_worker() -> Callable[[], int]:
    """One pass of the outbox job, due rows made due now (no waiting for back-off)."""
    from django.utils import timezone

    from digipay.payments.models import BankInstruction
    from digipay.payments.rules import OPEN_STATUSES

    def run() -> int:
        BankInstruction.objects.filter(status__in=OPEN_STATUSES).update(
            next_attempt_at=timezone.now()
        )
        return services.send_due_instructions()

    return run


__all__ = [
    "BENDAHARA",
    "BERKAH_BNI",
    "BNI",
    "BRI",
    "CARD_A",
    "JUTA",
    "PPK",
    "RECEIVING_BRI",
    "SINAR_BRI",
    "TREASURER_A",
    "TREASURER_BALANCE",
    "A",
    "Bank",
    "Mpn",
    "Shop",
    "email",
    "make_product",
    "received",
    "user",
    "verified",
]
