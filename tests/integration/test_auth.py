"""Authentication: lock-out, 2FA for privileged roles, session lifetimes, disabling, tokens."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from digipay.accounts import demo, services
from digipay.accounts.middleware import LOGIN_AT
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.core import clock
from tests.conftest import ApiClient, current_totp, page_login

PEMESAN = "pemesan@415256.demo.digipay.id"
PPK = "ppk@415256.demo.digipay.id"
ADMIN_A = "admin@415256.demo.digipay.id"


def _fail_login(client: Client, email: str) -> Any:
    return client.post("/masuk/", {"email": email, "password": "salah-sekali-123"})


def test_lockout_after_five_failures_even_with_the_right_password(
    world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    with caplog.at_level(logging.DEBUG):
        for _ in range(4):
            response = _fail_login(client, PEMESAN)
            assert response.status_code == 200
            assert "salah" in response.content.decode()
        assert _fail_login(client, PEMESAN).status_code == 429
        locked = client.post("/masuk/", {"email": PEMESAN, "password": demo.DEMO_PASSWORD})
    assert locked.status_code == 429
    assert "dikunci" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The API token endpoint honours the same lock-out.
    api = ApiClient(None).post(
        "/api/v1/auth/token", {"email": PEMESAN, "password": demo.DEMO_PASSWORD}
    )
    assert api.status_code == 429
    assert api.json()["code"] == "too_many_attempts"
    # No personal data in the logs.
    assert PEMESAN not in caplog.text
    # Other accounts are unaffected (lock-out is per account).
    page_login(Client(), "penerima@415256.demo.digipay.id")


def test_lockout_ends_after_the_cool_off(world: dict[str, Any]) -> None:
    client = Client()
    for _ in range(5):
        _fail_login(client, PEMESAN)
    with time_machine.travel(clock.now() + timedelta(minutes=31)):
        page_login(Client(), PEMESAN)


def test_lockout_is_case_insensitive_on_the_email(world: dict[str, Any]) -> None:
    client = Client()
    for variant in [
        "PEMESAN@415256.demo.digipay.id",
        PEMESAN,
        "Pemesan@415256.Demo.Digipay.id",
    ] * 2:
        _fail_login(client, variant)
    locked = client.post("/masuk/", {"email": PEMESAN, "password": demo.DEMO_PASSWORD})
    assert locked.status_code == 429


@pytest.mark.parametrize(
    "email",
    [
        PPK,
        "bendahara@415256.demo.digipay.id",
        ADMIN_A,
        "admin@kppn019.demo.digipay.id",
        "admin@djpb.demo.digipay.id",
        "admin@umkm-0001.demo.digipay.id",
    ],
)
def test_privileged_roles_need_the_second_factor(world: dict[str, Any], email: str) -> None:
    client = Client()
    response = client.post("/masuk/", {"email": email, "password": demo.DEMO_PASSWORD})
    assert response["Location"] == "/masuk/verifikasi/"
    # Password alone does not log in.
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session
    wrong = client.post(
        "/masuk/verifikasi/", {"token": "000000" if current_totp() != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    # The API refuses a token without the code.
    api = ApiClient(None).post(
        "/api/v1/auth/token", {"email": email, "password": demo.DEMO_PASSWORD}
    )
    assert api.status_code == 401
    assert api.json()["code"] == "otp_required"


def test_pemesan_logs_in_with_password_only(world: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/masuk/", {"email": PEMESAN, "password": demo.DEMO_PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_first_login_of_a_privileged_user_enrols_totp(world: dict[str, Any]) -> None:
    from django_otp.oath import totp

    user = User.objects.get(email=PPK)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    response = client.post("/masuk/", {"email": PPK, "password": demo.DEMO_PASSWORD})
    assert response["Location"] == "/masuk/aktifkan-2fa/"
    page = client.get("/masuk/aktifkan-2fa/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # QR code, inline SVG (no script, CSP-safe)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/masuk/aktifkan-2fa/", {"token": "12345x"}).status_code == 200
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"
    done = client.post("/masuk/aktifkan-2fa/", {"token": code})
    assert done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_pending_second_factor_expires(world: dict[str, Any]) -> None:
    client = Client()
    client.post("/masuk/", {"email": PPK, "password": demo.DEMO_PASSWORD})
    with time_machine.travel(clock.now() + timedelta(minutes=6)):
        response = client.post("/masuk/verifikasi/", {"token": current_totp()})
    assert response["Location"] == "/masuk/"


def test_session_idle_timeout(world: dict[str, Any]) -> None:
    client = page_login(Client(), PEMESAN)
    with time_machine.travel(clock.now() + timedelta(minutes=20)):
        assert client.get("/").status_code == 200  # activity renews the idle timer
    with time_machine.travel(clock.now() + timedelta(minutes=45)):
        assert client.get("/").status_code == 200
    with time_machine.travel(clock.now() + timedelta(minutes=80)):
        assert client.get("/").status_code == 302


def test_session_absolute_lifetime(world: dict[str, Any]) -> None:
    client = page_login(Client(), PEMESAN)
    session = client.session
    session[LOGIN_AT] = (clock.now() - timedelta(hours=12, minutes=1)).timestamp()
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert "expired=1" in response["Location"]


def test_disabling_a_user_ends_every_session_and_token(world: dict[str, Any]) -> None:
    target = User.objects.get(email=PEMESAN)
    browser_1 = page_login(Client(), PEMESAN)
    browser_2 = page_login(Client(), PEMESAN)
    raw, _token = services.issue_api_token(target)
    api = ApiClient(raw)
    assert api.get("/api/v1/me").status_code == 200
    assert Session.objects.count() == 2

    services.disable_user(User.objects.get(email=ADMIN_A), target, reason="Mutasi pegawai")

    assert Session.objects.count() == 0
    for browser in (browser_1, browser_2):
        assert browser.get("/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert (
        Client().post("/masuk/", {"email": PEMESAN, "password": demo.DEMO_PASSWORD}).status_code
        == 200
    )


def test_token_revocation(world: dict[str, Any]) -> None:
    issued = ApiClient(None).post(
        "/api/v1/auth/token", {"email": PEMESAN, "password": demo.DEMO_PASSWORD}
    )
    assert issued.status_code == 200
    api = ApiClient(issued.json()["token"])
    assert api.get("/api/v1/me").status_code == 200
    assert api.post("/api/v1/auth/token/revoke").status_code == 204
    revoked = api.get("/api/v1/me")
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "unauthenticated"


def test_tokens_expire(world: dict[str, Any]) -> None:
    raw, _token = services.issue_api_token(User.objects.get(email=PEMESAN))
    with time_machine.travel(clock.now() + timedelta(days=31)):
        assert ApiClient(raw).get("/api/v1/me").status_code == 401


def test_only_the_hash_of_a_token_is_stored(world: dict[str, Any]) -> None:
    raw, token = services.issue_api_token(User.objects.get(email=PEMESAN))
    token.refresh_from_db()
    assert raw not in (token.key_hash, token.prefix)
    assert token.key_hash == services.hash_token(raw)


def test_one_time_password_must_be_changed_first(world: dict[str, Any]) -> None:
    admin = User.objects.get(email=ADMIN_A)
    user, initial = services.create_user(
        admin,
        organisation=world["satker_a"],
        email="baru@a.go.id",
        full_name="Pegawai Baru",
        nik="3171011508857001",
        role=Role.KPA,
    )
    client = page_login(Client(), "baru@a.go.id", initial)
    assert client.get("/pengguna/")["Location"] == "/kata-sandi/"
    weak = client.post(
        "/kata-sandi/",
        {"old_password": initial, "new_password": "password123", "new_password2": "password123"},
    )
    assert weak.status_code == 200
    assert "terlalu" in weak.content.decode().lower() or "umum" in weak.content.decode().lower()
    short = client.post(
        "/kata-sandi/",
        {"old_password": initial, "new_password": "Ab1!xyz", "new_password2": "Ab1!xyz"},
    )
    assert "12" in short.content.decode()
    good = client.post(
        "/kata-sandi/",
        {
            "old_password": initial,
            "new_password": "Sawah-Hijau-2026",
            "new_password2": "Sawah-Hijau-2026",
        },
    )
    assert good["Location"] == "/"
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password


def test_passwords_are_hashed_with_argon2(world: dict[str, Any], settings: Any) -> None:
    from digipay.config import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    admin = User.objects.get(email=ADMIN_A)
    user, _pw = services.create_user(
        admin,
        organisation=world["satker_a"],
        email="argon@a.go.id",
        full_name="Argon Dua",
        nik="3171011508857002",
        role=Role.KPA,
        password="Kopi-Tubruk-2026",
    )
    assert user.password.startswith("argon2$")


def test_logout_is_post_only_and_ends_the_session(world: dict[str, Any]) -> None:
    client = page_login(Client(), PEMESAN)
    assert client.get("/keluar/").status_code == 405
    assert client.post("/keluar/")["Location"] == "/masuk/"
    assert client.get("/").status_code == 302
