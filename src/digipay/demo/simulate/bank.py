"""The bank side of a simulation run: the bank simulator as a subprocess, Digipay's bank
profiles pointing at it, and an inbox for its notifications.

The simulator runs as its own process (``python -m digipay.simulators.banksim``): Digipay's
modules may not import it (docs/adr/0005, ``.importlinter``), and a real process boundary is
what production has — every call crosses a socket, and the simulator competes for the CPU like
a bank's latency would not. It starts with the banks and our partner keys only; the run opens
the accounts through its admin API once it knows them.

Notifications: the simulator POSTs them to a loopback HTTP server of this process, which hands
each to ``integrations.services.receive_notification`` (exactly what the bank-notification
view does) and answers the simulator. On PostgreSQL the server's request thread does it with
its own connection, as a web server would. On SQLite (one writer) the request thread queues it
and waits while the main thread processes the queue between passes of the outbox job.
"""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import close_old_connections

from digipay.integrations import services as inbox
from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.gateway import CircuitBreaker, SnapBankGateway
from digipay.integrations.banks.profiles import BankProfile
from digipay.integrations.services import record_exchange
from digipay.snap import signing, values

CLIENT_ID = "DIGIPAY-SIM"
BANK_NAMES = {
    "002": ("BANK RAKYAT INDONESIA", "BRI"),
    "008": ("BANK MANDIRI", "MANDIRI"),
    "009": ("BANK NEGARA INDONESIA", "BNI"),
    "200": ("BANK TABUNGAN NEGARA", "BTN"),
}
INBOX_PATH = "/api/v1/integrations/bank-notifications"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Pending:
    headers: dict[str, str]
    path: str
    body: str
    done: threading.Event = field(default_factory=threading.Event)
    status: int = 503
    answer: bytes = b""


def _event_id(body: str) -> str:
    try:
        return str(json.loads(body).get("notificationId", ""))
    except (ValueError, AttributeError):
        return ""


class Inbox:
    """Loopback receiver of the simulator's notifications (see the module docstring)."""

    def __init__(self, *, direct: bool = False) -> None:
        """``direct``: process each notification on the server's own thread (its own
        database connection: PostgreSQL); otherwise queue it for ``drain`` (SQLite)."""
        self.queue: queue.Queue[_Pending] = queue.Queue()
        self.lock = threading.Lock()
        self.received = 0  # stored now
        self.duplicates = 0  # a second delivery of an event of this run ("Already received")
        self.refused = 0
        self.collisions = 0
        self.seen: set[str] = set()
        inbox_queue = self.queue
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                item = _Pending(
                    dict(self.headers.items()),
                    self.path,
                    self.rfile.read(length).decode("utf-8", errors="replace"),
                )
                if direct:
                    try:
                        owner.process(item)
                    finally:
                        close_old_connections()
                else:
                    inbox_queue.put(item)
                if not item.done.wait(timeout=20):
                    item.status, item.answer = 503, b'{"responseCode":"5030000"}'
                self.send_response(item.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(item.answer)))
                self.end_headers()
                self.wfile.write(item.answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{INBOX_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def drain(self, wait: float = 0.0) -> int:
        """Process queued notifications on this (the database) thread; returns how many."""
        handled = 0
        while True:
            try:
                item = (
                    self.queue.get(timeout=wait)
                    if wait and not handled
                    else self.queue.get_nowait()
                )
            except queue.Empty:
                return handled
            self.process(item)
            handled += 1

    def process(self, item: _Pending) -> None:
        """One notification through ``receive_notification``, as the view does."""
        headers = {k.upper(): v for k, v in item.headers.items()}
        try:
            answer = inbox.receive_notification(
                bank_code=headers.get("X-PARTNER-ID", ""),
                path=item.path,
                timestamp=headers.get("X-TIMESTAMP", ""),
                signature=headers.get("X-SIGNATURE", ""),
                raw_body=item.body,
            )
            item.status, item.answer = answer.status, json.dumps(answer.body).encode()
            event = f"{headers.get('X-PARTNER-ID', '')}:{_event_id(item.body)}"
            with self.lock:
                if answer.status != 200:
                    self.refused += 1
                elif answer.body.get("responseMessage") != "Already received":
                    self.received += 1
                elif event in self.seen:
                    self.duplicates += 1
                else:
                    # Stored by an earlier run: a new simulator numbers from 1 again.
                    self.collisions += 1
                self.seen.add(event)
        except Exception as exc:  # the bank retries: answer 500 and go on
            item.status, item.answer = 500, json.dumps({"error": repr(exc)[:200]}).encode()
            with self.lock:
                self.refused += 1
        item.done.set()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BankSimProcess:
    """The bank simulator running as a subprocess on a free loopback port."""

    def __init__(self, workdir: Path, *, notify_url: str | None, seed: int) -> None:
        self.workdir = workdir
        partner_private, partner_public = signing.generate_key_pair()
        bank_private, bank_public = signing.generate_key_pair()
        self.partner_private_pem = partner_private
        self.bank_public_pem = bank_public
        self.secret = f"sim-secret-{seed}"
        config = {
            "database": ":memory:",
            "signingKey": {"privateKey": bank_private},
            "banks": [
                {"code": code, "name": name, "shortName": short}
                for code, (name, short) in BANK_NAMES.items()
            ],
            "partners": [
                {"clientId": CLIENT_ID, "clientSecret": self.secret, "publicKey": partner_public}
            ],
            "notifications": {
                "url": notify_url,
                "timeoutSeconds": 25,
                "maxAttempts": 50,
                "retryBaseSeconds": 0.2,
                "retryMaxSeconds": 2,
                "pollSeconds": 0.05,
            },
            "faults": {"seed": seed},
        }
        path = workdir / "banksim.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "banksim.log").open("wb")
        self.process = _start("digipay.simulators.banksim", path, self.port, self.log)
        self.http = httpx.Client(base_url=self.url, timeout=30.0)
        _wait_healthy(self.url, self.process, workdir / "banksim.log")

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 300:
            raise RuntimeError(f"banksim {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def open_account(
        self, bank: str, account_no: str, name: str, balance: int = 0, notify: bool = False
    ) -> None:
        self.admin(
            "PUT",
            f"/admin/accounts/{bank}/{account_no}",
            {"name": name, "balance": balance, "notify": notify},
        )

    def debits(self, bank: str, account_no: str) -> list[dict[str, Any]]:
        """Every debit the bank booked on the account (newest first)."""
        data = self.admin("GET", f"/admin/accounts/{bank}/{account_no}?limit=1000")
        entries = data.get("entries", [])
        if len(entries) >= 1000:
            raise RuntimeError(f"more than 1000 entries on {bank}:{account_no}: cannot list all")
        return [e for e in entries if e.get("creditDebitIndicator") == "DBIT"]

    def balance(self, bank: str, account_no: str) -> int:
        data = self.admin("GET", f"/admin/accounts/{bank}/{account_no}?limit=1")
        return values.parse_amount(str(data["balance"]))

    def pending_notifications(self) -> int:
        data = self.admin("GET", "/admin/notifications?status=pending&limit=1000")
        return len(data.get("notifications", []))

    def faults(self, **values: Any) -> None:
        self.admin("PUT", "/admin/faults", values)

    def close(self) -> None:
        self.http.close()
        _stop(self.process)
        self.log.close()


class SpanSimProcess:
    """The SPAN simulator as a subprocess, crediting SP2Ds to the bank simulator's accounts."""

    def __init__(self, workdir: Path, *, bank_url: str, seed: int) -> None:
        self.client_id = "digipay-sim"
        self.secret = f"sim-span-secret-{seed}-{free_port()}"
        path = workdir / "spansim.json"
        path.write_text(
            json.dumps(
                {
                    "clients": [{"clientId": self.client_id, "secret": self.secret}],
                    "bank": {"url": bank_url, "timeoutSeconds": 5, "retrySeconds": 2},
                }
            ),
            encoding="utf-8",
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "spansim.log").open("wb")
        self.process = _start("digipay.simulators.spansim", path, self.port, self.log)
        _wait_healthy(self.url, self.process, workdir / "spansim.log")

    @contextmanager
    def configured(self) -> Iterator[None]:
        """Digipay's SPAN settings pointed at this simulator for the run."""
        names = ("DIGIPAY_SPAN_URL", "DIGIPAY_SPAN_CLIENT_ID", "DIGIPAY_SPAN_SECRET")
        before = {name: getattr(settings, name, "") for name in names}
        settings.DIGIPAY_SPAN_URL = self.url
        settings.DIGIPAY_SPAN_CLIENT_ID = self.client_id
        settings.DIGIPAY_SPAN_SECRET = self.secret
        try:
            yield
        finally:
            for name, value in before.items():
                setattr(settings, name, value)

    def close(self) -> None:
        _stop(self.process)
        self.log.close()


class MpnSimProcess:
    """The MPN (tax billing) simulator as a subprocess; Digipay's MPN settings point at it."""

    def __init__(self, workdir: Path, *, seed: int) -> None:
        self.client_id = "digipay-sim"
        self.secret = f"sim-mpn-secret-{seed}-{free_port()}"
        path = workdir / "mpnsim.json"
        path.write_text(
            json.dumps({"clients": [{"clientId": self.client_id, "secret": self.secret}]}),
            encoding="utf-8",
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "mpnsim.log").open("wb")
        self.process = _start("digipay.simulators.mpnsim", path, self.port, self.log)
        _wait_healthy(self.url, self.process, workdir / "mpnsim.log")

    @contextmanager
    def configured(self) -> Iterator[None]:
        names = ("DIGIPAY_MPN_URL", "DIGIPAY_MPN_CLIENT_ID", "DIGIPAY_MPN_SECRET")
        before = {name: getattr(settings, name, "") for name in names}
        settings.DIGIPAY_MPN_URL = self.url
        settings.DIGIPAY_MPN_CLIENT_ID = self.client_id
        settings.DIGIPAY_MPN_SECRET = self.secret
        try:
            yield
        finally:
            for name, value in before.items():
                setattr(settings, name, value)

    def close(self) -> None:
        _stop(self.process)
        self.log.close()


def _start(module: str, config: Path, port: int, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            module,
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a simulator did not start; see {log}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Gateways:
    """Digipay's gateways to the simulated banks: one per (thread, bank), so that the access
    token, the keep-alive connection and the circuit breaker are reused as a long-running
    worker reuses them. Every exchange is recorded in ``BankExchange`` as in production."""

    def __init__(
        self, sim: BankSimProcess, timeout_seconds: float, breaker_cooldown: float = 30.0
    ) -> None:
        self.breaker_cooldown = breaker_cooldown
        self.profiles = {
            code: BankProfile(
                bank_code=code,
                base_url=f"{sim.url}/{code}",
                partner_id=CLIENT_ID,
                client_id=CLIENT_ID,
                client_secret=sim.secret,
                private_key_pem=sim.partner_private_pem,
                bank_public_key_pem=sim.bank_public_pem,
                timeout_seconds=timeout_seconds,
            )
            for code in BANK_NAMES
        }
        self.local = threading.local()
        self.clients: list[httpx.Client] = []

    def __call__(self, bank_code: str) -> SnapBankGateway:
        cache: dict[str, SnapBankGateway] | None = getattr(self.local, "gateways", None)
        if cache is None:
            cache = self.local.gateways = {}
        if bank_code not in cache:
            profile = self.profiles[bank_code]
            http = httpx.Client(base_url=profile.base_url, timeout=profile.timeout_seconds)
            self.clients.append(http)
            cache[bank_code] = SnapBankGateway(
                SnapClient(profile, http=http, recorder=record_exchange),
                breaker=CircuitBreaker(cooldown=self.breaker_cooldown),
                backoff=0.05,
            )
        return cache[bank_code]

    def close(self) -> None:
        for client in self.clients:
            client.close()


@contextmanager
def banks_config(sim: BankSimProcess, workdir: Path) -> Iterator[Path]:
    """Point ``DIGIPAY_BANKS_CONFIG`` at profiles of the simulated banks for the run (the
    notification inbox verifies the bank's signature with them), and back afterwards."""
    (workdir / "partner_private.pem").write_text(sim.partner_private_pem, encoding="utf-8")
    (workdir / "bank_public.pem").write_text(sim.bank_public_pem, encoding="utf-8")
    path = workdir / "banks.json"
    path.write_text(
        json.dumps(
            [
                {
                    "bank_code": code,
                    "base_url": f"{sim.url}/{code}",
                    "partner_id": CLIENT_ID,
                    "client_id": CLIENT_ID,
                    "client_secret": sim.secret,
                    "private_key_path": "partner_private.pem",
                    "bank_public_key_path": "bank_public.pem",
                }
                for code in BANK_NAMES
            ]
        ),
        encoding="utf-8",
    )
    before = getattr(settings, "DIGIPAY_BANKS_CONFIG", "")
    settings.DIGIPAY_BANKS_CONFIG = str(path)
    try:
        yield path
    finally:
        settings.DIGIPAY_BANKS_CONFIG = before


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="digipay-simulate-") as name:
        yield Path(name)
