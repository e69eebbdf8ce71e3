"""Bank simulator card events (``notifications.cardEvents``): CARD_AUTHORIZED, CARD_CAPTURED and
CARD_VOIDED, queued with the card call and delivered like credit notifications (signed by the
bank, retried until acknowledged); never a card number; nothing for refused calls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from digipay.simulators.banksim.config import looks_like_pan
from digipay.snap import signing, values

from .conftest import (
    BRI,
    BTN,
    SATKER_BRI,
    VENDOR_BRI,
    VENDOR_BTN,
    Keys,
    Received,
    Receiver,
    Snap,
    live_client,
)

CARD = "KKP-BRI-0009"
LAST4 = "4321"
CARDS = [
    {
        "cardRef": CARD,
        "last4": LAST4,
        "bank": BRI,
        "holderName": "BENDAHARA 415256",
        "limit": "10000000.00",
        "billAccountNo": SATKER_BRI,
    }
]


def money(idr: int) -> dict[str, str]:
    return {"value": values.format_amount(idr), "currency": "IDR"}


def notifications(url: str, **extra: object) -> dict[str, object]:
    return {
        "url": url,
        "cardEvents": True,
        "pollSeconds": 0.02,
        "retryBaseSeconds": 0.05,
        "retryMaxSeconds": 0.2,
        **extra,
    }


@pytest.fixture
def serve(make_app: Callable[..., Starlette], keys: Keys) -> Callable[..., Iterator[Snap]]:
    def start(receiver: Receiver, **extra: object) -> Iterator[Snap]:
        app = make_app(cards=CARDS, notifications=notifications(receiver.url, **extra))
        with live_client(app) as http:
            yield Snap(http, keys)

    return start


def card_post(snap: Snap, service: str, body: dict[str, Any]) -> httpx.Response:
    return snap.post(BRI, f"/v1.0/card/{service}", body)


def authorize(
    snap: Snap,
    reference: str,
    amount: int,
    *,
    service: str = "authorization",
    merchant: tuple[str, str] = (BRI, VENDOR_BRI),
) -> httpx.Response:
    return card_post(
        snap,
        service,
        {
            "partnerReferenceNo": reference,
            "cardRef": CARD,
            "amount": money(amount),
            "merchantBankCode": merchant[0],
            "merchantAccountNo": merchant[1],
            "remark": "ATK kantor",
        },
    )


def card_events(received: list[Received]) -> list[dict[str, Any]]:
    bodies = [json.loads(r.body) for r in received]
    return [b for b in bodies if b["eventType"].startswith("CARD_")]


def wait_for_events(receiver: Receiver, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = card_events(receiver.acknowledged())
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.01)


def assert_signed(received: Received, keys: Keys, url: str) -> None:
    assert signing.verify_asymmetric(
        keys.bank_public,
        "POST",
        urlsplit(url).path,
        received.body,
        received.headers["X-TIMESTAMP"],
        received.headers["X-SIGNATURE"],
    )
    assert received.headers["X-PARTNER-ID"] == BRI  # the issuing bank
    assert received.headers["X-EXTERNAL-ID"].isdigit()
    assert received.headers["CHANNEL-ID"] == "95221"


def assert_no_card_number(body: str) -> None:
    event = json.loads(body)
    assert not {"pan", "cardNo", "cardNumber"} & set(event)
    for key, value in event.items():
        if isinstance(value, str) and key not in ("merchantAccountNo", "sourceAccountNo"):
            assert not looks_like_pan(value), (key, value)


def test_authorize_and_capture_events_are_signed_and_complete(
    serve: Callable[..., Iterator[Snap]], keys: Keys
) -> None:
    with Receiver() as receiver:
        for snap in serve(receiver):
            held = authorize(snap, "EV-1", 6_000_000)
            assert held.status_code == 200, held.text
            reference = held.json()["referenceNo"]
            captured = card_post(
                snap, "capture", {"originalReferenceNo": "EV-1", "amount": money(5_000_000)}
            )
            assert captured.status_code == 200, captured.text
            [authorized, capture] = wait_for_events(receiver, 2)
            received = receiver.wait_for(3)  # and the merchant's CREDIT

    assert {json.loads(r.body)["eventType"] for r in received} == {
        "CARD_AUTHORIZED",
        "CARD_CAPTURED",
        "CREDIT",
    }
    for r in received:
        assert_signed(r, keys, receiver.url)  # the merchant's bank is the issuing bank here
        assert_no_card_number(r.body)

    assert authorized == {
        "notificationId": f"CA{reference}",
        "eventType": "CARD_AUTHORIZED",
        "bankCode": BRI,
        "cardRef": CARD,
        "maskedCardNo": "************" + LAST4,
        "referenceNo": reference,
        "serviceCode": "90",
        "partnerReferenceNo": "EV-1",
        "amount": money(6_000_000),
        "availableLimit": money(4_000_000),
        "merchantBankCode": BRI,
        "merchantAccountNo": VENDOR_BRI,
        "merchantName": "CV SINAR JAYA",
        "transactionDate": authorized["transactionDate"],
    }
    assert values.parse_timestamp(authorized["transactionDate"])
    assert capture["notificationId"] == f"CC{reference}"
    assert capture["eventType"] == "CARD_CAPTURED"
    assert capture["serviceCode"] == "91"
    assert capture["amount"] == money(5_000_000)  # the captured amount
    assert capture["availableLimit"] == money(5_000_000)  # the rest was released
    assert capture["referenceNo"] == reference


def test_card_event_is_retried_until_acknowledged(
    serve: Callable[..., Iterator[Snap]], keys: Keys
) -> None:
    with Receiver(statuses=[500, 503]) as receiver:
        for snap in serve(receiver):
            held = authorize(snap, "EV-R", 1_000_000)
            assert held.status_code == 200, held.text
            received = receiver.wait_for(3)
            # The simulator marks the row after the receiver's 200 reaches it: wait for that
            # (asynchronous by design), at most a few seconds.
            deadline = time.monotonic() + 5
            while True:
                [row] = snap.http.get("/admin/notifications").json()["notifications"]
                if row["status"] != "PENDING" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)

    assert [r.status for r in received] == [500, 503, 200]
    assert len({r.body for r in received}) == 1  # the same body on every attempt
    assert len({r.headers["X-EXTERNAL-ID"] for r in received}) == 3
    for r in received:
        assert_signed(r, keys, receiver.url)
    assert json.loads(received[0].body)["eventType"] == "CARD_AUTHORIZED"
    assert row["status"] == "DELIVERED"
    assert row["attempts"] == 3
    assert row["bank"] == BRI
    assert row["accountNo"] == CARD


def test_charge_emits_captured_and_void_emits_voided(
    serve: Callable[..., Iterator[Snap]],
) -> None:
    with Receiver() as receiver:
        for snap in serve(receiver):
            charged = authorize(snap, "EV-C", 750_000, service="charge", merchant=(BTN, VENDOR_BTN))
            assert charged.status_code == 200, charged.text
            held = authorize(snap, "EV-V", 2_000_000)
            voided = card_post(snap, "void", {"originalReferenceNo": "EV-V"})
            assert voided.status_code == 200, voided.text
            events = wait_for_events(receiver, 3)

    by_type = {e["eventType"]: e for e in events}
    assert sorted(e["eventType"] for e in events) == [
        "CARD_AUTHORIZED",
        "CARD_CAPTURED",
        "CARD_VOIDED",
    ]
    charge = by_type["CARD_CAPTURED"]  # a charge is not also announced as authorized
    assert charge["partnerReferenceNo"] == "EV-C"
    assert charge["serviceCode"] == "92"
    assert charge["amount"] == money(750_000)
    assert (charge["merchantBankCode"], charge["merchantAccountNo"]) == (BTN, VENDOR_BTN)
    assert by_type["CARD_AUTHORIZED"]["partnerReferenceNo"] == "EV-V"
    void = by_type["CARD_VOIDED"]
    assert void["notificationId"] == f"CV{held.json()['referenceNo']}"
    assert void["serviceCode"] == "93"
    assert void["amount"] == money(2_000_000)  # the released authorization
    assert void["availableLimit"] == money(10_000_000 - 750_000)
    assert len({e["notificationId"] for e in events}) == 3


def test_nothing_is_emitted_for_refused_calls(serve: Callable[..., Iterator[Snap]]) -> None:
    with Receiver() as receiver:
        for snap in serve(receiver):
            assert authorize(snap, "EV-X", 10_000_001).status_code == 403  # over the limit
            assert authorize(snap, "EV-Y", 1, merchant=(BRI, "999999")).status_code == 404
            pan = card_post(snap, "authorization", {"cardRef": "4111111111111111"})
            assert pan.status_code == 400
            assert card_post(snap, "capture", {"originalReferenceNo": "NOPE"}).status_code == 404
            assert card_post(snap, "void", {"originalReferenceNo": "NOPE"}).status_code == 404
            held = authorize(snap, "EV-Z", 100_000)
            assert held.status_code == 200
            assert authorize(snap, "EV-Z", 100_000).status_code == 409  # replay
            assert card_post(snap, "void", {"originalReferenceNo": "EV-Z"}).status_code == 200
            again = card_post(snap, "void", {"originalReferenceNo": "EV-Z"})
            assert again.status_code == 403
            late = card_post(snap, "capture", {"originalReferenceNo": "EV-Z"})
            assert late.status_code == 403
            events = wait_for_events(receiver, 2)
            rows = snap.http.get("/admin/notifications").json()["notifications"]

    assert [e["eventType"] for e in events] == ["CARD_AUTHORIZED", "CARD_VOIDED"]
    assert all(e["partnerReferenceNo"] == "EV-Z" for e in events)
    assert len(rows) == 2


def test_card_events_are_off_unless_configured(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(cards=CARDS, notifications={"url": receiver.url, "pollSeconds": 0.02})
        with live_client(app) as http:
            snap = Snap(http, keys)
            assert authorize(snap, "EV-OFF", 1_000).status_code == 200
            assert card_post(snap, "void", {"originalReferenceNo": "EV-OFF"}).status_code == 200
            assert http.get("/admin/notifications").json()["notifications"] == []
            assert http.get("/admin").json()["cardEvents"] is False
