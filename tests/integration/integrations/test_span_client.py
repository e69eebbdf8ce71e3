"""Digipay's SPAN client against the SPAN simulator running on loopback, with a bank simulator
behind it (both uvicorn in a thread on a free port): the happy path (submit, find, list, approve
with the SP2D credited, reject, TUP and PTUP), and each error class — rejected, unknown outcome
(resolved by asking, never by a blind resend), unavailable."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from digipay.integrations.span import client as span
from digipay.integrations.span.client import (
    BankAccount,
    CreditStatus,
    SpanClient,
    Spm,
    SpmInvoice,
    SpmKind,
    SpmRequest,
    SpmStatus,
)
from digipay.integrations.span.errors import (
    SpanError,
    SpanOutcomeUnknown,
    SpanRejected,
    SpanUnavailable,
)
from digipay.simulators.banksim import config_from_dict as bank_config
from digipay.simulators.banksim import create_app as bank_app
from digipay.simulators.spansim import config_from_dict, create_app
from digipay.snap import signing, values
from tests.integration.simulators.conftest import SATKER_BRI, Keys, base_config, live_server

CLIENT_ID, SECRET = "digipay", "client-test-span-secret-0123"
SATKER, KPPN = "415256", "019"
TREASURER = BankAccount("002", SATKER_BRI, "BPG 415256")


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


CLOCK = Clock()


def today() -> date:
    return datetime.fromtimestamp(CLOCK(), UTC).astimezone(values.WIB).date()


@pytest.fixture(scope="module")
def bank_url() -> Iterator[str]:
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    keys = Keys(
        signing.load_private_key(partner_private),
        partner_public,
        bank_private,
        signing.load_public_key(bank_public),
    )
    with live_server(bank_app(bank_config(base_config(keys)))) as url:
        yield url


@pytest.fixture(scope="module")
def server(bank_url: str) -> Iterator[str]:
    """The SPAN simulator on a free 127.0.0.1 port, crediting the bank simulator."""
    config = config_from_dict(
        {
            "clients": [{"clientId": CLIENT_ID, "secret": SECRET}],
            "bank": {"url": bank_url, "timeoutSeconds": 2, "retrySeconds": 3600},
        }
    )
    with live_server(create_app(config, clock=CLOCK)) as url:
        yield url


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=5) as http:
        http.post("/admin/reset")
        CLOCK.offset = 0.0
        yield http
        http.post("/admin/reset")
        CLOCK.offset = 0.0


@pytest.fixture
def client(server: str, admin: httpx.Client) -> Iterator[SpanClient]:
    with SpanClient(server, CLIENT_ID, SECRET, timeout=3.0) as c:
        yield c


def balance(bank_url: str, account_no: str = SATKER_BRI) -> int:
    with httpx.Client(base_url=bank_url) as http:
        response = http.get(f"/admin/accounts/002/{account_no}")
    assert response.status_code == 200, response.text
    return values.parse_amount(response.json()["balance"])


_numbers = iter(range(1, 10**6))


def invoice(gross: int = 1_110_000, **changes: Any) -> SpmInvoice:
    base = gross * 100 // 111
    taxes = {"411211": gross - base, "411122": base * 15 // 1000}
    data: dict[str, Any] = {
        "number": f"INV/{SATKER}/{next(_numbers):06d}",
        "vendor_name": "CV SINAR JAYA ABADI",
        "npwp": "0012345678901000",
        "akun": "521211",
        "gross_idr": gross,
        "net_idr": gross - sum(taxes.values()),
        "taxes_idr": taxes,
    }
    data.update(changes)
    return SpmInvoice(**data)


def request(kind: SpmKind = SpmKind.GUP, **changes: Any) -> SpmRequest:
    invoices = () if kind == SpmKind.TUP else (invoice(1_110_000), invoice(2_220_000))
    data: dict[str, Any] = {
        "kind": kind,
        "satker_code": SATKER,
        "kppn_code": KPPN,
        "spm_number": f"{next(_numbers):05d}/{kind}/{SATKER}",
        "spm_date": today(),
        "fiscal_year": today().year,
        "amount_idr": sum(i.gross_idr for i in invoices) if invoices else 40_000_000,
        "beneficiary": TREASURER,
        "ppspm_signature": "TTE-PPSPM-0001",
        "invoices": invoices,
    }
    data.update(changes)
    return SpmRequest(**data)


def faults(admin: httpx.Client, **settings: Any) -> None:
    response = admin.put("/admin/faults", json=settings)
    assert response.status_code == 200, response.text


def count(admin: httpx.Client) -> int:
    result: int = admin.get("/admin/spms").json()["count"]
    return result


# --- signature and configuration ---------------------------------------------------------------


def test_the_signature_matches_the_documented_vector() -> None:
    signature = span.sign(
        "demo-only-span-Hq4mW8tZr2Lx6VbN9cKp",
        "POST",
        "/v1/spms/SPM-00000001/approve",
        "2026-11-28T09:00:00.000+07:00",
        b'{"kppnCode":"019","userId":"kppn.019.a"}',
    )
    assert signature == "b793d2314e0c79d450dc98016933013535dacddad311be862ef0244909ef8451"


@override_settings(DIGIPAY_SPAN_CLIENT_ID="digipay", DIGIPAY_SPAN_SECRET="")
def test_a_client_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="DIGIPAY_SPAN_SECRET"):
        SpanClient.from_settings()


# --- happy path --------------------------------------------------------------------------------


def test_submit_find_list_approve_credits_the_treasurer(client: SpanClient, bank_url: str) -> None:
    before = balance(bank_url)
    req = request()
    spm = client.submit_spm(req)
    assert isinstance(spm, Spm)
    assert spm.status is SpmStatus.SUBMITTED
    assert spm.kind is SpmKind.GUP
    assert spm.matches(req)
    assert spm.amount_idr == 3_330_000
    assert spm.tax_total_idr == sum(sum(i.taxes_idr.values()) for i in req.invoices)
    assert spm.invoices == req.invoices
    assert spm.submitted_at.tzinfo is not None
    assert spm.credit is None
    assert client.submit_spm(req) == spm  # idempotent
    assert client.get_spm(spm.spm_id) == spm
    assert client.find_spm(SATKER, req.spm_number) == spm
    assert client.find_spm(SATKER, "NEVER-SENT") is None
    waiting = client.list_spms(kppn_code=KPPN, status=SpmStatus.SUBMITTED)
    assert [s.spm_id for s in waiting] == [spm.spm_id]
    assert client.list_spms(kppn_code="020") == []

    approved = client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="kppn.019.a")
    assert approved.status is SpmStatus.APPROVED
    assert approved.sp2d_number is not None
    assert len(approved.sp2d_number) == 15
    assert approved.sp2d_date == today()
    assert approved.decided_by == "kppn.019.a"
    assert approved.credit is not None
    assert approved.credit.status is CreditStatus.CREDITED
    assert approved.credited
    assert approved.credit.remark == f"SP2D {approved.sp2d_number}"
    assert approved.credit.bank_reference
    assert balance(bank_url) == before + 3_330_000
    assert client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="other") == approved
    assert client.retry_credit(spm.spm_id) == approved
    assert balance(bank_url) == before + 3_330_000
    assert client.list_spms(status="APPROVED", satker_code=SATKER) == [approved]


def test_reject(client: SpanClient) -> None:
    spm = client.submit_spm(request())
    rejected = client.reject_spm(
        spm.spm_id, kppn_code=KPPN, user_id="kppn.019.b", reason="Kuitansi belum lengkap"
    )
    assert rejected.status is SpmStatus.REJECTED
    assert rejected.rejection_reason == "Kuitansi belum lengkap"
    assert rejected.credit is None
    again = client.reject_spm(spm.spm_id, kppn_code=KPPN, user_id="x", reason="lagi")
    assert again == rejected


def test_tup_due_date_and_its_ptup(client: SpanClient, bank_url: str) -> None:
    before = balance(bank_url)
    tup = client.submit_spm(request(SpmKind.TUP))
    assert tup.invoices == ()
    tup = client.approve_spm(tup.spm_id, kppn_code=KPPN, user_id="kppn.019.a")
    assert tup.tup is not None
    assert tup.tup.due_date.month == today().month % 12 + 1
    assert not tup.tup.overdue
    assert balance(bank_url) == before + 40_000_000
    CLOCK.offset = 40 * 24 * 3600
    overdue = client.get_spm(tup.spm_id).tup
    assert overdue is not None
    assert overdue.overdue
    CLOCK.offset = 0
    ptup = client.submit_spm(
        request(
            SpmKind.PTUP,
            tup_sp2d_number=tup.sp2d_number,
            invoices=(invoice(30_000_000),),
            amount_idr=30_000_000,
        )
    )
    ptup = client.approve_spm(ptup.spm_id, kppn_code=KPPN, user_id="kppn.019.a")
    assert ptup.credit is not None
    assert ptup.credit.status is CreditStatus.NONE
    accounted = client.get_spm(tup.spm_id).tup
    assert accounted is not None
    assert accounted.accounted_by_sp2d_number == ptup.sp2d_number
    assert balance(bank_url) == before + 40_000_000


def test_module_functions_use_the_settings(server: str, admin: httpx.Client) -> None:
    with override_settings(
        DIGIPAY_SPAN_URL=server, DIGIPAY_SPAN_CLIENT_ID=CLIENT_ID, DIGIPAY_SPAN_SECRET=SECRET
    ):
        req = request()
        spm = span.submit_spm(req)
        assert span.get_spm(spm.spm_id) == spm
        assert span.find_spm(SATKER, req.spm_number) == spm
        assert span.list_spms(kppn_code=KPPN) == [spm]
        other = span.submit_spm(request())
        assert span.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u").credited
        assert span.retry_credit(spm.spm_id).credited
        rejected = span.reject_spm(other.spm_id, kppn_code=KPPN, user_id="u", reason="x")
        assert rejected.status is SpmStatus.REJECTED


# --- rejected ----------------------------------------------------------------------------------


def _rejected(call: Any, code: str) -> SpanRejected:
    with pytest.raises(SpanRejected) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert caught.value.status is not None
    assert 400 <= caught.value.status < 500
    return caught.value


def test_rejections_carry_the_span_code(client: SpanClient, admin: httpx.Client) -> None:
    error = _rejected(lambda: client.submit_spm(request(satker_code="41")), "INVALID_FIELD")
    assert error.field == "satkerCode"
    assert error.status == 422
    mismatch = request(amount_idr=3_330_001)
    _rejected(lambda: client.submit_spm(mismatch), "AMOUNT_MISMATCH")
    bad_net = request(invoices=(invoice(net_idr=1),), amount_idr=1_110_000)
    _rejected(lambda: client.submit_spm(bad_net), "INVOICE_NET_MISMATCH")

    req = request()
    spm = client.submit_spm(req)
    _rejected(
        lambda: client.submit_spm(dataclasses.replace(req, ppspm_signature="X")), "SPM_CONFLICT"
    )
    claimed = request(invoices=req.invoices)
    _rejected(lambda: client.submit_spm(claimed), "INVOICE_ALREADY_CLAIMED")
    _rejected(lambda: client.approve_spm(spm.spm_id, kppn_code="020", user_id="u"), "WRONG_KPPN")
    client.reject_spm(spm.spm_id, kppn_code=KPPN, user_id="u", reason="x")
    error = _rejected(
        lambda: client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u"), "INVALID_STATE"
    )
    assert error.status == 409
    _rejected(lambda: client.get_spm("SPM-99999999"), "SPM_NOT_FOUND")
    ptup = request(SpmKind.PTUP, tup_sp2d_number="260193000000009")
    _rejected(lambda: client.submit_spm(ptup), "TUP_NOT_FOUND")
    assert count(admin) == 1


def test_a_wrong_secret_or_clock_is_rejected(server: str, admin: httpx.Client) -> None:
    with SpanClient(server, CLIENT_ID, "not-the-secret-0123456789") as wrong:
        assert _rejected(lambda: wrong.submit_spm(request()), "UNAUTHORIZED").status == 401
    late = datetime.fromtimestamp(time.time() - 600, UTC)
    with SpanClient(server, CLIENT_ID, SECRET, now=lambda: late) as skewed:
        _rejected(lambda: skewed.list_spms(), "UNAUTHORIZED")


def test_a_failed_credit_is_retried_on_request(
    client: SpanClient, bank_url: str, admin: httpx.Client
) -> None:
    account = BankAccount("002", "034601000888309", "BPG 415256 BARU")
    spm = client.submit_spm(request(beneficiary=account))
    approved = client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u")
    assert approved.credit is not None
    assert approved.credit.status is CreditStatus.FAILED
    assert approved.credit.last_error
    with httpx.Client(base_url=bank_url) as http:
        http.put("/admin/accounts/002/034601000888309", json={"name": "BPG 415256 BARU"})
    credited = client.retry_credit(spm.spm_id)
    assert credited.credited
    assert client.retry_credit(spm.spm_id) == credited
    assert balance(bank_url, "034601000888309") == 3_330_000


# --- unknown outcome, resolved by asking -------------------------------------------------------


def test_a_submission_timeout_is_resolved_by_finding_the_spm(
    server: str, admin: httpx.Client
) -> None:
    with SpanClient(server, CLIENT_ID, SECRET, timeout=0.3) as client:
        faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=1.0, operations=["submit"])
        req = request()
        spm = client.submit_spm(req)  # timed out, then found by number: no exception
        assert spm.status is SpmStatus.SUBMITTED
        assert spm.matches(req)
        assert count(admin) == 1


def test_a_submission_5xx_with_nothing_found_is_unknown(
    client: SpanClient, admin: httpx.Client
) -> None:
    faults(admin, errorBeforeExecutionShare=1, operations=["submit"])
    req = request()
    with pytest.raises(SpanOutcomeUnknown) as caught:
        client.submit_spm(req)
    assert caught.value.status == 500
    assert caught.value.code == "INTERNAL_ERROR"
    assert client.find_spm(SATKER, req.spm_number) is None
    admin.delete("/admin/faults")
    assert client.submit_spm(req).status is SpmStatus.SUBMITTED  # sent again after asking


def test_an_unknown_submission_that_finds_other_data_is_a_conflict(
    client: SpanClient, admin: httpx.Client
) -> None:
    req = request()
    client.submit_spm(req)
    faults(admin, errorBeforeExecutionShare=1, operations=["submit"])
    other = dataclasses.replace(req, ppspm_signature="TTE-LAIN")
    _rejected(lambda: client.submit_spm(other), "SPM_CONFLICT")


def test_an_approval_timeout_is_resolved_by_reading_the_spm(
    server: str, admin: httpx.Client, bank_url: str
) -> None:
    before = balance(bank_url)
    with SpanClient(server, CLIENT_ID, SECRET, timeout=0.5) as client:
        spm = client.submit_spm(request())
        faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=1.5, operations=["approve"])
        approved = client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u")
        assert approved.status is SpmStatus.APPROVED
        assert approved.credited
    assert balance(bank_url) == before + 3_330_000


def test_an_approval_5xx_leaves_it_submitted_and_unknown(
    client: SpanClient, admin: httpx.Client
) -> None:
    spm = client.submit_spm(request())
    faults(admin, errorBeforeExecutionShare=1, operations=["approve", "reject"])
    with pytest.raises(SpanOutcomeUnknown):
        client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u")
    with pytest.raises(SpanOutcomeUnknown):
        client.reject_spm(spm.spm_id, kppn_code=KPPN, user_id="u", reason="x")
    assert client.get_spm(spm.spm_id).status is SpmStatus.SUBMITTED
    admin.delete("/admin/faults")
    assert client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u").credited


def test_unknown_when_span_cannot_be_asked_either(client: SpanClient, admin: httpx.Client) -> None:
    spm = client.submit_spm(request())
    faults(admin, errorBeforeExecutionShare=1, operations=["approve", "get"])
    with pytest.raises(SpanOutcomeUnknown) as caught:
        client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u")
    assert isinstance(caught.value.__cause__, SpanUnavailable)


def test_a_held_504_is_resolved_too(client: SpanClient, admin: httpx.Client) -> None:
    faults(admin, timeoutAfterExecutionShare=1, timeoutHoldSeconds=0.05, operations=["submit"])
    req = request()
    assert client.submit_spm(req).matches(req)


def test_a_failed_read_is_unavailable_not_unknown(client: SpanClient, admin: httpx.Client) -> None:
    spm = client.submit_spm(request())
    faults(admin, errorBeforeExecutionShare=1, operations=["get", "list"])
    with pytest.raises(SpanUnavailable) as caught:
        client.get_spm(spm.spm_id)
    assert not isinstance(caught.value, SpanOutcomeUnknown)
    with pytest.raises(SpanUnavailable):
        client.find_spm(SATKER, spm.spm_number)
    with pytest.raises(SpanUnavailable):
        client.list_spms()


def test_an_unreadable_answer_is_unknown_for_a_write() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    http = httpx.Client(base_url="http://span.test", transport=transport)
    with SpanClient("http://span.test", CLIENT_ID, SECRET, http=http) as client:
        with pytest.raises(SpanOutcomeUnknown):
            client.approve_spm("SPM-00000001", kppn_code=KPPN, user_id="u")
        with pytest.raises(SpanUnavailable):
            client.get_spm("SPM-00000001")


# --- unavailable -------------------------------------------------------------------------------


def test_an_outage_is_unavailable(client: SpanClient, admin: httpx.Client) -> None:
    spm = client.submit_spm(request())
    faults(admin, outageSeconds=60)
    for call in (
        lambda: client.submit_spm(request()),
        lambda: client.get_spm(spm.spm_id),
        lambda: client.approve_spm(spm.spm_id, kppn_code=KPPN, user_id="u"),
    ):
        with pytest.raises(SpanUnavailable) as caught:
            call()
        assert caught.value.status == 503
    faults(admin, outageSeconds=0)
    assert client.get_spm(spm.spm_id).status is SpmStatus.SUBMITTED


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SpanClient(f"http://127.0.0.1:{port}", CLIENT_ID, SECRET, timeout=1.0) as client:
        with pytest.raises(SpanUnavailable) as caught:
            client.submit_spm(request())
        assert caught.value.code == "unreachable"


def test_every_error_is_a_span_error() -> None:
    for cls in (SpanRejected, SpanUnavailable, SpanOutcomeUnknown):
        assert issubclass(cls, SpanError)
    assert not issubclass(SpanOutcomeUnknown, SpanUnavailable)
