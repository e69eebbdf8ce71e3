"""Digipay's MPN client against the MPN simulator running on loopback (uvicorn in a thread on a
free port, as the bank simulator's tests do): the happy path, and each error class — rejected,
unknown outcome (resolved by asking, never by a blind retry), unavailable."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from digipay.integrations.mpn import client as mpn
from digipay.integrations.mpn.client import (
    Billing,
    BillingRequest,
    BillingStatus,
    MpnClient,
    deposit_codes,
)
from digipay.integrations.mpn.errors import (
    MpnError,
    MpnOutcomeUnknown,
    MpnRejected,
    MpnUnavailable,
)
from digipay.simulators.mpnsim import config_from_dict, create_app

CLIENT_ID, SECRET = "digipay", "client-test-secret-0123456789"
NPWP = "0012345678901000"
WEEK = 7 * 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


CLOCK = Clock()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The simulator served by uvicorn on a free 127.0.0.1 port; yields the base URL."""
    config = config_from_dict({"clients": [{"clientId": CLIENT_ID, "secret": SECRET}]})
    app = create_app(config, clock=CLOCK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, access_log=False)
    )
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=5) as http:
        http.post("/admin/reset")
        CLOCK.offset = 0.0
        yield http
        http.post("/admin/reset")
        CLOCK.offset = 0.0


@pytest.fixture
def client(server: str, admin: httpx.Client) -> Iterator[MpnClient]:
    with MpnClient(server, CLIENT_ID, SECRET, timeout=2.0, now=CLOCK.now) as c:
        yield c


_refs = iter(range(1, 10**6))


def request(tax: str = "PPH22", **changes: Any) -> BillingRequest:
    account, deposit_type = deposit_codes(tax)
    data: dict[str, Any] = {
        "reference": f"DEP-{next(_refs):06d}",
        "npwp": NPWP,
        "nitku": NPWP + "000000",
        "name": "CV SINAR JAYA ABADI",
        "tax_account": account,
        "deposit_type": deposit_type,
        "period_month": 11,
        "period_year": 2025,
        "amount_idr": 150_000,
    }
    data.update(changes)
    return BillingRequest(**data)


def faults(admin: httpx.Client, **settings: Any) -> None:
    response = admin.put("/admin/faults", json=settings)
    assert response.status_code == 200, response.text


# --- signature and configuration ---------------------------------------------------------------


def test_the_signature_matches_the_documented_vector() -> None:
    body = (
        b'{"billingCode":"012345678901237","amount":150000,"bankCode":"002",'
        b'"bankReference":"TRX-0001"}'
    )
    signature = mpn.sign(
        "demo-only-mpn-7Qx2vK9pLmR4tZ8wYc3N",
        "POST",
        "/v1/payments",
        "2026-11-28T09:00:00.000+07:00",
        body,
    )
    assert signature == "62a3e2fdd97a08e5361cbcb8baeed917d2b04333a872795e9b2ad57b7db74c7b"


def test_deposit_codes_of_each_tax() -> None:
    assert deposit_codes("PPH22") == ("411122", "100")
    assert deposit_codes("PPH23") == ("411124", "104")
    assert deposit_codes("PPH_FINAL") == ("411128", "423")
    assert deposit_codes("PPN") == ("411211", "900")
    with pytest.raises(ValueError, match="BPHTB"):
        deposit_codes("BPHTB")


@override_settings(DIGIPAY_MPN_CLIENT_ID="digipay", DIGIPAY_MPN_SECRET="")
def test_a_client_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="DIGIPAY_MPN_SECRET"):
        MpnClient.from_settings()


# --- happy path --------------------------------------------------------------------------------


@pytest.mark.parametrize("tax", ["PPH22", "PPH23", "PPH_FINAL", "PPN"])
def test_create_status_pay_for_each_tax(client: MpnClient, tax: str) -> None:
    billing = client.create_billing(request(tax, amount_idr=1_100_000))
    assert isinstance(billing, Billing)
    assert billing.status is BillingStatus.UNPAID
    assert len(billing.billing_code) == 15
    assert billing.billing_code[0] in "0123"
    assert billing.tax_account == deposit_codes(tax)[0]
    assert billing.amount_idr == 1_100_000
    assert billing.expires_at.tzinfo is not None
    assert (billing.expires_at - billing.created_at).total_seconds() == pytest.approx(WEEK)
    assert billing.ntpn is None
    assert not billing.paid
    assert client.billing_status(billing.billing_code) == billing

    paid = client.pay_billing(
        billing.billing_code, amount_idr=1_100_000, bank_code="002", bank_reference="TRX-1"
    )
    assert paid.status is BillingStatus.PAID
    assert paid.paid
    assert paid.ntpn is not None
    assert len(paid.ntpn) == 16
    assert paid.ntpn.isalnum()
    assert paid.ntb is not None
    assert paid.ntb.startswith("002")
    assert paid.paid_at is not None
    assert paid.bank_reference == "TRX-1"
    assert client.billing_status(billing.billing_code) == paid


def test_both_writes_are_idempotent(client: MpnClient) -> None:
    req = request()
    billing = client.create_billing(req)
    assert client.create_billing(req) == billing
    assert client.billing_by_reference(req.reference) == billing
    assert client.billing_by_reference("NEVER-SENT") is None
    args: dict[str, Any] = {"amount_idr": 150_000, "bank_code": "008", "bank_reference": "T-9"}
    first = client.pay_billing(billing.billing_code, **args)
    assert client.pay_billing(billing.billing_code, **args) == first


def test_module_functions_use_the_settings(server: str, admin: httpx.Client) -> None:
    with override_settings(
        DIGIPAY_MPN_URL=server, DIGIPAY_MPN_CLIENT_ID=CLIENT_ID, DIGIPAY_MPN_SECRET=SECRET
    ):
        billing = mpn.create_billing(request())
        assert mpn.billing_status(billing.billing_code) == billing
        assert mpn.billing_by_reference(billing.reference) == billing
        paid = mpn.pay_billing(
            billing.billing_code, amount_idr=150_000, bank_code="009", bank_reference="X-1"
        )
        assert paid.paid


# --- rejected ----------------------------------------------------------------------------------


def _rejected(call: Any, code: str) -> MpnRejected:
    with pytest.raises(MpnRejected) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert caught.value.status is not None
    assert 400 <= caught.value.status < 500
    return caught.value


def test_rejections_carry_the_mpn_code(client: MpnClient) -> None:
    error = _rejected(lambda: client.create_billing(request(amount_idr=0)), "INVALID_FIELD")
    assert error.field == "amount"
    assert error.status == 422
    error = _rejected(lambda: client.create_billing(request(tax_account="411999")), "INVALID_FIELD")
    assert error.field == "taxAccount"

    req = request()
    billing = client.create_billing(req)
    conflict = dataclasses.replace(req, amount_idr=1)
    _rejected(lambda: client.create_billing(conflict), "REFERENCE_CONFLICT")

    code = billing.billing_code
    _rejected(
        lambda: client.pay_billing(code, amount_idr=1, bank_code="002", bank_reference="A"),
        "AMOUNT_MISMATCH",
    )
    client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="A")
    _rejected(
        lambda: client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="B"),
        "ALREADY_PAID",
    )
    other = client.create_billing(request()).billing_code
    _rejected(
        lambda: client.pay_billing(other, amount_idr=150_000, bank_code="002", bank_reference="A"),
        "BANK_REFERENCE_CONFLICT",
    )
    _rejected(lambda: client.billing_status("012345678901237"), "BILLING_NOT_FOUND")


def test_an_expired_billing_is_rejected(client: MpnClient) -> None:
    code = client.create_billing(request()).billing_code
    CLOCK.offset = WEEK + 10
    assert client.billing_status(code).status is BillingStatus.EXPIRED
    _rejected(
        lambda: client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="E"),
        "BILLING_EXPIRED",
    )


def test_a_wrong_secret_or_clock_is_rejected(server: str, admin: httpx.Client) -> None:
    with MpnClient(server, CLIENT_ID, "not-the-secret-0123456789") as wrong:
        assert _rejected(lambda: wrong.create_billing(request()), "UNAUTHORIZED").status == 401
    late = datetime.fromtimestamp(time.time() - 600, UTC)
    with MpnClient(server, CLIENT_ID, SECRET, now=lambda: late) as skewed:
        _rejected(lambda: skewed.billing_status("012345678901237"), "UNAUTHORIZED")


# --- unknown outcome ---------------------------------------------------------------------------


def test_a_payment_timeout_is_an_unknown_outcome_resolved_by_status(
    server: str, admin: httpx.Client
) -> None:
    with MpnClient(server, CLIENT_ID, SECRET, timeout=0.3, now=CLOCK.now) as client:
        code = client.create_billing(request()).billing_code
        faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=1.0, operations=["pay"])
        with pytest.raises(MpnOutcomeUnknown) as caught:
            client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="T-1")
        assert caught.value.code == "timeout"
        # Resolution: ask. PAID with our reference: the payment was recorded.
        status = client.billing_status(code)
        assert status.paid
        assert status.bank_reference == "T-1"
        admin.delete("/admin/faults")
        again = client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="T-1")
        assert again.ntpn == status.ntpn


def test_a_creation_timeout_is_resolved_by_reference(server: str, admin: httpx.Client) -> None:
    with MpnClient(server, CLIENT_ID, SECRET, timeout=0.3, now=CLOCK.now) as client:
        faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=1.0, operations=["create"])
        req = request()
        with pytest.raises(MpnOutcomeUnknown):
            client.create_billing(req)
        found = client.billing_by_reference(req.reference)
        assert found is not None
        assert found.status is BillingStatus.UNPAID


def test_a_5xx_is_an_unknown_outcome_and_status_shows_unpaid(
    client: MpnClient, admin: httpx.Client
) -> None:
    code = client.create_billing(request()).billing_code
    faults(admin, errorBeforeExecutionShare=1)
    with pytest.raises(MpnOutcomeUnknown) as caught:
        client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="F-1")
    assert caught.value.status == 500
    assert caught.value.code == "INTERNAL_ERROR"
    req = request()
    with pytest.raises(MpnOutcomeUnknown):
        client.create_billing(req)
    assert client.billing_status(code).status is BillingStatus.UNPAID
    assert client.billing_by_reference(req.reference) is None
    admin.delete("/admin/faults")
    assert client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="F-1").paid


def test_a_held_504_is_an_unknown_outcome(client: MpnClient, admin: httpx.Client) -> None:
    faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=0.05)
    req = request()
    with pytest.raises(MpnOutcomeUnknown) as caught:
        client.create_billing(req)
    assert caught.value.status == 504
    admin.delete("/admin/faults")
    assert client.billing_by_reference(req.reference) is not None


def test_a_failed_read_is_unavailable_not_unknown(client: MpnClient, admin: httpx.Client) -> None:
    code = client.create_billing(request()).billing_code
    faults(admin, errorBeforeExecutionShare=1, operations=["status", "lookup"])
    with pytest.raises(MpnUnavailable) as caught:
        client.billing_status(code)
    assert not isinstance(caught.value, MpnOutcomeUnknown)
    with pytest.raises(MpnUnavailable):
        client.billing_by_reference("ANY")


def test_an_unreadable_answer_is_unknown_for_a_write() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    http = httpx.Client(base_url="http://mpn.test", transport=transport)
    with MpnClient("http://mpn.test", CLIENT_ID, SECRET, http=http) as client:
        with pytest.raises(MpnOutcomeUnknown):
            client.pay_billing("012345678901237", amount_idr=1, bank_code="002", bank_reference="U")
        with pytest.raises(MpnUnavailable):
            client.billing_status("012345678901237")


# --- unavailable -------------------------------------------------------------------------------


def test_an_outage_is_unavailable(client: MpnClient, admin: httpx.Client) -> None:
    code = client.create_billing(request()).billing_code
    faults(admin, outageSeconds=60)
    for call in (
        lambda: client.create_billing(request()),
        lambda: client.billing_status(code),
        lambda: client.pay_billing(code, amount_idr=150_000, bank_code="002", bank_reference="O"),
    ):
        with pytest.raises(MpnUnavailable) as caught:
            call()
        assert caught.value.status == 503
    faults(admin, outageSeconds=0)
    assert client.billing_status(code).status is BillingStatus.UNPAID


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with MpnClient(f"http://127.0.0.1:{port}", CLIENT_ID, SECRET, timeout=1.0) as client:
        with pytest.raises(MpnUnavailable) as caught:
            client.pay_billing("012345678901237", amount_idr=1, bank_code="002", bank_reference="N")
        assert caught.value.code == "unreachable"


def test_every_error_is_an_mpn_error() -> None:
    for cls in (MpnRejected, MpnUnavailable, MpnOutcomeUnknown):
        assert issubclass(cls, MpnError)
    assert not issubclass(MpnOutcomeUnknown, MpnUnavailable)
