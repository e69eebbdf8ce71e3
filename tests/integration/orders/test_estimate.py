"""The order's PPN estimate (what the UP hold covers beyond the price) comes from the tax
engine's rule rows in force that day (ADR 0014), not from a rate in the code: 11% of the price
(= 12% of DPP nilai lain 11/12 since 2025) for a PKP vendor, floored at the end; nothing for a
non-PKP vendor; and a new rule row changes the estimate of orders made under it."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest

from digipay.accounts.models import User
from digipay.core import clock
from digipay.orders import queries
from digipay.orders.models import Order
from digipay.orders.rules import OrderState as S
from digipay.tax import services as tax_services

from .conftest import Shop, fresh, make_product

ON = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("base", "ppn"),
    [
        (9, 0),  # 0.99 → 0
        (10, 1),  # 1.1 → 1
        (99, 10),  # 10.89 → 10 (floor, never rounded up)
        (1_000_000, 110_000),  # under the Rp2 juta collection threshold: still charged
        (39_500, 4_345),
        (45_045_045, 4_954_954),  # 4,954,954.95
        (45_045_046, 4_954_955),  # 4,954,955.06
        (10_000_000_000, 1_100_000_000),
    ],
)
def test_a_pkp_vendor_adds_11_percent_floored(world: Any, base: int, ppn: int) -> None:
    assert queries.estimated_ppn([("GOODS", 1, base)], vendor_pkp=True, on=ON) == ppn
    assert queries.estimated_ppn([("SERVICES", 1, base)], vendor_pkp=True, on=ON) == ppn


def test_the_floor_is_taken_once_over_all_lines(world: Any) -> None:
    # 3 × 10.89 would floor to 30 line by line; the exact total 32.67 floors to 32.
    lines = [("GOODS", 1, 99), ("GOODS", 1, 99), ("SERVICES", 1, 99)]
    assert queries.estimated_ppn(lines, vendor_pkp=True, on=ON) == 32


def test_a_non_pkp_vendor_adds_nothing(world: Any) -> None:
    assert queries.estimated_ppn([("GOODS", 3, 1_000_000)], vendor_pkp=False, on=ON) == 0


def test_a_new_rule_row_changes_the_estimate_of_later_orders(shop: Shop) -> None:
    admin = User.objects.get(email="admin@djpb.demo.digipay.id")
    with clock.frozen(datetime(2026, 11, 28, 9, tzinfo=clock.JAKARTA)):
        tax_services.add_tax_rule(
            admin,
            tax="PPN",
            collector="BENDAHARA",
            luxury="NON_LUXURY",
            rate=Fraction(13, 100),
            base_fraction=Fraction(11, 12),
            threshold_idr=2_000_000,
            threshold_basis="INCL_PPN",
            valid_from=date(2027, 1, 1),
            legal_basis="Uji: PPN 13% × DPP nilai lain 11/12",
        )
    assert queries.estimated_ppn([("GOODS", 1, 12_000_000)], vendor_pkp=True, on=ON) == 1_320_000
    later = date(2027, 1, 4)
    assert queries.estimated_ppn([("GOODS", 1, 12_000_000)], vendor_pkp=True, on=later) == 1_430_000
    product = make_product("UMKM-0001", price=12_000_000)
    order: Order
    with clock.frozen(datetime(2027, 1, 4, 9, tzinfo=clock.JAKARTA)):
        order = fresh(shop.order([(product, 1)]))
    assert order.vendor_pkp  # UMKM-0001 is a PKP in the demo data
    assert (order.ppn_estimate_idr, order.total_idr) == (1_430_000, 13_430_000)
    assert order.state == S.MENUNGGU_RINCIAN
