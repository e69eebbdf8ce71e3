"""Fixtures of the vendor tests: the demo hierarchy loaded once per module, vendors registered
through the real service, an API client that can also PATCH, DELETE and upload, and the bank
simulator served in-process for the account-name inquiry.

Speed: loading the demo hierarchy takes a second or two, so it is loaded once per module
inside an outer transaction that is rolled back at the end of the module; every test runs in
its own savepoint inside it (pytest-django's ``db``), as with ``TestCase.setUpTestData``.

The vendors are created here, not taken from the demo set: the tests do not depend on the demo
vendors (UMKM-0001, ...), whose owners use NIKs from region 3171; ours come from 3273.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from digipay.accounts import demo as accounts_demo
from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, User
from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.gateway import SnapBankGateway
from digipay.integrations.banks.profiles import BankProfile
from digipay.simulators.banksim import config_from_dict, create_app
from digipay.snap import signing
from digipay.vendors import services
from digipay.vendors.models import Vendor
from digipay.vendors.rules import DocumentKind
from tests.conftest import ApiClient
from tests.integration.simulators.conftest import CLIENT_ID, SECRET, live_server

SATKER_A, SATKER_C, SATKER_B = "415256", "652840", "527010"  # A, C: KPPN 019; B: KPPN 030
PP_A = "pengadaan@415256.demo.digipay.id"
PPK_A = "ppk@415256.demo.digipay.id"
BENDAHARA_A = "bendahara@415256.demo.digipay.id"
PEMESAN_A = "pemesan@415256.demo.digipay.id"
PP_C = "pengadaan@652840.demo.digipay.id"
PP_B = "pengadaan@527010.demo.digipay.id"
KPPN_A = "admin@kppn019.demo.digipay.id"  # pays satkers A and C
KPPN_B = "admin@kppn030.demo.digipay.id"  # pays satker B
KANWIL_A = "admin@kanwil31.demo.digipay.id"
DJPB = "admin@djpb.demo.digipay.id"

PASSWORD = "Usaha-Maju-Bersama-2026"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"

_serial = itertools.count(1)


def nik(serial: int) -> str:
    """A valid NIK: Kota Bandung (3273 01), a woman born 01/05/90 (day + 40), the serial."""
    return f"327301410590{serial:04d}"


def registration(**overrides: Any) -> services.Registration:
    """A complete, valid self-registration naming satker A as partner (NIB: no licence file
    needed); every call gets its own owner NIK and e-mail."""
    n = next(_serial)
    data: dict[str, Any] = {
        "owner_name": f"Siti Rahayu {n}",
        "owner_nik": nik(n),
        "email": f"pemilik{n}@usaha.example.co.id",
        "phone": "0812 3456 7890",
        "password": PASSWORD,
        "business_name": f"CV Sinar Jaya {n}",
        "legal_form": "CV",
        "licence_kind": "NIB",
        "licence_number": "9120001234567",
        "kbli_codes": ["47111"],
        "address": "Jl. Braga No. 12, Sumur Bandung",
        "province_code": "32",
        "regency": "Kota Bandung",
        "npwp": "013000666091000",
        "is_pkp": False,
        "umkm_basis": "SALES",
        "umkm_amount_idr": 500_000_000,
        "partner_satker_code": SATKER_A,
    }
    data.update(overrides)
    return services.Registration(**data)


def registration_json(**overrides: Any) -> dict[str, Any]:
    data = registration(**overrides).__dict__.copy()
    data.pop("documents")
    for key in ("suket_valid_from", "suket_valid_until"):
        if isinstance(data[key], date):
            data[key] = data[key].isoformat()
    return data


def register(**overrides: Any) -> Vendor:
    return services.register_vendor(registration(**overrides))


def user(email: str) -> User:
    return User.objects.get(email=email)


def admin_of(vendor: Vendor) -> User:
    return User.objects.get(organisation_id=vendor.organisation_id, role="VENDOR_ADMIN")


def fresh(vendor: Vendor) -> Vendor:
    return Vendor.objects.select_related("organisation").get(pk=vendor.pk)


def upload(vendor: Vendor, kind: str = DocumentKind.LICENCE, content: bytes = PDF) -> None:
    services.upload_document(
        admin_of(vendor), vendor, kind=kind, name=f"{kind.lower()}.pdf", stream=BytesIO(content)
    )


def verified(**overrides: Any) -> Vendor:
    """A vendor registered and verified by satker A's Pejabat Pengadaan (its partner unless
    ``partner_satker_code`` says otherwise: then by that satker's)."""
    vendor = register(**overrides)
    if vendor.licence_kind != "NIB":
        upload(vendor)
    if vendor.suket_number:
        upload(vendor, DocumentKind.SUKET)
    partner = Organisation.objects.get(pk=vendor.partner_satker_id)
    return services.verify_vendor(user(f"pengadaan@{partner.code}.demo.digipay.id"), fresh(vendor))


class Api(ApiClient):
    """``ApiClient`` plus PATCH, DELETE, multipart upload and cursor-following lists."""

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)

    def upload(self, path: str, name: str, content: bytes, content_type: str) -> Any:
        file = SimpleUploadedFile(name, content, content_type=content_type)
        return self.client.post(path, {"file": file}, headers=self.headers)

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(path, page_size=2, **params)
        rows: list[dict[str, Any]] = []
        for _page in range(100):
            assert response.status_code == 200, response.content
            body = response.json()
            rows.extend(body["results"])
            if not body["next"]:
                return rows
            link = urlsplit(body["next"])
            response = self.get(link.path, **dict(parse_qsl(link.query)))
        raise AssertionError("more than 100 pages")


@pytest.fixture
def api() -> Callable[[str], Api]:
    """An API client with a fresh bearer token of the user with that e-mail."""

    def make(email: str) -> Api:
        raw, _token = accounts.issue_api_token(user(email))
        return Api(raw)

    return make


@pytest.fixture
def anonymous() -> Api:
    return Api(None)


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo hierarchy and its users (the accounts part of the demo set: no demo vendors,
    products or UP are needed here), loaded once for the module in a transaction rolled back
    at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            accounts_demo.load()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def vw(_demo_loaded: None, db: None, settings: Any, tmp_path: Path) -> None:
    """The vendor tests' world: the demo hierarchy (satkers A and C under KPPN 019, B under
    KPPN 030 with their users), uploads kept in a temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- the bank simulator ---------------------------------------------------------------------------

BRI, BNI = "002", "009"
SINAR_BRI = "034601000456302"  # CV SINAR JAYA at BRI
RAHAYU_BRI = "034601000789305"  # SITI RAHAYU at BRI
BERKAH_BNI = "0912345678"  # UD BERKAH TANI at BNI
UNKNOWN_BRI = "034601000999999"


@dataclass(frozen=True)
class BankSim:
    url: str
    partner_private_pem: str
    bank_public_pem: str

    def profile(self, bank: str = BRI, *, url: str | None = None) -> BankProfile:
        return BankProfile(
            bank_code=bank,
            base_url=f"{url or self.url}/{bank}",
            partner_id=CLIENT_ID,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            private_key_pem=self.partner_private_pem,
            bank_public_key_pem=self.bank_public_pem,
            timeout_seconds=2.0,
        )

    def gateway(self, bank: str = BRI, *, url: str | None = None) -> SnapBankGateway:
        profile = self.profile(bank, url=url)
        http = httpx.Client(base_url=profile.base_url, timeout=2.0)
        return SnapBankGateway(SnapClient(profile, http=http), sleep=lambda _s: None)

    def write_config(self, directory: Path, *, url: str | None = None) -> Path:
        """A ``DIGIPAY_BANKS_CONFIG`` file with a profile for BRI only (other banks' accounts
        are asked through BRI: an interbank inquiry)."""
        (directory / "digipay.pem").write_text(self.partner_private_pem)
        (directory / "bank.pub.pem").write_text(self.bank_public_pem)
        path = directory / "banks.json"
        path.write_text(
            json.dumps(
                [
                    {
                        "bank_code": BRI,
                        "base_url": f"{url or self.url}/{BRI}",
                        "partner_id": CLIENT_ID,
                        "client_id": CLIENT_ID,
                        "client_secret": SECRET,
                        "private_key_path": "digipay.pem",
                        "bank_public_key_path": "bank.pub.pem",
                        "timeout_seconds": 2,
                    }
                ]
            )
        )
        return path


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def banksim() -> Iterator[BankSim]:
    """The real bank simulator (Starlette app, real SNAP signatures) on a loopback port, with
    the vendors' accounts; its own SQLite in memory."""
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    config = {
        "database": ":memory:",
        "signingKey": {"privateKey": bank_private},
        "banks": [
            {"code": BRI, "name": "BANK RAKYAT INDONESIA", "shortName": "BRI"},
            {"code": BNI, "name": "BANK NEGARA INDONESIA", "shortName": "BNI"},
        ],
        "partners": [{"clientId": CLIENT_ID, "clientSecret": SECRET, "publicKey": partner_public}],
        "accounts": [
            {"bank": BRI, "accountNo": SINAR_BRI, "name": "CV SINAR JAYA", "balance": 0},
            {"bank": BRI, "accountNo": RAHAYU_BRI, "name": "SITI RAHAYU", "balance": 0},
            {"bank": BNI, "accountNo": BERKAH_BNI, "name": "UD BERKAH TANI", "balance": 0},
        ],
        "notifications": {"pollSeconds": 0.05, "retryBaseSeconds": 0.05, "retryMaxSeconds": 0.2},
    }
    with live_server(create_app(config_from_dict(config))) as url:
        yield BankSim(url, partner_private, bank_public)
