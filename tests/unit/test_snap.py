"""SNAP signing and values, pinned by the published Midtrans SNAP-BI-Signature-Demo vector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digipay.snap import signing, values

VECTOR_BODY = (
    '{"partnerReferenceNo":"2020102900000000000001","amount":{"value":"12345678.00",'
    '"currency":"IDR"},"feeAmount":{"value":"12345678.00","currency":"IDR"},'
    '"merchantId":"00007100010926","terminalId":"213141251124",'
    '"validityPeriod":"2009-07-03T12:08:56-07:00"}'
)
VECTOR_DICT = {
    "partnerReferenceNo": "2020102900000000000001",
    "amount": {"value": "12345678.00", "currency": "IDR"},
    "feeAmount": {"value": "12345678.00", "currency": "IDR"},
    "merchantId": "00007100010926",
    "terminalId": "213141251124",
    "validityPeriod": "2009-07-03T12:08:56-07:00",
}
VECTOR_HASH = "01463f60dbb6ca538581579dd95b31c8ba9fc6600eca750e4d8460ca4e402111"
VECTOR_SIGNATURE = (
    "wmzT7yjg1SxxCsxNsFgCR9SYXiZGGbceF6fV8xe97sAMHxZ+7OEBMIBmvb6Sj6GcksGp3iv77DiomgSbcST3XQ=="
)


def test_midtrans_vector_body_hash() -> None:
    assert signing.minify(VECTOR_DICT) == VECTOR_BODY
    assert signing.body_hash(VECTOR_DICT) == VECTOR_HASH


def test_midtrans_vector_signature() -> None:
    signature = signing.sign_symmetric(
        "myclientsecret",
        "POST",
        "/v1.0/qr/qr-mpm-generate",
        "myaccesstoken",
        VECTOR_DICT,
        "2024-03-05T10:37:16.196Z",
    )
    assert signature == VECTOR_SIGNATURE
    assert signing.verify_symmetric(
        VECTOR_SIGNATURE,
        "myclientsecret",
        "POST",
        "/v1.0/qr/qr-mpm-generate",
        "myaccesstoken",
        VECTOR_BODY,
        "2024-03-05T10:37:16.196Z",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "other"},
        {"path": "/v1.0/other"},
        {"token": "x"},
        {"timestamp": "2024-03-05T10:37:17.196Z"},
        {"body": VECTOR_BODY.replace("12345678.00", "12345679.00", 1)},
    ],
)
def test_any_change_breaks_the_symmetric_signature(change: dict[str, str]) -> None:
    args = {
        "secret": "myclientsecret",
        "path": "/v1.0/qr/qr-mpm-generate",
        "token": "myaccesstoken",
        "timestamp": "2024-03-05T10:37:16.196Z",
        "body": VECTOR_BODY,
    } | change
    assert not signing.verify_symmetric(
        VECTOR_SIGNATURE,
        args["secret"],
        "POST",
        args["path"],
        args["token"],
        args["body"],
        args["timestamp"],
    )


def test_empty_body_hashes_the_empty_string() -> None:
    assert signing.body_hash(None) == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert signing.minify({"nama": "Koperasi Sejahtera — Jl. Merdeka"}) == (
        '{"nama":"Koperasi Sejahtera — Jl. Merdeka"}'
    )


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return signing.generate_key_pair()


def test_token_request_signature_round_trip(keys: tuple[str, str]) -> None:
    private, public = (signing.load_private_key(keys[0]), signing.load_public_key(keys[1]))
    sig = signing.sign_token_request(private, "DIGIPAY", "2026-11-28T09:00:00.000+07:00")
    assert signing.verify_token_request(public, "DIGIPAY", "2026-11-28T09:00:00.000+07:00", sig)
    assert not signing.verify_token_request(public, "OTHER", "2026-11-28T09:00:00.000+07:00", sig)
    assert not signing.verify_token_request(
        public, "DIGIPAY", "2026-11-28T09:00:00.000+07:00", "bm90LWEtc2ln"
    )
    assert not signing.verify_token_request(public, "DIGIPAY", "x", "!!not base64!!")


def test_notification_signature_round_trip(keys: tuple[str, str]) -> None:
    private, public = (signing.load_private_key(keys[0]), signing.load_public_key(keys[1]))
    body = {"originalPartnerReferenceNo": "PAY-1", "amount": {"value": "10.00", "currency": "IDR"}}
    sig = signing.sign_asymmetric(
        private, "POST", "/snap/v1.0/notify", body, "2026-11-28T09:00:00+07:00"
    )
    assert signing.verify_asymmetric(
        public, "POST", "/snap/v1.0/notify", body, "2026-11-28T09:00:00+07:00", sig
    )
    tampered = body | {"amount": {"value": "11.00", "currency": "IDR"}}
    assert not signing.verify_asymmetric(
        public, "POST", "/snap/v1.0/notify", tampered, "2026-11-28T09:00:00+07:00", sig
    )


def test_timestamps_amounts_and_codes() -> None:
    at = datetime(2026, 11, 28, 2, 0, 0, 123000, tzinfo=UTC)
    text = values.format_timestamp(at)
    assert text == "2026-11-28T09:00:00.123+07:00"
    assert values.parse_timestamp(text) == at
    assert values.within_window(text, at + timedelta(minutes=4))
    assert not values.within_window(text, at + timedelta(minutes=6))
    assert not values.within_window("yesterday", at)
    assert values.format_amount(12_345_678) == "12345678.00"
    assert values.parse_amount("12345678.00") == 12_345_678
    for bad in ("12.5", "12.50", "-1.00", "1e3.00", ""):
        with pytest.raises(ValueError, match="whole-rupiah"):
            values.parse_amount(bad)
    parsed = values.ResponseCode.parse("2001800")
    assert (parsed.http_status, parsed.service, parsed.case, parsed.success) == (
        200,
        "18",
        "00",
        True,
    )
    assert not values.ResponseCode.parse("4091801").success
    assert values.code(409, "18", "01") == "4091801"
