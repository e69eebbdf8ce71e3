"""Pages: Indonesian by default, English on request, security headers, role-aware home,
user management with pagination, and the API's error shape and cursor pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client

from digipay.accounts.models import User
from digipay.accounts.rules import Role

ADMIN_A = "admin@415256.demo.digipay.id"


def test_login_page_is_indonesian_and_secure_by_default(db: None) -> None:
    response = Client().get("/masuk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Masuk ke Digipay" in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in html  # no inline script: CSP stays strict
    assert 'name="csrfmiddlewaretoken"' in html


def test_english_is_available(db: None) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"})
    assert response.status_code == 302
    page = client.get("/masuk/").content.decode()
    assert '<html lang="en">' in page
    assert "Log in to Digipay" in page


def test_forms_refuse_posts_without_csrf_token(world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/masuk/", {"email": "x@y.id", "password": "z"})
    assert response.status_code == 403
    assert "kedaluwarsa" in response.content.decode()


def test_session_cookie_flags(world: dict[str, Any], settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    client = Client()
    from digipay.accounts import demo

    response = client.post(
        "/masuk/", {"email": "pemesan@415256.demo.digipay.id", "password": demo.DEMO_PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("email", "expected", "absent"),
    [
        ("admin@kppn019.demo.digipay.id", ["satker dalam wilayah Anda", "/satker/"], ["Delegasi"]),
        (ADMIN_A, ["Kelima peran operasional sudah terisi", "/delegasi/", "/pengguna/"], []),
        ("pemesan@415256.demo.digipay.id", ["Belum ada pekerjaan"], ["/pengguna/", "/satker/"]),
        ("auditor@itjen.demo.digipay.id", ["/pengguna/"], ["/delegasi/"]),
    ],
)
def test_home_is_role_aware(
    world: dict[str, Any], login_client: Any, email: str, expected: list[str], absent: list[str]
) -> None:
    html = login_client(email).get("/").content.decode()
    for text in expected:
        assert text in html, text
    for text in absent:
        assert text not in html, text


def test_satker_admin_home_lists_missing_roles(world: dict[str, Any], login_client: Any) -> None:
    from digipay.accounts import services

    admin = User.objects.get(email=ADMIN_A)
    services.disable_user(
        admin, User.objects.get(email="bendahara@415256.demo.digipay.id"), reason="Pensiun"
    )
    html = login_client(ADMIN_A).get("/").content.decode()
    assert "Peran yang belum diisi" in html
    assert "Bendahara Pengeluaran" in html


def test_user_list_paginates_and_filters(world: dict[str, Any], login_client: Any) -> None:
    from digipay.accounts import services

    admin = User.objects.get(email=ADMIN_A)
    for i in range(30):
        services.create_user(
            admin,
            organisation=world["satker_a"],
            email=f"staf{i}@a.go.id",
            full_name=f"Staf Nomor {i:02d}",
            nik=f"31710115088{5000 + i:05d}",
            role=Role.KPA,
        )
    client = login_client(ADMIN_A)
    first = client.get("/pengguna/").content.decode()
    assert "Halaman 1 dari 2" in first
    second = client.get("/pengguna/?page=2").content.decode()
    assert "Halaman 2 dari 2" in second
    filtered = client.get("/pengguna/", {"q": "Nomor 07"}).content.decode()
    assert "staf7@a.go.id" in filtered
    assert "staf8@a.go.id" not in filtered
    # HTMX asks for the results fragment only.
    fragment = client.get("/pengguna/", {"role": Role.PPK}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'id="results"' in body
    assert "ppk@415256.demo.digipay.id" in body
    assert "staf1@a.go.id" not in body


def test_admin_changes_role_and_disables_through_pages(
    world: dict[str, Any], login_client: Any
) -> None:
    client = login_client(ADMIN_A)
    target = User.objects.get(email="penerima@415256.demo.digipay.id")
    response = client.post(f"/pengguna/{target.pk}/", {"role": Role.KPA})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.KPA
    empty = client.post(f"/pengguna/{target.pk}/", {"reason": ""})
    assert empty.status_code == 200
    target.refresh_from_db()
    assert target.is_active
    client.post(f"/pengguna/{target.pk}/", {"reason": "Mutasi ke satker lain"})
    target.refresh_from_db()
    assert not target.is_active


def test_page_refusals_are_friendly(world: dict[str, Any], login_client: Any) -> None:
    client = login_client("pemesan@415256.demo.digipay.id")
    forbidden = client.get("/pengguna/baru/")
    assert forbidden.status_code == 403
    assert "Akses ditolak" in forbidden.content.decode()
    missing = client.get("/pengguna/999999/")
    assert missing.status_code in (403, 404)


def test_anonymous_pages_redirect_to_login(db: None) -> None:
    for path in ("/", "/pengguna/", "/satker/", "/delegasi/", "/kata-sandi/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/masuk/")


def test_rupiah_and_dates_are_formatted_the_indonesian_way() -> None:
    html = Template("{% load digipay %}{{ a|rupiah }} {{ d|tanggal }} {{ t|tanggal }}").render(
        Context(
            {
                "a": 1234567,
                "d": datetime(2026, 1, 5, tzinfo=UTC).date(),
                "t": datetime(2026, 1, 5, 18, 30, tzinfo=UTC),
            }
        )
    )
    # 18:30 UTC is 01:30 the next day in Jakarta (UTC+7).
    assert html == "Rp 1.234.567 05/01/2026 06/01/2026 01:30"


def test_openapi_and_docs_are_served(db: None) -> None:
    spec = Client().get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/organisations",
        "/api/v1/users",
        "/api/v1/satker-admins",
        "/api/v1/delegations",
    ):
        assert path in paths
    assert Client().get("/api/v1/docs").status_code == 200


def test_api_errors_share_one_shape(world: dict[str, Any], api_as: Any, anonymous_api: Any) -> None:
    unauthenticated = anonymous_api.get("/api/v1/me")
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()) == {"code", "message", "details"}
    invalid = api_as(ADMIN_A).post("/api/v1/users", {"email": 5})
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "validation_error"
    assert invalid.json()["details"]["errors"]


def test_api_cursor_pagination_walks_all_users(world: dict[str, Any], api_as: Any) -> None:
    api = api_as("admin@djpb.demo.digipay.id")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 7}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/users", **params).json()
        seen.extend(user["id"] for user in page["results"])
        if not page["next"]:
            break
        cursor = page["next"].split("cursor=")[1].split("&")[0]
        from urllib.parse import unquote

        cursor = unquote(cursor)
    assert len(seen) == len(set(seen)) == User.objects.count()


def test_english_catalogue_is_complete() -> None:
    import polib

    from digipay.config import settings as project_settings

    po = polib.pofile(str(project_settings.BASE_DIR / "locale/en/LC_MESSAGES/django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


def test_pages_stay_indonesian_for_an_english_browser(db: None) -> None:
    page = Client().get("/masuk/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Masuk ke Digipay" in page.content.decode()
    assert page["Content-Language"] == "id"


def test_api_messages_follow_accept_language(world: dict[str, Any], anonymous_api: Any) -> None:
    default = anonymous_api.get("/api/v1/me")
    assert default.json()["message"] == "Token tidak valid atau tidak ada."
    english = anonymous_api.client.get("/api/v1/me", headers={"Accept-Language": "en"})
    assert english.json()["message"] != default.json()["message"]
    assert english["Content-Language"] == "en"
