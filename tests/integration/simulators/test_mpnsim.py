"""The MPN simulator over real HTTP on loopback (the shared uvicorn of conftest.py, and once as
a process): billing codes, validation, idempotency, status, payment with NTPN, expiry with a
movable clock, signatures, and injected faults. No Django database: the simulator keeps its own
SQLite (``:memory:`` here)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from digipay.simulators.mpnsim import (
    ConfigError,
    config_from_dict,
    create_app,
    load_config,
    sign,
    string_to_sign,
)
from digipay.simulators.mpnsim import codes as mpn_codes
from digipay.simulators.mpnsim.__main__ import main
from digipay.simulators.mpnsim.config import DEMO_CONFIG
from digipay.snap import values

from .conftest import live_client

CLIENT_ID, SECRET = "digipay", "test-mpn-secret-0123456789"
OTHER_ID, OTHER_SECRET = "other", "other-mpn-secret-0123456789"
NPWP = "0012345678901000"
NITKU = NPWP + "000000"
WEEK = 7 * 24 * 3600
NTPN = re.compile(r"[0-9A-Z]{16}")

# Pinned vector (docs/mpnsim.md), checked with `openssl dgst -sha256 -hmac`.
VECTOR_BODY = (
    b'{"billingCode":"012345678901237","amount":150000,"bankCode":"002","bankReference":"TRX-0001"}'
)
VECTOR_SIGNATURE = "62a3e2fdd97a08e5361cbcb8baeed917d2b04333a872795e9b2ad57b7db74c7b"


class Clock:
    """Wall time plus an offset the test moves (epoch seconds, as the simulator wants)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """The test's own implementation of the documented signature (not the simulator's)."""
    digest = hashlib.sha256(body).hexdigest()
    message = f"{method}\n{path}\n{timestamp}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Mpn:
    def __init__(self, http: httpx.Client, clock: Callable[[], float]) -> None:
        self.http = http
        self.clock = clock
        self._refs = 0

    def timestamp(self, offset: float = 0) -> str:
        return values.format_timestamp(datetime.fromtimestamp(self.clock() + offset, UTC))

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content: bytes | None = None,
        client_id: str = CLIENT_ID,
        secret: str = SECRET,
        timestamp: str | None = None,
        signed_path: str | None = None,
        signed_body: bytes | None = None,
        drop: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        if content is None:
            content = b"" if body is None else json.dumps(body).encode()
        timestamp = timestamp or self.timestamp()
        headers = {
            "X-CLIENT-ID": client_id,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": _sign(
                secret,
                method,
                signed_path or path,
                timestamp,
                content if signed_body is None else signed_body,
            ),
            "Content-Type": "application/json",
        }
        if drop:
            del headers[drop]
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        return self.http.request(method, path, content=content, headers=headers, **extra)

    def next_reference(self) -> str:
        self._refs += 1
        return f"DEP-{self._refs:06d}"

    def billing_body(self, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reference": self.next_reference(),
            "npwp": NPWP,
            "nitku": NITKU,
            "name": "CV SINAR JAYA ABADI",
            "taxAccount": "411122",
            "depositType": "100",
            "periodMonth": 1,
            "periodYear": 2025,
            "amount": 150_000,
        }
        body.update(changes)
        return body

    def create(self, **changes: Any) -> httpx.Response:
        return self.call("POST", "/v1/billings", self.billing_body(**changes))

    def created(self, **changes: Any) -> dict[str, Any]:
        response = self.create(**changes)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    def status(self, code: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", f"/v1/billings/{code}", **kwargs)

    def pay(
        self,
        code: str,
        amount: int = 150_000,
        bank_code: str = "002",
        bank_reference: str = "TRX-0001",
        **kwargs: Any,
    ) -> httpx.Response:
        body = {
            "billingCode": code,
            "amount": amount,
            "bankCode": bank_code,
            "bankReference": bank_reference,
        }
        return self.call("POST", "/v1/payments", body, **kwargs)


def config(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clients": [
            {"clientId": CLIENT_ID, "secret": SECRET, "name": "Digipay"},
            {"clientId": OTHER_ID, "secret": OTHER_SECRET},
        ],
        "collectingBanks": ["002", "008", "009", "200"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mpn_factory(clock: Clock) -> Iterator[Callable[..., Mpn]]:
    stack: list[Any] = []

    def make(timeout: float = 5.0, **overrides: Any) -> Mpn:
        app = create_app(config_from_dict(config(**overrides)), clock=clock)
        manager = live_client(app, timeout=timeout)
        http = manager.__enter__()
        stack.append(manager)
        return Mpn(http, clock)

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def mpn(mpn_factory: Callable[..., Mpn]) -> Mpn:
    return mpn_factory()


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    assert data["code"] == code, data
    return data


# --- the signature -----------------------------------------------------------------------------


def test_signature_vector_is_pinned() -> None:
    timestamp = "2026-11-28T09:00:00.000+07:00"
    assert string_to_sign("POST", "/v1/payments", timestamp, VECTOR_BODY) == (
        "POST\n/v1/payments\n2026-11-28T09:00:00.000+07:00\n"
        "5657438058fd145e65c86e09b08a4135abcb7bac242c7f3ba22a05d64a93b6e9"
    )
    secret = json.loads(DEMO_CONFIG.read_text())["clients"][0]["secret"]
    assert sign(secret, "POST", "/v1/payments", timestamp, VECTOR_BODY) == VECTOR_SIGNATURE
    assert _sign(secret, "POST", "/v1/payments", timestamp, VECTOR_BODY) == VECTOR_SIGNATURE


# --- creating billings -------------------------------------------------------------------------


def test_a_billing_is_created_unpaid_with_a_tax_billing_code(mpn: Mpn) -> None:
    body = mpn.billing_body(name="  CV SINAR JAYA ABADI ")
    response = mpn.call("POST", "/v1/billings", body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert mpn_codes.is_billing_code(data["billingCode"])
    assert data["status"] == "UNPAID"
    assert data["name"] == "CV SINAR JAYA ABADI"
    assert data["taxAccount"] == "411122"
    assert data["depositType"] == "100"
    assert (data["periodMonth"], data["periodYear"], data["amount"]) == (1, 2025, 150_000)
    assert data["ntpn"] is None
    assert data["paidAt"] is None
    created = values.parse_timestamp(data["createdAt"])
    expires = values.parse_timestamp(data["expiresAt"])
    assert (expires - created).total_seconds() == pytest.approx(WEEK, abs=0.01)
    assert data["createdAt"].endswith("+07:00")


@pytest.mark.parametrize(
    ("account", "deposit_type"),
    [
        ("411122", "100"),
        ("411124", "104"),
        ("411124", "100"),
        ("411128", "423"),
        ("411128", "420"),
        ("411211", "900"),
        ("411211", "100"),
    ],
)
def test_each_tax_account_with_its_deposit_types(mpn: Mpn, account: str, deposit_type: str) -> None:
    data = mpn.created(taxAccount=account, depositType=deposit_type)
    assert data["taxAccount"] == account


LONG = "A" * 65


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": None}, "reference"),
        ({"reference": ""}, "reference"),
        ({"reference": "DEP 1"}, "reference"),
        ({"reference": "DEP/1"}, "reference"),
        ({"reference": LONG}, "reference"),
        ({"reference": 12}, "reference"),
        ({"npwp": None}, "npwp"),
        ({"npwp": "001234567890100"}, "npwp"),
        ({"npwp": "00123456789010000"}, "npwp"),
        ({"npwp": "00123456789010AB"}, "npwp"),
        ({"npwp": 12345678901234567}, "npwp"),
        ({"npwp": "００１２３４５６７８９０１０００"}, "npwp"),
        ({"nitku": None}, "nitku"),
        ({"nitku": NPWP + "00000"}, "nitku"),
        ({"nitku": "9912345678901000000000"}, "nitku"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X" * 101}, "name"),
        ({"name": "CV A\nB"}, "name"),
        ({"name": 5}, "name"),
        ({"taxAccount": None}, "taxAccount"),
        ({"taxAccount": "411121"}, "taxAccount"),
        ({"taxAccount": "411125"}, "taxAccount"),
        ({"taxAccount": "423111"}, "taxAccount"),
        ({"taxAccount": 411122}, "taxAccount"),
        ({"depositType": None}, "depositType"),
        ({"depositType": "10"}, "depositType"),
        ({"depositType": "999"}, "depositType"),
        ({"depositType": "104"}, "depositType"),  # a PPh 23 code under PPh 22
        ({"taxAccount": "411211", "depositType": "104"}, "depositType"),
        ({"periodMonth": None}, "periodMonth"),
        ({"periodMonth": 0}, "periodMonth"),
        ({"periodMonth": 13}, "periodMonth"),
        ({"periodMonth": "11"}, "periodMonth"),
        ({"periodMonth": 1.0}, "periodMonth"),
        ({"periodMonth": True}, "periodMonth"),
        ({"periodYear": None}, "periodYear"),
        ({"periodYear": 1999}, "periodYear"),
        ({"periodYear": 9000}, "periodYear"),  # after the current month
        ({"amount": None}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": 150000.0}, "amount"),
        ({"amount": "150000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 10**15}, "amount"),
        ({"currency": "IDR"}, "currency"),
    ],
)
def test_billing_validation_names_the_field(mpn: Mpn, changes: dict[str, Any], field: str) -> None:
    body = mpn.billing_body(**changes)
    for key in [k for k, v in changes.items() if v is None]:
        del body[key]
    data = error(mpn.call("POST", "/v1/billings", body), 422, "INVALID_FIELD")
    assert data["field"] == field
    assert data["message"].startswith(field)
    assert mpn.call("GET", "/admin/billings").json()["billings"] == []


def test_a_period_in_the_current_month_is_accepted_the_next_is_not(mpn: Mpn) -> None:
    now = datetime.fromtimestamp(mpn.clock(), UTC).astimezone(values.WIB)
    mpn.created(periodMonth=now.month, periodYear=now.year)
    following = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    response = mpn.create(periodMonth=following[1], periodYear=following[0])
    assert error(response, 422, "INVALID_FIELD")["field"] == "periodYear"


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"x"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(mpn: Mpn, content: bytes) -> None:
    error(mpn.call("POST", "/v1/billings", content=content), 400, "BAD_REQUEST")


def test_the_same_reference_and_body_returns_the_same_billing(mpn: Mpn) -> None:
    body = mpn.billing_body()
    first = mpn.call("POST", "/v1/billings", body)
    again = mpn.call("POST", "/v1/billings", body)
    reordered = mpn.call("POST", "/v1/billings", dict(reversed(list(body.items()))))
    assert first.status_code == 201
    assert again.status_code == 200
    assert reordered.status_code == 200
    assert first.json() == again.json() == reordered.json()
    assert len(mpn.call("GET", "/admin/billings").json()["billings"]) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 150_001},
        {"taxAccount": "411211", "depositType": "900"},
        {"periodMonth": 2},
        {"npwp": "0099999999999000", "nitku": "0099999999999000000000"},
        {"name": "CV LAIN"},
    ],
)
def test_the_same_reference_with_other_data_is_refused(mpn: Mpn, change: dict[str, Any]) -> None:
    body = mpn.billing_body()
    first = mpn.call("POST", "/v1/billings", body).json()
    data = error(mpn.call("POST", "/v1/billings", {**body, **change}), 409, "REFERENCE_CONFLICT")
    assert data["billingCode"] == first["billingCode"]


def test_references_belong_to_their_client(mpn: Mpn) -> None:
    body = mpn.billing_body()
    mine = mpn.call("POST", "/v1/billings", body).json()
    theirs = mpn.call("POST", "/v1/billings", body, client_id=OTHER_ID, secret=OTHER_SECRET)
    assert theirs.status_code == 201
    assert theirs.json()["billingCode"] != mine["billingCode"]
    found = mpn.call("GET", f"/v1/billings/by-reference/{body['reference']}")
    assert found.json()["billingCode"] == mine["billingCode"]


def test_concurrent_creations_with_one_reference_make_one_billing(mpn: Mpn) -> None:
    body = mpn.billing_body()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: mpn.call("POST", "/v1/billings", body), range(16)))
    assert sorted(a.status_code for a in answers) == [200] * 15 + [201]
    assert len({a.json()["billingCode"] for a in answers}) == 1


def test_billing_codes_are_15_digits_starting_0_to_3_and_unique(mpn: Mpn) -> None:
    seen = {mpn.created()["billingCode"] for _ in range(250)}
    assert len(seen) == 250
    for code in seen:
        assert re.fullmatch(r"[0-3]\d{14}", code), code
        assert mpn_codes.luhn_digit(code[:-1]) == code[-1]
    assert {code[0] for code in seen} == {"0", "1", "2", "3"}
    # And the generator itself, many more times.
    many = [mpn_codes.new_billing_code() for _ in range(20_000)]
    assert all(re.fullmatch(r"[0-3]\d{14}", c) and mpn_codes.is_billing_code(c) for c in many)
    assert {c[0] for c in many} == set("0123")
    assert len(set(many)) == len(many)


def test_the_check_digit_catches_a_single_wrong_digit() -> None:
    code = mpn_codes.new_billing_code()
    for i in range(1, 15):
        for digit in "0123456789":
            if digit != code[i]:
                assert not mpn_codes.is_billing_code(code[:i] + digit + code[i + 1 :])


# --- status ------------------------------------------------------------------------------------


def test_status_and_lookup_by_reference(mpn: Mpn) -> None:
    data = mpn.created()
    status = mpn.status(data["billingCode"])
    assert status.status_code == 200
    assert status.json() == data
    found = mpn.call("GET", f"/v1/billings/by-reference/{data['reference']}")
    assert found.json() == data
    error(mpn.call("GET", "/v1/billings/by-reference/NOPE-1"), 404, "BILLING_NOT_FOUND")
    theirs = mpn.call(
        "GET",
        f"/v1/billings/by-reference/{data['reference']}",
        client_id=OTHER_ID,
        secret=OTHER_SECRET,
    )
    error(theirs, 404, "BILLING_NOT_FOUND")


def test_status_of_an_unknown_or_malformed_code(mpn: Mpn) -> None:
    unknown = mpn_codes.new_billing_code()
    error(mpn.status(unknown), 404, "BILLING_NOT_FOUND")
    for bad in ("12345", "412345678901234", unknown[:-1] + str((int(unknown[-1]) + 1) % 10)):
        assert error(mpn.status(bad), 422, "INVALID_FIELD")["field"] == "billingCode"


# --- payment -----------------------------------------------------------------------------------


def test_payment_gives_an_ntpn_and_ntb_and_status_shows_paid(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    response = mpn.pay(code, bank_code="008", bank_reference="BRI-20261128-0001")
    assert response.status_code == 201, response.text
    paid = response.json()
    assert paid["status"] == "PAID"
    assert NTPN.fullmatch(paid["ntpn"])
    assert re.fullmatch(r"008\d{9}", paid["ntb"])
    assert paid["bankCode"] == "008"
    assert paid["bankReference"] == "BRI-20261128-0001"
    assert abs(values.parse_timestamp(paid["paidAt"]).timestamp() - time.time()) < 5
    assert mpn.status(code).json() == paid
    listed = mpn.call("GET", "/admin/billings?status=PAID").json()["billings"]
    assert [b["billingCode"] for b in listed] == [code]


def test_paying_twice_with_the_same_bank_reference_gives_the_same_ntpn(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    first = mpn.pay(code, bank_reference="TRX-A")
    again = mpn.pay(code, bank_reference="TRX-A")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()


def test_another_reference_for_a_paid_billing_is_refused(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    ntpn = mpn.pay(code, bank_reference="TRX-A").json()["ntpn"]
    error(mpn.pay(code, bank_reference="TRX-B"), 409, "ALREADY_PAID")
    error(mpn.pay(code, bank_code="009", bank_reference="TRX-A"), 409, "ALREADY_PAID")
    assert mpn.status(code).json()["ntpn"] == ntpn


def test_a_bank_reference_cannot_pay_two_billings(mpn: Mpn) -> None:
    first = mpn.created()["billingCode"]
    second = mpn.created()["billingCode"]
    mpn.pay(first, bank_reference="TRX-SAME")
    error(mpn.pay(second, bank_reference="TRX-SAME"), 409, "BANK_REFERENCE_CONFLICT")
    assert mpn.status(second).json()["status"] == "UNPAID"
    assert mpn.pay(second, bank_code="009", bank_reference="TRX-SAME").status_code == 201


@pytest.mark.parametrize("amount", [149_999, 150_001, 1])
def test_the_amount_must_equal_the_billing(mpn: Mpn, amount: int) -> None:
    code = mpn.created()["billingCode"]
    data = error(mpn.pay(code, amount=amount), 422, "AMOUNT_MISMATCH")
    assert data["expectedAmount"] == 150_000
    assert mpn.status(code).json()["status"] == "UNPAID"


def test_distinct_ntpn_and_ntb_per_payment(mpn: Mpn) -> None:
    paid = [
        mpn.pay(mpn.created()["billingCode"], bank_reference=f"T-{i}").json() for i in range(30)
    ]
    assert len({p["ntpn"] for p in paid}) == 30
    assert [p["ntb"] for p in paid] == [f"002{i:09d}" for i in range(1, 31)]


def test_concurrent_payments_with_different_references_pay_once(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: mpn.pay(code, bank_reference=f"R-{i}"), range(12)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 11


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"billingCode": "12345"}, "billingCode"),
        ({"billingCode": "412345678901234"}, "billingCode"),
        ({"billingCode": "012345678901230"}, "billingCode"),  # wrong check digit
        ({"billingCode": 12345678901237}, "billingCode"),
        ({"amount": 0}, "amount"),
        ({"amount": 150000.0}, "amount"),
        ({"amount": "150000"}, "amount"),
        ({"bankCode": "02"}, "bankCode"),
        ({"bankCode": "777"}, "bankCode"),  # not a collecting bank
        ({"bankReference": ""}, "bankReference"),
        ({"bankReference": "TRX 1"}, "bankReference"),
        ({"bankReference": LONG}, "bankReference"),
        ({"ntpn": "X"}, "ntpn"),
    ],
)
def test_payment_validation_names_the_field(mpn: Mpn, changes: dict[str, Any], field: str) -> None:
    code = mpn.created()["billingCode"]
    body = {"billingCode": code, "amount": 150_000, "bankCode": "002", "bankReference": "T-1"}
    body.update(changes)
    data = error(mpn.call("POST", "/v1/payments", body), 422, "INVALID_FIELD")
    assert data["field"] == field
    assert mpn.status(code).json()["status"] == "UNPAID"


def test_paying_an_unknown_billing_is_404(mpn: Mpn) -> None:
    error(mpn.pay(mpn_codes.new_billing_code()), 404, "BILLING_NOT_FOUND")


# --- expiry ------------------------------------------------------------------------------------


def test_a_billing_expires_after_seven_days_and_cannot_be_paid(mpn: Mpn, clock: Clock) -> None:
    body = mpn.billing_body()
    data = mpn.call("POST", "/v1/billings", body).json()
    paid_early = mpn.created()["billingCode"]
    mpn.pay(paid_early, bank_reference="EARLY")
    clock.offset = WEEK - 5
    assert mpn.status(data["billingCode"]).json()["status"] == "UNPAID"
    clock.offset = WEEK + 1
    assert mpn.status(data["billingCode"]).json()["status"] == "EXPIRED"
    error(mpn.pay(data["billingCode"]), 410, "BILLING_EXPIRED")
    # A replay of the creation shows the expired billing; a new reference gets a new code.
    replay = mpn.call("POST", "/v1/billings", body)
    assert replay.status_code == 200
    assert replay.json()["status"] == "EXPIRED"
    fresh = mpn.call("POST", "/v1/billings", {**body, "reference": "DEP-NEW"})
    assert fresh.status_code == 201
    assert fresh.json()["billingCode"] != data["billingCode"]
    # Paid before expiry stays paid, and its replay still answers the same NTPN.
    assert mpn.status(paid_early).json()["status"] == "PAID"
    assert mpn.pay(paid_early, bank_reference="EARLY").status_code == 200
    expired = mpn.call("GET", "/admin/billings?status=expired").json()["billings"]
    assert [b["billingCode"] for b in expired] == [data["billingCode"]]


def test_the_lifetime_is_configurable(mpn_factory: Callable[..., Mpn], clock: Clock) -> None:
    mpn = mpn_factory(billingTtlSeconds=3600)
    data = mpn.created()
    created = values.parse_timestamp(data["createdAt"])
    assert (values.parse_timestamp(data["expiresAt"]) - created).total_seconds() == 3600
    clock.offset = 3601
    error(mpn.pay(data["billingCode"]), 410, "BILLING_EXPIRED")


def test_admin_can_expire_a_billing_now(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    assert mpn.http.post(f"/admin/billings/{code}/expire").json()["status"] == "EXPIRED"
    error(mpn.pay(code), 410, "BILLING_EXPIRED")
    assert mpn.http.post(f"/admin/billings/{'0' * 15}/expire").status_code == 404


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-CLIENT-ID", "X-TIMESTAMP", "X-SIGNATURE"])
def test_a_missing_header_is_401(mpn: Mpn, header: str) -> None:
    response = mpn.call("POST", "/v1/billings", mpn.billing_body(), drop=header)
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "missing_header"


def test_an_unknown_client_is_401(mpn: Mpn) -> None:
    response = mpn.call("POST", "/v1/billings", mpn.billing_body(), client_id="stranger")
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "unknown_client"


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "wrong-secret-0123456789"},
        {"secret": OTHER_SECRET},  # another client's secret
        {"signed_path": "/v1/payments"},
        {"signed_body": b"{}"},
    ],
)
def test_a_bad_signature_is_401_and_changes_nothing(mpn: Mpn, tamper: dict[str, Any]) -> None:
    response = mpn.call("POST", "/v1/billings", mpn.billing_body(), **tamper)
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "signature"
    assert mpn.http.get("/admin/billings").json()["billings"] == []


def test_the_signature_covers_the_query_and_the_method(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    path = f"/v1/billings/{code}"
    assert mpn.call("GET", f"{path}?x=1", signed_path=path).status_code == 401
    assert mpn.call("GET", f"{path}?x=1").status_code == 200
    timestamp = mpn.timestamp()
    headers = {
        "X-CLIENT-ID": CLIENT_ID,
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": _sign(SECRET, "POST", path, timestamp, b""),
    }
    assert mpn.http.get(path, headers=headers).status_code == 401


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
def test_a_stale_or_future_timestamp_is_401(mpn: Mpn, offset: float) -> None:
    response = mpn.call("POST", "/v1/billings", mpn.billing_body(), timestamp=mpn.timestamp(offset))
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "timestamp"


@pytest.mark.parametrize("timestamp", ["yesterday", "2026-11-28T09:00:00", "1764295200"])
def test_a_malformed_timestamp_is_401(mpn: Mpn, timestamp: str) -> None:
    response = mpn.call("POST", "/v1/billings", mpn.billing_body(), timestamp=timestamp)
    assert error(response, 401, "UNAUTHORIZED")["reason"] == "timestamp"


def test_a_timestamp_within_five_minutes_is_accepted(mpn: Mpn) -> None:
    for offset in (-290, 290):
        body = mpn.billing_body()
        response = mpn.call("POST", "/v1/billings", body, timestamp=mpn.timestamp(offset))
        assert response.status_code == 201, response.text


def test_admin_token_when_configured(mpn_factory: Callable[..., Mpn]) -> None:
    mpn = mpn_factory(adminToken="admin-secret")
    assert mpn.http.get("/admin/billings").status_code == 401
    ok = mpn.http.get("/admin/billings", headers={"X-ADMIN-TOKEN": "admin-secret"})
    assert ok.status_code == 200
    assert mpn.http.get("/health").status_code == 200


# --- faults ------------------------------------------------------------------------------------


def test_timeout_after_execution_the_payment_is_recorded(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    faults = {"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 1.0, "operations": ["pay"]}
    assert mpn.http.put("/admin/faults", json=faults).status_code == 200
    with pytest.raises(httpx.ReadTimeout):
        mpn.pay(code, bank_reference="TRX-T", timeout=0.3)
    status = mpn.status(code).json()  # status is not in "operations": answered at once
    assert status["status"] == "PAID"
    assert status["bankReference"] == "TRX-T"
    mpn.http.delete("/admin/faults")
    again = mpn.pay(code, bank_reference="TRX-T")
    assert again.status_code == 200
    assert again.json()["ntpn"] == status["ntpn"]


def test_a_held_answer_ends_in_504_after_execution(mpn: Mpn) -> None:
    faults = {"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 0.1}
    mpn.http.put("/admin/faults", json=faults)
    body = mpn.billing_body()
    started = time.monotonic()
    error(mpn.call("POST", "/v1/billings", body), 504, "TIMEOUT")
    assert time.monotonic() - started >= 0.1
    found = mpn.call("GET", f"/v1/billings/by-reference/{body['reference']}")
    assert found.status_code == 200
    assert found.json()["status"] == "UNPAID"


def test_5xx_before_execution_leaves_the_billing_unpaid(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    mpn.http.put("/admin/faults", json={"errorBeforeExecutionShare": 1})
    error(mpn.pay(code), 500, "INTERNAL_ERROR")
    body = mpn.billing_body()
    error(mpn.call("POST", "/v1/billings", body), 500, "INTERNAL_ERROR")
    assert mpn.status(code).json()["status"] == "UNPAID"
    lookup = mpn.call("GET", f"/v1/billings/by-reference/{body['reference']}")
    error(lookup, 404, "BILLING_NOT_FOUND")
    mpn.http.delete("/admin/faults")
    assert mpn.pay(code).status_code == 201


def test_outage_answers_503_until_it_ends(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    state = mpn.http.put("/admin/faults", json={"outageSeconds": 60}).json()
    assert state["outageRemainingSeconds"] > 59
    for response in (mpn.status(code), mpn.pay(code), mpn.create()):
        assert response.status_code == 503
        assert "outage" in response.text
    assert mpn.http.get("/health").json() == {"status": "ok", "outage": True}
    assert mpn.status(code).status_code == 503
    mpn.http.put("/admin/faults", json={"outageSeconds": 0})
    assert mpn.status(code).json()["status"] == "UNPAID"


def test_outage_from_the_config_ends_by_itself(
    mpn_factory: Callable[..., Mpn], clock: Clock
) -> None:
    mpn = mpn_factory(faults={"outageSeconds": 30})
    assert mpn.create().status_code == 503
    clock.offset = 31
    assert mpn.create().status_code == 201


def test_latency_delays_every_call(mpn: Mpn) -> None:
    mpn.http.put("/admin/faults", json={"latencyMs": 200, "jitterMs": 50, "seed": 7})
    started = time.monotonic()
    assert mpn.create().status_code == 201
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "patch",
    [
        {"latencyMs": -1},
        {"errorBeforeExecutionShare": 2},
        {"operations": ["transfer"]},
        {"operations": "pay"},
        {"nonsense": 1},
        {"seed": "x"},
    ],
)
def test_bad_fault_settings_are_refused(mpn: Mpn, patch: dict[str, Any]) -> None:
    response = mpn.http.put("/admin/faults", json=patch)
    assert response.status_code == 400
    assert response.json()["error"]
    assert mpn.http.get("/admin/faults").json()["latencyMs"] == 0


def test_admin_overview_and_reset(mpn: Mpn) -> None:
    code = mpn.created()["billingCode"]
    mpn.pay(mpn.created()["billingCode"])
    mpn.http.put("/admin/faults", json={"latencyMs": 5})
    overview = mpn.http.get("/admin").json()
    assert overview["billings"] == {"UNPAID": 1, "PAID": 1, "EXPIRED": 0}
    assert overview["taxAccounts"]["411128"] == "PPh Final"
    assert [c["clientId"] for c in overview["clients"]] == [CLIENT_ID, OTHER_ID]
    assert "secret" not in json.dumps(overview)
    assert mpn.http.get(f"/admin/billings/{code}").json()["billingCode"] == code
    assert mpn.http.get("/admin/billings?status=nope").status_code == 400
    reset = mpn.http.post("/admin/reset").json()
    assert reset["faults"]["latencyMs"] == 0
    assert mpn.http.get("/admin/billings").json()["billings"] == []
    error(mpn.status(code), 404, "BILLING_NOT_FOUND")


# --- configuration and the process -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clientz": []}, "unknown keys"),
        ({"clients": []}, "non-empty list"),
        ({"clients": [{"clientId": "x", "secret": "short"}]}, "16 characters"),
        ({"clients": [{"clientId": "a b", "secret": SECRET}]}, "clientId"),
        (
            {"clients": [{"clientId": "x", "secret": SECRET}, {"clientId": "x", "secret": SECRET}]},
            "duplicate",
        ),
        ({"collectingBanks": ["2"]}, "collectingBanks"),
        ({"billingTtlSeconds": 0}, "billingTtlSeconds"),
        ({"faults": {"latencyMs": -1}}, "latencyMs"),
        ({"adminToken": ""}, "adminToken"),
    ],
)
def test_config_refusals_name_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(config(**change))


def test_the_demo_config_has_the_digipay_client() -> None:
    demo = load_config(DEMO_CONFIG)
    client = demo.client("digipay")
    assert client is not None
    assert client.secret.startswith("demo-only")
    assert demo.billing_ttl_seconds == WEEK
    assert demo.database == ":memory:"
    assert {"002", "008", "009", "200"} <= (demo.collecting_banks or set())


def test_a_bad_config_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--config", str(bad)]) == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, database: Path) -> subprocess.Popen[bytes]:
    # ``python -m digipay.cli mpnsim`` is what ``digipay mpnsim`` runs.
    command = [sys.executable, "-m", "digipay.cli", "mpnsim", "--port", str(port)]
    command += ["--database", str(database), "--log-level", "warning"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_healthy(client: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("mpnsim did not start")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def test_the_process_serves_the_demo_client_and_keeps_a_file_database(tmp_path: Path) -> None:
    secret = json.loads(DEMO_CONFIG.read_text())["clients"][0]["secret"]
    database = tmp_path / "mpnsim.sqlite3"
    port = _free_port()
    code = ""
    for run in range(2):
        process = _start(port, database)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3) as http:
                _wait_healthy(http)
                mpn = Mpn(http, time.time)
                if run == 0:
                    response = mpn.call(
                        "POST",
                        "/v1/billings",
                        mpn.billing_body(),
                        client_id="digipay",
                        secret=secret,
                    )
                    assert response.status_code == 201, response.text
                    code = response.json()["billingCode"]
                else:
                    response = mpn.status(code, client_id="digipay", secret=secret)
                    assert response.json()["status"] == "UNPAID"
        finally:
            # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status.
            assert _stop(process) in (0, -signal.SIGTERM)
    assert database.exists()
