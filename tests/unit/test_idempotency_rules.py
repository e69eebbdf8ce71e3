"""Pure rules of idempotency keys: the key's format, the request fingerprint, the decision on a
repeated key, the retention floor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digipay.idempotency import rules
from digipay.idempotency.rules import Decision, RecordState

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ("a", "a"),
        ("k" * 255, "k" * 255),
        ("  bayar-42 ", "bayar-42"),  # surrounding blanks are not part of a header value
        ('"8e03978e-40d5"', "8e03978e-40d5"),  # the draft's quoted Structured Field form
        ("!#$%&'()*+,-./:;<=>?@[]^_`{|}~", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"),
    ],
)
def test_valid_keys(raw: str, key: str) -> None:
    assert rules.parse_key(raw) == key


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        '""',
        "k" * 256,
        "dua kata",  # no spaces inside
        "tab\there",
        "baris\nbaru",
        "kunci-é",  # ASCII only
        "nul\x00",
        "del\x7f",
        '"a"b"',
        '"a\\"b"',
    ],
)
def test_invalid_keys(raw: str) -> None:
    assert rules.parse_key(raw) is None


def test_a_uuid4_is_a_valid_key() -> None:
    key = str(uuid.uuid4())
    assert rules.parse_key(key) == key


def fp(**changes: Any) -> str:
    request: dict[str, Any] = {
        "method": "POST",
        "path": "/api/v1/payments",
        "caller": 7,
        "body": b'{"invoice_ids": [1, 2], "amount_idr": 1500000, "note": "Pembayaran"}',
        "query": [],
    }
    request.update(changes)
    return rules.fingerprint(**request)


def test_the_fingerprint_is_a_sha256() -> None:
    value = fp()
    assert len(value) == 64
    assert int(value, 16) >= 0
    assert fp() == value  # deterministic


def test_json_whitespace_and_key_order_do_not_change_the_fingerprint() -> None:
    spaced = b'{\n  "note" : "Pembayaran",\n  "amount_idr": 1500000,\n  "invoice_ids": [1,2]\n}\n'
    assert fp(body=spaced) == fp()
    nested_a = b'{"a": {"x": 1, "y": [1, {"p": 1, "q": 2}]}, "b": null}'
    nested_b = b'{"b":null,"a":{"y":[1,{"q":2,"p":1}],"x":1}}'
    assert fp(body=nested_a) == fp(body=nested_b)


def test_unicode_escapes_and_literal_characters_are_the_same_json() -> None:
    assert fp(body='{"note": "Rp 1.500.000 – lunas"}'.encode()) == fp(
        body=b'{"note": "Rp 1.500.000 \\u2013 lunas"}'
    )


@pytest.mark.parametrize(
    "change",
    [
        {"body": b'{"invoice_ids": [2, 1], "amount_idr": 1500000, "note": "Pembayaran"}'},
        {"body": b'{"invoice_ids": [1, 2], "amount_idr": 1500001, "note": "Pembayaran"}'},
        {"body": b'{"invoice_ids": [1, 2], "amount_idr": "1500000", "note": "Pembayaran"}'},
        {"body": b'{"invoice_ids": [1, 2], "amount_idr": 1500000}'},
        {"body": b""},
        {"path": "/api/v1/payments/batch"},
        {"method": "PUT"},
        {"caller": 8},
        {"query": [("dry_run", "true")]},
    ],
)
def test_any_other_difference_changes_the_fingerprint(change: dict[str, Any]) -> None:
    assert fp(**change) != fp()


def test_the_method_is_compared_case_insensitively_and_query_order_does_not_matter() -> None:
    assert fp(method="post") == fp()
    assert fp(query=[("b", "2"), ("a", "1")]) == fp(query=[("a", "1"), ("b", "2")])


def test_non_json_bodies_are_compared_byte_for_byte() -> None:
    assert fp(body=b"a=1&b=2") == fp(body=b"a=1&b=2")
    assert fp(body=b"a=1&b=2") != fp(body=b"b=2&a=1")
    assert fp(body=b"\xff\xfe") != fp(body=b"\xff\xff")  # not UTF-8: raw
    # A raw body that happens to spell canonical JSON is still not that JSON body.
    assert rules.canonical_body(b'{"a":1}') != rules.canonical_body(b"raw:" + b'{"a":1}')
    assert rules.canonical_body(b"") != rules.canonical_body(b"raw:")


def test_the_caller_and_the_body_cannot_be_confused() -> None:
    # The head is length-safe JSON: moving text between fields changes the fingerprint.
    assert fp(path="/a", caller="1") != fp(path="/a1", caller="")


def decide(**changes: Any) -> Decision:
    situation: dict[str, Any] = {
        "state": RecordState.COMPLETED,
        "stored_fingerprint": "f" * 64,
        "fingerprint": "f" * 64,
        "started_at": T0,
        "expires_at": T0 + timedelta(hours=24),
        "now": T0 + timedelta(seconds=5),
        "lease": LEASE,
    }
    situation.update(changes)
    return rules.decide(**situation)


def test_decisions_on_a_repeated_key() -> None:
    assert decide() == Decision.REPLAY
    assert decide(fingerprint="0" * 64) == Decision.MISMATCH
    assert decide(state=RecordState.IN_PROGRESS) == Decision.IN_PROGRESS
    # Another request under a running key is a mismatch too, not a wait.
    assert decide(state=RecordState.IN_PROGRESS, fingerprint="0" * 64) == Decision.MISMATCH


def test_a_claim_older_than_its_lease_may_be_taken_over() -> None:
    running = {"state": RecordState.IN_PROGRESS}
    assert decide(**running, now=T0 + LEASE - timedelta(seconds=1)) == Decision.IN_PROGRESS
    assert decide(**running, now=T0 + LEASE) == Decision.TAKE_OVER
    # A finished request is replayed however old (within its retention).
    assert decide(now=T0 + timedelta(hours=23)) == Decision.REPLAY


def test_an_expired_record_is_forgotten_whatever_it_holds() -> None:
    end = T0 + timedelta(hours=24)
    assert decide(now=end) == Decision.EXPIRED
    assert decide(now=end, fingerprint="0" * 64) == Decision.EXPIRED
    assert decide(now=end - timedelta(microseconds=1)) == Decision.REPLAY


def test_retention_is_at_least_24_hours() -> None:
    assert rules.retention(24) == timedelta(hours=24)
    assert rules.retention(72) == timedelta(hours=72)
    with pytest.raises(ValueError, match="at least 24"):
        rules.retention(23)
    assert rules.lease(5) == timedelta(minutes=5)
    with pytest.raises(ValueError, match="at least 1"):
        rules.lease(0)


def test_ignored_fields_are_left_out_of_the_fingerprint() -> None:
    with_otp = b'{"invoices": [1], "otp": "123456"}'
    renewed = b'{"otp": "654321", "invoices": [1]}'
    assert fp(body=with_otp) != fp(body=renewed)
    assert fp(body=with_otp, ignore={"otp"}) == fp(body=renewed, ignore={"otp"})
    assert fp(body=with_otp, ignore={"otp"}) == fp(body=b'{"invoices": [1]}')
    # Only top-level fields of an object; everything else still counts.
    assert fp(body=b'{"invoices": [2], "otp": "1"}', ignore={"otp"}) != fp(
        body=with_otp, ignore={"otp"}
    )
    assert fp(body=b'{"a": {"otp": "1"}}', ignore={"otp"}) != fp(
        body=b'{"a": {"otp": "2"}}', ignore={"otp"}
    )
    assert fp(body=b'["otp"]', ignore={"otp"}) != fp(body=b"[]", ignore={"otp"})
