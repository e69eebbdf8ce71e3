"""A SNAP HTTP client for one bank: B2B token (cached, refreshed), signed calls, recording.

Every exchange is handed to a recorder without secrets (no token, no signature, no client
secret) so that reconciliation can read what was asked and answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from digipay.core import clock
from digipay.integrations.banks.errors import BankRejected, BankTimeout, BankUnavailable
from digipay.integrations.banks.profiles import BankProfile
from digipay.integrations.banks.rules import PATHS, Service
from digipay.snap import signing, values

TOKEN_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Exchange:
    bank_code: str
    service: str
    external_id: str
    partner_reference_no: str
    request_body: Mapping[str, Any]
    status_code: int | None
    response_body: Mapping[str, Any] | None
    error: str
    duration_ms: int


Recorder = Callable[[Exchange], None]


def _no_record(_exchange: Exchange) -> None:
    return None


class SnapClient:
    def __init__(
        self,
        profile: BankProfile,
        *,
        http: httpx.Client | None = None,
        now: Callable[[], datetime] = clock.now,
        recorder: Recorder = _no_record,
    ) -> None:
        self.profile = profile
        self.http = http or httpx.Client(base_url=profile.base_url, timeout=profile.timeout_seconds)
        self.now = now
        self.recorder = recorder
        self._private_key = signing.load_private_key(profile.private_key_pem)
        self._token: str | None = None
        self._token_expires: datetime | None = None

    def invalidate_token(self) -> None:
        self._token = None
        self._token_expires = None

    def token(self) -> str:
        now = self.now()
        if self._token and self._token_expires and now < self._token_expires - TOKEN_MARGIN:
            return self._token
        timestamp = values.format_timestamp(now)
        headers = {
            "X-TIMESTAMP": timestamp,
            "X-CLIENT-KEY": self.profile.client_id,
            "X-SIGNATURE": signing.sign_token_request(
                self._private_key, self.profile.client_id, timestamp
            ),
            "Content-Type": "application/json",
        }
        body = {"grantType": "client_credentials"}
        try:
            response = self.http.post(
                PATHS[Service.TOKEN], content=signing.minify(body), headers=headers
            )
        except httpx.TimeoutException as exc:
            raise BankTimeout("token request timed out", code="timeout") from exc
        except httpx.TransportError as exc:
            raise BankUnavailable("bank unreachable", code="unreachable") from exc
        data = _json(response)
        if response.status_code != 200 or "accessToken" not in data:
            if response.status_code >= 500:
                raise BankUnavailable(
                    "token refused by an unavailable bank", code=str(data.get("responseCode", ""))
                )
            raise BankRejected("token refused", code=str(data.get("responseCode", "")))
        self._token = str(data["accessToken"])
        self._token_expires = now + timedelta(seconds=int(data.get("expiresIn", 900)))
        return self._token

    def post(
        self,
        service: Service,
        body: Mapping[str, Any],
        *,
        external_id: str,
        partner_reference_no: str = "",
    ) -> tuple[int, dict[str, Any]]:
        """Send one signed transaction call. Timeouts raise BankTimeout (the request may have
        been executed); connection failures raise BankUnavailable (it was not sent)."""
        path = PATHS[service]
        token = self.token()
        timestamp = values.format_timestamp(self.now())
        minified = signing.minify(body)
        headers = {
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": signing.sign_symmetric(
                self.profile.client_secret, "POST", path, token, minified, timestamp
            ),
            "X-PARTNER-ID": self.profile.partner_id,
            "X-EXTERNAL-ID": external_id,
            "CHANNEL-ID": self.profile.channel_id,
            "Content-Type": "application/json",
        }
        started = time.monotonic()
        status: int | None = None
        data: dict[str, Any] | None = None
        error = ""
        try:
            response = self.http.post(path, content=minified.encode("utf-8"), headers=headers)
            status = response.status_code
            data = _json(response)
            return status, data
        except httpx.TimeoutException as exc:
            error = "timeout"
            raise BankTimeout("bank did not answer in time", code="timeout") from exc
        except httpx.ConnectError as exc:
            error = "unreachable"
            raise BankUnavailable("bank unreachable", code="unreachable") from exc
        except httpx.TransportError as exc:
            error = "transport"
            raise BankTimeout("connection broken during the call", code="transport") from exc
        finally:
            self.recorder(
                Exchange(
                    bank_code=self.profile.bank_code,
                    service=service.value,
                    external_id=external_id,
                    partner_reference_no=partner_reference_no,
                    request_body=dict(body),
                    status_code=status,
                    response_body=data,
                    error=error,
                    duration_ms=int((time.monotonic() - started) * 1000),
                )
            )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
