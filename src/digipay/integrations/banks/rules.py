"""Pure rules of bank transfers: which SNAP service carries a transfer, and what an answer means.

Routing (DOMAIN.md §7): same bank → intrabank (17); otherwise BI-FAST (18) up to Rp250 juta,
RTGS (22) above Rp100 juta when urgent or above Rp250 juta, SKN (23) up to Rp1 miliar when
not urgent. These are the defaults; a bank's ``403xx02`` (over its limit) moves the transfer to
the next service that may carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from digipay.snap.values import ResponseCode

BI_FAST_MAX = 250_000_000
RTGS_MIN = 100_000_000
SKN_MAX = 1_000_000_000


class Service(StrEnum):
    INTRABANK = "17"
    BI_FAST = "18"
    RTGS = "22"
    SKN = "23"
    STATUS = "36"
    TOKEN = "73"  # noqa: S105 - a SNAP service code
    INQUIRY_INTERNAL = "15"
    INQUIRY_EXTERNAL = "16"
    STATEMENT = "14"
    VA_INQUIRY = "24"
    VA_PAYMENT = "25"
    VA_STATUS = "26"
    VA_CREATE = "27"
    CARD_CHARGE = "92"  # the simulator's own KKP services (docs/banksim.md)
    CARD_BILL = "94"


PATHS: dict[Service, str] = {
    Service.TOKEN: "/v1.0/access-token/b2b",
    Service.INQUIRY_INTERNAL: "/v1.0/account-inquiry-internal",
    Service.INQUIRY_EXTERNAL: "/v1.0/account-inquiry-external",
    Service.INTRABANK: "/v1.0/transfer-intrabank",
    Service.BI_FAST: "/v1.0/transfer-interbank",
    Service.RTGS: "/v1.0/transfer-rtgs",
    Service.SKN: "/v1.0/transfer-skn",
    Service.STATUS: "/v1.0/transfer/status",
    Service.STATEMENT: "/v1.0/bank-statement",
    Service.VA_INQUIRY: "/v1.0/transfer-va/inquiry",
    Service.VA_PAYMENT: "/v1.0/transfer-va/payment",
    Service.VA_STATUS: "/v1.0/transfer-va/status",
    Service.VA_CREATE: "/v1.0/transfer-va/create-va",
    Service.CARD_CHARGE: "/v1.0/card/charge",
    Service.CARD_BILL: "/v1.0/card/bill",
}


def routes(*, same_bank: bool, amount: int, urgent: bool) -> list[Service]:
    """The services that may carry the transfer, best first."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    if same_bank:
        return [Service.INTRABANK]
    candidates: list[Service] = []
    if urgent and amount > RTGS_MIN:
        candidates.append(Service.RTGS)
    if amount <= BI_FAST_MAX:
        candidates.append(Service.BI_FAST)
    if amount > RTGS_MIN and Service.RTGS not in candidates:
        candidates.append(Service.RTGS)
    if not urgent and amount <= SKN_MAX:
        candidates.append(Service.SKN)
    return candidates


class Outcome(StrEnum):
    SUCCESS = "success"
    IN_PROGRESS = "in_progress"  # 202: ask the status
    DUPLICATE_REFERENCE = "duplicate_reference"  # 409xx01: it already happened
    DUPLICATE_EXTERNAL_ID = "duplicate_external_id"  # 409xx00: same id today; ask the status
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - 401 on a call: refresh the token once
    OVER_LIMIT = "over_limit"  # 403xx02: reroute
    INSUFFICIENT_FUNDS = "insufficient_funds"  # 403xx14: fail
    REJECTED = "rejected"  # any other 4xx: fail with the bank's message
    UNKNOWN = "unknown"  # 5xx or anything unreadable: ask the status before any retry


@dataclass(frozen=True, slots=True)
class Classified:
    outcome: Outcome
    code: str
    message: str


def classify(http_status: int, response_code: str | None, message: str = "") -> Classified:
    try:
        parsed = ResponseCode.parse(response_code or "")
    except ValueError:
        return Classified(Outcome.UNKNOWN, response_code or "", message)
    text = str(parsed)
    if http_status != parsed.http_status:
        return Classified(Outcome.UNKNOWN, text, message)
    if parsed.http_status == 202:
        return Classified(Outcome.IN_PROGRESS, text, message)
    if parsed.success:
        return Classified(Outcome.SUCCESS, text, message)
    if parsed.http_status == 409:
        outcome = (
            Outcome.DUPLICATE_REFERENCE if parsed.case == "01" else Outcome.DUPLICATE_EXTERNAL_ID
        )
        return Classified(outcome, text, message)
    if parsed.http_status == 401:
        return Classified(Outcome.TOKEN_INVALID, text, message)
    if parsed.http_status == 403 and parsed.case == "02":
        return Classified(Outcome.OVER_LIMIT, text, message)
    if parsed.http_status == 403 and parsed.case == "14":
        return Classified(Outcome.INSUFFICIENT_FUNDS, text, message)
    if 400 <= parsed.http_status < 500:
        return Classified(Outcome.REJECTED, text, message)
    return Classified(Outcome.UNKNOWN, text, message)
