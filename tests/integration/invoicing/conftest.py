"""Fixtures of the invoicing tests: the orders tests' world (loaded once per module) and their
``Shop``, which walks orders of satker A through the real services; a BAST made there makes
the invoice through the orders app's ``on_receipt`` listener.

Vendors: UMKM-0001 (CV Sinar Jaya Abadi: PKP) and UMKM-0002 (UD Berkah Tani Makmur: not
PKP, no Suket unless a test gives it one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import pytest

from digipay.core import clock
from digipay.invoicing.models import Invoice
from digipay.orders.models import Order, PaymentMethod
from digipay.orders.rules import OrderState
from digipay.vendors.models import Vendor
from digipay.vendors.rules import SuketStatus

from ..orders.conftest import (  # noqa: F401 - fixtures
    BENDAHARA,
    JUTA,
    PENERIMA,
    PP,
    PPK,
    REASON,
    VENDOR_1,
    VENDOR_2,
    A,
    B,
    C,
    Shop,
    _module_world,
    email,
    fresh,
    lines_of,
    make_product,
    shop,
    user,
    vendor,
    world,
)

__all__ = [
    "BENDAHARA",
    "JUTA",
    "PENERIMA",
    "PP",
    "PPK",
    "REASON",
    "VENDOR_1",
    "VENDOR_2",
    "A",
    "B",
    "C",
    "Shop",
    "email",
    "fresh",
    "invoice_of",
    "lines_of",
    "make_product",
    "received",
    "user",
    "vendor",
]

KPA = email("kpa")


def invoice_of(order: Order) -> Invoice:
    found = list(Invoice.objects.filter(order=order).order_by("id"))
    assert len(found) == 1, found
    return found[0]


def received(
    walker: Shop,
    items: Iterable[tuple[object, int]],
    *,
    method: str = PaymentMethod.TRANSFER,
    at: datetime | None = None,
) -> Order:
    """An order of ``items`` delivered and received in full (one BAST), optionally at ``at``."""
    order = walker.at(OrderState.DIKIRIM, items, method=method)  # type: ignore[arg-type]
    if at is None:
        return walker.receive(order)
    with clock.frozen(at):
        return walker.receive(order)


def give_suket(code: str, valid_from: date, valid_until: date) -> Vendor:
    seller = vendor(code)
    Vendor.objects.filter(pk=seller.pk).update(
        suket_number=f"KET-00001/PP55/{code}",
        suket_valid_from=valid_from,
        suket_valid_until=valid_until,
        suket_status=SuketStatus.VERIFIED,
    )
    return vendor(code)


@pytest.fixture
def goods_pkp() -> object:
    """Rp10 juta of goods from the PKP vendor (the worked example of DOMAIN.md §6)."""
    return make_product("UMKM-0001", price=10 * JUTA)


def make_service(vendor_code: str, *, price: int) -> object:
    """A Ready services product (no stock) of that vendor, through the catalog services."""
    from digipay.catalog import services as catalog
    from digipay.catalog.models import Product
    from digipay.catalog.rules import ProductKind, ProductState

    seller = vendor(vendor_code)
    admin = user(f"admin@{vendor_code.lower()}.demo.digipay.id")
    category_id = Product.objects.filter(vendor=seller).values_list("category_id", flat=True)[0]
    product = catalog.create_product(
        admin,
        seller,
        catalog.ProductInput(
            sku=f"JASA-{price}",
            name=f"Jasa uji {price}",
            category_id=category_id,
            unit="paket",
            price_idr=price,
            kind=ProductKind.SERVICES,
            stock=None,
            is_pdn=True,
        ),
    )
    product = catalog.change_state(admin, product, state=ProductState.PUBLISHED)
    return catalog.change_state(admin, product, state=ProductState.READY)


def make_kpa(satker: str = A) -> object:
    """The satker's KPA (optional viewer role; not in the small demo world)."""
    from digipay.accounts import demo as accounts_demo
    from digipay.accounts import services as accounts
    from digipay.accounts.models import User

    found = User.objects.filter(email=email("kpa", satker)).first()
    if found is not None:
        return found
    admin = user(email("admin", satker))
    kpa, _password = accounts.create_user(
        admin,
        organisation=admin.organisation,
        email=email("kpa", satker),
        full_name=f"KPA Uji ({satker})",
        nik=accounts_demo.demo_nik(950 + int(satker[-2:])),
        role="KPA",
        password=accounts_demo.DEMO_PASSWORD,
    )
    return kpa
