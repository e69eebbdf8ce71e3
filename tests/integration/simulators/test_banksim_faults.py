"""Bank simulator, fault injection over a real socket: timeout after execution, 5xx before
execution, outage, latency — and what a careful client sees (status 36, 409xx01, no double
debit)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from .conftest import (
    BNI,
    BRI,
    SATKER_BRI,
    VENDOR_BNI,
    VENDOR_BRI,
    Keys,
    Snap,
    live_client,
    next_external_id,
)


@pytest.fixture
def client(make_app: Callable[..., Starlette]) -> Iterator[httpx.Client]:
    with live_client(make_app()) as http:
        yield http


@pytest.fixture
def snap(client: httpx.Client, keys: Keys) -> Snap:
    return Snap(client, keys)


def test_timeout_after_execution_then_status_and_409xx01_without_double_debit(
    snap: Snap, client: httpx.Client
) -> None:
    snap.token(BRI)
    client.put(
        "/admin/faults", json={"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 0.5}
    ).raise_for_status()
    external_id = next_external_id()
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        snap.transfer(
            BRI,
            source=SATKER_BRI,
            beneficiary=VENDOR_BRI,
            amount=40_000,
            reference="INV-TIMEOUT",
            external_id=external_id,
            timeout=0.2,
        )
    assert time.monotonic() - started < 0.5
    # the transfer is executed although the client never heard of it
    assert snap.balance(BRI, VENDOR_BRI) == 40_000
    client.delete("/admin/faults").raise_for_status()
    status = snap.status(BRI, "INV-TIMEOUT", "17").json()
    assert status["responseCode"] == "2003600"
    assert status["latestTransactionStatus"] == "00"
    assert status["originalExternalId"] == external_id
    # a retry with the same reference (and a new X-EXTERNAL-ID) is told it already happened
    retry = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=40_000, reference="INV-TIMEOUT"
    )
    assert (retry.status_code, retry.json()["responseCode"]) == (409, "4091701")
    # and one with the same X-EXTERNAL-ID is a conflict too
    replay = snap.transfer(
        BRI,
        source=SATKER_BRI,
        beneficiary=VENDOR_BRI,
        amount=40_000,
        reference="INV-TIMEOUT",
        external_id=external_id,
    )
    assert replay.json()["responseCode"] == "4091700"
    assert snap.balance(BRI, VENDOR_BRI) == 40_000
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000 - 40_000


def test_a_patient_client_gets_504_after_the_hold(snap: Snap, client: httpx.Client) -> None:
    snap.token(BRI)
    client.put("/admin/faults", json={"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 0.2})
    response = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="INV-504"
    )
    assert (response.status_code, response.json()["responseCode"]) == (504, "5041700")
    assert snap.balance(BRI, VENDOR_BRI) == 1


def test_5xx_before_execution_moves_nothing_and_consumes_nothing(
    snap: Snap, client: httpx.Client
) -> None:
    snap.token(BRI)
    client.put("/admin/faults", json={"errorBeforeExecutionShare": 1})
    external_id = next_external_id()
    failed = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=55_000,
        reference="INV-5XX",
        external_id=external_id,
    )
    assert (failed.status_code, failed.json()["responseCode"]) == (500, "5001801")
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000
    assert snap.balance(BNI, VENDOR_BNI) == 0
    # status is not a transfer service: it is not failed by default, and finds nothing
    missing = snap.status(BRI, "INV-5XX", "18")
    assert (missing.status_code, missing.json()["responseCode"]) == (404, "4043601")
    client.delete("/admin/faults")
    # same X-EXTERNAL-ID and reference: accepted now, since nothing was recorded
    retry = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=55_000,
        reference="INV-5XX",
        external_id=external_id,
    )
    assert retry.json()["responseCode"] == "2001800"
    assert snap.balance(BNI, VENDOR_BNI) == 55_000


def test_faults_can_cover_other_services(snap: Snap, client: httpx.Client) -> None:
    snap.token(BRI)
    client.put("/admin/faults", json={"errorBeforeExecutionShare": 1, "services": ["36"]})
    assert snap.status(BRI, "ANY", "17").json()["responseCode"] == "5003601"
    ok = snap.transfer(BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="X")
    assert ok.status_code == 200


def test_a_share_between_0_and_1_fails_some_calls(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    app = make_app(faults={"errorBeforeExecutionShare": 0.5, "seed": 7})
    with live_client(app) as client:
        snap = Snap(client, keys)
        codes = [
            snap.transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference=f"S-{i}"
            ).status_code
            for i in range(20)
        ]
        assert 0 < codes.count(500) < 20
        assert codes.count(500) + codes.count(200) == 20
        assert snap.balance(BRI, VENDOR_BRI) == codes.count(200)


def test_outage_answers_503_for_n_seconds_then_recovers(snap: Snap, client: httpx.Client) -> None:
    token = snap.token(BRI)
    client.put("/admin/faults", json={"outageSeconds": 0.4}).raise_for_status()
    assert client.get("/admin/faults").json()["outageRemainingSeconds"] > 0
    assert client.get("/health").json()["outage"] is True
    assert snap.request_token(BRI).status_code == 503
    down = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="OUT-1", token=token
    )
    assert down.status_code == 503
    assert snap.balance(BRI, VENDOR_BRI) == 0
    deadline = time.monotonic() + 3
    while client.get("/health").json()["outage"] and time.monotonic() < deadline:
        time.sleep(0.05)
    up = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="OUT-1", token=token
    )
    assert up.json()["responseCode"] == "2001700"


def test_outage_from_the_config_and_cleared_by_admin(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with live_client(make_app(faults={"outageSeconds": 60})) as client:
        snap = Snap(client, keys)
        assert snap.request_token(BRI).status_code == 503
        client.put("/admin/faults", json={"outageSeconds": 0})
        assert snap.request_token(BRI).status_code == 200


def test_latency_with_jitter_delays_answers(snap: Snap, client: httpx.Client) -> None:
    snap.token(BRI)
    client.put("/admin/faults", json={"latencyMs": 150, "jitterMs": 50})
    started = time.monotonic()
    response = snap.post(
        BRI, "/v1.0/account-inquiry-internal", {"beneficiaryAccountNo": VENDOR_BRI}
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 0.15 <= elapsed < 1.0
