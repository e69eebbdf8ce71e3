"""Shared fixtures: the demo world built through the real services, logins, API clients.

The suite runs on SQLite, and on PostgreSQL when DATABASE_URL points to one (``make test``
does both). ``@pytest.mark.postgres`` tests are skipped on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation
from django_otp.oath import totp

from digipay import demo as demo_set
from digipay.accounts import demo, services
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DIGIPAY_EXPECT_POSTGRES") == "1" and "postgresql" not in engine:
        raise pytest.UsageError("DIGIPAY_EXPECT_POSTGRES=1 but the database is not PostgreSQL")


def _restores_reference_rows(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback"))


def _flushes_without_restoring(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )
    return transactional and not _restores_reference_rows(item)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Transactional tests that flush the database without ``serialized_rollback`` make Django
    # re-create the content types under new ids, after which restoring the migrations'
    # reference rows (``serialized_rollback=True``) fails. pytest-django already puts the
    # transactional tests last; among them, those that restore run first.
    items.sort(key=_flushes_without_restoring)
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Argon2 costs ~100 ms per hash by design; the tests create dozens of users. Production
    # hashing is asserted in test_auth.py::test_passwords_are_hashed_with_argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Uploaded files (vendor documents, product images, the full demo set's images) go to a
    # temporary directory, never to the developer's var/media.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A test that serves a page or an API call in English must not leave English active for
    # the tests after it (messages are compared in Bahasa Indonesia).
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """The demo data set, loaded through the services: 2 Kanwil, 2 KPPN, 3 satker (A and C
    under KPPN 019 Jakarta, B under KPPN 030 Bandung), two verified vendors (UMKM-0001 and
    UMKM-0002) with a few products, bank operators, an auditor granted Kanwil DKI Jakarta."""
    demo_set.load(full=False)
    orgs = {o.code: o for o in Organisation.objects.all()}
    return {
        "satker_a": orgs["415256"],
        "satker_c": orgs["652840"],
        "satker_b": orgs["527010"],
        "kppn_a": orgs["019"],
        "kppn_b": orgs["030"],
        "kanwil_a": orgs["31"],
        "kanwil_b": orgs["32"],
        "djpb": Organisation.objects.get(kind=OrgKind.DJPB),
        "vendor_1": orgs["UMKM-0001"],
        "vendor_2": orgs["UMKM-0002"],
    }


def demo_user(email: str) -> User:
    return User.objects.get(email=email)


@pytest.fixture
def user_by_email() -> Callable[[str], User]:
    return demo_user


def current_totp() -> str:
    return f"{totp(bytes.fromhex(demo.DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6):06d}"


@pytest.fixture
def otp_code() -> Callable[[], str]:
    return current_totp


def page_login(client: Client, email: str, password: str = demo.DEMO_PASSWORD) -> Client:
    """Log a demo user in through the real pages (password, then TOTP when the role needs it)."""
    response = client.post("/masuk/", {"email": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    if response["Location"].endswith("/masuk/verifikasi/"):
        response = client.post("/masuk/verifikasi/", {"token": current_totp()})
        assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/"
    return client


@pytest.fixture
def login_client() -> Callable[[str], Client]:
    def make(email: str) -> Client:
        return page_login(Client(), email)

    return make


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            path, body or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_as() -> Callable[[str], ApiClient]:
    """An API client holding a fresh bearer token of the demo user with that e-mail."""

    def make(email: str) -> ApiClient:
        raw, _token = services.issue_api_token(demo_user(email))
        return ApiClient(raw)

    return make


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)
