"""The HTTP side of the SPAN simulator: the SPM API, its pipeline, admin endpoints.

Pipeline of an API call (docs/spansim.md): outage (503) → latency → client id, timestamp window
and HMAC-SHA256 signature (401) → JSON body (400) → injected 5xx (500: nothing done) → the
operation (2xx, or 4xx and nothing changed) → injected timeout (the work is done, the answer is
held, then 504). The signature is the MPN simulator's scheme (docs/mpnsim.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from digipay.simulators.spansim.bank import BankCredits
from digipay.simulators.spansim.config import ClientConfig, SpanSimConfig
from digipay.simulators.spansim.faults import FaultError, FaultState
from digipay.simulators.spansim.store import (
    CREDIT_STATUSES,
    GUP_KKP,
    KINDS,
    PENDING,
    PTUP,
    STATUSES,
    TUP,
    InvalidState,
    Invoice,
    InvoiceAlreadyClaimed,
    PtupExceedsTup,
    Spm,
    SpmConflict,
    SpmNotFound,
    SpmOrder,
    Store,
    TupAlreadyAccounted,
    TupNotFound,
    WrongKppn,
)
from digipay.snap import values

MAX_BODY = 1_000_000  # bytes: an SPM may list a few thousand invoices
MAX_AMOUNT = 10**15 - 1
MAX_INVOICES = 2000
CLIENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-CLIENT-ID", "X-TIMESTAMP", "X-SIGNATURE"
_SPM_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]{0,39}")
_SPM_ID = re.compile(r"SPM-\d{8}")
_INVOICE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]{0,63}")
_USER_ID = re.compile(r"[A-Za-z0-9._@:-]{1,64}")


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
    query: Mapping[str, str]


Handler = Callable[["SpanSim", Call], Awaitable[tuple[dict[str, Any], int]]]


class SpanSim:
    """The running simulator: what the routes share (kept on ``app.state.spansim``)."""

    def __init__(self, config: SpanSimConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.database, clock=clock)
        self.faults = FaultState(
            config.faults, initial_outage_seconds=config.outage_seconds, clock=clock
        )
        self.credits = BankCredits(config.bank, self.store, clock=clock)

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
        now = datetime.fromtimestamp(time.time(), UTC)
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
            return PlainTextResponse("503 Service Unavailable (spansim outage)", status_code=503)
        latency = self.faults.latency_seconds()
        if latency > 0:
            await asyncio.sleep(latency)
        raw = await request.body()
        try:
            client = self.authenticate(request, raw)
            body = _json_object(raw) if request.method == "POST" else {}
            if self.faults.fail_before_execution(operation):
                raise ApiError(500, "INTERNAL_ERROR", "internal error (nothing was done)")
            call = Call(client, body, request.path_params, request.query_params)
            data, status = await handler(self, call)
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

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), UTC).astimezone(values.WIB).date()

    def spm_json(self, spm: Spm) -> dict[str, Any]:
        return spm.to_json(self.today())


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", "body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BAD_REQUEST", "body must be a JSON object")
    return data


# --- validation ------------------------------------------------------------------------------


def _text(body: Mapping[str, Any], field: str, where: str = "") -> str:
    name = f"{where}{field}"
    value = body.get(field)
    if value is None:
        raise _invalid(name, "required")
    if not isinstance(value, str):
        raise _invalid(name, "must be a string")
    return value


def _digits(body: Mapping[str, Any], field: str, length: int, where: str = "") -> str:
    value = _text(body, field, where)
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise _invalid(f"{where}{field}", f"{length} digits")
    return value


def _integer(body: Mapping[str, Any], field: str, low: int, high: int, where: str = "") -> int:
    name = f"{where}{field}"
    value = body.get(field)
    if value is None:
        raise _invalid(name, "required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, "must be a JSON integer")
    if not low <= value <= high:
        raise _invalid(name, f"between {low} and {high}")
    return value


def _name(body: Mapping[str, Any], field: str, where: str = "", longest: int = 100) -> str:
    value = _text(body, field, where).strip()
    if not 1 <= len(value) <= longest or not value.isprintable():
        raise _invalid(f"{where}{field}", f"1-{longest} printable characters")
    return value


def _pattern(body: Mapping[str, Any], field: str, pattern: re.Pattern[str], rule: str) -> str:
    value = _text(body, field)
    if not pattern.fullmatch(value):
        raise _invalid(field, rule)
    return value


def _no_unknown(body: Mapping[str, Any], allowed: tuple[str, ...], where: str = "") -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise _invalid(f"{where}{unknown[0]}", f"unknown field; allowed: {', '.join(allowed)}")


SUBMIT_FIELDS = (
    "kind",
    "satkerCode",
    "kppnCode",
    "spmNumber",
    "spmDate",
    "fiscalYear",
    "amount",
    "beneficiary",
    "invoices",
    "ppspmSignature",
    "tupSp2dNumber",
)
BENEFICIARY_FIELDS = ("bankCode", "accountNo", "accountName")
INVOICE_FIELDS = ("number", "vendorName", "npwp", "akun", "gross", "taxes", "net")
DECISION_FIELDS = ("kppnCode", "userId")
REJECT_FIELDS = (*DECISION_FIELDS, "reason")
SPM_NUMBER_RULE = "1-40 of A-Z a-z 0-9 . / _ -, starting with a letter or digit"


def _invoice(raw: object, where: str) -> Invoice:
    if not isinstance(raw, Mapping):
        raise _invalid(where.rstrip("."), "must be an object")
    _no_unknown(raw, INVOICE_FIELDS, where)
    number = _text(raw, "number", where)
    if not _INVOICE_NUMBER.fullmatch(number):
        raise _invalid(f"{where}number", "1-64 of A-Z a-z 0-9 . / _ -")
    vendor = _name(raw, "vendorName", where)
    npwp = _digits(raw, "npwp", 16, where)
    akun = _digits(raw, "akun", 6, where)
    if not akun.startswith("5"):
        raise _invalid(f"{where}akun", "an expenditure account (belanja): 6 digits starting 5")
    gross = _integer(raw, "gross", 1, MAX_AMOUNT, where)
    taxes_raw = raw.get("taxes", {})
    if not isinstance(taxes_raw, Mapping):
        raise _invalid(f"{where}taxes", "an object of tax account code → amount")
    taxes: list[tuple[str, int]] = []
    for code in taxes_raw:
        if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
            raise _invalid(f"{where}taxes", "keys are 6-digit tax account codes (akun pajak)")
        if not code.startswith("411"):
            raise _invalid(f"{where}taxes.{code}", "a tax account code starts with 411")
        taxes.append((code, _integer(taxes_raw, code, 1, MAX_AMOUNT, f"{where}taxes.")))
    net = _integer(raw, "net", 0, MAX_AMOUNT, where)
    tax_total = sum(amount for _, amount in taxes)
    if gross - tax_total != net:
        raise ApiError(
            422,
            "INVOICE_NET_MISMATCH",
            f"{where}net: gross {gross} minus taxes {tax_total} is {gross - tax_total}, not {net}",
            field=f"{where}net",
            expectedNet=gross - tax_total,
        )
    return Invoice(number, vendor, npwp, akun, gross, tuple(sorted(taxes)), net)


def spm_order(sim: SpanSim, body: Mapping[str, Any]) -> SpmOrder:
    _no_unknown(body, SUBMIT_FIELDS)
    kind = _text(body, "kind")
    if kind not in KINDS:
        raise _invalid("kind", f"one of {', '.join(KINDS)}")
    satker = _digits(body, "satkerCode", 6)
    kppn = _digits(body, "kppnCode", 3)
    number = _pattern(body, "spmNumber", _SPM_NUMBER, SPM_NUMBER_RULE)
    try:
        spm_date = date.fromisoformat(_text(body, "spmDate"))
    except ValueError:
        raise _invalid("spmDate", "a date YYYY-MM-DD") from None
    if len(body["spmDate"]) != 10:
        raise _invalid("spmDate", "a date YYYY-MM-DD")
    year = _integer(body, "fiscalYear", 2000, 9999)
    if spm_date.year != year:
        raise _invalid("spmDate", "must be in the fiscal year")
    if spm_date > sim.today():
        raise _invalid("spmDate", "must not be after today (Jakarta)")
    amount = _integer(body, "amount", 1, MAX_AMOUNT)
    beneficiary = body.get("beneficiary")
    if not isinstance(beneficiary, Mapping):
        raise _invalid("beneficiary", "required: an object with bankCode, accountNo, accountName")
    _no_unknown(beneficiary, BENEFICIARY_FIELDS, "beneficiary.")
    bank_code = _digits(beneficiary, "bankCode", 3, "beneficiary.")
    account_no = _text(beneficiary, "accountNo", "beneficiary.")
    if not re.fullmatch(r"\d{5,34}", account_no):
        raise _invalid("beneficiary.accountNo", "5-34 digits")
    account_name = _name(beneficiary, "accountName", "beneficiary.")
    signature = _name(body, "ppspmSignature", longest=128)
    invoices_raw = body.get("invoices")
    if kind == TUP:
        if invoices_raw not in (None, []):
            raise _invalid("invoices", "a TUP lists no invoices (it is an advance)")
        invoices_raw = []
    elif kind == GUP_KKP and invoices_raw is None:
        invoices_raw = []
    elif invoices_raw is None or invoices_raw == []:
        raise _invalid("invoices", f"required for {kind}: the paid invoices")
    if not isinstance(invoices_raw, list) or len(invoices_raw) > MAX_INVOICES:
        raise _invalid("invoices", f"a list of at most {MAX_INVOICES} invoices")
    invoices = tuple(_invoice(raw, f"invoices[{i}].") for i, raw in enumerate(invoices_raw))
    numbers = [i.number for i in invoices]
    if len(set(numbers)) != len(numbers):
        duplicate = next(n for n in numbers if numbers.count(n) > 1)
        raise ApiError(
            422, "DUPLICATE_INVOICE", f"invoice {duplicate} is listed twice", number=duplicate
        )
    total = sum(i.gross for i in invoices)
    if invoices and total != amount:
        raise ApiError(
            422,
            "AMOUNT_MISMATCH",
            f"the invoices' gross amounts add up to {total}, the SPM amount is {amount}",
            invoiceTotal=total,
            amount=amount,
        )
    tup_sp2d = body.get("tupSp2dNumber")
    if kind == PTUP:
        tup_sp2d = _digits(body, "tupSp2dNumber", 15)
    elif tup_sp2d is not None:
        raise _invalid("tupSp2dNumber", "only for a PTUP")
    return SpmOrder(
        kind=kind,
        satker_code=satker,
        kppn_code=kppn,
        spm_number=number,
        spm_date=spm_date,
        fiscal_year=year,
        amount=amount,
        bank_code=bank_code,
        account_no=account_no,
        account_name=account_name,
        ppspm_signature=signature,
        invoices=invoices,
        tup_sp2d_number=tup_sp2d,
    )


def _spm_id(call: Call) -> str:
    spm_id = str(call.path_params["spm_id"])
    if not _SPM_ID.fullmatch(spm_id):
        raise _invalid("spmId", "SPM- and 8 digits")
    return spm_id


def _found(sim: SpanSim, call: Call, spm_id: str) -> Spm:
    spm = sim.store.spm(spm_id, call.client.client_id)
    if spm is None:
        raise ApiError(404, "SPM_NOT_FOUND", "no such SPM")
    return spm


def _decision(body: Mapping[str, Any], allowed: tuple[str, ...]) -> tuple[str, str]:
    _no_unknown(body, allowed)
    kppn = _digits(body, "kppnCode", 3)
    user = _text(body, "userId")
    if not _USER_ID.fullmatch(user):
        raise _invalid("userId", "1-64 of A-Z a-z 0-9 . _ @ : -")
    return kppn, user


def _refused(exc: Exception) -> ApiError:
    if isinstance(exc, SpmNotFound):
        return ApiError(404, "SPM_NOT_FOUND", str(exc))
    if isinstance(exc, WrongKppn):
        return ApiError(403, "WRONG_KPPN", str(exc), kppnCode=exc.kppn_code)
    if isinstance(exc, InvalidState):
        return ApiError(409, "INVALID_STATE", str(exc), spmStatus=exc.status)
    raise exc


# --- operations --------------------------------------------------------------------------------


async def submit_spm(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    order = spm_order(sim, call.body)
    try:
        spm, created = sim.store.submit(call.client.client_id, order)
    except SpmConflict as exc:
        raise ApiError(409, "SPM_CONFLICT", str(exc), spmId=exc.spm_id) from None
    except InvoiceAlreadyClaimed as exc:
        raise ApiError(
            409, "INVOICE_ALREADY_CLAIMED", str(exc), number=exc.number, spmId=exc.spm_id
        ) from None
    except TupNotFound as exc:
        raise ApiError(422, "TUP_NOT_FOUND", str(exc), field="tupSp2dNumber") from None
    except TupAlreadyAccounted as exc:
        raise ApiError(409, "TUP_ALREADY_ACCOUNTED", str(exc), spmId=exc.spm_id) from None
    except PtupExceedsTup as exc:
        raise ApiError(422, "PTUP_EXCEEDS_TUP", str(exc), tupAmount=exc.tup_amount) from None
    return sim.spm_json(spm), 201 if created else 200


async def get_spm(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    return sim.spm_json(_found(sim, call, _spm_id(call))), 200


async def spm_by_number(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    query = call.query
    satker = _digits(query, "satkerCode", 6)
    number = _pattern(query, "spmNumber", _SPM_NUMBER, SPM_NUMBER_RULE)
    spm = sim.store.spm_by_number(call.client.client_id, satker, number)
    if spm is None:
        raise ApiError(404, "SPM_NOT_FOUND", "no SPM of this satker with this number")
    return sim.spm_json(spm), 200


LIST_FILTERS = {
    "kppnCode": ("kppn_code", re.compile(r"\d{3}"), "3 digits"),
    "satkerCode": ("satker_code", re.compile(r"\d{6}"), "6 digits"),
    "status": ("status", re.compile("|".join(STATUSES)), f"one of {', '.join(STATUSES)}"),
    "kind": ("kind", re.compile("|".join(KINDS)), f"one of {', '.join(KINDS)}"),
    "spmNumber": ("spm_number", _SPM_NUMBER, SPM_NUMBER_RULE),
}


def _filters(query: Mapping[str, str]) -> tuple[dict[str, str], int]:
    unknown = sorted(set(query) - {*LIST_FILTERS, "limit"})
    if unknown:
        raise _invalid(
            unknown[0], f"unknown filter; allowed: {', '.join([*LIST_FILTERS, 'limit'])}"
        )
    filters: dict[str, str] = {}
    for name, (column, pattern, rule) in LIST_FILTERS.items():
        value = query.get(name)
        if value is not None:
            if not pattern.fullmatch(value):
                raise _invalid(name, rule)
            filters[column] = value
    limit_text = query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise _invalid("limit", "an integer between 1 and 1000")
    return filters, int(limit_text)


async def list_spms(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    filters, limit = _filters(call.query)
    found = sim.store.spms(client_id=call.client.client_id, filters=filters, limit=limit)
    return {"spms": [sim.spm_json(s) for s in found], "count": len(found)}, 200


async def approve_spm(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    spm_id = _spm_id(call)
    kppn, user = _decision(call.body, DECISION_FIELDS)
    try:
        spm, approved = sim.store.approve(
            call.client.client_id,
            spm_id,
            kppn_code=kppn,
            user_id=user,
            today=sim.today(),
            tup_due_months=sim.config.tup_due_months,
        )
    except (SpmNotFound, WrongKppn, InvalidState) as exc:
        raise _refused(exc) from None
    if approved and spm.credit_status == PENDING:
        await sim.credits.settle(spm_id)
        spm = _found(sim, call, spm_id)
    return sim.spm_json(spm), 201 if approved else 200


async def reject_spm(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    spm_id = _spm_id(call)
    kppn, user = _decision(call.body, REJECT_FIELDS)
    reason = _name(call.body, "reason", longest=500)
    try:
        spm, _ = sim.store.reject(
            call.client.client_id, spm_id, kppn_code=kppn, user_id=user, reason=reason
        )
    except (SpmNotFound, WrongKppn, InvalidState) as exc:
        raise _refused(exc) from None
    return sim.spm_json(spm), 200


async def credit_spm(sim: SpanSim, call: Call) -> tuple[dict[str, Any], int]:
    """Settle the credit of an approved SP2D now: read the statement first if an attempt was
    made before, then send only if the credit is not there. Harmless to call again."""
    spm_id = _spm_id(call)
    spm = _found(sim, call, spm_id)
    if spm.credit_status is None:
        raise ApiError(
            409, "INVALID_STATE", f"no SP2D: the SPM is {spm.status}", spmStatus=spm.status
        )
    if sim.store.credit_requeue(spm_id):
        await sim.credits.settle(spm_id)
        spm = _found(sim, call, spm_id)
    return sim.spm_json(spm), 200


# --- admin -------------------------------------------------------------------------------------


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


AdminHandler = Callable[[SpanSim, Request], Awaitable[Response]]


def _admin(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sim: SpanSim = request.app.state.spansim
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


async def admin_overview(sim: SpanSim, request: Request) -> Response:
    bank = sim.config.bank
    return JSONResponse(
        {
            "clients": [{"clientId": c.client_id, "name": c.name} for c in sim.config.clients],
            "kinds": list(KINDS),
            "statuses": list(STATUSES),
            "creditStatuses": list(CREDIT_STATUSES),
            "tupDueMonths": sim.config.tup_due_months,
            "timestampWindowSeconds": sim.config.timestamp_window_seconds,
            "bank": {
                "url": bank.url,
                "timeoutSeconds": bank.timeout_seconds,
                "retrySeconds": bank.retry_seconds,
                "source": {
                    "bankCode": bank.source_bank_code,
                    "accountNo": bank.source_account_no,
                    "name": bank.source_name,
                },
            },
            "database": sim.config.database,
            **sim.store.counts(),
        }
    )


async def admin_list(sim: SpanSim, request: Request) -> Response:
    try:
        filters, limit = _filters(request.query_params)
    except ApiError as exc:
        raise AdminError(exc.message) from None
    found = sim.store.spms(filters=filters, limit=limit, newest_first=True)
    return JSONResponse({"spms": [sim.spm_json(s) for s in found], "count": len(found)})


async def admin_get(sim: SpanSim, request: Request) -> Response:
    spm = sim.store.spm(str(request.path_params["spm_id"]))
    if spm is None:
        raise AdminError("no such SPM", 404)
    return JSONResponse(sim.spm_json(spm))


async def admin_retry_credits(sim: SpanSim, request: Request) -> Response:
    return JSONResponse(await sim.credits.retry_all())


async def get_faults(sim: SpanSim, request: Request) -> Response:
    return JSONResponse(sim.faults.to_json())


async def put_faults(sim: SpanSim, request: Request) -> Response:
    try:
        sim.faults.update(await _admin_body(request))
    except FaultError as exc:
        raise AdminError(str(exc)) from None
    return JSONResponse(sim.faults.to_json())


async def delete_faults(sim: SpanSim, request: Request) -> Response:
    sim.faults.reset()
    return JSONResponse(sim.faults.to_json())


async def reset(sim: SpanSim, request: Request) -> Response:
    sim.store.reset()
    sim.faults.reset()
    return JSONResponse({"reset": True, "faults": sim.faults.to_json()})


async def health(request: Request) -> Response:
    sim: SpanSim = request.app.state.spansim
    return JSONResponse({"status": "ok", "outage": sim.faults.outage_active()})


# --- the app -----------------------------------------------------------------------------------


def _api(operation: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sim: SpanSim = request.app.state.spansim
        return await sim.handle(operation, handler, request)

    return endpoint


def _routes() -> list[BaseRoute]:
    return [
        Route("/health", health, methods=["GET"]),
        Route("/v1/spms", _api("submit", submit_spm), methods=["POST"]),
        Route("/v1/spms", _api("list", list_spms), methods=["GET"]),
        Route("/v1/spms/by-number", _api("get", spm_by_number), methods=["GET"]),
        Route("/v1/spms/{spm_id}", _api("get", get_spm), methods=["GET"]),
        Route("/v1/spms/{spm_id}/approve", _api("approve", approve_spm), methods=["POST"]),
        Route("/v1/spms/{spm_id}/reject", _api("reject", reject_spm), methods=["POST"]),
        Route("/v1/spms/{spm_id}/credit", _api("credit", credit_spm), methods=["POST"]),
        Route("/admin", _admin(admin_overview), methods=["GET"]),
        Route("/admin/spms", _admin(admin_list), methods=["GET"]),
        Route("/admin/spms/{spm_id}", _admin(admin_get), methods=["GET"]),
        Route("/admin/credits/retry", _admin(admin_retry_credits), methods=["POST"]),
        Route("/admin/faults", _admin(get_faults), methods=["GET"]),
        Route("/admin/faults", _admin(put_faults), methods=["PUT"]),
        Route("/admin/faults", _admin(delete_faults), methods=["DELETE"]),
        Route("/admin/reset", _admin(reset), methods=["POST"]),
    ]


def create_app(config: SpanSimConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """The simulator as an ASGI app; ``clock`` (epoch seconds) drives dates (SPM dates, SP2D
    dates, TUP due dates) and the credit retry schedule, so tests can move time. The signature's
    timestamp window is always checked against real time. The background credit retry runs
    while the app's lifespan is open (under uvicorn)."""
    sim = SpanSim(config, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(sim.credits.run(stop), name="spansim-credits")
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()

    app = Starlette(routes=_routes(), lifespan=lifespan, max_body_size=MAX_BODY)
    app.state.spansim = sim
    return app
