"""SNAP values: timestamps, amounts as strings with two decimals, response codes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7))
TIMESTAMP_WINDOW = timedelta(minutes=5)


def format_timestamp(at: datetime) -> str:
    """ISO 8601 with milliseconds and the Jakarta offset, e.g. 2026-11-28T09:00:00.123+07:00."""
    if at.tzinfo is None:
        raise ValueError("aware datetime required")
    return at.astimezone(WIB).isoformat(timespec="milliseconds")


def parse_timestamp(text: str) -> datetime:
    """Accepts the ISO 8601 forms SNAP clients send (offset or Z, with or without fraction)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("timestamp without offset")
    return value


def within_window(text: str, now: datetime, window: timedelta = TIMESTAMP_WINDOW) -> bool:
    try:
        return abs(parse_timestamp(text) - now) <= window
    except ValueError:
        return False


def new_external_id(at: datetime) -> str:
    """A fresh numeric X-EXTERNAL-ID (28 digits: Jakarta time to the microsecond + 8 random),
    unique per day for all practical purposes."""
    return at.astimezone(WIB).strftime("%Y%m%d%H%M%S%f") + f"{secrets.randbelow(10**8):08d}"


_AMOUNT = re.compile(r"^(\d{1,16})\.(\d{2})$")


def format_amount(idr: int) -> str:
    if isinstance(idr, bool) or not isinstance(idr, int) or idr < 0:
        raise ValueError("amount must be a non-negative int of rupiah")
    return f"{idr}.00"


def parse_amount(text: str) -> int:
    """ "12345678.00" → 12345678; rupiah has no cents in practice, so ".50" is refused."""
    match = _AMOUNT.match(text or "")
    if not match or match.group(2) != "00":
        raise ValueError(f"not a whole-rupiah SNAP amount: {text!r}")
    return int(match.group(1))


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """``responseCode`` = HTTP status (3) + service code (2) + case code (2), e.g. 2001800."""

    http_status: int
    service: str
    case: str

    def __str__(self) -> str:
        return f"{self.http_status}{self.service}{self.case}"

    @classmethod
    def parse(cls, text: str) -> ResponseCode:
        if not re.fullmatch(r"\d{7}", text or ""):
            raise ValueError(f"not a SNAP response code: {text!r}")
        return cls(int(text[:3]), text[3:5], text[5:])

    @property
    def success(self) -> bool:
        return 200 <= self.http_status < 300 and self.case == "00"


def code(http_status: int, service: str, case: str) -> str:
    return str(ResponseCode(http_status, service, case))
