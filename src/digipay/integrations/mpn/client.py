"""The MPN client: tax billing codes, their status, and the payment report (docs/mpnsim.md).

Every call is signed with the client's secret: ``X-CLIENT-ID``, ``X-TIMESTAMP`` (ISO 8601 with
offset) and ``X-SIGNATURE`` = lower-hex HMAC-SHA256 over
``METHOD\\npath\\ntimestamp\\nlowerhex(sha256(body))``, the path as sent (with ``?query``).

**Never a blind retry of a write.** Both writes are idempotent on the MPN side (a billing by
the depositor's ``reference``, a payment by the bank's ``bank_reference``), but after an
``MpnOutcomeUnknown`` the caller asks first: ``billing_by_reference`` after ``create_billing``,
``billing_status`` after ``pay_billing``, and only then decides to send again (with the same
reference) or to record what happened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from digipay.core import clock
from digipay.integrations.mpn.errors import (
    MpnError,
    MpnOutcomeUnknown,
    MpnRejected,
    MpnUnavailable,
)
from digipay.snap import values

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

# Tax account code (akun pajak) and deposit type code (kode jenis setoran) of each deposit
# Digipay makes, keyed by ``tax.rules.Tax`` values (the payments app maps its deposits here).
TAX_ACCOUNTS: dict[str, str] = {
    "PPH22": "411122",
    "PPH23": "411124",
    "PPH_FINAL": "411128",
    "PPN": "411211",
}
DEPOSIT_TYPES: dict[str, str] = {
    "PPH22": "100",  # PPh 22 collected by the treasurer
    "PPH23": "104",  # PPh 23 on services, withheld
    "PPH_FINAL": "423",  # PPh final UMKM withheld by a collector
    "PPN": "900",  # PPN collected by the treasurer
}


def deposit_codes(tax: str) -> tuple[str, str]:
    """(akun pajak, kode jenis setoran) of one of Digipay's deposits, e.g. ("411122", "100")."""
    try:
        return TAX_ACCOUNTS[tax], DEPOSIT_TYPES[tax]
    except KeyError:
        raise ValueError(f"no MPN deposit codes for tax {tax!r}") from None


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> str:
    return f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class BillingStatus(StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class BillingRequest:
    """One deposit to bill. ``reference`` is ours (e.g. the deposit's id): the same reference
    with the same data gives the same billing code; with other data it is refused."""

    reference: str
    npwp: str  # NPWP-16 or NIK of the taxpayer
    nitku: str  # 22 digits: npwp + 6-digit place of business
    name: str
    tax_account: str  # akun pajak, e.g. "411122"
    deposit_type: str  # kode jenis setoran, e.g. "100"
    period_month: int
    period_year: int
    amount_idr: int

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "npwp": self.npwp,
            "nitku": self.nitku,
            "name": self.name,
            "taxAccount": self.tax_account,
            "depositType": self.deposit_type,
            "periodMonth": self.period_month,
            "periodYear": self.period_year,
            "amount": self.amount_idr,
        }


@dataclass(frozen=True, slots=True)
class Billing:
    billing_code: str
    status: BillingStatus
    reference: str
    npwp: str
    nitku: str
    name: str
    tax_account: str
    deposit_type: str
    period_month: int
    period_year: int
    amount_idr: int
    created_at: datetime
    expires_at: datetime
    ntpn: str | None = None
    ntb: str | None = None
    paid_at: datetime | None = None
    bank_code: str | None = None
    bank_reference: str | None = None

    @property
    def paid(self) -> bool:
        return self.status == BillingStatus.PAID

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Billing:
        paid_at = data.get("paidAt")
        return cls(
            billing_code=str(data["billingCode"]),
            status=BillingStatus(data["status"]),
            reference=str(data["reference"]),
            npwp=str(data["npwp"]),
            nitku=str(data["nitku"]),
            name=str(data["name"]),
            tax_account=str(data["taxAccount"]),
            deposit_type=str(data["depositType"]),
            period_month=int(data["periodMonth"]),
            period_year=int(data["periodYear"]),
            amount_idr=_int(data["amount"]),
            created_at=values.parse_timestamp(str(data["createdAt"])),
            expires_at=values.parse_timestamp(str(data["expiresAt"])),
            ntpn=_opt(data.get("ntpn")),
            ntb=_opt(data.get("ntb")),
            paid_at=values.parse_timestamp(str(paid_at)) if paid_at else None,
            bank_code=_opt(data.get("bankCode")),
            bank_reference=_opt(data.get("bankReference")),
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


class MpnClient:
    """One MPN endpoint with one client id and secret (thread-safe as httpx.Client is)."""

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
                "MPN client needs DIGIPAY_MPN_URL, DIGIPAY_MPN_CLIENT_ID and DIGIPAY_MPN_SECRET"
            )
        self.client_id = client_id
        self._secret = secret
        self.http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.now = now

    @classmethod
    def from_settings(cls, **kwargs: Any) -> MpnClient:
        return cls(
            settings.DIGIPAY_MPN_URL,
            settings.DIGIPAY_MPN_CLIENT_ID,
            settings.DIGIPAY_MPN_SECRET,
            **kwargs,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MpnClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> httpx.Response:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        request = self.http.build_request(method, path, content=content or None)
        timestamp = values.format_timestamp(self.now())
        signed_path = request.url.raw_path.decode("ascii")
        request.headers["X-CLIENT-ID"] = self.client_id
        request.headers["X-TIMESTAMP"] = timestamp
        request.headers["X-SIGNATURE"] = sign(self._secret, method, signed_path, timestamp, content)
        if body is not None:
            request.headers["Content-Type"] = "application/json"
        return self.http.send(request)

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None, *, write: bool
    ) -> Billing:
        """Send, and turn every outcome into a Billing or one of the three errors. A write's
        uncertain outcome is MpnOutcomeUnknown; a read's is MpnUnavailable (it changed nothing)."""
        uncertain = MpnOutcomeUnknown if write else MpnUnavailable
        try:
            response = self._send(method, path, body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise MpnUnavailable("MPN unreachable", code="unreachable") from exc
        except httpx.TimeoutException as exc:
            raise uncertain("MPN did not answer in time", code="timeout") from exc
        except httpx.TransportError as exc:
            raise uncertain(
                "connection to the MPN broke during the call", code="transport"
            ) from exc
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
            raise MpnUnavailable(
                f"MPN unavailable: {message}", code=code or "unavailable", status=503
            )
        if status >= 500:
            raise uncertain(
                f"MPN error {status}: {message}", code=code or str(status), status=status
            )
        if status >= 400:
            raise MpnRejected(message, code=code, status=status, field=str(data.get("field", "")))
        try:
            return Billing.from_json(data)
        except (KeyError, ValueError, TypeError) as exc:
            raise uncertain(
                f"unreadable MPN answer ({status})", code="unreadable", status=status
            ) from exc

    # --- operations ----------------------------------------------------------------------------

    def create_billing(self, request: BillingRequest) -> Billing:
        """A billing code for one deposit (``POST /v1/billings``).

        Idempotent by ``request.reference``: sending the same request again returns the same
        billing (even once expired or paid); the same reference with other data is refused
        (``MpnRejected`` code ``REFERENCE_CONFLICT``). On ``MpnOutcomeUnknown`` (timeout, 5xx)
        do not simply retry: ask ``billing_by_reference(request.reference)``; if it is not found
        nothing was created and the same request may be sent again."""
        return self._call("POST", "/v1/billings", request.to_json(), write=True)

    def billing_status(self, billing_code: str) -> Billing:
        """Status of a billing code (``GET /v1/billings/{code}``): UNPAID, PAID (with NTPN, NTB
        and the time of payment) or EXPIRED. Unknown code: ``MpnRejected`` ``BILLING_NOT_FOUND``.
        A timeout or 5xx raises ``MpnUnavailable`` (nothing changed; ask again later)."""
        return self._call("GET", f"/v1/billings/{billing_code}", None, write=False)

    def billing_by_reference(self, reference: str) -> Billing | None:
        """The billing this client created with ``reference``, or None if there is none: how an
        unknown outcome of ``create_billing`` is resolved."""
        try:
            return self._call("GET", f"/v1/billings/by-reference/{reference}", None, write=False)
        except MpnRejected as exc:
            if exc.code == "BILLING_NOT_FOUND":
                return None
            raise

    def pay_billing(
        self, billing_code: str, *, amount_idr: int, bank_code: str, bank_reference: str
    ) -> Billing:
        """Report the payment of a billing code as the collecting bank would
        (``POST /v1/payments``) and get its NTPN and NTB.

        In production the bank reports the payment to the MPN itself; in the simulation the
        payments worker calls this after its transfer to the state account has succeeded, with
        that transfer's bank and reference. ``amount_idr`` must equal the billing's amount.

        Idempotent by (``bank_code``, ``bank_reference``): the same report again returns the
        same NTPN. Refusals (``MpnRejected``): ``AMOUNT_MISMATCH``, ``ALREADY_PAID`` (paid with
        another reference), ``BANK_REFERENCE_CONFLICT``, ``BILLING_EXPIRED`` (create a new
        billing with a new reference), ``BILLING_NOT_FOUND``.

        **An unknown outcome is resolved by a status inquiry, never by a blind retry**: on
        ``MpnOutcomeUnknown`` call ``billing_status(billing_code)``. PAID with our
        ``bank_reference`` means it was recorded (take the NTPN from there); UNPAID means it was
        not, and the same report may be sent again; PAID with another reference is a conflict
        for a person to look at."""
        body = {
            "billingCode": billing_code,
            "amount": amount_idr,
            "bankCode": bank_code,
            "bankReference": bank_reference,
        }
        return self._call("POST", "/v1/payments", body, write=True)


@contextmanager
def _default_client() -> Iterator[MpnClient]:
    with MpnClient.from_settings() as client:
        yield client


def create_billing(request: BillingRequest, *, client: MpnClient | None = None) -> Billing:
    """``MpnClient.create_billing`` with the configured MPN (see its docstring)."""
    if client is not None:
        return client.create_billing(request)
    with _default_client() as default:
        return default.create_billing(request)


def billing_status(billing_code: str, *, client: MpnClient | None = None) -> Billing:
    """``MpnClient.billing_status`` with the configured MPN."""
    if client is not None:
        return client.billing_status(billing_code)
    with _default_client() as default:
        return default.billing_status(billing_code)


def billing_by_reference(reference: str, *, client: MpnClient | None = None) -> Billing | None:
    """``MpnClient.billing_by_reference`` with the configured MPN."""
    if client is not None:
        return client.billing_by_reference(reference)
    with _default_client() as default:
        return default.billing_by_reference(reference)


def pay_billing(
    billing_code: str,
    *,
    amount_idr: int,
    bank_code: str,
    bank_reference: str,
    client: MpnClient | None = None,
) -> Billing:
    """``MpnClient.pay_billing`` with the configured MPN. An ``MpnOutcomeUnknown`` is resolved
    by ``billing_status(billing_code)``, never by a blind retry (see the method's docstring)."""
    if client is not None:
        return client.pay_billing(
            billing_code, amount_idr=amount_idr, bank_code=bank_code, bank_reference=bank_reference
        )
    with _default_client() as default:
        return default.pay_billing(
            billing_code, amount_idr=amount_idr, bank_code=bank_code, bank_reference=bank_reference
        )


__all__ = [
    "DEPOSIT_TYPES",
    "TAX_ACCOUNTS",
    "Billing",
    "BillingRequest",
    "BillingStatus",
    "MpnClient",
    "MpnError",
    "billing_by_reference",
    "billing_status",
    "create_billing",
    "deposit_codes",
    "pay_billing",
    "sign",
    "string_to_sign",
]
