"""Fixtures of the catalog tests: their own vendors and products, built through the services.

The tests do not use the demo vendors: ``catalog_kit`` loads only the accounts demo (satkers,
their Pejabat Pengadaan, the KPPN admins) once per module, inside a transaction that is rolled
back when the module ends; each test then runs in a savepoint of it (the ``db`` fixture), so a
module may build a larger catalog once (see ``test_search.py``) and every test still starts from
the same data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from digipay.accounts import demo as accounts_demo
from digipay.accounts import services as accounts
from digipay.accounts.models import User
from digipay.catalog import services
from digipay.catalog.models import Category, Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.vendors import services as vendor_services
from digipay.vendors.models import Vendor

PASSWORD = accounts_demo.DEMO_PASSWORD
PARTNER = "415256"  # satker A (KPPN 019 Jakarta II)
PENGADAAN = f"pengadaan@{PARTNER}.demo.digipay.id"
KPPN_ADMIN = "admin@kppn019.demo.digipay.id"
SATKER_USER = f"pemesan@{PARTNER}.demo.digipay.id"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class Seller:
    vendor: Vendor
    admin: User

    def refresh(self) -> Seller:
        self.vendor = Vendor.objects.select_related("organisation").get(pk=self.vendor.pk)
        return self


class Api:
    """A bearer-token client with the verbs the catalog API uses."""

    def __init__(self, user: User) -> None:
        raw, _token = accounts.issue_api_token(user)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)

    def upload(self, path: str, field: str, name: str, content: bytes, **fields: Any) -> Any:
        """A multipart POST of one file (``field``) and form ``fields``."""
        upload = io.BytesIO(content)
        upload.name = name
        return self.client.post(path, {**fields, field: upload}, headers=self.headers)


@dataclass
class CatalogKit:
    """Builds vendors and products through the real services."""

    serial: int = 5000
    categories: dict[str, Category] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.categories = {c.code: c for c in Category.objects.all()}

    def user(self, email: str) -> User:
        return User.objects.get(email=email)

    def category(self, code: str) -> Category:
        return self.categories[code]

    def seller(
        self,
        business_name: str,
        *,
        province: str = "31",
        sales_idr: int = 1_000_000_000,
        legal_form: str = "CV",
        verify: bool = True,
    ) -> Seller:
        self.serial += 1
        n = self.serial
        vendor = vendor_services.register_vendor(
            vendor_services.Registration(
                owner_name=f"Pemilik {business_name}",
                owner_nik=f"317101150885{n:04d}",
                email=f"admin{n}@vendor.test.digipay.id",
                phone=f"0812{n:08d}",
                password=PASSWORD,
                business_name=business_name,
                legal_form=legal_form,
                licence_kind="NIB",
                licence_number=f"91200{n:08d}",
                kbli_codes=["47611"],
                address=f"Jalan Merdeka Nomor {n}, Kelurahan Gambir",
                province_code=province,
                regency="Kota Contoh",
                npwp="000000000000000",
                is_pkp=False,
                umkm_basis="SALES",
                umkm_amount_idr=sales_idr,
                partner_satker_code=PARTNER,
            )
        )
        admin = User.objects.get(organisation=vendor.organisation, role="VENDOR_ADMIN")
        if verify:
            vendor = vendor_services.verify_vendor(self.user(PENGADAAN), vendor)
        return Seller(vendor, admin).refresh()

    def suspend(self, seller: Seller) -> None:
        vendor_services.suspend_vendor(
            self.user(KPPN_ADMIN), seller.vendor, reason="Pelanggaran ketentuan katalog berulang"
        )
        seller.refresh()

    def reinstate(self, seller: Seller) -> None:
        vendor_services.reinstate_vendor(
            self.user(KPPN_ADMIN), seller.vendor, reason="Pelanggaran sudah diperbaiki vendor"
        )
        seller.refresh()

    def product(
        self,
        seller: Seller,
        name: str,
        *,
        category: str = "ATK-KERTAS",
        price: int = 10_000,
        unit: str = "buah",
        stock: int | None = 100,
        description: str = "",
        is_pdn: bool = False,
        tkdn_bp: int = 0,
        bmp_bp: int = 0,
        provinces: tuple[str, ...] = (),
        state: str = ProductState.PUBLISHED,
        kind: str = ProductKind.GOODS,
        sku: str = "",
        published_at: datetime | None = None,
    ) -> Product:
        self.serial += 1
        product = services.create_product(
            seller.admin,
            seller.vendor,
            services.ProductInput(
                sku=sku or f"SKU-{self.serial}",
                name=name,
                category_id=self.category(category).pk,
                unit=unit,
                price_idr=price,
                kind=kind,
                description=description,
                stock=stock,
                is_pdn=is_pdn,
                tkdn_bp=tkdn_bp,
                bmp_bp=bmp_bp,
                delivery_provinces=list(provinces),
            ),
        )
        if state == ProductState.DRAFT:
            return product
        with clock.frozen(published_at or clock.now()):
            product = services.change_state(seller.admin, product, state=ProductState.PUBLISHED)
            if state != ProductState.PUBLISHED:
                product = services.change_state(seller.admin, product, state=state)
        return product


@pytest.fixture(scope="module")
def catalog_kit(django_db_setup: Any, django_db_blocker: Any) -> Iterator[CatalogKit]:
    """The accounts demo (no vendors) in a transaction kept open for the module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        accounts_demo.load()
        yield CatalogKit()
        transaction.set_rollback(True)


@pytest.fixture
def kit(catalog_kit: CatalogKit, db: None) -> CatalogKit:
    return catalog_kit


@pytest.fixture
def api(kit: CatalogKit) -> Any:
    def make(who: User | str) -> Api:
        return Api(kit.user(who) if isinstance(who, str) else who)

    return make


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
