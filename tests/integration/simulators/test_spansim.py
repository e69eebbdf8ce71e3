"""The SPAN simulator over real HTTP on loopback, with a real bank simulator beside it (its own
uvicorn on a fixed free port, so that it can be stopped and started again): SPM submission,
validation, idempotency, the KPPN's decision, the SP2D and its credit to the treasurer's account
exactly once (bank down, bank answer lost, bank refusing), TUP due dates and PTUP, signatures,
faults, configuration and the process. No Django database: both simulators keep their own
SQLite (``:memory:`` here)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from digipay.simulators.banksim import config_from_dict as bank_config
from digipay.simulators.banksim import create_app as bank_app
from digipay.simulators.spansim import (
    ConfigError,
    config_from_dict,
    create_app,
    load_config,
    sign,
    string_to_sign,
)
from digipay.simulators.spansim.__main__ import main
from digipay.simulators.spansim.config import DEMO_CONFIG
from digipay.simulators.spansim.store import add_months
from digipay.snap import values

from .conftest import SATKER_BRI, Keys, base_config, live_client

CLIENT_ID, SECRET = "digipay", "test-span-secret-0123456789"
OTHER_ID, OTHER_SECRET = "other", "other-span-secret-0123456789"
SATKER, KPPN = "415256", "019"
TREASURER = {"bankCode": "002", "accountNo": SATKER_BRI, "accountName": "BPG 415256"}
OPENING = 500_000_000  # the treasurer's balance in conftest.base_config
NPWP = "0012345678901000"
DAY = 24 * 3600
SP2D = re.compile(r"\d{15}")

# Pinned vector (docs/spansim.md), checked with `openssl dgst -sha256 -hmac`.
VECTOR_PATH = "/v1/spms/SPM-00000001/approve"
VECTOR_BODY = b'{"kppnCode":"019","userId":"kppn.019.a"}'
VECTOR_SIGNATURE = "b793d2314e0c79d450dc98016933013535dacddad311be862ef0244909ef8451"


class Clock:
    """Wall time plus an offset the test moves (epoch seconds, as the simulator wants)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def today(clock: Callable[[], float] = time.time) -> date:
    return datetime.fromtimestamp(clock(), UTC).astimezone(values.WIB).date()


def _sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """The test's own implementation of the documented signature (not the simulator's)."""
    digest = hashlib.sha256(body).hexdigest()
    message = f"{method}\n{path}\n{timestamp}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- the bank simulator, stoppable ---------------------------------------------------------------


class BankServer:
    """The bank simulator on a fixed loopback port that can be stopped and started again (its
    state lives in the app, so balances survive). One server per module; each test installs a
    fresh bank app (its notifier is not started: the test banks send no notifications).
    ``hold_seconds`` makes ``POST /admin/credits`` book the credit, then hold the answer: an
    answer lost after execution."""

    def __init__(self) -> None:
        self.app: Starlette | None = None
        self.hold_seconds = 0.0
        self.credit_posts = 0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def install(self, app: Starlette) -> None:
        self.app = app
        self.hold_seconds = 0.0
        self.credit_posts = 0
        if self._server is None:
            self.start()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = "startup" if message["type"] == "lifespan.startup" else "shutdown"
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        assert self.app is not None
        if scope["type"] == "http" and scope["path"] == "/admin/credits":
            self.credit_posts += 1
            if self.hold_seconds:
                messages: list[Any] = []

                async def capture(message: Any) -> None:
                    messages.append(message)

                await self.app(scope, receive, capture)
                await asyncio.sleep(self.hold_seconds)
                for message in messages:
                    await send(message)
                return
        await self.app(scope, receive, send)

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(
            self, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "uvicorn did not start"
        self._server, self._thread, self._sock = server, thread, sock

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None
        assert self._sock is not None
        self._thread.join(timeout=5)
        self._sock.close()
        self._server = None

    def account(self, account_no: str = SATKER_BRI, bank: str = "002") -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=5) as http:
            response = http.get(f"/admin/accounts/{bank}/{account_no}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def balance(self, account_no: str = SATKER_BRI) -> int:
        return values.parse_amount(self.account(account_no)["balance"])

    def sp2d_credits(self, account_no: str = SATKER_BRI) -> list[dict[str, Any]]:
        return [
            e
            for e in self.account(account_no)["entries"]
            if e["description"].startswith("SP2D ") and e["creditDebitIndicator"] == "CRDT"
        ]


@pytest.fixture(scope="module")
def _bank_server() -> Iterator[BankServer]:
    server = BankServer()
    yield server
    server.stop()


@pytest.fixture
def bank(_bank_server: BankServer, keys: Keys) -> BankServer:
    _bank_server.install(bank_app(bank_config(base_config(keys))))
    return _bank_server


# --- the SPAN simulator ------------------------------------------------------------------------


class Span:
    def __init__(self, http: httpx.Client, clock: Callable[[], float]) -> None:
        self.http = http
        self.clock = clock
        self._numbers = 0
        self._invoices = 0

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content: bytes | None = None,
        client_id: str = CLIENT_ID,
        secret: str = SECRET,
        timestamp: str | None = None,
        signed_path: str | None = None,
        signed_body: bytes | None = None,
        drop: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        if content is None:
            content = b"" if body is None else json.dumps(body).encode()
        timestamp = timestamp or values.format_timestamp(datetime.now(UTC))
        headers = {
            "X-CLIENT-ID": client_id,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": _sign(
                secret,
                method,
                signed_path or path,
                timestamp,
                content if signed_body is None else signed_body,
            ),
            "Content-Type": "application/json",
        }
        if drop:
            del headers[drop]
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        return self.http.request(method, path, content=content, headers=headers, **extra)

    def invoice(self, gross: int = 1_110_000, **changes: Any) -> dict[str, Any]:
        self._invoices += 1
        base = gross * 100 // 111  # DPP of a price with 11% PPN
        ppn, pph22 = gross - base, base * 15 // 1000
        data: dict[str, Any] = {
            "number": f"INV/{SATKER}/2026/{self._invoices:05d}",
            "vendorName": "CV SINAR JAYA ABADI",
            "npwp": NPWP,
            "akun": "521211",
            "gross": gross,
            "taxes": {"411211": ppn, "411122": pph22},
            "net": gross - ppn - pph22,
        }
        data.update(changes)
        return data

    def body(self, kind: str = "GUP", **changes: Any) -> dict[str, Any]:
        self._numbers += 1
        invoices = [] if kind == "TUP" else [self.invoice(1_110_000), self.invoice(2_220_000)]
        data: dict[str, Any] = {
            "kind": kind,
            "satkerCode": SATKER,
            "kppnCode": KPPN,
            "spmNumber": f"{self._numbers:05d}/{kind}/{SATKER}/2026",
            "spmDate": today(self.clock).isoformat(),
            "fiscalYear": today(self.clock).year,
            "amount": sum(i["gross"] for i in invoices) if invoices else 50_000_000,
            "beneficiary": dict(TREASURER),
            "invoices": invoices,
            "ppspmSignature": "TTE-PPSPM-415256-0001",
        }
        if kind == "TUP":
            del data["invoices"]
        data.update(changes)
        return data

    def submit(self, body: dict[str, Any] | None = None, **changes: Any) -> httpx.Response:
        return self.call("POST", "/v1/spms", body if body is not None else self.body(**changes))

    def submitted(self, kind: str = "GUP", **changes: Any) -> dict[str, Any]:
        response = self.submit(self.body(kind, **changes))
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    def get(self, spm_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", f"/v1/spms/{spm_id}", **kwargs)

    def approve(
        self, spm_id: str, kppn: str = KPPN, user: str = "kppn.019.a", **kwargs: Any
    ) -> httpx.Response:
        body = {"kppnCode": kppn, "userId": user}
        return self.call("POST", f"/v1/spms/{spm_id}/approve", body, **kwargs)

    def approved(self, spm_id: str, kppn: str = KPPN) -> dict[str, Any]:
        response = self.approve(spm_id, kppn)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    def reject(
        self, spm_id: str, reason: str = "Lampiran kuitansi tidak lengkap", **kwargs: Any
    ) -> httpx.Response:
        body = {"kppnCode": KPPN, "userId": "kppn.019.b", "reason": reason}
        return self.call("POST", f"/v1/spms/{spm_id}/reject", body, **kwargs)

    def credit(self, spm_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", f"/v1/spms/{spm_id}/credit", {}, **kwargs)


def config(bank_url: str | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clients": [
            {"clientId": CLIENT_ID, "secret": SECRET, "name": "Digipay"},
            {"clientId": OTHER_ID, "secret": OTHER_SECRET},
        ],
        "bank": {"url": bank_url, "timeoutSeconds": 2, "retrySeconds": 3600},
    }
    data.update(overrides)
    return data


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def span_factory(clock: Clock, bank: BankServer) -> Iterator[Callable[..., Span]]:
    stack: list[Any] = []

    def make(timeout: float = 5.0, **overrides: Any) -> Span:
        app = create_app(config_from_dict(config(bank.url, **overrides)), clock=clock)
        manager = live_client(app, timeout=timeout)
        http = manager.__enter__()
        stack.append(manager)
        return Span(http, clock)

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def span(span_factory: Callable[..., Span]) -> Span:
    return span_factory()


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    assert data["code"] == code, data
    return data


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


# --- the signature -----------------------------------------------------------------------------


def test_signature_vector_is_pinned() -> None:
    timestamp = "2026-11-28T09:00:00.000+07:00"
    assert string_to_sign("POST", VECTOR_PATH, timestamp, VECTOR_BODY) == (
        f"POST\n{VECTOR_PATH}\n{timestamp}\n"
        "2325b3472a733dc70d73584cbd516cf7b5650c1caca1ce3d67c164b837716652"
    )
    secret = json.loads(DEMO_CONFIG.read_text())["clients"][0]["secret"]
    assert sign(secret, "POST", VECTOR_PATH, timestamp, VECTOR_BODY) == VECTOR_SIGNATURE
    assert _sign(secret, "POST", VECTOR_PATH, timestamp, VECTOR_BODY) == VECTOR_SIGNATURE


# --- submission --------------------------------------------------------------------------------


def test_an_spm_gup_is_submitted_with_its_invoices(span: Span) -> None:
    body = span.body()
    response = span.submit(body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert re.fullmatch(r"SPM-\d{8}", data["spmId"])
    assert data["status"] == "SUBMITTED"
    assert (data["kind"], data["satkerCode"], data["kppnCode"]) == ("GUP", SATKER, KPPN)
    assert data["amount"] == 3_330_000
    assert data["beneficiary"] == TREASURER
    assert [i["number"] for i in data["invoices"]] == [i["number"] for i in body["invoices"]]
    assert data["invoices"][0]["taxes"] == {"411122": 15_000, "411211": 110_000}
    assert data["taxTotal"] == sum(sum(i["taxes"].values()) for i in body["invoices"])
    assert data["sp2dNumber"] is None
    assert data["credit"] is None
    assert data["tup"] is None
    assert data["submittedAt"].endswith("+07:00")


def test_the_same_number_and_body_returns_the_same_spm(span: Span) -> None:
    body = span.body()
    first = span.submit(body)
    again = span.submit(body)
    reordered = span.submit(dict(reversed(list(body.items()))))
    assert (first.status_code, again.status_code, reordered.status_code) == (201, 200, 200)
    assert first.json() == again.json() == reordered.json()
    assert span.http.get("/admin/spms").json()["count"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 3_330_001},
        {"spmDate": "2026-01-02", "fiscalYear": 2026},
        {"kppnCode": "020"},
        {"ppspmSignature": "TTE-OTHER"},
        {"beneficiary": {**TREASURER, "accountNo": "034601000456302"}},
    ],
)
def test_the_same_number_with_other_data_is_a_conflict(span: Span, change: dict[str, Any]) -> None:
    body = span.body()
    first = span.submit(body).json()
    changed = {**body, **change}
    if "amount" in change:
        changed["invoices"] = [*body["invoices"][:1], {**body["invoices"][1], "gross": 2_220_001}]
        changed["invoices"][1]["net"] += 1
    data = error(span.submit(changed), 409, "SPM_CONFLICT")
    assert data["spmId"] == first["spmId"]


def test_numbers_belong_to_their_satker_and_client(span: Span) -> None:
    body = span.body()
    mine = span.submit(body).json()
    other_satker = span.submit({**body, "satkerCode": "652840"})
    assert other_satker.status_code == 201
    theirs = span.call("POST", "/v1/spms", body, client_id=OTHER_ID, secret=OTHER_SECRET)
    assert theirs.status_code == 201
    assert len({mine["spmId"], other_satker.json()["spmId"], theirs.json()["spmId"]}) == 3
    error(span.get(theirs.json()["spmId"]), 404, "SPM_NOT_FOUND")


LONG = "A" * 41


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": None}, "kind"),
        ({"kind": "UP"}, "kind"),
        ({"kind": "gup"}, "kind"),
        ({"satkerCode": None}, "satkerCode"),
        ({"satkerCode": "41525"}, "satkerCode"),
        ({"satkerCode": 415256}, "satkerCode"),
        ({"kppnCode": "19"}, "kppnCode"),
        ({"kppnCode": "0190"}, "kppnCode"),
        ({"spmNumber": None}, "spmNumber"),
        ({"spmNumber": ""}, "spmNumber"),
        ({"spmNumber": "00001 GUP"}, "spmNumber"),
        ({"spmNumber": "/00001"}, "spmNumber"),
        ({"spmNumber": LONG}, "spmNumber"),
        ({"spmDate": None}, "spmDate"),
        ({"spmDate": "28-11-2026"}, "spmDate"),
        ({"spmDate": "20261128"}, "spmDate"),
        ({"spmDate": "2026-02-30"}, "spmDate"),
        ({"spmDate": "2025-12-31"}, "spmDate"),  # not in the fiscal year
        ({"spmDate": "2999-01-01", "fiscalYear": 2999}, "spmDate"),  # after today
        ({"fiscalYear": None}, "fiscalYear"),
        ({"fiscalYear": "2026"}, "fiscalYear"),
        ({"fiscalYear": 1999}, "fiscalYear"),
        ({"amount": None}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 3330000.0}, "amount"),
        ({"amount": "3330000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 10**15}, "amount"),
        ({"beneficiary": None}, "beneficiary"),
        ({"beneficiary": "002-034601000123307"}, "beneficiary"),
        ({"beneficiary": {**TREASURER, "bankCode": "2"}}, "beneficiary.bankCode"),
        ({"beneficiary": {**TREASURER, "accountNo": "12-34"}}, "beneficiary.accountNo"),
        ({"beneficiary": {**TREASURER, "accountNo": "1234"}}, "beneficiary.accountNo"),
        ({"beneficiary": {**TREASURER, "accountName": " "}}, "beneficiary.accountName"),
        ({"beneficiary": {**TREASURER, "swift": "X"}}, "beneficiary.swift"),
        ({"ppspmSignature": None}, "ppspmSignature"),
        ({"ppspmSignature": ""}, "ppspmSignature"),
        ({"ppspmSignature": "X" * 129}, "ppspmSignature"),
        ({"invoices": None}, "invoices"),
        ({"invoices": []}, "invoices"),
        ({"invoices": {"number": "X"}}, "invoices"),
        ({"invoices": ["INV-1"]}, "invoices[0]"),
        ({"tupSp2dNumber": "260193000000001"}, "tupSp2dNumber"),  # only for a PTUP
        ({"currency": "IDR"}, "currency"),
    ],
)
def test_submission_validation_names_the_field(
    span: Span, changes: dict[str, Any], field: str
) -> None:
    body = span.body()
    body.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del body[key]
    data = error(span.submit(body), 422, "INVALID_FIELD")
    assert data["field"] == field
    assert data["message"].startswith(field)
    assert span.http.get("/admin/spms").json()["spms"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": None}, "invoices[1].number"),
        ({"number": "INV 1"}, "invoices[1].number"),
        ({"vendorName": ""}, "invoices[1].vendorName"),
        ({"npwp": "00123456789010"}, "invoices[1].npwp"),
        ({"akun": "411211"}, "invoices[1].akun"),  # not an expenditure account
        ({"akun": "52121"}, "invoices[1].akun"),
        ({"gross": 0}, "invoices[1].gross"),
        ({"gross": 2220000.0}, "invoices[1].gross"),
        ({"taxes": [110000]}, "invoices[1].taxes"),
        ({"taxes": {"PPN": 1}}, "invoices[1].taxes"),
        ({"taxes": {"521211": 1}}, "invoices[1].taxes.521211"),
        ({"taxes": {"411211": 0}}, "invoices[1].taxes.411211"),
        ({"taxes": {"411211": "200000"}}, "invoices[1].taxes.411211"),
        ({"net": None}, "invoices[1].net"),
        ({"net": -1}, "invoices[1].net"),
        ({"faktur": "X"}, "invoices[1].faktur"),
    ],
)
def test_invoice_validation_names_the_field(
    span: Span, changes: dict[str, Any], field: str
) -> None:
    body = span.body()
    invoice = body["invoices"][1]
    invoice.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del invoice[key]
    data = error(span.submit(body), 422, "INVALID_FIELD")
    assert data["field"] == field


def test_the_invoices_gross_must_add_up_to_the_amount(span: Span) -> None:
    body = span.body()
    for amount in (3_329_999, 3_330_001, 1):
        data = error(span.submit({**body, "amount": amount}), 422, "AMOUNT_MISMATCH")
        assert data["invoiceTotal"] == 3_330_000
        assert data["amount"] == amount
    assert span.submit(body).status_code == 201


def test_each_invoice_net_is_gross_minus_its_taxes(span: Span) -> None:
    body = span.body()
    body["invoices"][0]["net"] += 1
    data = error(span.submit(body), 422, "INVOICE_NET_MISMATCH")
    assert data["field"] == "invoices[0].net"
    assert data["expectedNet"] == body["invoices"][0]["net"] - 1
    untaxed = span.invoice(500_000, taxes={}, net=500_000)
    assert span.submit(invoices=[untaxed], amount=500_000).status_code == 201


def test_an_invoice_is_listed_once(span: Span) -> None:
    body = span.body()
    body["invoices"][1]["number"] = body["invoices"][0]["number"]
    data = error(span.submit(body), 422, "DUPLICATE_INVOICE")
    assert data["number"] == body["invoices"][0]["number"]


def test_an_invoice_cannot_be_claimed_by_two_spms_unless_rejected(span: Span) -> None:
    first = span.body()
    first_id = span.submit(first).json()["spmId"]
    second = span.body(invoices=first["invoices"][:1], amount=first["invoices"][0]["gross"])
    data = error(span.submit(second), 409, "INVOICE_ALREADY_CLAIMED")
    assert data["spmId"] == first_id
    assert data["number"] == first["invoices"][0]["number"]
    assert span.reject(first_id).status_code == 200
    assert span.submit(second).status_code == 201


def test_kinds_and_their_invoices(span: Span) -> None:
    tup = span.submitted("TUP", amount=75_000_000)
    assert (tup["kind"], tup["invoices"], tup["amount"]) == ("TUP", [], 75_000_000)
    assert span.submitted("TUP", invoices=[])["invoices"] == []
    bad = span.body("TUP", invoices=[span.invoice()], amount=1_110_000)
    assert error(span.submit(bad), 422, "INVALID_FIELD")["field"] == "invoices"
    kkp = span.body("GUP_KKP", amount=12_500_000)
    del kkp["invoices"]
    assert span.submit(kkp).status_code == 201
    assert span.submitted("GUP_KKP")["invoices"] != []
    ptup = span.body("PTUP")
    assert error(span.submit(ptup), 422, "INVALID_FIELD")["field"] == "tupSp2dNumber"


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"x"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(span: Span, content: bytes) -> None:
    error(span.call("POST", "/v1/spms", content=content), 400, "BAD_REQUEST")


# --- reading -----------------------------------------------------------------------------------


def test_get_by_id_and_by_number_and_lists_per_kppn_and_status(span: Span) -> None:
    first = span.submitted()
    second = span.submitted(kppnCode="020")
    third = span.submitted()
    assert span.get(first["spmId"]).json() == first
    number = first["spmNumber"]
    found = span.call("GET", f"/v1/spms/by-number?satkerCode={SATKER}&spmNumber={number}")
    assert found.status_code == 200
    assert found.json() == first
    missing = span.call("GET", f"/v1/spms/by-number?satkerCode={SATKER}&spmNumber=99999")
    error(missing, 404, "SPM_NOT_FOUND")
    bad = span.call("GET", "/v1/spms/by-number?satkerCode=41&spmNumber=1")
    assert error(bad, 422, "INVALID_FIELD")["field"] == "satkerCode"
    span.approved(third["spmId"])

    def ids(query: str) -> list[str]:
        response = span.call("GET", f"/v1/spms{query}")
        assert response.status_code == 200, response.text
        return [s["spmId"] for s in response.json()["spms"]]

    assert ids("") == [first["spmId"], second["spmId"], third["spmId"]]
    assert ids(f"?kppnCode={KPPN}&status=SUBMITTED") == [first["spmId"]]
    assert ids(f"?kppnCode={KPPN}&status=APPROVED") == [third["spmId"]]
    assert ids("?kppnCode=020") == [second["spmId"]]
    assert ids(f"?satkerCode={SATKER}&kind=TUP") == []
    assert ids("?limit=1") == [first["spmId"]]
    for query, field in (
        ("?status=DONE", "status"),
        ("?kppnCode=19", "kppnCode"),
        ("?limit=0", "limit"),
        ("?colour=red", "colour"),
    ):
        assert error(span.call("GET", f"/v1/spms{query}"), 422, "INVALID_FIELD")["field"] == field
    theirs = span.call("GET", "/v1/spms", client_id=OTHER_ID, secret=OTHER_SECRET)
    assert theirs.json()["spms"] == []
    error(span.get("SPM-99999999"), 404, "SPM_NOT_FOUND")
    assert error(span.get("42"), 422, "INVALID_FIELD")["field"] == "spmId"


# --- approval, the SP2D and its credit ---------------------------------------------------------


def test_approval_issues_an_sp2d_and_credits_the_treasurer_once(
    span: Span, bank: BankServer
) -> None:
    spm = span.submitted()
    response = span.approve(spm["spmId"], user="kppn.019.a")
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["status"] == "APPROVED"
    assert SP2D.fullmatch(data["sp2dNumber"])
    year = today().year % 100
    assert data["sp2dNumber"] == f"{year:02d}{KPPN}2000000001"
    assert data["sp2dDate"] == today().isoformat()
    assert data["decidedBy"] == "kppn.019.a"
    credit = data["credit"]
    assert credit["status"] == "CREDITED"
    assert credit["remark"] == f"SP2D {data['sp2dNumber']}"
    assert credit["attempts"] == 1
    assert credit["lastError"] is None
    assert bank.balance() == OPENING + 3_330_000
    (entry,) = bank.sp2d_credits()
    assert entry["referenceNo"] == credit["bankReference"]
    assert entry["description"] == credit["remark"]
    assert values.parse_amount(entry["amount"]) == 3_330_000
    assert entry["counterpartyName"] == f"RPKBUN KPPN {KPPN}"
    # Approving again, and asking for the credit again, change nothing at the bank.
    again = span.approve(spm["spmId"], user="kppn.019.z")
    assert again.status_code == 200
    assert again.json() == data
    assert span.credit(spm["spmId"]).json() == data
    assert span.http.post("/admin/credits/retry").json()["tried"] == 0
    assert bank.balance() == OPENING + 3_330_000
    assert bank.credit_posts == 1
    assert span.get(spm["spmId"]).json() == data


def test_sp2d_numbers_run_per_kppn_and_kind(span: Span) -> None:
    numbers = [
        span.approved(span.submitted(kind)["spmId"])["sp2dNumber"]
        for kind in ("GUP", "TUP", "GUP", "GUP_KKP")
    ]
    other = span.approved(span.submitted(kppnCode="020")["spmId"], "020")["sp2dNumber"]
    year = f"{today().year % 100:02d}"
    assert numbers == [
        f"{year}{KPPN}2000000001",
        f"{year}{KPPN}3000000002",
        f"{year}{KPPN}2000000003",
        f"{year}{KPPN}5000000004",
    ]
    assert other == f"{year}0202000000001"


def test_a_kppn_decides_only_its_own_spms(span: Span) -> None:
    spm = span.submitted()
    data = error(span.approve(spm["spmId"], kppn="020"), 403, "WRONG_KPPN")
    assert data["kppnCode"] == KPPN
    body = {"kppnCode": "020", "userId": "x", "reason": "no"}
    error(span.call("POST", f"/v1/spms/{spm['spmId']}/reject", body), 403, "WRONG_KPPN")
    error(span.approve("SPM-99999999"), 404, "SPM_NOT_FOUND")
    assert span.get(spm["spmId"]).json()["status"] == "SUBMITTED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"userId": "u1"}, "kppnCode"),
        ({"kppnCode": KPPN}, "userId"),
        ({"kppnCode": KPPN, "userId": "a b"}, "userId"),
        ({"kppnCode": KPPN, "userId": "u1", "sp2dNumber": "1"}, "sp2dNumber"),
    ],
)
def test_approval_validation(span: Span, body: dict[str, Any], field: str) -> None:
    spm = span.submitted()
    response = span.call("POST", f"/v1/spms/{spm['spmId']}/approve", body)
    assert error(response, 422, "INVALID_FIELD")["field"] == field


def test_rejection_records_the_reason_and_ends_the_spm(span: Span, bank: BankServer) -> None:
    spm = span.submitted()
    error(
        span.call("POST", f"/v1/spms/{spm['spmId']}/reject", {"kppnCode": KPPN, "userId": "u"}),
        422,
        "INVALID_FIELD",
    )
    response = span.reject(spm["spmId"], reason="  Kuitansi INV-2 tidak ditandatangani ")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "REJECTED"
    assert data["rejectionReason"] == "Kuitansi INV-2 tidak ditandatangani"
    assert data["decidedBy"] == "kppn.019.b"
    assert data["sp2dNumber"] is None
    assert data["credit"] is None
    assert span.reject(spm["spmId"]).json() == data  # a replay
    assert error(span.approve(spm["spmId"]), 409, "INVALID_STATE")["spmStatus"] == "REJECTED"
    error(span.credit(spm["spmId"]), 409, "INVALID_STATE")
    approved = span.submitted()
    span.approved(approved["spmId"])
    error(span.reject(approved["spmId"]), 409, "INVALID_STATE")
    assert bank.balance() == OPENING + 3_330_000


def test_bank_down_at_approval_leaves_the_credit_pending_then_credits_once(
    span: Span, bank: BankServer
) -> None:
    spm = span.submitted()
    bank.stop()
    data = span.approved(spm["spmId"])
    assert data["status"] == "APPROVED"
    assert data["credit"]["status"] == "PENDING"
    assert data["credit"]["attempts"] == 1
    assert "unreachable" in data["credit"]["lastError"]
    assert data["credit"]["nextAttemptAt"] is not None
    assert span.credit(spm["spmId"]).json()["credit"]["status"] == "PENDING"  # still down
    bank.start()
    assert bank.balance() == OPENING
    done = span.credit(spm["spmId"]).json()
    assert done["credit"]["status"] == "CREDITED"
    assert done["credit"]["lastError"] is None
    assert done["credit"]["nextAttemptAt"] is None
    assert span.credit(spm["spmId"]).json() == done
    assert span.http.post("/admin/credits/retry").json()["CREDITED"] == 1
    assert bank.balance() == OPENING + 3_330_000
    assert len(bank.sp2d_credits()) == 1


def test_a_lost_bank_answer_is_found_on_the_statement_not_sent_again(
    span_factory: Callable[..., Span], bank: BankServer
) -> None:
    span = span_factory(bank={"url": bank.url, "timeoutSeconds": 0.3, "retrySeconds": 3600})
    spm = span.submitted()
    bank.hold_seconds = 1.5
    data = span.approved(spm["spmId"])
    assert data["credit"]["status"] == "PENDING"
    assert "statement" in data["credit"]["lastError"]
    bank.hold_seconds = 0
    assert bank.balance() == OPENING + 3_330_000  # booked, though the answer was lost
    done = span.credit(spm["spmId"]).json()["credit"]
    assert done["status"] == "CREDITED"
    assert done["attempts"] == 1  # found on the statement: nothing sent again
    (entry,) = bank.sp2d_credits()
    assert done["bankReference"] == entry["referenceNo"]
    assert bank.credit_posts == 1
    assert bank.balance() == OPENING + 3_330_000


def test_pending_credits_are_retried_in_the_background(
    span_factory: Callable[..., Span], bank: BankServer
) -> None:
    span = span_factory(bank={"url": bank.url, "timeoutSeconds": 1, "retrySeconds": 0.2})
    first, second = span.submitted(), span.submitted(kppnCode="020")
    bank.stop()
    for spm in (first, second):
        approved = span.approved(spm["spmId"], spm["kppnCode"])
        assert approved["credit"]["status"] == "PENDING"
    time.sleep(0.5)
    assert span.get(first["spmId"]).json()["credit"]["status"] == "PENDING"
    bank.start()

    def credited() -> bool:
        return all(
            span.get(s["spmId"]).json()["credit"]["status"] == "CREDITED" for s in (first, second)
        )

    wait_for(credited)
    time.sleep(0.5)
    assert bank.balance() == OPENING + 2 * 3_330_000
    assert len(bank.sp2d_credits()) == 2
    assert bank.credit_posts == 2


def test_a_refused_credit_fails_until_an_explicit_retry(span: Span, bank: BankServer) -> None:
    account = {**TREASURER, "accountNo": "034601000777301", "accountName": "BPG 415256 BARU"}
    spm = span.submitted(beneficiary=account)
    data = span.approved(spm["spmId"])
    assert data["credit"]["status"] == "FAILED"
    assert "404" in data["credit"]["lastError"]
    assert span.http.get("/admin").json()["credits"]["FAILED"] == 1
    with httpx.Client(base_url=bank.url) as http:
        created = http.put("/admin/accounts/002/034601000777301", json={"name": "BPG 415256"})
        assert created.status_code == 200, created.text
    done = span.credit(spm["spmId"]).json()["credit"]
    assert done["status"] == "CREDITED"
    assert bank.balance("034601000777301") == 3_330_000
    assert span.credit(spm["spmId"]).json()["credit"] == done
    assert bank.balance("034601000777301") == 3_330_000


def test_without_a_bank_the_credit_stays_pending(span_factory: Callable[..., Span]) -> None:
    span = span_factory(bank={"url": None})
    data = span.approved(span.submitted()["spmId"])
    assert data["credit"]["status"] == "PENDING"
    assert data["credit"]["lastError"] == "no bank configured"
    assert data["credit"]["attempts"] == 0


# --- TUP and its accountability (PTUP) ---------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(date(2026, 11, 28), 1) == date(2026, 12, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)


def test_a_tup_is_due_for_accountability_within_a_month(
    span: Span, clock: Clock, bank: BankServer
) -> None:
    tup = span.approved(span.submitted("TUP", amount=50_000_000)["spmId"])
    sp2d_day = date.fromisoformat(tup["sp2dDate"])
    assert tup["credit"]["status"] == "CREDITED"
    assert tup["tup"] == {
        "dueDate": add_months(sp2d_day, 1).isoformat(),
        "accountedBySp2dNumber": None,
        "accountedAt": None,
        "overdue": False,
    }
    assert bank.balance() == OPENING + 50_000_000
    clock.offset = 35 * DAY
    assert span.get(tup["spmId"]).json()["tup"]["overdue"] is True
    clock.offset = 0
    # The PTUP accounts for it with the invoices paid from it.
    unknown = span.body("PTUP", tupSp2dNumber="260199000000001")
    assert error(span.submit(unknown), 422, "TUP_NOT_FOUND")["field"] == "tupSp2dNumber"
    big = span.invoice(50_000_001)
    too_much = span.body("PTUP", tupSp2dNumber=tup["sp2dNumber"], invoices=[big], amount=50_000_001)
    assert error(span.submit(too_much), 422, "PTUP_EXCEEDS_TUP")["tupAmount"] == 50_000_000
    ptup = span.submitted("PTUP", tupSp2dNumber=tup["sp2dNumber"])
    second = span.body("PTUP", tupSp2dNumber=tup["sp2dNumber"])
    assert error(span.submit(second), 409, "TUP_ALREADY_ACCOUNTED")["spmId"] == ptup["spmId"]
    approved = span.approved(ptup["spmId"])
    assert approved["sp2dNumber"][5] == "4"
    assert approved["credit"]["status"] == "NONE"  # an SP2D without money
    assert approved["tup"] is None
    accounted = span.get(tup["spmId"]).json()["tup"]
    assert accounted["accountedBySp2dNumber"] == approved["sp2dNumber"]
    assert accounted["accountedAt"] is not None
    clock.offset = 35 * DAY
    assert span.get(tup["spmId"]).json()["tup"]["overdue"] is False
    clock.offset = 0
    error(span.submit(second), 409, "TUP_ALREADY_ACCOUNTED")
    assert bank.balance() == OPENING + 50_000_000
    assert bank.credit_posts == 1


def test_a_submitted_tup_cannot_be_accounted_for_yet(span: Span) -> None:
    tup = span.submitted("TUP")
    span.reject(tup["spmId"])
    body = span.body("PTUP", tupSp2dNumber="260193000000001")
    error(span.submit(body), 422, "TUP_NOT_FOUND")


def test_the_tup_due_months_are_configurable(span_factory: Callable[..., Span]) -> None:
    span = span_factory(tupDueMonths=2)
    tup = span.approved(span.submitted("TUP")["spmId"])
    expected = add_months(date.fromisoformat(tup["sp2dDate"]), 2)
    assert tup["tup"]["dueDate"] == expected.isoformat()


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-CLIENT-ID", "X-TIMESTAMP", "X-SIGNATURE"])
def test_a_missing_header_is_401(span: Span, header: str) -> None:
    response = span.call("POST", "/v1/spms", span.body(), drop=header)
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "missing_header"


def test_an_unknown_client_is_401(span: Span) -> None:
    response = span.call("POST", "/v1/spms", span.body(), client_id="stranger")
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "unknown_client"


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "wrong-secret-0123456789"},
        {"secret": OTHER_SECRET},
        {"signed_path": "/v1/spms/SPM-00000001/approve"},
        {"signed_body": b"{}"},
    ],
)
def test_a_bad_signature_is_401_and_changes_nothing(span: Span, tamper: dict[str, Any]) -> None:
    response = span.call("POST", "/v1/spms", span.body(), **tamper)
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "signature"
    assert span.http.get("/admin/spms").json()["spms"] == []


def test_a_bad_signature_cannot_approve(span: Span, bank: BankServer) -> None:
    spm = span.submitted()
    error(span.approve(spm["spmId"], secret=OTHER_SECRET), 401, "UNAUTHORIZED")
    assert span.get(spm["spmId"]).json()["status"] == "SUBMITTED"
    assert bank.credit_posts == 0


def test_the_signature_covers_the_query(span: Span) -> None:
    span.submitted()
    assert span.call("GET", "/v1/spms?kppnCode=019", signed_path="/v1/spms").status_code == 401
    assert span.call("GET", "/v1/spms?kppnCode=019").status_code == 200


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_stale_or_future_timestamp_is_401(span: Span, offset: float) -> None:
    at = datetime.now(UTC) + timedelta(seconds=offset)
    response = span.call("POST", "/v1/spms", span.body(), timestamp=values.format_timestamp(at))
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "timestamp"


def test_a_malformed_timestamp_is_401(span: Span) -> None:
    response = span.call("POST", "/v1/spms", span.body(), timestamp="2026-11-28T09:00:00")
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "timestamp"


def test_admin_token_when_configured(span_factory: Callable[..., Span]) -> None:
    span = span_factory(adminToken="admin-secret")
    assert span.http.get("/admin/spms").status_code == 401
    assert (
        span.http.get("/admin/spms", headers={"X-ADMIN-TOKEN": "admin-secret"}).status_code == 200
    )
    assert span.http.get("/health").status_code == 200


# --- faults ------------------------------------------------------------------------------------


def test_timeout_after_execution_then_get_shows_the_approval(span: Span, bank: BankServer) -> None:
    spm = span.submitted()
    faults = {"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 1.0, "operations": ["approve"]}
    assert span.http.put("/admin/faults", json=faults).status_code == 200
    with pytest.raises(httpx.ReadTimeout):
        span.approve(spm["spmId"], timeout=0.3)
    state = span.get(spm["spmId"]).json()  # "get" is not in "operations": answered at once
    assert state["status"] == "APPROVED"
    assert state["credit"]["status"] == "CREDITED"
    span.http.delete("/admin/faults")
    again = span.approve(spm["spmId"])
    assert again.status_code == 200
    assert again.json() == state
    assert bank.balance() == OPENING + 3_330_000


def test_a_held_submission_ends_in_504_after_execution(span: Span) -> None:
    span.http.put(
        "/admin/faults", json={"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 0.1}
    )
    body = span.body()
    error(span.submit(body), 504, "TIMEOUT")
    number = body["spmNumber"]
    found = span.call("GET", f"/v1/spms/by-number?satkerCode={SATKER}&spmNumber={number}")
    assert found.status_code == 200
    assert found.json()["status"] == "SUBMITTED"


def test_5xx_before_execution_changes_nothing(span: Span, bank: BankServer) -> None:
    spm = span.submitted()
    span.http.put("/admin/faults", json={"errorBeforeExecutionShare": 1})
    error(span.approve(spm["spmId"]), 500, "INTERNAL_ERROR")
    error(span.reject(spm["spmId"]), 500, "INTERNAL_ERROR")
    body = span.body()
    error(span.submit(body), 500, "INTERNAL_ERROR")
    assert span.get(spm["spmId"]).json()["status"] == "SUBMITTED"
    lookup = span.call(
        "GET", f"/v1/spms/by-number?satkerCode={SATKER}&spmNumber={body['spmNumber']}"
    )
    error(lookup, 404, "SPM_NOT_FOUND")
    assert bank.credit_posts == 0
    assert bank.balance() == OPENING
    span.http.delete("/admin/faults")
    assert span.approve(spm["spmId"]).status_code == 201


def test_outage_answers_503_until_it_ends(span: Span) -> None:
    spm = span.submitted()
    state = span.http.put("/admin/faults", json={"outageSeconds": 60}).json()
    assert state["outageRemainingSeconds"] > 59
    for response in (span.get(spm["spmId"]), span.approve(spm["spmId"]), span.submit()):
        assert response.status_code == 503
        assert "outage" in response.text
    assert span.http.get("/health").json() == {"status": "ok", "outage": True}
    span.http.put("/admin/faults", json={"outageSeconds": 0})
    assert span.get(spm["spmId"]).json()["status"] == "SUBMITTED"


def test_latency_delays_every_call(span: Span) -> None:
    span.http.put("/admin/faults", json={"latencyMs": 200, "seed": 7})
    started = time.monotonic()
    assert span.call("GET", "/v1/spms").status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "patch",
    [{"latencyMs": -1}, {"errorBeforeExecutionShare": 2}, {"operations": ["pay"]}, {"x": 1}],
)
def test_bad_fault_settings_are_refused(span: Span, patch: dict[str, Any]) -> None:
    response = span.http.put("/admin/faults", json=patch)
    assert response.status_code == 400
    assert response.json()["error"]
    assert span.http.get("/admin/faults").json()["latencyMs"] == 0


def test_admin_overview_list_and_reset(span: Span, bank: BankServer) -> None:
    first = span.submitted()
    span.approved(span.submitted()["spmId"])
    span.http.put("/admin/faults", json={"latencyMs": 5})
    overview = span.http.get("/admin").json()
    assert overview["spms"] == {"SUBMITTED": 1, "APPROVED": 1, "REJECTED": 0}
    assert overview["credits"]["CREDITED"] == 1
    assert overview["bank"]["url"] == bank.url
    assert [c["clientId"] for c in overview["clients"]] == [CLIENT_ID, OTHER_ID]
    assert "secret" not in json.dumps(overview)
    listed = span.http.get("/admin/spms?status=SUBMITTED").json()["spms"]
    assert [s["spmId"] for s in listed] == [first["spmId"]]
    assert span.http.get(f"/admin/spms/{first['spmId']}").json()["spmId"] == first["spmId"]
    assert span.http.get("/admin/spms/SPM-99999999").status_code == 404
    assert span.http.get("/admin/spms?status=nope").status_code == 400
    reset = span.http.post("/admin/reset").json()
    assert reset["faults"]["latencyMs"] == 0
    assert span.http.get("/admin/spms").json()["spms"] == []
    error(span.get(first["spmId"]), 404, "SPM_NOT_FOUND")


# --- configuration and the process -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clientz": []}, "unknown keys"),
        ({"clients": []}, "non-empty list"),
        ({"clients": [{"clientId": "x", "secret": "short"}]}, "16 characters"),
        ({"bank": {"url": "ftp://x"}}, "bank.url"),
        ({"bank": {"timeoutSeconds": 0}}, "timeoutSeconds"),
        ({"bank": {"sourceBankCode": "2"}}, "sourceBankCode"),
        ({"bank": {"colour": 1}}, "unknown keys"),
        ({"tupDueMonths": 0}, "tupDueMonths"),
        ({"tupDueMonths": 13}, "tupDueMonths"),
        ({"faults": {"operations": ["pay"]}}, "operations"),
        ({"adminToken": ""}, "adminToken"),
    ],
)
def test_config_refusals_name_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(config(**change))


def test_the_demo_config_has_the_digipay_client_and_the_demo_bank() -> None:
    demo = load_config(DEMO_CONFIG)
    client = demo.client("digipay")
    assert client is not None
    assert client.secret.startswith("demo-only")
    assert demo.database == ":memory:"
    assert demo.bank.url == "http://127.0.0.1:8100"
    assert demo.tup_due_months == 1


def test_a_bad_config_file_or_bank_url_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--config", str(bad)]) == 2
    assert main(["--bank-url", "127.0.0.1:8100"]) == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, database: Path, bank_url: str) -> subprocess.Popen[bytes]:
    # ``python -m digipay.cli spansim`` is what ``digipay spansim`` runs.
    command = [sys.executable, "-m", "digipay.cli", "spansim", "--port", str(port)]
    command += ["--database", str(database), "--bank-url", bank_url, "--log-level", "warning"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_healthy(client: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("spansim did not start")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def test_the_process_credits_through_the_bank_and_keeps_a_file_database(
    tmp_path: Path, bank: BankServer
) -> None:
    secret = json.loads(DEMO_CONFIG.read_text())["clients"][0]["secret"]
    database = tmp_path / "spansim.sqlite3"
    port = _free_port()
    spm_id = ""
    for run in range(2):
        process = _start(port, database, bank.url)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                _wait_healthy(http)
                span = Span(http, time.time)
                if run == 0:
                    response = span.call("POST", "/v1/spms", span.body(), secret=secret)
                    assert response.status_code == 201, response.text
                    spm_id = response.json()["spmId"]
                    approved = span.approve(spm_id, secret=secret)
                    assert approved.json()["credit"]["status"] == "CREDITED"
                else:
                    assert span.get(spm_id, secret=secret).json()["status"] == "APPROVED"
        finally:
            assert _stop(process) in (0, -signal.SIGTERM)
    assert database.exists()
    assert bank.balance() == OPENING + 3_330_000
