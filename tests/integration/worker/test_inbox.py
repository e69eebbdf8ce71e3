"""The inbox page, the header badge and the API: own notifications only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.test import Client

from digipay.accounts.models import User
from digipay.notifications import services
from digipay.notifications.models import Notification

ALICE = "pemesan@415256.demo.digipay.id"
BOB = "pemesan@527010.demo.digipay.id"


def user(email: str) -> User:
    return User.objects.get(email=email)


def note(email: str, title: str = "Pesanan disetujui", link: str = "/katalog/") -> Notification:
    [row] = services.notify([user(email)], title=title, body="Isi <b>penting</b>", link=link)
    return row


def test_inbox_empty_state_and_badge(world: Any, login_client: Callable[[str], Client]) -> None:
    client = login_client(ALICE)
    page = client.get("/notifikasi/").content.decode()
    assert "Belum ada notifikasi." in page
    assert 'class="badge warn"' not in page

    note(ALICE)
    note(ALICE, title="Pesanan dikirim")
    home = client.get("/").content.decode()
    assert '<span class="badge warn">2<span class="visually-hidden"> belum dibaca' in home


def test_inbox_lists_own_notifications_escaped(
    world: Any, login_client: Callable[[str], Client]
) -> None:
    mine = note(ALICE, title="Milik Alice")
    note(BOB, title="Milik Bob")
    page = login_client(ALICE).get("/notifikasi/").content.decode()
    assert "Milik Alice" in page
    assert "Milik Bob" not in page
    assert "Isi &lt;b&gt;penting&lt;/b&gt;" in page
    assert f'action="/notifikasi/{mine.pk}/baca/"' in page
    assert "1 notifikasi belum dibaca." in page


def test_mark_read_open_and_mark_all(world: Any, login_client: Callable[[str], Client]) -> None:
    client = login_client(ALICE)
    first, second, third = note(ALICE), note(ALICE), note(ALICE)

    response = client.post(f"/notifikasi/{first.pk}/baca/", {"page": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifikasi/"
    response = client.post(f"/notifikasi/{second.pk}/baca/", {"open": "1"})
    assert response["Location"] == "/katalog/"
    assert Notification.objects.filter(read_at__isnull=True).count() == 1

    response = client.post("/notifikasi/baca-semua/")
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.read_at is not None
    assert "Semua notifikasi sudah dibaca." in client.get("/notifikasi/").content.decode()


def test_another_users_notification_is_not_found(
    world: Any, login_client: Callable[[str], Client]
) -> None:
    theirs = note(BOB)
    response = login_client(ALICE).post(f"/notifikasi/{theirs.pk}/baca/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_pages_need_login_and_post(world: Any, login_client: Callable[[str], Client]) -> None:
    anonymous = Client()
    assert anonymous.get("/notifikasi/").status_code == 302
    row = note(ALICE)
    assert anonymous.post(f"/notifikasi/{row.pk}/baca/").status_code == 302
    assert login_client(ALICE).get(f"/notifikasi/{row.pk}/baca/").status_code == 405
    strict = login_client(ALICE)
    strict.handler.enforce_csrf_checks = True  # a real browser's POST without the token
    assert strict.post("/notifikasi/baca-semua/").status_code == 403
    row.refresh_from_db()
    assert row.read_at is None


def test_inbox_is_paginated(world: Any, login_client: Callable[[str], Client]) -> None:
    for i in range(23):
        note(ALICE, title=f"Notifikasi nomor {i:02d}")
    client = login_client(ALICE)
    first = client.get("/notifikasi/").content.decode()
    assert "Notifikasi nomor 22" in first
    assert "Notifikasi nomor 02" not in first
    second = client.get("/notifikasi/?page=2").content.decode()
    assert "Notifikasi nomor 02" in second
    assert "Notifikasi nomor 22" not in second
    assert "Halaman 2 dari 2" in second


# API -------------------------------------------------------------------------------------------


def test_api_lists_own_notifications_with_a_cursor(world: Any, api_as: Callable[..., Any]) -> None:
    rows = [note(ALICE, title=f"N{i}") for i in range(5)]
    note(BOB, title="Bukan milik Alice")
    api = api_as(ALICE)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 2}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/v1/notifications", **params).json()
        seen += [item["id"] for item in body["results"]]
        if not body["next"]:
            break
        cursor = parse_qs(urlparse(body["next"]).query)["cursor"][0]
    assert seen == [r.pk for r in reversed(rows)]
    item = api.get("/api/v1/notifications").json()["results"][0]
    assert set(item) == {"id", "title", "body", "link", "created_at", "read_at", "is_read"}


def test_api_mark_read_unread_count_and_read_all(world: Any, api_as: Callable[..., Any]) -> None:
    mine = [note(ALICE) for _ in range(3)]
    theirs = note(BOB)
    api = api_as(ALICE)
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 3}

    response = api.post(f"/api/v1/notifications/{mine[0].pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    unread = api.get("/api/v1/notifications", unread="true").json()["results"]
    assert {i["id"] for i in unread} == {mine[1].pk, mine[2].pk}

    response = api.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None

    assert api.post("/api/v1/notifications/read-all").json() == {"updated": 2}
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
    assert api_as(BOB).get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_api_needs_a_token(world: Any, anonymous_api: Any) -> None:
    assert anonymous_api.get("/api/v1/notifications").status_code == 401
    assert anonymous_api.post("/api/v1/notifications/read-all").status_code == 401


def test_inbox_in_english(world: Any, login_client: Callable[[str], Client]) -> None:
    client = login_client(ALICE)
    client.post("/i18n/setlang/", {"language": "en", "next": "/notifikasi/"})
    page = client.get("/notifikasi/").content.decode()
    assert "No notifications yet." in page
    note(ALICE)
    page = client.get("/notifikasi/").content.decode()
    assert "1 unread notification." in page
    assert "Mark all as read" in page
    assert '<span class="visually-hidden"> unread</span>' in page
