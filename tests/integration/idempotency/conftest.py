"""Fixtures of the idempotency tests: the test-only API (``endpoints``) as ROOT_URLCONF, a
few users made directly (no demo world, so the transactional race tests stay quick), and an
HTTP client that sends a bearer token and an Idempotency-Key.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role

from . import endpoints

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _test_api(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "tests.integration.idempotency.endpoints"
    translation.activate("id")
    endpoints.hooks.delay = 0.0
    endpoints.hooks.gate = None
    endpoints.hooks.calls = 0
    yield
    endpoints.hooks.gate = None
    translation.deactivate()


class KeyClient:
    """Django's test client with a bearer token; ``pay`` sends JSON with an Idempotency-Key."""

    def __init__(self, token: str, *, raise_request_exception: bool = True) -> None:
        self.client = Client(raise_request_exception=raise_request_exception)
        self.token = token

    def post(
        self, path: str, body: Any = None, *, key: str | None = None, raw: bytes | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            endpoints.PREFIX + path, data, content_type="application/json", headers=headers
        )

    def upload(self, data: dict[str, Any], *, key: str) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        return self.client.post(endpoints.PREFIX + "/upload", data, headers=headers)


def make_user(organisation: Organisation) -> User:
    n = next(_seq)
    return User.objects.create(
        email=f"user{n}@idempotency-test.example",
        full_name=f"Pengguna Uji {n}",
        organisation=organisation,
        role=Role.PEMESAN,
        person_key=f"idempotency-test-{n}",
        nik_last4=f"{n:04d}"[-4:],
    )


@pytest.fixture
def satker(db: None) -> Organisation:
    n = next(_seq)
    return Organisation.objects.create(kind=OrgKind.SATKER, code=f"8{n:05d}", name=f"Satker {n}")


@pytest.fixture
def new_user(satker: Organisation) -> Callable[[], User]:
    return lambda: make_user(satker)


def token_of(user: User) -> str:
    raw, _token = accounts.issue_api_token(user)
    return raw


@pytest.fixture
def client_of() -> Callable[..., KeyClient]:
    def make(user: User, **options: Any) -> KeyClient:
        return KeyClient(token_of(user), **options)

    return make


@pytest.fixture
def key() -> str:
    return str(uuid.uuid4())
