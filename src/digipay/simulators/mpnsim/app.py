"""The HTTP side of the MPN simulator: the billing API, its pipeline, admin endpoints.

Pipeline of an API call (docs/mpnsim.md): outage (503) → latency → client id, timestamp window
and HMAC-SHA256 signature (401) → JSON body (400) → injected 5xx (500: nothing done) → the
operation (2xx, or 4xx and nothing changed) → injected timeout (the work is done, the answer is
held, then 504).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from digipay.simulators.mpnsim import codes
from digipay.simulators.mpnsim.config import ClientConfig, MpnSimConfig
from digipay.simulators.mpnsim.faults import FaultError, FaultState
from digipay.simulators.mpnsim.store import (
    STATUSES,
    AlreadyPaid,
    AmountMismatch,
    BankReferenceConflict,
    Billing,
    BillingExpired,
    BillingNotFound,
    BillingOrder,
    ReferenceConflict,
    Store,
)
from digipay.snap import values

MAX_BODY = 64_000  # bytes
MAX_AMOUNT = 10**15 - 1
CLIENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-CLIENT-ID", "X-TIMESTAMP", "X-SIGNATURE"
_REFERENCE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> str:
    """``METHOD\\npath\\ntimestamp\\nlowerhex(sha256(body))``; the path with ``?query`` if any."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{digest}"


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the string to sign with the client's secret."""
    message = string_to_sign(method, path, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "INVALID_FIELD", f"{field}: {message}", field=field)


@dataclass(frozen=True, slots=True)
class Call:
    client: ClientConfig
    body: dict[str, Any]
    path_params: Mapping[str, Any]


Handler = Callable[["MpnSim", Call], tuple[dict[str, Any], int]]


class MpnSim:
    """The running simulator: what the routes share (kept on ``app.state.mpnsim``)."""

    def __init__(self, config: MpnSimConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.database, clock=clock)
        self.faults = FaultState(
            config.faults, initial_outage_seconds=config.outage_seconds, clock=clock
        )

    # --- authentication ------------------------------------------------------------------------

    def authenticate(self, request: Request, raw: bytes) -> ClientConfig:
        headers = request.headers
        for name in (CLIENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER):
            if not headers.get(name):
                raise ApiError(401, "UNAUTHORIZED", f"missing {name}", reason="missing_header")
        client = self.config.client(headers[CLIENT_HEADER])
        if client is None:
            raise ApiError(401, "UNAUTHORIZED", "unknown client", reason="unknown_client")
        timestamp = headers[TIMESTAMP_HEADER]
        try:
            at = values.parse_timestamp(timestamp)
        except ValueError:
            raise ApiError(
                401, "UNAUTHORIZED", "X-TIMESTAMP: ISO 8601 with an offset", reason="timestamp"
            ) from None
        now = datetime.fromtimestamp(self.clock(), UTC)
        if abs((at - now).total_seconds()) > self.config.timestamp_window_seconds:
            raise ApiError(
                401,
                "UNAUTHORIZED",
                f"X-TIMESTAMP more than {self.config.timestamp_window_seconds} s from the "
                "simulator's clock",
                reason="timestamp",
            )
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        if query:
            path = f"{path}?{query}"
        expected = sign(client.secret, request.method, path, timestamp, raw)
        if not hmac.compare_digest(expected, headers[SIGNATURE_HEADER].strip().lower()):
            raise ApiError(401, "UNAUTHORIZED", "bad signature", reason="signature")
        return client

    # --- the pipeline --------------------------------------------------------------------------

    async def handle(self, operation: str, handler: Handler, request: Request) -> Response:
        if self.faults.outage_active():
            return PlainTextResponse("503 Service Unavailable (mpnsim outage)", status_code=503)
        latency = self.faults.latency_seconds()
        if latency > 0:
            await asyncio.sleep(latency)
        raw = await request.body()
        try:
            client = self.authenticate(request, raw)
            body = _json_object(raw) if request.method == "POST" else {}
            if self.faults.fail_before_execution(operation):
                raise ApiError(500, "INTERNAL_ERROR", "internal error (nothing was done)")
            data, status = handler(self, Call(client, body, request.path_params))
        except ApiError as exc:
            data, status = exc.body(), exc.status
        hold = self.faults.timeout_after_execution(operation)
        if hold is not None:
            await asyncio.sleep(hold)
            return JSONResponse(
                {"code": "TIMEOUT", "message": "gateway timeout (the request was processed)"},
                504,
            )
        return JSONResponse(data, status)

    def billing_json(self, billing: Billing) -> dict[str, Any]:
        return billing.to_json(self.clock())

    def jakarta_month(self) -> tuple[int, int]:
        now = datetime.fromtimestamp(self.clock(), UTC).astimezone(values.WIB)
        return now.year, now.month


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", "body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BAD_REQUEST", "body must be a JSON object")
    return data


# --- validation ------------------------------------------------------------------------------


def _text(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None:
        raise _invalid(field, "required")
    if not isinstance(value, str):
        raise _invalid(field, "must be a string")
    return value


def _digits(body: Mapping[str, Any], field: str, length: int) -> str:
    value = _text(body, field)
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise _invalid(field, f"{length} digits")
    return value


def _integer(body: Mapping[str, Any], field: str, low: int, high: int) -> int:
    value = body.get(field)
    if value is None:
        raise _invalid(field, "required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "must be a JSON integer")
    if not low <= value <= high:
        raise _invalid(field, f"between {low} and {high}")
    return value


def _reference(body: Mapping[str, Any], field: str) -> str:
    value = _text(body, field)
    if not _REFERENCE.fullmatch(value):
        raise _invalid(field, "1-64 letters, digits, '.', '_' or '-'")
    return value


CREATE_FIELDS = (
    "reference",
    "npwp",
    "nitku",
    "name",
    "taxAccount",
    "depositType",
    "periodMonth",
    "periodYear",
    "amount",
)
PAY_FIELDS = ("billingCode", "amount", "bankCode", "bankReference")


def _no_unknown(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise _invalid(unknown[0], f"unknown field; allowed: {', '.join(allowed)}")


def billing_order(sim: MpnSim, body: Mapping[str, Any]) -> BillingOrder:
    _no_unknown(body, CREATE_FIELDS)
    reference = _reference(body, "reference")
    npwp = _digits(body, "npwp", 16)
    nitku = _digits(body, "nitku", 22)
    if not nitku.startswith(npwp):
        raise _invalid("nitku", "must start with the payer's 16-digit npwp")
    name = _text(body, "name").strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise _invalid("name", "1-100 printable characters")
    account = _text(body, "taxAccount")
    if account not in codes.TAX_ACCOUNTS:
        raise _invalid("taxAccount", f"one of {', '.join(codes.TAX_ACCOUNTS)}")
    deposit_type = _digits(body, "depositType", 3)
    if deposit_type not in codes.DEPOSIT_TYPES[account]:
        raise _invalid(
            "depositType",
            f"for {account} one of {', '.join(codes.DEPOSIT_TYPES[account])}",
        )
    month = _integer(body, "periodMonth", 1, 12)
    year = _integer(body, "periodYear", 2000, 9999)
    if (year, month) > sim.jakarta_month():
        raise _invalid("periodYear", "the tax period must not be after the current month")
    amount = _integer(body, "amount", 1, MAX_AMOUNT)
    return BillingOrder(reference, npwp, nitku, name, account, deposit_type, month, year, amount)


def _code_param(call: Call) -> str:
    code = str(call.path_params["billing_code"])
    if not codes.is_billing_code(code):
        raise _invalid("billingCode", "15 digits, first digit 0-3, valid check digit")
    return code


# --- operations --------------------------------------------------------------------------------


def create_billing(sim: MpnSim, call: Call) -> tuple[dict[str, Any], int]:
    order = billing_order(sim, call.body)
    try:
        billing, created = sim.store.create_billing(
            call.client.client_id, order, sim.config.billing_ttl_seconds
        )
    except ReferenceConflict as exc:
        raise ApiError(409, "REFERENCE_CONFLICT", str(exc), billingCode=exc.billing_code) from None
    return sim.billing_json(billing), 201 if created else 200


def billing_status(sim: MpnSim, call: Call) -> tuple[dict[str, Any], int]:
    billing = sim.store.billing(_code_param(call))
    if billing is None:
        raise ApiError(404, "BILLING_NOT_FOUND", "no such billing code")
    return sim.billing_json(billing), 200


def billing_by_reference(sim: MpnSim, call: Call) -> tuple[dict[str, Any], int]:
    reference = str(call.path_params["reference"])
    if not _REFERENCE.fullmatch(reference):
        raise _invalid("reference", "1-64 letters, digits, '.', '_' or '-'")
    billing = sim.store.billing_by_reference(call.client.client_id, reference)
    if billing is None:
        raise ApiError(404, "BILLING_NOT_FOUND", "no billing with this reference")
    return sim.billing_json(billing), 200


def pay_billing(sim: MpnSim, call: Call) -> tuple[dict[str, Any], int]:
    body = call.body
    _no_unknown(body, PAY_FIELDS)
    code = _digits(body, "billingCode", 15)
    if not codes.is_billing_code(code):
        raise _invalid("billingCode", "first digit 0-3 and a valid check digit")
    amount = _integer(body, "amount", 1, MAX_AMOUNT)
    bank_code = _digits(body, "bankCode", 3)
    banks = sim.config.collecting_banks
    if banks is not None and bank_code not in banks:
        raise _invalid("bankCode", "not a collecting bank (bank persepsi) of the simulator")
    bank_reference = _reference(body, "bankReference")
    try:
        billing, recorded = sim.store.pay(code, amount, bank_code, bank_reference)
    except BillingNotFound:
        raise ApiError(404, "BILLING_NOT_FOUND", "no such billing code") from None
    except AmountMismatch as exc:
        raise ApiError(422, "AMOUNT_MISMATCH", str(exc), expectedAmount=exc.expected) from None
    except BankReferenceConflict as exc:
        raise ApiError(409, "BANK_REFERENCE_CONFLICT", str(exc)) from None
    except AlreadyPaid as exc:
        raise ApiError(409, "ALREADY_PAID", str(exc)) from None
    except BillingExpired as exc:
        raise ApiError(410, "BILLING_EXPIRED", str(exc)) from None
    return sim.billing_json(billing), 201 if recorded else 200


# --- admin -------------------------------------------------------------------------------------


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


AdminHandler = Callable[[MpnSim, Request], Awaitable[Response]]


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sim: MpnSim = request.app.state.mpnsim
        expected = sim.config.admin_token
        if expected and not hmac.compare_digest(
            expected.encode(), request.headers.get("x-admin-token", "").encode()
        ):
            return JSONResponse({"error": "admin token required (X-ADMIN-TOKEN)"}, 401)
        try:
            return await handler(sim, request)
        except AdminError as exc:
            return JSONResponse({"error": exc.message}, exc.status)

    return endpoint


async def _admin_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise AdminError("body is not JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


async def admin_overview(sim: MpnSim, request: Request) -> Response:
    return JSONResponse(
        {
            "clients": [{"clientId": c.client_id, "name": c.name} for c in sim.config.clients],
            "taxAccounts": codes.TAX_ACCOUNTS,
            "depositTypes": codes.DEPOSIT_TYPES,
            "billingTtlSeconds": sim.config.billing_ttl_seconds,
            "timestampWindowSeconds": sim.config.timestamp_window_seconds,
            "collectingBanks": (
                sorted(sim.config.collecting_banks) if sim.config.collecting_banks else None
            ),
            "database": sim.config.database,
            "billings": sim.store.counts(),
        }
    )


async def list_billings(sim: MpnSim, request: Request) -> Response:
    status = request.query_params.get("status")
    if status is not None and status.upper() not in STATUSES:
        raise AdminError(f"status: one of {', '.join(STATUSES)}")
    try:
        limit = max(1, min(1000, int(request.query_params.get("limit", "100"))))
    except ValueError:
        raise AdminError("limit must be an integer") from None
    found = sim.store.billings(limit, status.upper() if status else None)
    return JSONResponse({"billings": [sim.billing_json(b) for b in found]})


async def get_billing(sim: MpnSim, request: Request) -> Response:
    billing = sim.store.billing(request.path_params["billing_code"])
    if billing is None:
        raise AdminError("no such billing code", 404)
    return JSONResponse(sim.billing_json(billing))


async def expire_billing(sim: MpnSim, request: Request) -> Response:
    billing = sim.store.expire(request.path_params["billing_code"])
    if billing is None:
        raise AdminError("no such billing code", 404)
    return JSONResponse(sim.billing_json(billing))


async def get_faults(sim: MpnSim, request: Request) -> Response:
    return JSONResponse(sim.faults.to_json())


async def put_faults(sim: MpnSim, request: Request) -> Response:
    try:
        sim.faults.update(await _admin_body(request))
    except FaultError as exc:
        raise AdminError(str(exc)) from None
    return JSONResponse(sim.faults.to_json())


async def delete_faults(sim: MpnSim, request: Request) -> Response:
    sim.faults.reset()
    return JSONResponse(sim.faults.to_json())


async def reset(sim: MpnSim, request: Request) -> Response:
    sim.store.reset()
    sim.faults.reset()
    return JSONResponse({"reset": True, "faults": sim.faults.to_json()})


async def health(request: Request) -> Response:
    sim: MpnSim = request.app.state.mpnsim
    return JSONResponse({"status": "ok", "outage": sim.faults.outage_active()})


# --- the app -----------------------------------------------------------------------------------


def _api(operation: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sim: MpnSim = request.app.state.mpnsim
        return await sim.handle(operation, handler, request)

    return endpoint


def _routes() -> list[BaseRoute]:
    return [
        Route("/health", health, methods=["GET"]),
        Route("/v1/billings", _api("create", create_billing), methods=["POST"]),
        Route(
            "/v1/billings/by-reference/{reference}",
            _api("lookup", billing_by_reference),
            methods=["GET"],
        ),
        Route("/v1/billings/{billing_code}", _api("status", billing_status), methods=["GET"]),
        Route("/v1/payments", _api("pay", pay_billing), methods=["POST"]),
        Route("/admin", _admin(admin_overview), methods=["GET"]),
        Route("/admin/billings", _admin(list_billings), methods=["GET"]),
        Route("/admin/billings/{billing_code}", _admin(get_billing), methods=["GET"]),
        Route("/admin/billings/{billing_code}/expire", _admin(expire_billing), methods=["POST"]),
        Route("/admin/faults", _admin(get_faults), methods=["GET"]),
        Route("/admin/faults", _admin(put_faults), methods=["PUT"]),
        Route("/admin/faults", _admin(delete_faults), methods=["DELETE"]),
        Route("/admin/reset", _admin(reset), methods=["POST"]),
    ]


def create_app(config: MpnSimConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """The simulator as an ASGI app; ``clock`` (epoch seconds) drives expiry, the timestamp
    window and the tax-period check, so tests can move time."""
    app = Starlette(routes=_routes(), max_body_size=MAX_BODY)
    app.state.mpnsim = MpnSim(config, clock=clock)
    return app
