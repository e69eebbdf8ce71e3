"""Onboarding in a real browser: a satker admin signs in with 2FA and creates a Pemesan, who
then signs in with the one-time password and is made to choose a new one.

Run with: ``DIGIPAY_ALLOW_DEV_SECRET=1 .venv/bin/pytest tests/browser -m browser``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from digipay.accounts import demo
from digipay.accounts.models import User
from digipay.accounts.rules import OrgKind, Role

if TYPE_CHECKING:
    from .conftest import PageProblems

# transaction=True: the live server thread must see the demo data. serialized_rollback=True:
# the flush after a transactional test would otherwise also wipe the reference data of the
# migrations (provinces, DJPb, banks) that demo.load() needs in the next test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ADMIN_EMAIL = "admin@415256.demo.digipay.id"
NEW_NAME = "Sari Puspitasari"
NEW_EMAIL = "sari.puspita@415256.demo.digipay.id"
# Valid for stdnum's id.nik (Jakarta Pusat, born 15/08/85) and far from the demo's 0001..00NN.
NEW_NIK = "3171011508859001"
NEW_PASSWORD = "Kopi-Tubruk-Senja-2026"
SCREENSHOT = Path("/tmp/browser-user-created.png")  # noqa: S108 - requested location


def current_totp() -> str:
    return f"{totp(bytes.fromhex(demo.DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6):06d}"


def url(live_server: LiveServer, path: str) -> re.Pattern[str]:
    """Exactly this path on the live server (no query string)."""
    return re.compile(re.escape(live_server.url + path) + r"$")


def sign_in_as_satker_admin(page: Page, live_server: LiveServer) -> None:
    response = page.goto(live_server.url + "/masuk/")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", name="Masuk ke Digipay")).to_be_visible()

    page.get_by_label("E-mail", exact=True).fill(ADMIN_EMAIL)
    page.get_by_label("Kata sandi", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()

    expect(page).to_have_url(url(live_server, "/masuk/verifikasi/"))
    expect(page.get_by_role("heading", name="Verifikasi dua langkah")).to_be_visible()
    page.get_by_label("Kode verifikasi (6 digit)").fill(current_totp())
    page.get_by_role("button", name="Verifikasi", exact=True).click()

    expect(page).to_have_url(url(live_server, "/"))
    expect(page.get_by_role("heading", name="Selamat datang, Admin")).to_be_visible()


def create_pemesan(page: Page, live_server: LiveServer) -> str:
    """From the home page, through the navigation, create the Pemesan; returns the one-time
    password shown on the result page."""
    nav = page.get_by_role("navigation", name="Navigasi utama")
    nav.get_by_role("link", name="Pengguna", exact=True).click()
    expect(page).to_have_url(url(live_server, "/pengguna/"))
    expect(page.get_by_role("heading", name="Pengguna", exact=True)).to_be_visible()

    page.get_by_role("link", name="Tambah pengguna").click()
    expect(page).to_have_url(url(live_server, "/pengguna/baru/"))
    expect(page.get_by_role("heading", name="Tambah pengguna")).to_be_visible()

    page.get_by_label("Nama lengkap").fill(NEW_NAME)
    page.get_by_label("E-mail", exact=True).fill(NEW_EMAIL)
    page.get_by_label("NIK", exact=True).fill(NEW_NIK)
    page.get_by_label("Peran", exact=True).select_option("PEMESAN")
    organisation = page.get_by_label("Organisasi", exact=True)
    expect(organisation.locator("option")).to_have_count(1)
    expect(organisation.locator("option")).to_have_text(re.compile(r"\(415256\)$"))
    organisation.select_option(index=0)
    page.get_by_role("button", name="Simpan pengguna").click()

    expect(page.get_by_role("heading", name="Pengguna dibuat")).to_be_visible()
    secret = page.get_by_test_id("initial-password")
    expect(secret).to_be_visible()
    initial_password = secret.inner_text().strip()
    assert len(initial_password) >= 12, initial_password
    return initial_password


def test_satker_admin_with_2fa_creates_pemesan(
    live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    demo.load()
    admin = User.objects.get(email=ADMIN_EMAIL)
    assert admin.role == Role.SATKER_ADMIN

    sign_in_as_satker_admin(page, live_server)
    initial_password = create_pemesan(page, live_server)

    expect(page.locator("dl.facts")).to_contain_text(NEW_NAME)
    expect(page.locator("dl.facts")).to_contain_text(NEW_EMAIL)
    expect(page.locator("dl.facts")).to_contain_text("Pemesan")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    created = User.objects.select_related("organisation").get(email=NEW_EMAIL)
    assert created.full_name == NEW_NAME
    assert created.role == Role.PEMESAN
    assert created.organisation.code == "415256"
    assert created.organisation.kind == OrgKind.SATKER
    assert created.organisation_id == admin.organisation_id
    assert created.created_by_id == admin.pk
    assert created.nik_last4 == NEW_NIK[-4:]
    assert created.must_change_password is True
    assert created.is_active
    assert created.check_password(initial_password)

    page_problems.assert_documents_have_csp()
    page_problems.assert_clean()


def test_new_pemesan_must_replace_one_time_password(
    live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    demo.load()
    sign_in_as_satker_admin(page, live_server)
    initial_password = create_pemesan(page, live_server)

    page.get_by_role("button", name="Keluar", exact=True).click()
    expect(page).to_have_url(url(live_server, "/masuk/"))
    expect(page.get_by_role("status")).to_contain_text("Anda telah keluar.")

    page.get_by_label("E-mail", exact=True).fill(NEW_EMAIL)
    page.get_by_label("Kata sandi", exact=True).fill(initial_password)
    page.get_by_role("button", name="Masuk", exact=True).click()

    # A Pemesan needs no second factor, but must replace the one-time password first.
    expect(page).to_have_url(url(live_server, "/kata-sandi/"))
    expect(page.get_by_role("heading", name="Ganti kata sandi")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("kata sandi sekali pakai")
    page.goto(live_server.url + "/pengguna/")
    expect(page).to_have_url(url(live_server, "/kata-sandi/"))

    page.get_by_label("Kata sandi lama", exact=True).fill(initial_password)
    page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan", exact=True).click()

    expect(page).to_have_url(url(live_server, "/"))
    expect(page.get_by_role("status")).to_contain_text("Kata sandi berhasil diganti.")
    expect(page.get_by_role("heading", name="Selamat datang, Sari")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text(f"{NEW_NAME} · Pemesan")
    # Pemesan may not manage users: no such link in the navigation.
    nav = page.get_by_role("navigation", name="Navigasi utama")
    expect(nav.get_by_role("link", name="Beranda")).to_be_visible()
    expect(nav.get_by_role("link", name="Pengguna", exact=True)).to_have_count(0)

    user = User.objects.get(email=NEW_EMAIL)
    assert user.must_change_password is False
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(initial_password)

    page_problems.assert_documents_have_csp()
    page_problems.assert_clean()
