"""Bank simulator notifications: signed by the bank (verified with the bank's public key),
retried until the receiver acknowledges, duplicated and reordered on demand."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette

from digipay.snap import signing, values

from .conftest import (
    BNI,
    BRI,
    SATKER_BRI,
    VENDOR_BNI,
    VENDOR_BRI,
    Keys,
    Received,
    Receiver,
    Snap,
    live_client,
    live_server,
)


def notifications(url: str, **extra: float) -> dict[str, object]:
    return {
        "url": url,
        "pollSeconds": 0.02,
        "retryBaseSeconds": 0.05,
        "retryMaxSeconds": 0.2,
        **extra,
    }


def assert_signed(received: Received, keys: Keys, url: str) -> None:
    assert signing.verify_asymmetric(
        keys.bank_public,
        "POST",
        urlsplit(url).path,
        received.body,
        received.headers["X-TIMESTAMP"],
        received.headers["X-SIGNATURE"],
    )
    assert received.headers["X-EXTERNAL-ID"].isdigit()
    assert received.headers["CHANNEL-ID"] == "95221"


def test_credit_notification_is_signed_and_retried_until_acknowledged(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver(statuses=[500, 503]) as receiver:
        app = make_app(notifications=notifications(receiver.url))
        with live_client(app) as client:
            snap = Snap(client, keys)
            done = snap.transfer(
                BRI,
                service="18",
                source=SATKER_BRI,
                beneficiary=VENDOR_BNI,
                beneficiary_bank=BNI,
                amount=125_000,
                reference="INV-N1",
            ).json()
            received = receiver.wait_for(3)
            assert [r.status for r in received] == [500, 503, 200]
            for attempt in received:
                assert_signed(attempt, keys, receiver.url)
                assert attempt.headers["X-PARTNER-ID"] == BNI
            assert len({r.body for r in received}) == 1  # same body on every attempt
            assert len({r.headers["X-EXTERNAL-ID"] for r in received}) == 3
            body = json.loads(received[0].body)
            assert body["eventType"] == "CREDIT"
            assert (body["bankCode"], body["accountNo"]) == (BNI, VENDOR_BNI)
            assert body["amount"] == {"value": "125000.00", "currency": "IDR"}
            assert body["balance"]["value"] == "125000.00"
            assert body["referenceNo"] == done["referenceNo"]
            assert body["partnerReferenceNo"] == "INV-N1"
            assert (body["sourceBankCode"], body["sourceAccountNo"]) == (BRI, SATKER_BRI)
            assert body["sequenceNo"] == 1
            assert signing.minify(body) == received[0].body
            # the outbox shows the delivery
            deadline = time.monotonic() + 2
            outbox: dict[str, object] = {}
            while time.monotonic() < deadline:
                outbox = client.get("/admin/notifications").json()["notifications"][0]
                if outbox["status"] == "DELIVERED":
                    break
                time.sleep(0.02)
            assert outbox["status"] == "DELIVERED"
            assert outbox["attempts"] == 3
            # a tampered body does not verify
            assert not signing.verify_asymmetric(
                keys.bank_public,
                "POST",
                urlsplit(receiver.url).path,
                received[0].body.replace("125000", "925000"),
                received[0].headers["X-TIMESTAMP"],
                received[0].headers["X-SIGNATURE"],
            )


def test_the_bank_public_key_is_published(make_app: Callable[..., Starlette], keys: Keys) -> None:
    with live_client(make_app()) as client:
        pem = client.get("/admin/public-key").text
    assert signing.load_public_key(pem).public_numbers() == keys.bank_public.public_numbers()


def test_gives_up_after_max_attempts_and_can_be_queued_again(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver(statuses=[500, 500, 500]) as receiver:
        app = make_app(notifications=notifications(receiver.url, maxAttempts=2))
        with live_client(app) as client:
            client.post(
                "/admin/credits",
                json={"bank": BRI, "accountNo": VENDOR_BRI, "amount": "1000.00", "remark": "SP2D"},
            ).raise_for_status()
            assert len(receiver.wait_for(2)) == 2
            deadline = time.monotonic() + 2
            failed: list[dict[str, object]] = []
            while not failed and time.monotonic() < deadline:
                failed = client.get("/admin/notifications?status=failed").json()["notifications"]
                time.sleep(0.02)
            assert failed
            assert failed[0]["attempts"] == 2
            time.sleep(0.3)
            assert len(receiver.received) == 2  # no more attempts
            client.post(f"/admin/notifications/{failed[0]['id']}/retry").raise_for_status()
            received = receiver.wait_for(4)
            assert [r.status for r in received] == [500, 500, 500, 200]
            assert json.loads(received[-1].body)["remark"] == "SP2D"


def test_duplicate_notification_fault_delivers_twice(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(
            notifications=notifications(receiver.url),
            faults={"duplicateNotificationShare": 1},
        )
        with live_client(app) as client:
            Snap(client, keys).transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=10, reference="DUP-N"
            )
            received = receiver.wait_for(2)
            assert len(received) == 2
            assert received[0].body == received[1].body
            assert received[0].headers["X-EXTERNAL-ID"] != received[1].headers["X-EXTERNAL-ID"]
            for r in received:
                assert_signed(r, keys, receiver.url)
            time.sleep(0.1)
            assert len(receiver.received) == 2


def test_out_of_order_fault_lets_a_later_notification_overtake(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(notifications=notifications(receiver.url))
        with live_client(app) as client:
            snap = Snap(client, keys)
            client.put(
                "/admin/faults",
                json={"reorderNotificationShare": 1, "reorderDelaySeconds": 0.4},
            )
            snap.transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=100, reference="ORD-1"
            )
            client.put("/admin/faults", json={"reorderNotificationShare": 0})
            snap.transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=200, reference="ORD-2"
            )
            received = receiver.wait_for(2)
            bodies = [json.loads(r.body) for r in received]
            assert [b["partnerReferenceNo"] for b in bodies] == ["ORD-2", "ORD-1"]
            assert [b["sequenceNo"] for b in bodies] == [2, 1]


def test_no_notification_is_sent_during_an_outage(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(notifications=notifications(receiver.url))
        with live_client(app) as client:
            client.put("/admin/faults", json={"outageSeconds": 0.5})
            response = client.post(
                "/admin/credits", json={"bank": BRI, "accountNo": VENDOR_BRI, "amount": 5}
            )
            assert response.json()["balance"] == "5.00"
            time.sleep(0.2)
            assert receiver.received == []
            assert len(receiver.wait_for(1)) == 1


def test_accounts_that_opt_out_are_not_notified(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(notifications=notifications(receiver.url))
        with live_client(app) as client:
            client.put(f"/admin/accounts/{BRI}/{VENDOR_BRI}", json={"notify": False})
            client.post("/admin/credits", json={"bank": BRI, "accountNo": VENDOR_BRI, "amount": 5})
            client.post("/admin/credits", json={"bank": BNI, "accountNo": VENDOR_BNI, "amount": 7})
            received = receiver.wait_for(1)
            time.sleep(0.1)
            assert [json.loads(r.body)["accountNo"] for r in receiver.received] == [VENDOR_BNI]
            assert values.parse_amount(json.loads(received[0].body)["amount"]["value"]) == 7


def test_unreachable_receiver_is_retried(make_app: Callable[..., Starlette], keys: Keys) -> None:
    with Receiver() as receiver:
        url = receiver.url
    # the receiver is gone: connection refused, retried with backoff
    app = make_app(notifications=notifications(url, maxAttempts=50))
    with live_client(app) as client:
        client.post("/admin/credits", json={"bank": BRI, "accountNo": VENDOR_BRI, "amount": 5})
        deadline = time.monotonic() + 2
        item: dict[str, object] = {"attempts": 0}
        while time.monotonic() < deadline and int(str(item["attempts"])) < 2:
            item = client.get("/admin/notifications").json()["notifications"][0]
            time.sleep(0.05)
        assert int(str(item["attempts"])) >= 2
        assert item["status"] == "PENDING"
        assert "Connect" in str(item["lastError"])


def test_under_uvicorn_alone_the_lifespan_runs_the_notifier(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with Receiver() as receiver:
        app = make_app(notifications=notifications(receiver.url))
        with live_server(app) as url, httpx.Client(base_url=url, timeout=5) as client:
            Snap(client, keys).transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=3, reference="UV-1"
            )
            received = receiver.wait_for(1)
            assert len(received) == 1
            assert_signed(received[0], keys, receiver.url)
