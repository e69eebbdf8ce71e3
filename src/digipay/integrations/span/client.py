"""The SPAN client: SPMs to the treasury, the KPPN's decision, the SP2D (docs/spansim.md).

Every call is signed with the client's secret exactly as for the MPN: ``X-CLIENT-ID``,
``X-TIMESTAMP`` (ISO 8601 with offset) and ``X-SIGNATURE`` = lower-hex HMAC-SHA256 over
``METHOD\\npath\\ntimestamp\\nlowerhex(sha256(body))``, the path as sent (with ``?query``).

**Never a blind resend of a write.** Submission is idempotent by (satker, SPM number) and the
decisions by the SPM's state, but when a write's outcome is unknown (timeout, broken
connection, 5xx other than 503) the client *asks* SPAN before answering: ``find_spm`` after
``submit_spm``, ``get_spm`` after ``approve_spm`` / ``reject_spm`` / ``retry_credit``. If the
answer settles it, the caller gets the SPM as if the call had answered; if it does not (the SPM
is not there, or not decided, or SPAN cannot be asked), ``SpanOutcomeUnknown`` is raised and
the caller asks again later, then decides to send again (with the same SPM number).

The SP2D's credit to the treasurer's account is SPAN's business (``Spm.credit``): PENDING
until the bank has booked it, CREDITED with the bank's reference, FAILED if the bank refused
(e.g. closed account), NONE for a PTUP (an SP2D without money).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from digipay.core import clock
from digipay.integrations.span.errors import (
    SpanError,
    SpanOutcomeUnknown,
    SpanRejected,
    SpanUnavailable,
)
from digipay.snap import values

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=3.0)  # an approval waits for the bank's credit


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> str:
    return f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class SpmKind(StrEnum):
    GUP = "GUP"  # replenishes UP Tunai (once ≥ 50% spent)
    GUP_KKP = "GUP_KKP"  # replenishes the UP spent on a KKP bill (no minimum)
    TUP = "TUP"  # extra UP for an urgent need, accounted for within a month
    PTUP = "PTUP"  # the accountability of a TUP (an SP2D without money)


class SpmStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class CreditStatus(StrEnum):
    PENDING = "PENDING"
    CREDITED = "CREDITED"
    FAILED = "FAILED"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class BankAccount:
    """The treasurer's account the SP2D credits."""

    bank_code: str
    account_no: str
    account_name: str

    def to_json(self) -> dict[str, Any]:
        return {
            "bankCode": self.bank_code,
            "accountNo": self.account_no,
            "accountName": self.account_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BankAccount:
        return cls(str(data["bankCode"]), str(data["accountNo"]), str(data["accountName"]))


@dataclass(frozen=True, slots=True)
class SpmInvoice:
    """One paid invoice an SPM lists: ``gross_idr`` − the taxes = ``net_idr`` (what the vendor
    got). ``taxes_idr`` maps a tax account code (akun pajak, e.g. "411211") to its amount."""

    number: str
    vendor_name: str
    npwp: str  # 16 digits
    akun: str  # expenditure account (akun belanja), 6 digits, e.g. "521211"
    gross_idr: int
    net_idr: int
    taxes_idr: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "vendorName": self.vendor_name,
            "npwp": self.npwp,
            "akun": self.akun,
            "gross": self.gross_idr,
            "taxes": dict(self.taxes_idr),
            "net": self.net_idr,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpmInvoice:
        taxes = data.get("taxes") or {}
        return cls(
            number=str(data["number"]),
            vendor_name=str(data["vendorName"]),
            npwp=str(data["npwp"]),
            akun=str(data["akun"]),
            gross_idr=_int(data["gross"]),
            net_idr=_int(data["net"]),
            taxes_idr={str(k): _int(v) for k, v in taxes.items()},
        )


@dataclass(frozen=True, slots=True)
class SpmRequest:
    """One SPM as the PPSPM signed it. GUP and PTUP list their invoices (their gross amounts
    add up to ``amount_idr``); GUP KKP may; a TUP lists none. A PTUP names the SP2D of the TUP
    it accounts for. The same (satker, ``spm_number``) with the same data is the same SPM."""

    kind: SpmKind
    satker_code: str
    kppn_code: str
    spm_number: str
    spm_date: date
    fiscal_year: int
    amount_idr: int
    beneficiary: BankAccount
    ppspm_signature: str  # reference of the PPSPM's signature
    invoices: tuple[SpmInvoice, ...] = ()
    tup_sp2d_number: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "satkerCode": self.satker_code,
            "kppnCode": self.kppn_code,
            "spmNumber": self.spm_number,
            "spmDate": self.spm_date.isoformat(),
            "fiscalYear": self.fiscal_year,
            "amount": self.amount_idr,
            "beneficiary": self.beneficiary.to_json(),
            "ppspmSignature": self.ppspm_signature,
        }
        if self.invoices or self.kind != SpmKind.TUP:
            data["invoices"] = [i.to_json() for i in self.invoices]
        if self.tup_sp2d_number is not None:
            data["tupSp2dNumber"] = self.tup_sp2d_number
        return data


@dataclass(frozen=True, slots=True)
class Credit:
    status: CreditStatus
    remark: str | None  # what the treasurer's statement shows: "SP2D <number>"
    bank_reference: str | None
    credited_at: datetime | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Credit:
        return cls(
            status=CreditStatus(data["status"]),
            remark=_opt(data.get("remark")),
            bank_reference=_opt(data.get("bankReference")),
            credited_at=_time(data.get("creditedAt")),
            attempts=_int(data["attempts"]),
            last_error=_opt(data.get("lastError")),
            next_attempt_at=_time(data.get("nextAttemptAt")),
        )


@dataclass(frozen=True, slots=True)
class TupInfo:
    due_date: date  # the PTUP is due by then (one month after the SP2D)
    accounted_by_sp2d_number: str | None
    accounted_at: datetime | None
    overdue: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TupInfo:
        return cls(
            due_date=date.fromisoformat(str(data["dueDate"])),
            accounted_by_sp2d_number=_opt(data.get("accountedBySp2dNumber")),
            accounted_at=_time(data.get("accountedAt")),
            overdue=bool(data["overdue"]),
        )


@dataclass(frozen=True, slots=True)
class Spm:
    spm_id: str
    kind: SpmKind
    status: SpmStatus
    satker_code: str
    kppn_code: str
    spm_number: str
    spm_date: date
    fiscal_year: int
    amount_idr: int
    beneficiary: BankAccount
    ppspm_signature: str
    invoices: tuple[SpmInvoice, ...]
    tax_total_idr: int
    submitted_at: datetime
    tup_sp2d_number: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection_reason: str | None = None
    sp2d_number: str | None = None
    sp2d_date: date | None = None
    credit: Credit | None = None
    tup: TupInfo | None = None

    @property
    def credited(self) -> bool:
        return self.credit is not None and self.credit.status == CreditStatus.CREDITED

    def matches(self, request: SpmRequest) -> bool:
        """Whether this SPM is what ``request`` asked for (how a found SPM is told from another
        one that happens to carry the same number)."""
        return (
            self.kind == request.kind
            and self.satker_code == request.satker_code
            and self.kppn_code == request.kppn_code
            and self.spm_number == request.spm_number
            and self.spm_date == request.spm_date
            and self.fiscal_year == request.fiscal_year
            and self.amount_idr == request.amount_idr
            and self.beneficiary == request.beneficiary
            and self.ppspm_signature == request.ppspm_signature
            and self.tup_sp2d_number == request.tup_sp2d_number
            and [i.to_json() for i in self.invoices] == [i.to_json() for i in request.invoices]
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Spm:
        credit = data.get("credit")
        tup = data.get("tup")
        sp2d_date = data.get("sp2dDate")
        return cls(
            spm_id=str(data["spmId"]),
            kind=SpmKind(data["kind"]),
            status=SpmStatus(data["status"]),
            satker_code=str(data["satkerCode"]),
            kppn_code=str(data["kppnCode"]),
            spm_number=str(data["spmNumber"]),
            spm_date=date.fromisoformat(str(data["spmDate"])),
            fiscal_year=_int(data["fiscalYear"]),
            amount_idr=_int(data["amount"]),
            beneficiary=BankAccount.from_json(data["beneficiary"]),
            ppspm_signature=str(data["ppspmSignature"]),
            invoices=tuple(SpmInvoice.from_json(i) for i in data["invoices"]),
            tax_total_idr=_int(data["taxTotal"]),
            submitted_at=values.parse_timestamp(str(data["submittedAt"])),
            tup_sp2d_number=_opt(data.get("tupSp2dNumber")),
            decided_by=_opt(data.get("decidedBy")),
            decided_at=_time(data.get("decidedAt")),
            rejection_reason=_opt(data.get("rejectionReason")),
            sp2d_number=_opt(data.get("sp2dNumber")),
            sp2d_date=date.fromisoformat(str(sp2d_date)) if sp2d_date else None,
            credit=Credit.from_json(credit) if credit else None,
            tup=TupInfo.from_json(tup) if tup else None,
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _time(value: object) -> datetime | None:
    return values.parse_timestamp(str(value)) if value else None


class SpanClient:
    """One SPAN endpoint with one client id and secret (thread-safe as httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        if not base_url or not client_id or not secret:
            raise ImproperlyConfigured(
                "SPAN client needs DIGIPAY_SPAN_URL, DIGIPAY_SPAN_CLIENT_ID and DIGIPAY_SPAN_SECRET"
            )
        self.client_id = client_id
        self._secret = secret
        self.http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.now = now

    @classmethod
    def from_settings(cls, **kwargs: Any) -> SpanClient:
        return cls(
            settings.DIGIPAY_SPAN_URL,
            settings.DIGIPAY_SPAN_CLIENT_ID,
            settings.DIGIPAY_SPAN_SECRET,
            **kwargs,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SpanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str | int] | None,
    ) -> httpx.Response:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        request = self.http.build_request(method, path, content=content or None, params=params)
        timestamp = values.format_timestamp(self.now())
        signed_path = request.url.raw_path.decode("ascii")
        request.headers["X-CLIENT-ID"] = self.client_id
        request.headers["X-TIMESTAMP"] = timestamp
        request.headers["X-SIGNATURE"] = sign(self._secret, method, signed_path, timestamp, content)
        if body is not None:
            request.headers["Content-Type"] = "application/json"
        return self.http.send(request)

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        write: bool,
        params: Mapping[str, str | int] | None = None,
    ) -> dict[str, Any]:
        """Send, and turn every outcome into a JSON object or one of the three errors. A write's
        uncertain outcome is SpanOutcomeUnknown; a read's is SpanUnavailable (it changed
        nothing)."""
        uncertain = SpanOutcomeUnknown if write else SpanUnavailable
        try:
            response = self._send(method, path, body, params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise SpanUnavailable("SPAN unreachable", code="unreachable") from exc
        except httpx.TimeoutException as exc:
            raise uncertain("SPAN did not answer in time", code="timeout") from exc
        except httpx.TransportError as exc:
            raise uncertain("connection to SPAN broke during the call", code="transport") from exc
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        code = str(data.get("code", ""))
        message = str(data.get("message", "")) or response.reason_phrase
        if status == 503:
            raise SpanUnavailable(
                f"SPAN unavailable: {message}", code=code or "unavailable", status=503
            )
        if status >= 500:
            raise uncertain(
                f"SPAN error {status}: {message}", code=code or str(status), status=status
            )
        if status >= 400:
            raise SpanRejected(message, code=code, status=status, field=str(data.get("field", "")))
        if not data:
            raise uncertain(f"unreadable SPAN answer ({status})", code="unreadable", status=status)
        return data

    def _spm(self, data: Mapping[str, Any], *, write: bool) -> Spm:
        try:
            return Spm.from_json(data)
        except (KeyError, ValueError, TypeError) as exc:
            uncertain = SpanOutcomeUnknown if write else SpanUnavailable
            raise uncertain("unreadable SPAN answer", code="unreadable") from exc

    def _ask(self, unknown: SpanOutcomeUnknown, ask: Callable[[], Spm | None]) -> Spm | None:
        """The answer to "what happened?" after an unknown outcome, or the unknown outcome
        itself if SPAN cannot be asked either."""
        try:
            return ask()
        except SpanError as exc:
            raise unknown from exc

    # --- reads ---------------------------------------------------------------------------------

    def get_spm(self, spm_id: str) -> Spm:
        """One SPM by SPAN's id (``GET /v1/spms/{spmId}``); unknown: ``SpanRejected``
        ``SPM_NOT_FOUND``. A timeout or 5xx raises ``SpanUnavailable`` (nothing changed)."""
        return self._spm(self._call("GET", f"/v1/spms/{spm_id}", write=False), write=False)

    def find_spm(self, satker_code: str, spm_number: str) -> Spm | None:
        """The SPM this client submitted for ``satker_code`` with ``spm_number``, or None: how
        an unknown outcome of ``submit_spm`` is resolved."""
        params = {"satkerCode": satker_code, "spmNumber": spm_number}
        try:
            data = self._call("GET", "/v1/spms/by-number", write=False, params=params)
        except SpanRejected as exc:
            if exc.code == "SPM_NOT_FOUND":
                return None
            raise
        return self._spm(data, write=False)

    def list_spms(
        self,
        *,
        kppn_code: str | None = None,
        status: SpmStatus | str | None = None,
        satker_code: str | None = None,
        kind: SpmKind | str | None = None,
        limit: int = 100,
    ) -> list[Spm]:
        """This client's SPMs, oldest first, filtered (``GET /v1/spms``): e.g. what waits for a
        KPPN is ``list_spms(kppn_code="019", status=SpmStatus.SUBMITTED)``."""
        params: dict[str, str | int] = {"limit": limit}
        for name, value in (
            ("kppnCode", kppn_code),
            ("status", status),
            ("satkerCode", satker_code),
            ("kind", kind),
        ):
            if value is not None:
                params[name] = str(value)
        data = self._call("GET", "/v1/spms", write=False, params=params)
        try:
            return [Spm.from_json(item) for item in data["spms"]]
        except (KeyError, ValueError, TypeError) as exc:
            raise SpanUnavailable("unreadable SPAN answer", code="unreadable") from exc

    # --- writes --------------------------------------------------------------------------------

    def submit_spm(self, request: SpmRequest) -> Spm:
        """Send an SPM to SPAN (``POST /v1/spms``); it waits, SUBMITTED, for its KPPN.

        Idempotent by (``satker_code``, ``spm_number``): the same request again returns the same
        SPM, whatever its status now; the same number with other data is refused
        (``SpanRejected`` ``SPM_CONFLICT``). Other refusals: ``INVALID_FIELD`` (``field``),
        ``AMOUNT_MISMATCH`` (the invoices' gross amounts do not add up to the SPM's),
        ``INVOICE_NET_MISMATCH``, ``DUPLICATE_INVOICE``, ``INVOICE_ALREADY_CLAIMED`` (listed in
        another SPM that was not rejected), and for a PTUP ``TUP_NOT_FOUND``,
        ``TUP_ALREADY_ACCOUNTED``, ``PTUP_EXCEEDS_TUP``.

        On an unknown outcome the client asks ``find_spm``: found and equal to ``request``, it
        is returned; found with other data, ``SpanRejected`` ``SPM_CONFLICT``; not found (or
        SPAN cannot be asked), ``SpanOutcomeUnknown`` — ask again later, then send the same
        request again (never another number for the same SPM)."""
        try:
            data = self._call("POST", "/v1/spms", request.to_json(), write=True)
        except SpanOutcomeUnknown as unknown:
            found = self._ask(
                unknown, lambda: self.find_spm(request.satker_code, request.spm_number)
            )
            if found is None:
                raise
            if not found.matches(request):
                raise SpanRejected(
                    f"SPM number already used for {found.spm_id} with different data",
                    code="SPM_CONFLICT",
                    status=409,
                ) from unknown
            return found
        return self._spm(data, write=True)

    def _decide(self, spm_id: str, action: str, body: Mapping[str, Any], done: SpmStatus) -> Spm:
        try:
            data = self._call("POST", f"/v1/spms/{spm_id}/{action}", body, write=True)
        except SpanOutcomeUnknown as unknown:
            found = self._ask(unknown, lambda: self.get_spm(spm_id))
            assert found is not None
            if found.status == done:
                return found
            if found.status != SpmStatus.SUBMITTED:
                raise SpanRejected(
                    f"cannot {action} an SPM that is {found.status}",
                    code="INVALID_STATE",
                    status=409,
                ) from unknown
            raise
        return self._spm(data, write=True)

    def approve_spm(self, spm_id: str, *, kppn_code: str, user_id: str) -> Spm:
        """The KPPN user ``user_id`` approves the SPM: SPAN issues the SP2D (number and date;
        for a TUP the PTUP's due date) and credits the treasurer's account at the bank
        (``Spm.credit``: CREDITED, or PENDING while the bank cannot be reached — SPAN retries by
        itself and never credits twice; ``retry_credit`` asks it to try now).

        Approving an approved SPM again returns it unchanged. Refusals: ``SPM_NOT_FOUND``,
        ``WRONG_KPPN`` (the SPM is for another KPPN), ``INVALID_STATE`` (it was rejected).
        An unknown outcome is resolved by ``get_spm``: APPROVED is returned; still SUBMITTED
        raises ``SpanOutcomeUnknown`` (approving again is safe)."""
        body = {"kppnCode": kppn_code, "userId": user_id}
        return self._decide(spm_id, "approve", body, SpmStatus.APPROVED)

    def reject_spm(self, spm_id: str, *, kppn_code: str, user_id: str, reason: str) -> Spm:
        """The KPPN user ``user_id`` rejects the SPM with ``reason`` (1–500 characters); its
        invoices may then be listed in a new SPM (a new number). Rejecting a rejected SPM again
        returns it unchanged; an approved one is ``INVALID_STATE``. Unknown outcomes are
        resolved by ``get_spm`` as for ``approve_spm``."""
        body = {"kppnCode": kppn_code, "userId": user_id, "reason": reason}
        return self._decide(spm_id, "reject", body, SpmStatus.REJECTED)

    def retry_credit(self, spm_id: str) -> Spm:
        """Ask SPAN to settle a PENDING or FAILED credit now (``POST /v1/spms/{id}/credit``):
        it reads the bank statement first and sends only if the credit is not there. Harmless
        to repeat; on an unknown outcome the SPM is read back with ``get_spm``."""
        try:
            data = self._call("POST", f"/v1/spms/{spm_id}/credit", {}, write=True)
        except SpanOutcomeUnknown as unknown:
            found = self._ask(unknown, lambda: self.get_spm(spm_id))
            assert found is not None
            return found
        return self._spm(data, write=True)


@contextmanager
def _default_client() -> Iterator[SpanClient]:
    with SpanClient.from_settings() as client:
        yield client


def submit_spm(request: SpmRequest, *, client: SpanClient | None = None) -> Spm:
    """``SpanClient.submit_spm`` with the configured SPAN (see its docstring)."""
    if client is not None:
        return client.submit_spm(request)
    with _default_client() as default:
        return default.submit_spm(request)


def get_spm(spm_id: str, *, client: SpanClient | None = None) -> Spm:
    """``SpanClient.get_spm`` with the configured SPAN."""
    if client is not None:
        return client.get_spm(spm_id)
    with _default_client() as default:
        return default.get_spm(spm_id)


def find_spm(satker_code: str, spm_number: str, *, client: SpanClient | None = None) -> Spm | None:
    """``SpanClient.find_spm`` with the configured SPAN."""
    if client is not None:
        return client.find_spm(satker_code, spm_number)
    with _default_client() as default:
        return default.find_spm(satker_code, spm_number)


def list_spms(*, client: SpanClient | None = None, **filters: Any) -> list[Spm]:
    """``SpanClient.list_spms`` with the configured SPAN (``kppn_code``, ``status``,
    ``satker_code``, ``kind``, ``limit``)."""
    if client is not None:
        return client.list_spms(**filters)
    with _default_client() as default:
        return default.list_spms(**filters)


def approve_spm(
    spm_id: str, *, kppn_code: str, user_id: str, client: SpanClient | None = None
) -> Spm:
    """``SpanClient.approve_spm`` with the configured SPAN."""
    if client is not None:
        return client.approve_spm(spm_id, kppn_code=kppn_code, user_id=user_id)
    with _default_client() as default:
        return default.approve_spm(spm_id, kppn_code=kppn_code, user_id=user_id)


def reject_spm(
    spm_id: str, *, kppn_code: str, user_id: str, reason: str, client: SpanClient | None = None
) -> Spm:
    """``SpanClient.reject_spm`` with the configured SPAN."""
    if client is not None:
        return client.reject_spm(spm_id, kppn_code=kppn_code, user_id=user_id, reason=reason)
    with _default_client() as default:
        return default.reject_spm(spm_id, kppn_code=kppn_code, user_id=user_id, reason=reason)


def retry_credit(spm_id: str, *, client: SpanClient | None = None) -> Spm:
    """``SpanClient.retry_credit`` with the configured SPAN."""
    if client is not None:
        return client.retry_credit(spm_id)
    with _default_client() as default:
        return default.retry_credit(spm_id)


__all__ = [
    "BankAccount",
    "Credit",
    "CreditStatus",
    "SpanClient",
    "SpanError",
    "SpanOutcomeUnknown",
    "SpanRejected",
    "SpanUnavailable",
    "Spm",
    "SpmInvoice",
    "SpmKind",
    "SpmRequest",
    "SpmStatus",
    "TupInfo",
    "approve_spm",
    "find_spm",
    "get_spm",
    "list_spms",
    "reject_spm",
    "retry_credit",
    "sign",
    "string_to_sign",
    "submit_spm",
]
