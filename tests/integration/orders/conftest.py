"""Fixtures of the orders tests: the demo world's people by role, products made through the
catalog services, and one helper (``Shop``) that walks an order through the real services up
to any state, so each test starts where it needs to.

Satker A (415256, KPPN 019) buys; vendor UMKM-0001 (CV Sinar Jaya Abadi: small, PKP) and
UMKM-0002 (UD Berkah Tani Makmur: micro, not PKP) sell. Satker B (527010) and satker C
(652840) are the other tenants.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from digipay import demo as demo_set
from digipay.accounts import demo as accounts_demo
from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.catalog import services as catalog
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.orders import services
from digipay.orders.models import Order, OrderLine, PaymentMethod
from digipay.orders.rules import OrderState
from digipay.policy.models import PolicyRule
from digipay.policy.rules import PolicyKey, Unit
from digipay.treasury import queries as treasury
from digipay.treasury.models import KkpCard
from digipay.vendors.models import Vendor

JUTA = 1_000_000
A = "415256"
B = "527010"
C = "652840"


def email(role: str, satker: str = A) -> str:
    return f"{role}@{satker}.demo.digipay.id"


PEMESAN, PP, PPK, PENERIMA, BENDAHARA, SATKER_ADMIN = (
    email(r) for r in ("pemesan", "pengadaan", "ppk", "penerima", "bendahara", "admin")
)
VENDOR_1 = "admin@umkm-0001.demo.digipay.id"
VENDOR_2 = "admin@umkm-0002.demo.digipay.id"
COURIER_1 = "kurir@umkm-0001.demo.digipay.id"
REASON = "Alasan yang cukup jelas untuk dicatat."

_sku = itertools.count(1)
_nik = itertools.count(900)


def user(address: str) -> User:
    return User.objects.get(email=address)


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def lines_of(order: Order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order=order, removed=False).order_by("id"))


def vendor(code: str) -> Vendor:
    return Vendor.objects.select_related("organisation").get(organisation__code=code)


def tunai(satker: Organisation) -> int:
    return int(treasury.up_position(satker)["tunai"].available)


def kkp(satker: Organisation) -> int:
    return int(treasury.up_position(satker)["kkp"].available)


def card_available(card: KkpCard) -> int:
    satker = Organisation.objects.get(pk=card.satker_id)
    return next(c.available for c in treasury.cards_of(satker) if c.card.pk == card.pk)


def set_policy(key: str, value: int, *, on: date | None = None) -> PolicyRule:
    """A new policy row in force from ``on`` (default today): the newest row wins."""
    return PolicyRule.objects.create(
        key=key,
        numerator=value,
        denominator=1,
        unit=Unit.COUNT if key == PolicyKey.SPLIT_BLOCKS else Unit.IDR,
        valid_from=on or clock.today_jakarta(),
        legal_basis="uji",
    )


def make_courier(vendor_code: str = "UMKM-0001") -> User:
    admin = user(f"admin@{vendor_code.lower()}.demo.digipay.id")
    courier, _password = accounts.create_user(
        admin,
        organisation=admin.organisation,
        email=f"kurir@{vendor_code.lower()}.demo.digipay.id",
        full_name="Kurir Uji Pengiriman",
        nik=accounts_demo.demo_nik(next(_nik)),
        role=Role.VENDOR_COURIER,
        password=accounts_demo.DEMO_PASSWORD,
    )
    return courier


def make_product(
    vendor_code: str,
    *,
    price: int,
    is_pdn: bool = True,
    stock: int = 100_000,
    name: str = "",
    min_order: int = 1,
) -> Product:
    """A Ready product of that vendor, made through the catalog services."""
    seller = vendor(vendor_code)
    admin = user(f"admin@{vendor_code.lower()}.demo.digipay.id")
    category_id = Product.objects.filter(vendor=seller).values_list("category_id", flat=True)[0]
    n = next(_sku)
    product = catalog.create_product(
        admin,
        seller,
        catalog.ProductInput(
            sku=f"UJI-{n:04d}",
            name=name or f"Barang uji pesanan {n}",
            category_id=category_id,
            unit="buah",
            price_idr=price,
            kind=ProductKind.GOODS,
            stock=stock,
            is_pdn=is_pdn,
            min_order=min_order,
        ),
    )
    product = catalog.change_state(admin, product, state=ProductState.PUBLISHED)
    return catalog.change_state(admin, product, state=ProductState.READY)


def demo_product(sku: str) -> Product:
    return Product.objects.get(sku=sku)


@dataclass
class Shop:
    """Walks orders of satker A through the real services, one role per step."""

    world: dict[str, Any]
    people: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        addresses = {
            "pemesan": PEMESAN,
            "pp": PP,
            "ppk": PPK,
            "penerima": PENERIMA,
            "vendor1": VENDOR_1,
            "vendor2": VENDOR_2,
        }
        if name not in addresses:
            raise AttributeError(name)
        if name not in self.people:
            self.people[name] = user(addresses[name])
        return self.people[name]

    @property
    def satker(self) -> Organisation:
        return Organisation.objects.get(pk=self.world["satker_a"].pk)

    @property
    def card(self) -> KkpCard:
        return KkpCard.objects.get(satker=self.satker)

    def order(
        self, items: Iterable[tuple[Product, int]] | None = None, *, pemesan: User | None = None
    ) -> Order:
        """One order (one vendor) from the Pemesan's cart: Menunggu Rincian Pemesanan."""
        buyer = pemesan or self.pemesan
        for product, quantity in items or [(demo_product("SJA-TUL-01"), 10)]:
            services.add_to_cart(buyer, product=product, quantity=quantity)
        orders = services.checkout_cart(buyer)
        assert len(orders) == 1
        return fresh(orders[0])

    def submit(
        self,
        order: Order,
        *,
        method: str = PaymentMethod.TRANSFER,
        card: KkpCard | None = None,
        akun: str = "521211",
        by: User | None = None,
        ppk: User | None = None,
    ) -> Order:
        services.submit_order(
            by or self.pp,
            order,
            services.Checkout(
                ppk=ppk or self.ppk,
                payment_method=method,
                akun=akun,
                funding_source="RM",
                card=card if method == PaymentMethod.KKP and card else None,
                delivery_address="",
            ),
        )
        return fresh(order)

    def approve(self, order: Order, *, by: User | None = None) -> Order:
        services.approve_order(by or self.ppk, order)
        return fresh(order)

    def confirm(self, order: Order) -> Order:
        services.confirm_order(self.vendor_of(order), order)
        return fresh(order)

    def vendor_of(self, order: Order) -> User:
        return User.objects.filter(
            organisation_id=order.vendor_organisation_id, role=Role.VENDOR_ADMIN
        ).first()  # type: ignore[return-value]

    def ship(self, order: Order, quantities: Mapping[int, int] | None = None) -> Order:
        wanted = quantities or {
            line.pk: line.quantity - line.shipped_quantity for line in lines_of(order)
        }
        services.ship_order(
            self.vendor_of(order), order, quantities={k: v for k, v in wanted.items() if v}
        )
        return fresh(order)

    def receive(
        self, order: Order, quantities: Mapping[int, int] | None = None, *, by: User | None = None
    ) -> Order:
        wanted = quantities or {
            line.pk: line.shipped_quantity - line.received_quantity for line in lines_of(order)
        }
        services.receive_order(
            by or self.penerima, order, quantities={k: v for k, v in wanted.items() if v}
        )
        return fresh(order)

    def at(
        self,
        state: str,
        items: Iterable[tuple[Product, int]] | None = None,
        *,
        method: str = PaymentMethod.TRANSFER,
    ) -> Order:
        """A new order driven to ``state`` along the shortest ordinary path."""
        order = self.order(items)
        if state == OrderState.MENUNGGU_RINCIAN:
            return order
        if state in (OrderState.PROSES_NEGO, OrderState.NEGO_SELESAI):
            prices = {line.pk: line.unit_price_idr - 1 for line in lines_of(order)}
            services.send_for_negotiation(self.pp, order, prices=prices, message="Mohon diskon")
            if state == OrderState.NEGO_SELESAI:
                services.accept_offer(self.vendor_of(order), order)
            return fresh(order)
        order = self.submit(order, method=method, card=self.card)
        if state == OrderState.MENUNGGU_PPK:
            return order
        order = self.approve(order)
        if state == OrderState.MENUNGGU_VENDOR:
            return order
        order = self.confirm(order)
        if state == OrderState.DIPROSES:
            return order
        order = self.ship(order)
        if state == OrderState.DIKIRIM:
            return order
        order = self.receive(order)
        assert state == OrderState.DITERIMA, state
        return order


def _world() -> dict[str, Any]:
    orgs = {o.code: o for o in Organisation.objects.all()}
    return {
        "satker_a": orgs[A],
        "satker_c": orgs[C],
        "satker_b": orgs[B],
        "kppn_a": orgs["019"],
        "kppn_b": orgs["030"],
        "djpb": Organisation.objects.get(kind=OrgKind.DJPB),
        "vendor_1": orgs["UMKM-0001"],
        "vendor_2": orgs["UMKM-0002"],
    }


@pytest.fixture(scope="module")
def _module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo world loaded once per test module inside a transaction that is rolled back
    after the module; each test runs in a savepoint inside it (pytest-django's ``db``), so
    every test starts from the same freshly loaded world without paying ~1 s to load it."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        demo_set.load(full=False)
        yield _world()
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world: dict[str, Any], db: None) -> dict[str, Any]:
    """Overrides the suite's ``world``: the same demo data, loaded once per module."""
    return _module_world


@pytest.fixture
def shop(world: dict[str, Any]) -> Shop:
    return Shop(world)
