"""Bank simulator fixtures: keys, a config builder, a SNAP test client, a live uvicorn server
on a free loopback port, and a notification receiver (stdlib HTTP server on loopback).

Every test talks to the simulator over a real socket with httpx (Starlette's TestClient now
wants ``httpx2``; the project uses httpx). No Django database is used: the simulator keeps its
own SQLite (``:memory:`` here).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse

from digipay.simulators.banksim import config_from_dict, create_app
from digipay.snap import signing, values

CLIENT_ID = "DIGIPAY"
SECRET = "test-client-secret"

BRI, MANDIRI, BNI, BTN = "002", "008", "009", "200"
SATKER_BRI = "034601000123307"
VENDOR_BRI = "034601000456302"
SATKER_MANDIRI = "1230007654321"
VENDOR_BNI = "0912345678"
VENDOR_BTN = "0001501500123456"


@dataclass(frozen=True)
class Keys:
    partner_private: rsa.RSAPrivateKey
    partner_public_pem: str
    bank_private_pem: str
    bank_public: rsa.RSAPublicKey


@pytest.fixture(scope="session")
def keys() -> Keys:
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    return Keys(
        signing.load_private_key(partner_private),
        partner_public,
        bank_private,
        signing.load_public_key(bank_public),
    )


def base_config(keys: Keys, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "database": ":memory:",
        "signingKey": {"privateKey": keys.bank_private_pem},
        "banks": [
            {"code": BRI, "name": "BANK RAKYAT INDONESIA", "shortName": "BRI"},
            {"code": MANDIRI, "name": "BANK MANDIRI", "shortName": "MANDIRI"},
            {"code": BNI, "name": "BANK NEGARA INDONESIA", "shortName": "BNI"},
            {"code": BTN, "name": "BANK TABUNGAN NEGARA", "shortName": "BTN"},
        ],
        "partners": [
            {
                "clientId": CLIENT_ID,
                "clientSecret": SECRET,
                "publicKey": keys.partner_public_pem,
            }
        ],
        "accounts": [
            {"bank": BRI, "accountNo": SATKER_BRI, "name": "BPG 415256", "balance": 500_000_000},
            {"bank": BRI, "accountNo": VENDOR_BRI, "name": "CV SINAR JAYA", "balance": "0.00"},
            {"bank": MANDIRI, "accountNo": SATKER_MANDIRI, "name": "BPG 652840", "balance": 10},
            {"bank": BNI, "accountNo": VENDOR_BNI, "name": "UD BERKAH TANI", "balance": 0},
            {"bank": BTN, "accountNo": VENDOR_BTN, "name": "CV MITRA ALKES", "balance": 0},
        ],
        "notifications": {"pollSeconds": 0.02, "retryBaseSeconds": 0.05, "retryMaxSeconds": 0.2},
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_app(keys: Keys) -> Callable[..., Starlette]:
    def make(**overrides: Any) -> Starlette:
        return create_app(config_from_dict(base_config(keys, **overrides)))

    return make


_external_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def next_external_id() -> str:
    return str(next(_external_ids))


def now_text(offset_seconds: float = 0) -> str:
    return values.format_timestamp(datetime.fromtimestamp(time.time() + offset_seconds, UTC))


class Snap:
    """A minimal SNAP client for the tests (any httpx.Client: TestClient or a real one)."""

    def __init__(self, http: httpx.Client, keys: Keys) -> None:
        self.http = http
        self.keys = keys
        self._tokens: dict[str, str] = {}

    def request_token(
        self,
        bank: str,
        *,
        timestamp: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        client_id: str = CLIENT_ID,
    ) -> httpx.Response:
        timestamp = timestamp or now_text()
        signature = signing.sign_token_request(
            key or self.keys.partner_private, client_id, timestamp
        )
        return self.http.post(
            f"/{bank}/v1.0/access-token/b2b",
            content=json.dumps({"grantType": "client_credentials"}),
            headers={
                "X-TIMESTAMP": timestamp,
                "X-CLIENT-KEY": client_id,
                "X-SIGNATURE": signature,
                "Content-Type": "application/json",
            },
        )

    def token(self, bank: str) -> str:
        if bank not in self._tokens:
            response = self.request_token(bank)
            assert response.status_code == 200, response.text
            self._tokens[bank] = response.json()["accessToken"]
        return self._tokens[bank]

    def post(
        self,
        bank: str,
        path: str,
        body: Mapping[str, Any],
        *,
        external_id: str | None = None,
        token: str | None = None,
        timestamp: str | None = None,
        secret: str = SECRET,
        content: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        token = token if token is not None else self.token(bank)
        timestamp = timestamp or now_text()
        minified = signing.minify(body)
        headers = {
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": signing.sign_symmetric(secret, "POST", path, token, minified, timestamp),
            "X-PARTNER-ID": CLIENT_ID,
            "X-EXTERNAL-ID": external_id or next_external_id(),
            "CHANNEL-ID": "95221",
            "Content-Type": "application/json",
        }
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        return self.http.post(
            f"/{bank}{path}",
            content=(content if content is not None else minified).encode(),
            headers=headers,
            **extra,
        )

    def transfer(
        self,
        bank: str,
        *,
        service: str = "17",
        source: str,
        beneficiary: str,
        amount: int,
        reference: str,
        beneficiary_bank: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        path = {
            "17": "/v1.0/transfer-intrabank",
            "18": "/v1.0/transfer-interbank",
            "22": "/v1.0/transfer-rtgs",
            "23": "/v1.0/transfer-skn",
        }[service]
        body: dict[str, Any] = {
            "partnerReferenceNo": reference,
            "amount": {"value": values.format_amount(amount), "currency": "IDR"},
            "beneficiaryAccountNo": beneficiary,
            "sourceAccountNo": source,
            "transactionDate": now_text(),
            "remark": "test",
        }
        if service != "17":
            body["beneficiaryBankCode"] = beneficiary_bank
            body["beneficiaryAccountName"] = "SOMEONE"
        return self.post(bank, path, body, **kwargs)

    def status(
        self, bank: str, reference: str, service: str = "17", **kwargs: Any
    ) -> httpx.Response:
        return self.post(
            bank,
            "/v1.0/transfer/status",
            {"originalPartnerReferenceNo": reference, "serviceCode": service},
            **kwargs,
        )

    def balance(self, bank: str, account_no: str) -> int:
        response = self.http.get(f"/admin/accounts/{bank}/{account_no}")
        assert response.status_code == 200, response.text
        return values.parse_amount(response.json()["balance"])


@contextmanager
def live_server(app: Starlette) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it keep-alive requests stall 40 ms (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


class Switchboard:
    """One uvicorn server for the whole session, serving whichever simulator app the current
    test installed. Each app's own lifespan (its notifier) runs on the server's event loop,
    exactly as under ``uvicorn`` alone; this only saves uvicorn's fixed start/stop time."""

    def __init__(self) -> None:
        self.app: Starlette | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: Callable[[], None] = lambda: None
        self.url = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.loop = asyncio.get_running_loop()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        app = self.app
        if app is None:
            await PlainTextResponse("no app installed", status_code=500)(scope, receive, send)
            return
        await app(scope, receive, send)

    @contextmanager
    def serving(self, app: Starlette) -> Iterator[None]:
        assert self.loop is not None
        lifespan = app.router.lifespan_context(app)
        asyncio.run_coroutine_threadsafe(lifespan.__aenter__(), self.loop).result(5)
        self.app = app
        try:
            yield
        finally:
            self.app = None
            asyncio.run_coroutine_threadsafe(
                lifespan.__aexit__(None, None, None), self.loop
            ).result(10)


_switchboard: Switchboard | None = None


@pytest.fixture(scope="session", autouse=True)
def _shared_server() -> Iterator[None]:
    yield
    if _switchboard is not None:
        _switchboard.stop()


def switchboard() -> Switchboard:
    global _switchboard
    if _switchboard is None:
        board = Switchboard()
        server = live_server(board)  # type: ignore[arg-type]
        board.url = server.__enter__()

        def stop() -> None:
            server.__exit__(None, None, None)

        board.stop = stop
        _switchboard = board
    return _switchboard


@contextmanager
def live_client(app: Starlette, timeout: float = 5.0) -> Iterator[httpx.Client]:
    """An httpx client talking over loopback to ``app`` (served by the shared uvicorn)."""
    board = switchboard()
    with board.serving(app), httpx.Client(base_url=board.url, timeout=timeout) as client:
        yield client


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: str
    status: int  # what the receiver answered


class Receiver:
    """A notification endpoint on loopback that answers the scripted statuses, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        Received(
                            self.path, {k.upper(): v for k, v in self.headers.items()}, body, status
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"responseCode":"2000000"}')

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/snap/v1.0/notify/credit"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self.lock:
            return list(self.received)

    def acknowledged(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]
