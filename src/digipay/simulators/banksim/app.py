"""The HTTP side: SNAP routes per bank, the request pipeline, admin endpoints, the app factory.

Pipeline of a SNAP call (docs/banksim.md): outage → latency → headers, token, X-PARTNER-ID,
timestamp window, signature → X-EXTERNAL-ID format → body → injected 5xx (nothing recorded) →
X-EXTERNAL-ID claimed for the day (409xx00 on replay) → the service → injected timeout (the
work is done, the answer is held, then 504).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from digipay.simulators.banksim import statements
from digipay.simulators.banksim.config import (
    ACCOUNT_STATUSES,
    AccountConfig,
    BankConfig,
    BankSimConfig,
)
from digipay.simulators.banksim.faults import FaultError, FaultState
from digipay.simulators.banksim.notify import Notifier
from digipay.simulators.banksim.products import ALL_SERVICES
from digipay.simulators.banksim.services import Call, Service, Simulator, SnapError
from digipay.simulators.banksim.store import (
    AccountInactive,
    AccountNotFound,
    Store,
    jakarta_day,
)
from digipay.snap import signing, values

MANDATORY_HEADERS = ("X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID")
TOKEN_HEADERS = ("X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE")
MAX_BODY = 1_000_000  # bytes; SNAP bodies are small


def _now_text(clock: Callable[[], float]) -> str:
    return values.format_timestamp(datetime.fromtimestamp(clock(), UTC))


def _snap_response(body: Mapping[str, Any], status: int, clock: Callable[[], float]) -> Response:
    return JSONResponse(dict(body), status_code=status, headers={"X-TIMESTAMP": _now_text(clock)})


class BankSim:
    """The running simulator: what the routes share (kept on ``app.state.banksim``)."""

    def __init__(self, config: BankSimConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.database, clock=clock)
        self.store.seed(config.banks, config.accounts)
        self.store.seed_cards(config.cards)
        self.faults = FaultState(
            config.faults, initial_outage_seconds=config.outage_seconds, clock=clock
        )
        self.notifier = Notifier(
            self.store, self.faults, config.private_key, config.notifications, clock=clock
        )
        self.sim = Simulator(config, self.store, self.faults, wake=self.notifier.wake)

    def public_key_pem(self) -> str:
        return (
            self.config.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    # --- authentication ----------------------------------------------------------------------

    def _timestamp(self, headers: Mapping[str, str]) -> str:
        timestamp = headers["x-timestamp"]
        try:
            at = values.parse_timestamp(timestamp)
        except ValueError:
            raise SnapError(400, "01", "Invalid Field Format [X-TIMESTAMP]") from None
        now = datetime.fromtimestamp(self.clock(), UTC)
        if abs(at - now).total_seconds() > self.config.timestamp_window_seconds:
            raise SnapError(401, "00", "Unauthorized. [X-TIMESTAMP]")
        return timestamp

    def token(self, bank: BankConfig, headers: Mapping[str, str], raw: bytes) -> dict[str, Any]:
        """Service 73: check the RSA signature and the grant, then issue a token (unless a 5xx
        is injected first)."""
        for name in TOKEN_HEADERS:
            if not headers.get(name.lower()):
                raise SnapError(400, "02", f"Invalid Mandatory Field [{name}]")
        timestamp = self._timestamp(headers)
        client_id = headers["x-client-key"]
        partner = self.config.partner_by_client(client_id)
        if partner is None or not partner.may_use(bank.code):
            raise SnapError(401, "00", "Unauthorized. [Unknown client]")
        if not signing.verify_token_request(
            partner.public_key, client_id, timestamp, headers["x-signature"]
        ):
            raise SnapError(401, "00", "Unauthorized. [Signature]")
        body = _json_object(raw)
        grant = body.get("grantType")
        if not grant:
            raise SnapError(400, "02", "Invalid Mandatory Field [grantType]")
        if grant != "client_credentials":
            raise SnapError(400, "01", "Invalid Field Format [grantType]")
        if self.faults.fail_before_execution("73"):
            raise SnapError(500, "01", "Internal Server Error")
        ttl = self.config.token_ttl_seconds
        token = self.store.issue_token(client_id, bank.code, ttl)
        return {
            "responseCode": values.code(200, "73", "00"),
            "responseMessage": "Successful",
            "accessToken": token,
            "tokenType": "Bearer",
            "expiresIn": str(ttl),
        }

    def authenticate(
        self, service: Service, bank: BankConfig, request: Request, raw: bytes
    ) -> Call:
        """The authenticated call, or SnapError."""
        headers = request.headers
        for name in MANDATORY_HEADERS:
            if not headers.get(name.lower()):
                raise SnapError(400, "02", f"Invalid Mandatory Field [{name}]")
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SnapError(401, "01", "Invalid Token (B2B)")
        token = token.strip()
        client_id = self.store.token_client(token, bank.code)
        partner = None if client_id is None else self.config.partner_by_client(client_id)
        if partner is None:
            raise SnapError(401, "01", "Invalid Token (B2B)")
        if not hmac.compare_digest(partner.partner_id, headers["x-partner-id"]):
            raise SnapError(401, "00", "Unauthorized. [X-PARTNER-ID]")
        timestamp = self._timestamp(headers)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SnapError(400, "00", "Bad Request [body is not UTF-8]") from None
        bodies = {text}
        with contextlib.suppress(ValueError):
            bodies.add(signing.minify(json.loads(text)) if text.strip() else "")
        paths = {service.path, request.url.path}
        signature = headers["x-signature"]
        if not any(
            signing.verify_symmetric(
                signature, partner.client_secret, request.method, path, token, body, timestamp
            )
            for path in paths
            for body in bodies
        ):
            raise SnapError(401, "00", "Unauthorized. [Signature]")
        external_id = headers["x-external-id"]
        if not external_id.isdigit() or len(external_id) > 36:
            raise SnapError(400, "01", "Invalid Field Format [X-EXTERNAL-ID]")
        return Call(
            service=service.code,
            bank=bank,
            partner=partner,
            external_id=external_id,
            channel_id=headers["channel-id"],
            body=_json_object(raw),
            day=jakarta_day(self.clock()),
        )

    # --- the pipeline ------------------------------------------------------------------------

    def bank_of(self, request: Request) -> BankConfig | None:
        code = request.path_params.get("bank_code") or self.config.default_bank
        if code is None and len(self.config.banks) == 1:
            code = self.config.banks[0].code
        return None if code is None else self.config.bank(str(code))

    async def handle(self, service: Service, request: Request) -> Response:
        if self.faults.outage_active():
            return PlainTextResponse("503 Service Unavailable (banksim outage)", status_code=503)
        latency = self.faults.latency_seconds()
        if latency > 0:
            await asyncio.sleep(latency)
        bank = self.bank_of(request)
        raw = await request.body()
        try:
            if bank is None:
                raise SnapError(404, "02", "Invalid Routing [unknown bank code]")
            if service.handler is None:
                body = self.token(bank, request.headers, raw)
            else:
                call = self.authenticate(service, bank, request, raw)
                if self.faults.fail_before_execution(service.code):
                    raise SnapError(500, "01", "Internal Server Error")
                if not self.store.claim_external_id(
                    bank.code, call.partner.client_id, call.external_id, service.code
                ):
                    raise SnapError(409, "00", "Conflict [X-EXTERNAL-ID already used today]")
                body = service.handler(self.sim, call)
            status = 200
        except SnapError as exc:
            body, status = exc.body(service.code), exc.http_status
        if status == 200 and service.handler is not None and self.faults.in_progress(service.code):
            accepted = {
                "responseCode": f"202{service.code}00",
                "responseMessage": "Request In Progress",
                "partnerReferenceNo": body.get("partnerReferenceNo", ""),
            }
            return _snap_response(accepted, 202, self.clock)
        hold = self.faults.timeout_after_execution(service.code)
        if hold is not None:
            await asyncio.sleep(hold)
            timeout = SnapError(504, "00", "Timeout")
            return _snap_response(timeout.body(service.code), 504, self.clock)
        return _snap_response(body, status, self.clock)


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise SnapError(400, "00", "Bad Request [body is not JSON]") from None
    if not isinstance(data, dict):
        raise SnapError(400, "00", "Bad Request [body is not a JSON object]")
    return data


# --- admin -------------------------------------------------------------------------------------


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


AdminHandler = Callable[[BankSim, Request], Awaitable[Response]]


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        banksim: BankSim = request.app.state.banksim
        expected = banksim.config.admin_token
        if expected and not hmac.compare_digest(
            expected.encode(), request.headers.get("x-admin-token", "").encode()
        ):
            return JSONResponse({"error": "admin token required (X-ADMIN-TOKEN)"}, 401)
        try:
            return await handler(banksim, request)
        except AdminError as exc:
            return JSONResponse({"error": exc.message}, exc.status)

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise AdminError("body is not JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


def _limit(request: Request) -> int:
    try:
        return max(1, min(1000, int(request.query_params.get("limit", "100"))))
    except ValueError:
        raise AdminError("limit must be an integer") from None


def _admin_amount(value: object, name: str) -> int:
    if isinstance(value, bool | float):
        raise AdminError(f"{name}: integer rupiah or a string like '100.00'")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            return values.parse_amount(value)
        except ValueError as exc:
            raise AdminError(f"{name}: {exc}") from None
    raise AdminError(f"{name}: expected an amount")


async def admin_overview(b: BankSim, request: Request) -> Response:
    return JSONResponse(
        {
            "banks": [
                {"code": x.code, "name": x.name, "shortName": x.short_name} for x in b.config.banks
            ],
            "defaultBank": b.config.default_bank,
            "partners": [
                {"clientId": p.client_id, "partnerId": p.partner_id, "name": p.name}
                for p in b.config.partners
            ],
            "services": [{"code": s.code, "path": s.path, "name": s.name} for s in ALL_SERVICES],
            "notificationUrl": b.config.notifications.url,
            "cardEvents": b.config.notifications.card_events,
            "signingKeyEphemeral": b.config.key_is_ephemeral,
            "database": b.config.database,
            "totalBalance": values.format_amount(b.store.total_balance()),
        }
    )


async def get_faults(b: BankSim, request: Request) -> Response:
    return JSONResponse(b.faults.to_json())


async def put_faults(b: BankSim, request: Request) -> Response:
    try:
        b.faults.update(await _body(request))
    except FaultError as exc:
        raise AdminError(str(exc)) from None
    return JSONResponse(b.faults.to_json())


async def delete_faults(b: BankSim, request: Request) -> Response:
    b.faults.reset()
    return JSONResponse(b.faults.to_json())


async def list_accounts(b: BankSim, request: Request) -> Response:
    bank = request.query_params.get("bank")
    return JSONResponse({"accounts": [a.to_json() for a in b.store.accounts(bank)]})


async def get_account(b: BankSim, request: Request) -> Response:
    bank, number = request.path_params["bank"], request.path_params["account_no"]
    account = b.store.account(bank, number)
    if account is None:
        raise AdminError("no such account", 404)
    data = account.to_json()
    data["entries"] = b.store.entries(bank, number, _limit(request))
    return JSONResponse(data)


async def put_account(b: BankSim, request: Request) -> Response:
    bank, number = request.path_params["bank"], request.path_params["account_no"]
    if b.config.bank(bank) is None:
        raise AdminError(f"bank {bank} is not simulated", 404)
    if not number.isdigit() or len(number) > 34:
        raise AdminError("accountNo: digits only, at most 34")
    data = await _body(request)
    unknown = set(data) - {"name", "balance", "status", "type", "notify"}
    if unknown:
        raise AdminError(f"unknown keys {sorted(unknown)}")
    current = b.store.account(bank, number)
    name = data.get("name", current.name if current else None)
    if not isinstance(name, str) or not name:
        raise AdminError("name is required for a new account")
    status = data.get("status", current.status if current else "ACTIVE")
    if status not in ACCOUNT_STATUSES:
        raise AdminError(f"status: one of {sorted(ACCOUNT_STATUSES)}")
    notify = data.get("notify", current.notify if current else True)
    if not isinstance(notify, bool):
        raise AdminError("notify: true or false")
    kind = data.get("type", current.type if current else "CURRENT")
    if not isinstance(kind, str) or not kind:
        raise AdminError("type: a non-empty string")
    balance = (
        _admin_amount(data["balance"], "balance")
        if "balance" in data
        else (current.balance if current else 0)
    )
    account = b.store.put_account(
        AccountConfig(bank, number, name, balance, "IDR", status, kind, notify)
    )
    return JSONResponse(account.to_json())


async def post_credit(b: BankSim, request: Request) -> Response:
    data = await _body(request)
    allowed = {
        "bank",
        "accountNo",
        "amount",
        "sourceBankCode",
        "sourceAccountNo",
        "sourceName",
        "remark",
    }
    unknown = set(data) - allowed
    if unknown:
        raise AdminError(f"unknown keys {sorted(unknown)}")
    fields = {k: data.get(k, "") for k in allowed - {"amount"}}
    if not all(isinstance(v, str) for v in fields.values()):
        raise AdminError("bank, accountNo, source* and remark are strings")
    idr = _admin_amount(data.get("amount"), "amount")
    if idr <= 0:
        raise AdminError("amount must be positive")
    try:
        reference, balance = b.store.external_credit(
            str(fields["bank"]),
            str(fields["accountNo"]),
            idr,
            source=(
                str(fields["sourceBankCode"] or "000"),
                str(fields["sourceAccountNo"] or "0"),
                str(fields["sourceName"] or "EXTERNAL"),
            ),
            remark=str(fields["remark"]),
            notify_url=b.config.notifications.url,
            notify_delay=b.faults.notification_delay(),
        )
    except (AccountNotFound, AccountInactive) as exc:
        raise AdminError(str(exc), 404) from None
    b.notifier.wake()
    return JSONResponse({"referenceNo": reference, "balance": values.format_amount(balance)})


async def list_transfers(b: BankSim, request: Request) -> Response:
    return JSONResponse({"transfers": [t.to_json() for t in b.store.transfers(_limit(request))]})


async def get_settlement(b: BankSim, request: Request) -> Response:
    return JSONResponse(b.store.settlement())


async def list_notifications(b: BankSim, request: Request) -> Response:
    status = request.query_params.get("status")
    items = b.store.notifications(_limit(request), status.upper() if status else None)
    return JSONResponse({"notifications": [n.to_json() for n in items]})


async def retry_notification(b: BankSim, request: Request) -> Response:
    data = await _body(request)
    url = data.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise AdminError("url: an http(s) URL")
    try:
        notification_id = int(request.path_params["id"])
    except ValueError:
        raise AdminError("id must be an integer", 404) from None
    if not b.store.retry_notification(notification_id, url):
        raise AdminError("no such notification, or no URL to send it to", 404)
    b.notifier.wake()
    return JSONResponse({"queued": notification_id})


async def get_statement(b: BankSim, request: Request) -> Response:
    """camt.053-like statement of one account for one Jakarta day (``?date=YYYY-MM-DD``,
    default today)."""
    bank = b.config.bank(request.path_params["bank"])
    if bank is None:
        raise AdminError("bank is not simulated", 404)
    now = b.clock()
    text = request.query_params.get("date")
    try:
        day = (
            date.fromisoformat(text)
            if text
            else datetime.fromtimestamp(now, UTC).astimezone(values.WIB).date()
        )
    except ValueError:
        raise AdminError("date: YYYY-MM-DD") from None
    start, end = statements.day_bounds(day)
    found = b.store.statement(
        bank.code, request.path_params["account_no"], start, end, statements.MAX_LINES
    )
    if found is None:
        raise AdminError("no such account", 404)
    return JSONResponse(statements.camt053(found, bank, created_at=now))


async def public_key(b: BankSim, request: Request) -> Response:
    return PlainTextResponse(b.public_key_pem(), media_type="application/x-pem-file")


async def health(request: Request) -> Response:
    banksim: BankSim = request.app.state.banksim
    return JSONResponse({"status": "ok", "outage": banksim.faults.outage_active()})


# --- the app -----------------------------------------------------------------------------------


def _snap_endpoint(service: Service) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        banksim: BankSim = request.app.state.banksim
        return await banksim.handle(service, request)

    return endpoint


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/admin", _admin(admin_overview), methods=["GET"]),
        Route("/admin/faults", _admin(get_faults), methods=["GET"]),
        Route("/admin/faults", _admin(put_faults), methods=["PUT"]),
        Route("/admin/faults", _admin(delete_faults), methods=["DELETE"]),
        Route("/admin/accounts", _admin(list_accounts), methods=["GET"]),
        Route("/admin/accounts/{bank}/{account_no}", _admin(get_account), methods=["GET"]),
        Route("/admin/accounts/{bank}/{account_no}", _admin(put_account), methods=["PUT"]),
        Route("/admin/credits", _admin(post_credit), methods=["POST"]),
        Route("/admin/statements/{bank}/{account_no}", _admin(get_statement), methods=["GET"]),
        Route("/admin/transfers", _admin(list_transfers), methods=["GET"]),
        Route("/admin/settlement", _admin(get_settlement), methods=["GET"]),
        Route("/admin/notifications", _admin(list_notifications), methods=["GET"]),
        Route("/admin/notifications/{id}/retry", _admin(retry_notification), methods=["POST"]),
        Route("/admin/public-key", _admin(public_key), methods=["GET"]),
    ]
    for service in ALL_SERVICES:
        endpoint = _snap_endpoint(service)
        routes.append(Route("/{bank_code}" + service.path, endpoint, methods=["POST"]))
        routes.append(Route(service.path, endpoint, methods=["POST"]))
    return routes


def create_app(config: BankSimConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """The simulator as an ASGI app. The notifier runs while the app's lifespan is open (under
    uvicorn, or inside ``with TestClient(app):``)."""
    banksim = BankSim(config, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(banksim.notifier.run(stop), name="banksim-notifier")
        try:
            yield
        finally:
            stop.set()
            banksim.notifier.wake()
            try:
                await asyncio.wait_for(task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()

    app = Starlette(routes=_routes(), lifespan=lifespan, max_body_size=MAX_BODY)
    app.state.banksim = banksim
    return app
