"""Idempotency-Key over real HTTP (Django's test client, bearer tokens) against a test-only
endpoint that counts its executions in a table: replays, mismatches, scoping, error outcomes,
release after a crash, stale claims, expiry and pruning, the OpenAPI description."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from digipay.accounts.models import User
from digipay.core import clock
from digipay.idempotency import rules, services
from digipay.idempotency.models import IdempotencyRecord
from digipay.idempotency.rules import RecordState
from digipay.worker import registry

from . import endpoints
from .conftest import KeyClient
from .endpoints import executions, hooks

pytestmark = pytest.mark.django_db

BODY = {"amount_idr": 1_500_000, "note": "Pembayaran tagihan 1"}
REPLAYED = rules.REPLAY_HEADER


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def is_replay(response: Any) -> bool:
    return response.get(REPLAYED) == "true"


@pytest.fixture
def alice(new_user: Callable[[], User]) -> User:
    return new_user()


@pytest.fixture
def api(alice: User, client_of: Callable[..., KeyClient]) -> KeyClient:
    return client_of(alice)


def test_ten_sequential_replays_run_the_handler_once(api: KeyClient, key: str) -> None:
    hooks.delay = 0.01  # "takes a while"
    first = api.post("/pay", BODY, key=key)
    assert first.status_code == 201, first.content
    assert not first.has_header(REPLAYED)
    replays = [api.post("/pay", BODY, key=key) for _ in range(10)]
    assert executions() == 1
    assert hooks.calls == 1
    for replay in replays:
        assert replay.status_code == 201
        assert replay.content == first.content  # byte for byte
        assert replay["Content-Type"] == first["Content-Type"]
        assert is_replay(replay)
    assert first.json()["executions"] == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == RecordState.COMPLETED
    assert record.response_status == 201
    assert bytes(record.response_body) == first.content


def test_the_same_json_written_differently_is_the_same_request(api: KeyClient, key: str) -> None:
    first = api.post("/pay", BODY, key=key)
    reordered = b'{ "note" : "Pembayaran tagihan 1",\n  "amount_idr": 1500000 }'
    again = api.post("/pay", raw=reordered, key=key)
    assert is_replay(again)
    assert again.content == first.content
    assert executions() == 1


def test_a_renewed_one_time_code_does_not_make_another_request(api: KeyClient, key: str) -> None:
    first = api.post("/confirm", {**BODY, "otp": "123456"}, key=key)
    renewed = api.post("/confirm", {**BODY, "otp": "654321"}, key=key)
    assert is_replay(renewed)
    assert renewed.content == first.content
    changed = api.post("/confirm", {**BODY, "amount_idr": 1, "otp": "123456"}, key=key)
    assert error(changed) == (422, "idempotency_key_reused")
    assert executions() == 1


def test_a_changed_body_under_the_same_key_is_refused(api: KeyClient, key: str) -> None:
    api.post("/pay", BODY, key=key)
    changed = api.post("/pay", {**BODY, "amount_idr": 1_500_001}, key=key)
    assert error(changed) == (422, "idempotency_key_reused")
    assert changed.json()["message"].startswith("Idempotency-Key ini sudah dipakai")
    assert not is_replay(changed)
    assert executions() == 1
    # The original request still replays afterwards.
    assert is_replay(api.post("/pay", BODY, key=key))


def test_the_same_key_on_another_endpoint_is_another_request(api: KeyClient, key: str) -> None:
    assert api.post("/items/1/pay", BODY, key=key).status_code == 201
    assert error(api.post("/items/2/pay", BODY, key=key)) == (422, "idempotency_key_reused")
    assert error(api.post("/pay", BODY, key=key)) == (422, "idempotency_key_reused")
    assert executions() == 1


def test_keys_are_scoped_to_the_user(
    alice: User, new_user: Callable[[], User], client_of: Callable[..., KeyClient], key: str
) -> None:
    first = client_of(alice).post("/pay", BODY, key=key)
    # Another token of the same user shares the key: a replay.
    second_token = client_of(alice).post("/pay", BODY, key=key)
    assert is_replay(second_token)
    assert second_token.content == first.content
    # Another user with the same key and body runs separately.
    other = client_of(new_user()).post("/pay", BODY, key=key)
    assert other.status_code == 201
    assert not is_replay(other)
    assert other.json()["id"] != first.json()["id"]
    assert executions() == 2
    assert IdempotencyRecord.objects.filter(key=key).count() == 2


def test_a_missing_key_is_refused_with_400(api: KeyClient) -> None:
    response = api.post("/pay", BODY)
    assert error(response) == (400, "idempotency_key_required")
    assert response.json() == {
        "code": "idempotency_key_required",
        "message": "Header Idempotency-Key wajib diisi untuk permintaan ini.",
        "details": {"header": "Idempotency-Key"},
    }
    assert executions() == 0
    assert hooks.calls == 0


@pytest.mark.parametrize("bad", ["", "dua kata", "k" * 256, "kunci-é"])
def test_a_malformed_key_is_refused_with_400(api: KeyClient, bad: str) -> None:
    response = api.post("/pay", BODY, key=bad)
    assert error(response) == (400, "idempotency_key_invalid")
    assert hooks.calls == 0
    assert not IdempotencyRecord.objects.exists()


def test_the_quoted_form_of_a_key_is_the_same_key(api: KeyClient, key: str) -> None:
    api.post("/pay", BODY, key=key)
    assert is_replay(api.post("/pay", BODY, key=f'"{key}"'))


def test_an_optional_key_protects_when_given(api: KeyClient, key: str) -> None:
    assert api.post("/optional", BODY).json() == {"calls": 1}
    assert api.post("/optional", BODY).json() == {"calls": 2}  # no key: not protected
    assert api.post("/optional", BODY, key=key).json() == {"calls": 3}
    again = api.post("/optional", BODY, key=key)
    assert is_replay(again)
    assert again.json() == {"calls": 3}
    assert error(api.post("/optional", BODY, key="dua kata")) == (400, "idempotency_key_invalid")


def test_requests_refused_before_the_handler_do_not_use_the_key(
    api: KeyClient, key: str, client: Any
) -> None:
    # No token: 401, and the key stays free.
    anonymous = client.post(
        endpoints.PREFIX + "/pay",
        json.dumps(BODY),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert anonymous.status_code == 401
    # A body ninja refuses (422 validation_error) does not claim the key either.
    assert error(api.post("/pay", {"note": "tanpa jumlah"}, key=key)) == (422, "validation_error")
    assert not IdempotencyRecord.objects.exists()
    assert api.post("/pay", BODY, key=key).status_code == 201


@pytest.mark.parametrize(
    ("outcome", "status", "code"),
    [("refuse", 422, "amount_refused"), ("http_error", 503, "http_error")],
)
def test_error_outcomes_are_stored_and_replayed(
    api: KeyClient, key: str, outcome: str, status: int, code: str
) -> None:
    body = {**BODY, "outcome": outcome}
    first = api.post("/pay", body, key=key)
    assert error(first) == (status, code)
    replays = [api.post("/pay", body, key=key) for _ in range(3)]
    assert hooks.calls == 1
    for replay in replays:
        assert replay.status_code == status
        assert replay.content == first.content
        assert is_replay(replay)
    assert IdempotencyRecord.objects.get().response_status == status


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_releases_the_key(
    alice: User, client_of: Callable[..., KeyClient], key: str, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug  # with DEBUG ninja answers the traceback itself; released all the same
    api = client_of(alice, raise_request_exception=False)
    crashed = api.post("/pay", {**BODY, "outcome": "crash"}, key=key)
    assert crashed.status_code == 500
    assert not IdempotencyRecord.objects.exists()
    assert executions() == 0  # the handler's transaction rolled back
    # A retry with the same key runs (and here, with the crash fixed, succeeds).
    retry = api.post("/pay", {**BODY, "outcome": "crash"}, key=key)
    assert retry.status_code == 500
    assert hooks.calls == 2


def test_a_handler_that_finished_is_not_run_again_when_its_answer_fails(
    alice: User, client_of: Callable[..., KeyClient], key: str
) -> None:
    api = client_of(alice, raise_request_exception=False)
    body = {**BODY, "outcome": "bad_body"}  # commits, then returns a body its schema refuses
    assert api.post("/pay", body, key=key).status_code == 500
    again = api.post("/pay", body, key=key)
    assert error(again) == (500, "server_error")
    assert is_replay(again)
    assert executions() == 1
    assert hooks.calls == 1


def test_a_running_claim_answers_409_until_its_lease_runs_out(
    api: KeyClient, alice: User, key: str
) -> None:
    t0 = datetime.now(UTC)
    path = endpoints.PREFIX + "/pay"
    fingerprint = rules.fingerprint(
        method="POST", path=path, caller=alice.pk, body=json.dumps(BODY).encode()
    )
    with clock.frozen(t0):  # a process claimed the key, then died
        stale = services.claim(alice, key=key, fingerprint=fingerprint, method="POST", path=path)
    assert isinstance(stale, services.Claim)
    with clock.frozen(t0 + timedelta(minutes=4)):
        busy = api.post("/pay", BODY, key=key)
        assert error(busy) == (409, "idempotency_in_progress")
        assert busy["Retry-After"] == "1"
        # Another request under the running key is still a mismatch, not a wait.
        other = api.post("/pay", {**BODY, "note": "lain"}, key=key)
        assert error(other) == (422, "idempotency_key_reused")
    with clock.frozen(t0 + timedelta(minutes=5, seconds=1)):
        taken = api.post("/pay", BODY, key=key)
    assert taken.status_code == 201
    assert not is_replay(taken)
    assert executions() == 1
    # The dead process cannot overwrite the new holder's outcome, nor release its claim.
    assert services.complete(stale, status=200, content_type="text/plain", body=b"x") is False
    assert services.release(stale) is False
    assert is_replay(api.post("/pay", BODY, key=key))


def test_keys_are_kept_24_hours_then_expire_and_are_pruned(
    api: KeyClient, alice: User, key: str
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0)
    with clock.frozen(t0):
        first = api.post("/pay", BODY, key=key)
    record = IdempotencyRecord.objects.get()
    assert record.expires_at == t0 + timedelta(hours=24)  # counted from completion
    with clock.frozen(t0 + timedelta(hours=23, minutes=59)):
        late = api.post("/pay", BODY, key=key)
        assert is_replay(late)
        assert late.content == first.content
    # After the retention the key is free again, for any request.
    with clock.frozen(t0 + timedelta(hours=24)):
        fresh = api.post("/pay", {**BODY, "note": "baru"}, key=key)
    assert fresh.status_code == 201
    assert not is_replay(fresh)
    assert executions() == 2
    assert IdempotencyRecord.objects.count() == 1

    # Pruning: the daily job deletes what has expired, nothing else.
    with clock.frozen(t0 + timedelta(hours=30)):
        api.post("/pay", BODY, key="kunci-lain")
    job = registry.get("idempotency.prune")
    assert job is not None
    assert job.every == timedelta(days=1)
    assert job.fn(t0 + timedelta(hours=47, minutes=59)) == 0
    assert job.fn(t0 + timedelta(hours=48)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["kunci-lain"]
    assert job.fn(t0 + timedelta(hours=54)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_retention_can_be_longer_but_not_shorter_than_24_hours(
    api: KeyClient, key: str, settings: Any
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.IDEMPOTENCY_KEY_HOURS = 48
    t0 = datetime.now(UTC).replace(microsecond=0)
    with clock.frozen(t0):
        api.post("/pay", BODY, key=key)
    assert IdempotencyRecord.objects.get().expires_at == t0 + timedelta(hours=48)
    settings.IDEMPOTENCY_KEY_HOURS = 12
    with pytest.raises(ImproperlyConfigured):
        services.retention()


def test_multipart_uploads_are_fingerprinted_by_fields_and_file_contents(
    api: KeyClient, key: str
) -> None:
    def form(content: bytes, note: str = "lampiran") -> dict[str, Any]:
        return {"note": note, "file": SimpleUploadedFile("bast.pdf", content, "application/pdf")}

    first = api.upload(form(b"%PDF-1.4 isi"), key=key)
    assert first.status_code == 201, first.content
    again = api.upload(form(b"%PDF-1.4 isi"), key=key)  # another multipart boundary, same form
    assert is_replay(again)
    assert again.content == first.content
    assert error(api.upload(form(b"%PDF-1.4 lain"), key=key)) == (422, "idempotency_key_reused")
    assert error(api.upload(form(b"%PDF-1.4 isi", "x"), key=key)) == (
        422,
        "idempotency_key_reused",
    )
    assert hooks.calls == 1


def test_the_openapi_description_names_the_header() -> None:
    schema = endpoints.api.get_openapi_schema()
    paths = schema["paths"]
    pay = paths[endpoints.PREFIX + "/pay"]["post"]
    headers = {p["name"]: p for p in pay["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True
    assert headers["Idempotency-Key"]["schema"]["maxLength"] == 255
    assert {"201", "400", "409", "422"} <= {str(s) for s in pay["responses"]}
    item = paths[endpoints.PREFIX + "/items/{item_id}/pay"]["post"]
    # The header is added next to the path parameter, not instead of it.
    assert [p["name"] for p in item["parameters"]] == ["item_id", "Idempotency-Key"]
    optional = paths[endpoints.PREFIX + "/optional"]["post"]
    assert [p["required"] for p in optional["parameters"] if p["in"] == "header"] == [False]
