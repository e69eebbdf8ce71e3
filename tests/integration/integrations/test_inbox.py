"""The bank notification inbox: signatures and timestamps checked, each bank event stored once,
processing idempotent, and 1,000 shuffled notifications with duplicates and forgeries ending
in the same state as the clean, in-order stream."""

from __future__ import annotations

import functools
import json
import random
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from digipay.core import clock
from digipay.integrations import services
from digipay.integrations.banks import registry
from digipay.integrations.models import BankNotification, NotificationStatus, StatementLine
from digipay.snap import signing, values

PATH = "/snap/v1.0/notifications"


@pytest.fixture(scope="module")
def bank_keys() -> tuple[str, str]:
    return signing.generate_key_pair()


@pytest.fixture
def bank_config(tmp_path: Path, settings: Any, bank_keys: tuple[str, str]) -> Path:
    ours_private, _ours_public = signing.generate_key_pair()
    (tmp_path / "digipay.pem").write_text(ours_private)
    (tmp_path / "bri.pub.pem").write_text(bank_keys[1])
    config = tmp_path / "banks.json"
    config.write_text(
        json.dumps(
            [
                {
                    "bank_code": "002",
                    "base_url": "http://127.0.0.1:9",
                    "partner_id": "DIGIPAY",
                    "client_id": "DIGIPAY",
                    "client_secret": "s",
                    "private_key_path": "digipay.pem",
                    "bank_public_key_path": "bri.pub.pem",
                }
            ]
        )
    )
    settings.DIGIPAY_BANKS_CONFIG = str(config)
    registry._profiles.cache_clear()
    return config


def notification(
    n: int, *, account: str = "0011223344", amount: int = 1_000, kind: str = "CREDIT"
) -> dict[str, Any]:
    return {
        "notificationId": f"EV{n:06d}",
        "eventType": kind,
        "accountNo": account,
        "amount": {"value": values.format_amount(amount), "currency": "IDR"},
        "referenceNo": f"R{n}",
        "partnerReferenceNo": f"PAY-{n}",
        "transactionDate": values.format_timestamp(clock.now()),
    }


@functools.lru_cache(maxsize=8)
def _key(private_pem: str) -> Any:
    return signing.load_private_key(private_pem)  # ~40 ms: RSA keys are checked on load


def send(
    client: Client,
    body: dict[str, Any],
    private_pem: str,
    *,
    timestamp: str | None = None,
    tamper: bool = False,
) -> Any:
    raw = signing.minify(body)
    ts = timestamp or values.format_timestamp(clock.now())
    sig = signing.sign_asymmetric(_key(private_pem), "POST", PATH, raw, ts)
    if tamper:
        raw = raw.replace('"value":"', '"value":"9')
    return client.post(
        PATH,
        raw,
        content_type="application/json",
        headers={"X-TIMESTAMP": ts, "X-SIGNATURE": sig, "X-PARTNER-ID": "002"},
    )


def test_a_signed_notification_is_stored_once_and_processed_once(
    db: None, bank_config: Path, bank_keys: tuple[str, str]
) -> None:
    client = Client()
    first = send(client, notification(1), bank_keys[0])
    assert first.status_code == 200
    assert first.json()["responseCode"] == "2000000"
    again = send(client, notification(1), bank_keys[0])
    assert again.status_code == 200
    assert again.json()["responseMessage"] == "Already received"
    assert BankNotification.objects.count() == 1
    assert services.process_pending() == 1
    assert services.process_pending() == 0
    call_command("inbox", "process")
    line = StatementLine.objects.get()
    assert (line.account_no, line.direction, line.amount_idr) == ("0011223344", "C", 1_000)


@pytest.mark.parametrize("problem", ["tampered", "stale", "future", "wrong_key", "no_signature"])
def test_bad_notifications_are_refused_and_not_stored(
    db: None, bank_config: Path, bank_keys: tuple[str, str], problem: str
) -> None:
    client = Client()
    key = bank_keys[0]
    timestamp = None
    if problem == "stale":
        timestamp = values.format_timestamp(clock.now() - timedelta(minutes=6))
    if problem == "future":
        timestamp = values.format_timestamp(clock.now() + timedelta(minutes=6))
    if problem == "wrong_key":
        key = signing.generate_key_pair()[0]
    if problem == "no_signature":
        response = client.post(
            PATH,
            signing.minify(notification(2)),
            content_type="application/json",
            headers={"X-TIMESTAMP": values.format_timestamp(clock.now()), "X-PARTNER-ID": "002"},
        )
    else:
        response = send(
            client, notification(2), key, timestamp=timestamp, tamper=problem == "tampered"
        )
    assert response.status_code == 401
    assert BankNotification.objects.count() == 0


def test_unknown_bank_and_missing_event_id(
    db: None, bank_config: Path, bank_keys: tuple[str, str]
) -> None:
    client = Client()
    assert (
        client.post(
            PATH, "{}", content_type="application/json", headers={"X-PARTNER-ID": "999"}
        ).status_code
        == 404
    )
    body = notification(3)
    del body["notificationId"]
    assert send(client, body, bank_keys[0]).status_code == 400


def test_unsupported_content_is_kept_and_marked_failed(
    db: None, bank_config: Path, bank_keys: tuple[str, str]
) -> None:
    send(Client(), notification(4, kind="MYSTERY"), bank_keys[0])
    services.process_pending()
    stored = BankNotification.objects.get()
    assert stored.status == NotificationStatus.FAILED
    assert "MYSTERY" in stored.error
    assert StatementLine.objects.count() == 0


def test_1000_shuffled_notifications_with_duplicates_and_forgeries(
    db: None, bank_config: Path, bank_keys: tuple[str, str]
) -> None:
    rng = random.Random(20261128)
    accounts = ["0011223344", "0099887766", "5566778899"]
    clean = [
        notification(
            n,
            account=rng.choice(accounts),
            amount=rng.randint(1, 5_000_000),
            kind=rng.choice(["CREDIT", "CREDIT", "DEBIT"]),
        )
        for n in range(1000)
    ]
    expected: dict[str, int] = defaultdict(int)
    for body in clean:  # the in-order result
        amount = values.parse_amount(body["amount"]["value"])
        expected[body["accountNo"]] += amount if body["eventType"] == "CREDIT" else -amount
    stream: list[tuple[dict[str, Any], bool]] = [(body, False) for body in clean]
    stream += [(rng.choice(clean), False) for _ in range(100)]  # 10% duplicates
    stream += [(rng.choice(clean), True) for _ in range(50)]  # 5% forged (tampered) copies
    rng.shuffle(stream)
    client = Client()
    statuses: dict[bool, list[int]] = defaultdict(list)
    for body, forged in stream:
        statuses[forged].append(send(client, body, bank_keys[0], tamper=forged).status_code)
        if rng.random() < 0.2:
            services.process_pending()  # processing interleaves with arrivals
    services.process_pending()
    assert set(statuses[True]) == {401}
    assert set(statuses[False]) == {200}
    assert BankNotification.objects.count() == 1000
    assert StatementLine.objects.count() == 1000
    actual: dict[str, int] = defaultdict(int)
    for line in StatementLine.objects.all():
        actual[line.account_no] += line.amount_idr if line.direction == "C" else -line.amount_idr
    assert actual == expected


def test_card_events_are_kept_and_processed_without_a_statement_line(
    db: None, bank_config: Path, bank_keys: tuple[str, str]
) -> None:
    send(Client(), notification(5, kind="CARD_CAPTURED"), bank_keys[0])
    assert services.process_pending() == 1
    assert BankNotification.objects.get().status == NotificationStatus.PROCESSED
    assert StatementLine.objects.count() == 0
