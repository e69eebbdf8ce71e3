"""Idempotency-Key under concurrent duplicates (PostgreSQL only; on SQLite
``transaction_mode=IMMEDIATE`` serialises writers anyway).

Real HTTP through Django's test client: every thread has its own client and its own database
connection, and the threads are released together by a barrier. Whatever the interleaving,
the handler runs exactly once; every other request either replays the finished response
(byte for byte, ``Idempotent-Replayed: true``) or gets 409 ``idempotency_in_progress``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from digipay.accounts.models import User
from digipay.idempotency import rules
from digipay.idempotency.models import IdempotencyRecord
from digipay.idempotency.rules import RecordState

from . import endpoints
from .conftest import token_of
from .endpoints import executions, hooks

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REQUESTS = 20
BODY = json.dumps({"amount_idr": 2_500_000, "note": "Pembayaran serentak"})


def send(token: str, key: str) -> Any:
    """One request on this thread's own client (and, through Django, its own connection)."""
    return Client().post(
        endpoints.PREFIX + "/pay",
        BODY,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def run_threads(works: list[Callable[[], Any]], *, while_running: Callable[[], None]) -> list[Any]:
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = works[i]()
        except BaseException as exc:  # every outcome is checked by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    while_running()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


def classify(results: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """(first responses, replays, 409s); anything else fails the test."""
    originals, replays, busy = [], [], []
    for response in results:
        assert not isinstance(response, BaseException), response
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress", response.content
            busy.append(response)
        elif response.get(rules.REPLAY_HEADER) == "true":
            replays.append(response)
        else:
            assert response.status_code == 201, response.content
            originals.append(response)
    return originals, replays, busy


@pytest.fixture
def token(new_user: Callable[[], User]) -> str:
    return token_of(new_user())


def test_twenty_identical_requests_at_once_run_the_handler_once(token: str) -> None:
    hooks.delay = 0.3  # long enough that the duplicates arrive while it runs

    results = run_threads(
        [lambda: send(token, "serentak-1")] * REQUESTS, while_running=lambda: None
    )

    originals, replays, busy = classify(results)
    assert len(originals) == 1
    assert len(replays) + len(busy) == REQUESTS - 1
    assert busy, "no duplicate arrived while the first was running"
    assert all(r.content == originals[0].content for r in replays)
    assert executions() == 1
    assert hooks.calls == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == RecordState.COMPLETED


def test_duplicates_get_409_while_it_runs_and_the_replay_once_it_finished(token: str) -> None:
    """Half the duplicates are sent while the handler waits on an event (they must get 409),
    the other half once the first response came back (they must get the replay)."""
    early, late = REQUESTS // 2, REQUESTS - REQUESTS // 2
    gate = threading.Event()
    first_answered = threading.Event()
    hooks.gate = gate
    answered: list[int] = []
    lock = threading.Lock()

    def early_request() -> Any:
        response = send(token, "serentak-2")
        with lock:
            answered.append(response.status_code)
        if response.status_code == 201:
            first_answered.set()
        return response

    def late_request() -> Any:
        assert first_answered.wait(timeout=30), "the first request never finished"
        return send(token, "serentak-2")

    def open_the_gate_when_the_early_duplicates_were_refused() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= early - 1:
                    break
            time.sleep(0.01)
        gate.set()

    results = run_threads(
        [early_request] * early + [late_request] * late,
        while_running=open_the_gate_when_the_early_duplicates_were_refused,
    )

    originals, replays, busy = classify(results)
    assert len(originals) == 1
    assert len(busy) == early - 1  # refused while the handler waited
    assert len(replays) == late  # sent after the first answer: replayed
    assert all(r.content == originals[0].content for r in replays)
    assert all(r["Retry-After"] == "1" for r in busy)
    assert executions() == 1
    assert hooks.calls == 1


def test_twenty_requests_with_different_keys_all_run(token: str) -> None:
    results = run_threads(
        [lambda i=i: send(token, f"kunci-{i}") for i in range(REQUESTS)],
        while_running=lambda: None,
    )
    originals, replays, busy = classify(results)
    assert (len(originals), len(replays), len(busy)) == (REQUESTS, 0, 0)
    assert executions() == REQUESTS
