"""Delivery and receipt (DOMAIN.md §4 steps 6–7): partial shipments and partial receipts, each
receipt a BAST; never more received than shipped nor shipped than ordered; complaints sent back
to the vendor, who replaces (and ships again) or agrees a reduced quantity."""

from __future__ import annotations

import pytest

from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.orders import services
from digipay.orders.models import Complaint, Order, Receipt, ReceiptLine, Resolution
from digipay.orders.rules import OrderState as S

from .conftest import Shop, demo_product, fresh, lines_of, make_courier, tunai

PEN, TINTA = "SJA-TUL-01", "SJA-TIN-09"  # 39.500 and 19.000, vendor UMKM-0001 (PKP)
DAMAGED = "Lima batang tinta bocor saat diterima."


def confirmed(shop: Shop) -> tuple[Order, int, int]:
    order = shop.at(S.DIPROSES, [(demo_product(PEN), 10), (demo_product(TINTA), 20)])
    pen, tinta = (line.pk for line in lines_of(order))
    return order, pen, tinta


def quantities(order: Order) -> dict[int, tuple[int, int, int]]:
    return {
        line.pk: (line.quantity, line.shipped_quantity, line.received_quantity)
        for line in lines_of(order)
    }


def test_partial_shipments_and_receipts(shop: Shop) -> None:
    order, pen, tinta = confirmed(shop)
    courier = make_courier("UMKM-0001")
    services.ship_order(courier, order, quantities={pen: 4}, tracking="Kurir 1")
    order = fresh(order)
    assert order.state == S.DIKIRIM
    assert quantities(order) == {pen: (10, 4, 0), tinta: (20, 0, 0)}
    services.ship_order(shop.vendor1, order, quantities={pen: 2, tinta: 5})  # ships more
    assert quantities(fresh(order)) == {pen: (10, 6, 0), tinta: (20, 5, 0)}
    services.receive_order(shop.penerima, order, quantities={pen: 6})
    order = fresh(order)
    assert order.state == S.DIKIRIM  # five tinta on the way still
    services.receive_order(shop.penerima, order, quantities={tinta: 5})
    order = fresh(order)
    assert order.state == S.DIPROSES  # all that came is received, the rest is to ship
    assert quantities(order) == {pen: (10, 6, 6), tinta: (20, 5, 5)}
    shop.ship(order)
    order = shop.receive(order)
    assert order.state == S.DITERIMA
    receipts = list(Receipt.objects.filter(order=order).order_by("id"))
    assert len(receipts) == 3
    assert [r.number[-2:] for r in receipts] == ["01", "02", "03"]
    per_line = {
        (rl.receipt_id, rl.line_id): rl.quantity
        for rl in ReceiptLine.objects.filter(receipt__order=order)
    }
    assert per_line == {
        (receipts[0].pk, pen): 6,
        (receipts[1].pk, tinta): 5,
        (receipts[2].pk, pen): 4,
        (receipts[2].pk, tinta): 15,
    }
    assert services.received_value(order) == 10 * 39_500 + 20 * 19_000


def test_cannot_receive_more_than_shipped(shop: Shop) -> None:
    order, pen, tinta = confirmed(shop)
    services.ship_order(shop.vendor1, order, quantities={pen: 3})
    with pytest.raises(ValidationFailed):
        services.receive_order(shop.penerima, order, quantities={pen: 4})
    with pytest.raises(ValidationFailed):
        services.receive_order(shop.penerima, order, quantities={tinta: 1})
    services.receive_order(shop.penerima, order, quantities={pen: 3})
    assert quantities(fresh(order))[pen] == (10, 3, 3)


def test_cannot_ship_more_than_ordered(shop: Shop) -> None:
    order, pen, _tinta = confirmed(shop)
    with pytest.raises(ValidationFailed):
        services.ship_order(shop.vendor1, order, quantities={pen: 11})
    services.ship_order(shop.vendor1, order, quantities={pen: 7})
    with pytest.raises(ValidationFailed):
        services.ship_order(shop.vendor1, order, quantities={pen: 4})
    services.ship_order(shop.vendor1, order, quantities={pen: 3})
    assert quantities(fresh(order))[pen] == (10, 10, 0)


@pytest.mark.parametrize("wanted", [{}, {"pen": 0}, {"pen": -1}, {"other": 1}])
def test_a_shipment_names_real_lines_and_quantities(shop: Shop, wanted: dict[str, int]) -> None:
    order, pen, _tinta = confirmed(shop)
    real = {(pen if k == "pen" else 999_999): v for k, v in wanted.items()}
    with pytest.raises(ValidationFailed):
        services.ship_order(shop.vendor1, order, quantities=real)
    assert fresh(order).state == S.DIPROSES


def test_steps_out_of_order_are_refused(shop: Shop) -> None:
    order = shop.at(S.MENUNGGU_VENDOR)
    (line,) = lines_of(order)
    with pytest.raises(Conflict) as exc:
        services.ship_order(shop.vendor1, order, quantities={line.pk: 1})
    assert exc.value.code == "invalid_transition"
    order = shop.confirm(order)
    with pytest.raises(Conflict) as exc:
        services.receive_order(shop.penerima, order, quantities={line.pk: 1})
    assert exc.value.code == "invalid_transition"


def test_who_ships_and_who_receives(shop: Shop) -> None:
    order, pen, _tinta = confirmed(shop)
    courier = make_courier("UMKM-0001")
    with pytest.raises(NotFound):  # a satker user cannot act for the vendor
        services.ship_order(shop.penerima, order, quantities={pen: 1})
    with pytest.raises(NotFound):
        services.ship_order(shop.vendor2, order, quantities={pen: 1})
    services.ship_order(courier, order, quantities={pen: 1})
    with pytest.raises(NotFound):  # nor the vendor's people for the satker
        services.receive_order(courier, order, quantities={pen: 1})
    with pytest.raises(PermissionDenied):
        services.receive_order(shop.pp, order, quantities={pen: 1})
    order2 = shop.at(S.MENUNGGU_VENDOR)
    with pytest.raises(PermissionDenied):  # the courier only ships
        services.confirm_order(courier, order2)


def test_complaint_replace_then_ship_again(shop: Shop) -> None:
    order, pen, tinta = confirmed(shop)
    order = shop.ship(order)
    services.receive_order(shop.penerima, order, quantities={pen: 10, tinta: 15})
    complaint = services.complain(
        shop.penerima, order, kind="DAMAGED", description=DAMAGED, quantities={tinta: 5}
    )
    order = fresh(order)
    assert order.state == S.KOMPLAIN
    assert quantities(order)[tinta] == (20, 15, 15)  # the five go back to the vendor
    assert complaint.quantities == {str(tinta): 5}
    with pytest.raises(Conflict):  # nothing more is received while the complaint is open
        services.receive_order(shop.penerima, order, quantities={tinta: 1})
    with pytest.raises(NotFound):
        services.resolve_complaint(
            shop.penerima, order, resolution=Resolution.REPLACE, response="Kami ganti baru."
        )
    services.resolve_complaint(
        shop.vendor1, order, resolution=Resolution.REPLACE, response="Kami kirim pengganti."
    )
    order = fresh(order)
    assert order.state == S.DIPROSES  # the vendor has five to ship again
    assert Complaint.objects.get(pk=complaint.pk).resolved_at is not None
    services.ship_order(shop.vendor1, order, quantities={tinta: 5})
    services.receive_order(shop.penerima, order, quantities={tinta: 5})
    order = fresh(order)
    assert order.state == S.DITERIMA
    assert quantities(order) == {pen: (10, 10, 10), tinta: (20, 20, 20)}


def test_complaint_before_anything_received_goes_back_to_dikirim(shop: Shop) -> None:
    order, pen, _tinta = confirmed(shop)
    services.ship_order(shop.vendor1, order, quantities={pen: 10})
    services.complain(
        shop.penerima,
        order,
        kind="WRONG",
        description="Warna tinta pulpen salah.",
        quantities={pen: 4},
    )
    services.resolve_complaint(
        shop.vendor1, order, resolution=Resolution.REPLACE, response="Kami kirim pengganti."
    )
    order = fresh(order)
    assert order.state == S.DIKIRIM  # six are still on their way to be received
    assert quantities(order)[pen] == (10, 6, 0)


def test_complaint_reduce_lets_the_order_complete(shop: Shop) -> None:
    order, pen, tinta = confirmed(shop)
    held = tunai(shop.satker)
    order = shop.ship(order)
    services.receive_order(shop.penerima, order, quantities={pen: 10, tinta: 15})
    services.complain(
        shop.penerima,
        order,
        kind="SHORT",
        description="Tinta kurang lima botol.",
        quantities={tinta: 5},
    )
    with pytest.raises(ValidationFailed):  # below what was already received
        services.resolve_complaint(
            shop.vendor1,
            order,
            resolution=Resolution.REDUCE,
            response="Disepakati dikurangi.",
            agreed_quantities={tinta: 14},
        )
    with pytest.raises(ValidationFailed):  # a reduction names the new quantity
        services.resolve_complaint(
            shop.vendor1, order, resolution=Resolution.REDUCE, response="Disepakati dikurangi."
        )
    complaint = services.resolve_complaint(
        shop.vendor1,
        order,
        resolution=Resolution.REDUCE,
        response="Stok habis, disepakati 15 botol.",
        agreed_quantities={tinta: 15},
    )
    assert complaint.agreed_quantities == {str(tinta): 15}
    order = fresh(order)
    assert order.state == S.DITERIMA
    assert quantities(order) == {pen: (10, 10, 10), tinta: (15, 15, 15)}
    subtotal = 10 * 39_500 + 15 * 19_000
    assert order.subtotal_idr == subtotal
    assert order.total_idr == subtotal + subtotal * 11 // 100
    assert services.received_value(order) == subtotal
    assert tunai(shop.satker) == held  # the hold stays until payment


def test_complaint_reduce_a_line_to_nothing(shop: Shop) -> None:
    """The vendor cannot supply one item at all: the buyer complains about it (wrong goods),
    both agree to drop it (quantity 0); the rest completes the order."""
    order, pen, tinta = confirmed(shop)
    order = shop.ship(order)
    services.receive_order(shop.penerima, order, quantities={pen: 10})
    services.complain(
        shop.penerima,
        order,
        kind="WRONG",
        description="Tinta yang dikirim salah jenis.",
        quantities={tinta: 20},
    )
    services.resolve_complaint(
        shop.vendor1,
        order,
        resolution=Resolution.REDUCE,
        response="Jenis itu tidak tersedia; baris dihapus.",
        agreed_quantities={tinta: 0},
    )
    order = fresh(order)
    assert order.state == S.DITERIMA
    assert [line.pk for line in lines_of(order)] == [pen]
    assert order.subtotal_idr == 10 * 39_500


def test_a_complaint_needs_a_kind_a_description_and_unreceived_goods(shop: Shop) -> None:
    order, pen, tinta = confirmed(shop)
    services.ship_order(shop.vendor1, order, quantities={pen: 5})
    for kind, text, wanted in (
        ("BROKEN", DAMAGED, {pen: 1}),
        ("DAMAGED", "rusak", {pen: 1}),
        ("DAMAGED", DAMAGED, {pen: 6}),
        ("DAMAGED", DAMAGED, {tinta: 1}),
    ):
        with pytest.raises(ValidationFailed):
            services.complain(shop.penerima, order, kind=kind, description=text, quantities=wanted)
    assert fresh(order).state == S.DIKIRIM
    assert not Complaint.objects.filter(order=order).exists()
