"""The whole purchase over the API, by six different people (DOMAIN.md §4): the Pemesan fills
the cart; the Pejabat Pengadaan negotiates with the vendor admin (offer, counter-offer,
accept) and submits; the PPK approves (the UP hold); the vendor admin confirms; the vendor's
courier ships part; the Penerima Barang receives it (BAST 1); the rest is shipped and received
(BAST 2) → Diterima. Timeline, audit chain and ledger are checked at the end."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.audit.models import AuditEvent
from digipay.audit.queries import verify_chain
from digipay.catalog import services as catalog
from digipay.core.errors import PermissionDenied, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.ledger.rules import EntryKind
from digipay.orders import services
from digipay.orders.models import Order, PaymentMethod, Receipt
from digipay.orders.rules import OrderState as S

from .conftest import (
    COURIER_1,
    JUTA,
    PEMESAN,
    PENERIMA,
    PP,
    PPK,
    VENDOR_1,
    Shop,
    demo_product,
    make_courier,
    make_product,
    tunai,
    user,
)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:800]
    return response.json()


def test_the_whole_path_by_six_people(shop: Shop, api_as: Any) -> None:
    make_courier("UMKM-0001")
    pemesan, pp, ppk = api_as(PEMESAN), api_as(PP), api_as(PPK)
    vendor, courier, penerima = api_as(VENDOR_1), api_as(COURIER_1), api_as(PENERIMA)
    pen, tinta = demo_product("SJA-TUL-01"), demo_product("SJA-TIN-09")  # 39.500 and 19.000
    available_before = tunai(shop.satker)

    # 1. The Pemesan's cart → one order for the one vendor.
    ok(pemesan.post("/api/v1/cart/lines", {"product_id": pen.pk, "quantity": 10}), 201)
    ok(pemesan.post("/api/v1/cart/lines", {"product_id": tinta.pk, "quantity": 20}), 201)
    cart = ok(pemesan.get("/api/v1/cart"))
    assert sorted(line["total_idr"] for line in cart) == [380_000, 395_000]
    orders = ok(pemesan.post("/api/v1/cart/checkout"), 201)
    assert len(orders) == 1
    order_id = orders[0]["id"]
    assert orders[0]["state"] == S.MENUNGGU_RINCIAN
    assert ok(pemesan.get("/api/v1/cart")) == []
    detail = ok(pp.get(f"/api/v1/orders/{order_id}"))
    ids = {line["name"]: line["id"] for line in detail["lines"]}
    line_pen, line_tinta = ids[pen.name], ids[tinta.name]
    # PKP vendor: 11% PPN estimate on top of the list prices.
    assert detail["subtotal_idr"] == 775_000
    assert detail["ppn_estimate_idr"] == 85_250
    assert detail["total_idr"] == 860_250

    # 2. Negotiation: offer, counter-offer, accept.
    detail = ok(
        pp.post(
            f"/api/v1/orders/{order_id}/negotiate",
            {"prices": {line_pen: 36_000, line_tinta: 17_000}, "message": "Mohon harga khusus"},
        )
    )
    assert detail["state"] == S.PROSES_NEGO
    assert detail["total_idr"] == 860_250  # an offer alone changes no price
    detail = ok(
        vendor.post(
            f"/api/v1/orders/{order_id}/offers",
            {"prices": {line_pen: 38_000, line_tinta: 18_000}, "message": "Harga terbaik kami"},
        )
    )
    assert (detail["state"], detail["buyer_rounds"], detail["vendor_rounds"]) == (
        S.PROSES_NEGO,
        1,
        1,
    )
    detail = ok(pp.post(f"/api/v1/orders/{order_id}/accept-offer"))
    assert detail["state"] == S.NEGO_SELESAI
    prices = {line["id"]: line["unit_price_idr"] for line in detail["lines"]}
    assert prices == {line_pen: 38_000, line_tinta: 18_000}
    assert detail["subtotal_idr"] == 740_000
    assert detail["ppn_estimate_idr"] == 81_400
    total = detail["total_idr"]
    assert total == 821_400
    assert [(o["side"], o["round"]) for o in detail["offers"]] == [("BUYER", 1), ("VENDOR", 1)]

    # 3. Submit to the PPK.
    detail = ok(
        pp.post(
            f"/api/v1/orders/{order_id}/submit",
            {"ppk_id": user(PPK).pk, "payment_method": "TRANSFER", "akun": "521211"},
        )
    )
    assert detail["state"] == S.MENUNGGU_PPK
    assert detail["ppk_deadline"] is not None
    assert tunai(shop.satker) == available_before  # nothing held before approval

    # 4. The PPK approves: UP Tunai available drops by the order's total.
    detail = ok(ppk.post(f"/api/v1/orders/{order_id}/approve"))
    assert detail["state"] == S.MENUNGGU_VENDOR
    assert tunai(shop.satker) == available_before - total
    hold = Entry.objects.get(pk=detail["hold_entry_id"])
    assert hold.kind == EntryKind.HOLD
    assert ledger_queries.pending_holds(shop.satker.pk).filter(pk=hold.pk).exists()

    # 5. The vendor confirms; the courier ships part of the pens.
    assert ok(vendor.post(f"/api/v1/orders/{order_id}/confirm"))["state"] == S.DIPROSES
    ok(
        courier.post(
            f"/api/v1/orders/{order_id}/shipments",
            {"quantities": {line_pen: 6}, "tracking": "JNE 0001"},
        ),
        201,
    )
    assert ok(penerima.get(f"/api/v1/orders/{order_id}"))["state"] == S.DIKIRIM

    # 6. The Penerima Barang receives what came: BAST 1; the vendor still has to ship the rest.
    bast1 = ok(
        penerima.post(f"/api/v1/orders/{order_id}/receipts", {"quantities": {line_pen: 6}}), 201
    )
    detail = ok(penerima.get(f"/api/v1/orders/{order_id}"))
    assert detail["state"] == S.DIPROSES
    got = {
        line["id"]: (line["shipped_quantity"], line["received_quantity"])
        for line in detail["lines"]
    }
    assert got == {line_pen: (6, 6), line_tinta: (0, 0)}

    # 7. The rest is shipped and received: BAST 2 → Diterima.
    ok(
        courier.post(
            f"/api/v1/orders/{order_id}/shipments",
            {"quantities": {line_pen: 4, line_tinta: 20}, "tracking": "JNE 0002"},
        ),
        201,
    )
    bast2 = ok(
        penerima.post(
            f"/api/v1/orders/{order_id}/receipts", {"quantities": {line_pen: 4, line_tinta: 20}}
        ),
        201,
    )
    detail = ok(penerima.get(f"/api/v1/orders/{order_id}"))
    assert detail["state"] == S.DITERIMA
    assert bast1["number"] != bast2["number"]
    assert bast1["number"].endswith("-01")
    assert bast2["number"].endswith("-02")
    assert Receipt.objects.filter(order_id=order_id).count() == 2
    # The hold still covers the order (paid later): available stays down by the total.
    assert tunai(shop.satker) == available_before - total

    # The timeline: every step, who did it, from which state to which.
    order = Order.objects.get(pk=order_id)
    people = {
        "pemesan": user(PEMESAN).pk,
        "pp": user(PP).pk,
        "ppk": user(PPK).pk,
        "vendor": user(VENDOR_1).pk,
        "courier": user(COURIER_1).pk,
        "penerima": user(PENERIMA).pk,
    }
    who = {v: k for k, v in people.items()}
    timeline = [
        (e["action"], e["from_state"], e["to_state"], who[e["actor_id"]]) for e in detail["events"]
    ]
    assert timeline == [
        ("CREATE", S.MENUNGGU_RINCIAN, S.MENUNGGU_RINCIAN, "pemesan"),
        ("SEND_NEGO", S.MENUNGGU_RINCIAN, S.PROSES_NEGO, "pp"),
        ("VENDOR_COUNTER", S.PROSES_NEGO, S.PROSES_NEGO, "vendor"),
        ("BUYER_ACCEPT_NEGO", S.PROSES_NEGO, S.NEGO_SELESAI, "pp"),
        ("CHECKOUT", S.NEGO_SELESAI, S.MENUNGGU_PPK, "pp"),
        ("APPROVE", S.MENUNGGU_PPK, S.MENUNGGU_VENDOR, "ppk"),
        ("CONFIRM", S.MENUNGGU_VENDOR, S.DIPROSES, "vendor"),
        ("SHIP", S.DIPROSES, S.DIKIRIM, "courier"),
        ("RECEIVE", S.DIKIRIM, S.DIPROSES, "penerima"),
        ("SHIP", S.DIPROSES, S.DIKIRIM, "courier"),
        ("RECEIVE", S.DIKIRIM, S.DITERIMA, "penerima"),
    ]
    assert (order.submitted_by_id, order.approved_by_id) == (people["pp"], people["ppk"])

    # The audit chain of the satker holds one event per step, and is intact.
    events = AuditEvent.objects.filter(object_type="orders.order", object_id=str(order_id))
    assert [(e.action, e.actor_id) for e in events.order_by("seq")] == [
        ("order.created", people["pemesan"]),
        ("order.send_nego", people["pp"]),
        ("order.vendor_counter", people["vendor"]),
        ("order.buyer_accept_nego", people["pp"]),
        ("order.checkout", people["pp"]),
        ("order.approve", people["ppk"]),
        ("order.confirm", people["vendor"]),
        ("order.ship", people["courier"]),
        ("order.receive", people["penerima"]),
        ("order.ship", people["courier"]),
        ("order.receive", people["penerima"]),
    ]
    approve = events.get(action="order.approve")
    assert approve.tenant_id == shop.satker.pk
    assert approve.before["state"] == S.MENUNGGU_PPK
    assert approve.after["state"] == S.MENUNGGU_VENDOR
    assert approve.after["hold_entry_id"] == hold.pk
    assert verify_chain(shop.satker.pk) is None
    assert ledger_queries.validate_ledger() == []
    assert ledger_queries.total_of_all_postings() == 0


def test_lists_and_todo_follow_the_order(shop: Shop, api_as: Any) -> None:
    """Each role's to-do list holds the order exactly while it waits for that role."""
    order = shop.order()
    pp, ppk, vendor = api_as(PP), api_as(PPK), api_as(VENDOR_1)

    def todo(client: Any) -> list[int]:
        return [o["id"] for o in ok(client.get("/api/v1/orders", todo="true"))["results"]]

    assert order.pk in todo(pp)
    assert order.pk not in todo(ppk)
    order = shop.submit(order)
    assert order.pk not in todo(pp)
    assert order.pk in todo(ppk)
    assert order.pk not in todo(vendor)
    order = shop.approve(order)
    assert order.pk in todo(vendor)
    assert order.pk not in todo(ppk)
    listed = ok(pp.get("/api/v1/orders", state=S.MENUNGGU_VENDOR))["results"]
    assert [o["id"] for o in listed] == [order.pk]


def test_refusals_reach_the_api_with_their_codes(shop: Shop, api_as: Any) -> None:
    pp, ppk = api_as(PP), api_as(PPK)
    big = shop.order([(make_product("UMKM-0002", price=50 * JUTA + 1, is_pdn=False), 1)])
    submit = {"ppk_id": user(PPK).pk, "payment_method": PaymentMethod.TRANSFER, "akun": "521211"}
    response = pp.post(f"/api/v1/orders/{big.pk}/submit", submit)
    assert (response.status_code, response.json()["code"]) == (422, "recipient_limit")

    order = shop.at(S.MENUNGGU_PPK)
    response = pp.post(f"/api/v1/orders/{order.pk}/approve")  # not a PPK
    assert response.status_code == 403
    ok(ppk.post(f"/api/v1/orders/{order.pk}/approve"))
    response = ppk.post(f"/api/v1/orders/{order.pk}/approve")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")

    shop.confirm(order)
    response = ppk.post(
        f"/api/v1/orders/{order.pk}/cancel", {"reason": "Tidak jadi membeli barang."}
    )
    assert (response.status_code, response.json()["code"]) == (403, "cancel_needs_agreement")
    assert Order.objects.get(pk=order.pk).state == S.DIPROSES


def test_checkout_makes_one_order_per_vendor_with_prices_frozen(shop: Shop) -> None:
    pen, air = demo_product("SJA-TUL-01"), demo_product("BTM-MIN-04")  # UMKM-0001, UMKM-0002
    services.add_to_cart(shop.pemesan, product=pen, quantity=3)
    services.add_to_cart(shop.pemesan, product=air, quantity=2)
    services.add_to_cart(shop.pemesan, product=pen, quantity=2)  # same product: one line, 5
    orders = {o.vendor.organisation.code: o for o in services.checkout_cart(shop.pemesan)}
    assert set(orders) == {"UMKM-0001", "UMKM-0002"}
    first, second = orders["UMKM-0001"], orders["UMKM-0002"]
    assert [(line.product_id, line.quantity) for line in first.lines.all()] == [(pen.pk, 5)]
    assert [(line.product_id, line.quantity) for line in second.lines.all()] == [(air.pk, 2)]
    assert (first.vendor_pkp, first.total_idr) == (True, 5 * 39_500 + 5 * 39_500 * 11 // 100)
    assert (second.vendor_pkp, second.total_idr) == (False, 2 * 47_000)
    assert {o.created_by_id for o in orders.values()} == {shop.pemesan.pk}
    # A later price change in the catalog does not touch the order.
    catalog.update_product(user(VENDOR_1), pen, price_idr=45_000)
    line = Order.objects.get(pk=first.pk).lines.get()
    assert (line.list_price_idr, line.unit_price_idr) == (39_500, 39_500)


def test_the_cart_takes_only_orderable_products_and_only_from_the_pemesan(shop: Shop) -> None:
    with pytest.raises(ValidationFailed) as exc:  # published, not ready to order
        services.add_to_cart(shop.pemesan, product=demo_product("SJA-ARS-05"), quantity=1)
    assert exc.value.code == "product_not_orderable"
    with pytest.raises(ValidationFailed):  # minimum order 20
        services.add_to_cart(shop.pemesan, product=demo_product("BTM-SNA-01"), quantity=19)
    with pytest.raises(ValidationFailed):  # stock 820
        services.add_to_cart(shop.pemesan, product=demo_product("SJA-KER-01"), quantity=821)
    with pytest.raises(PermissionDenied):
        services.add_to_cart(shop.pp, product=demo_product("SJA-KER-01"), quantity=1)
    with pytest.raises(ValidationFailed) as exc:
        services.checkout_cart(shop.pemesan)
    assert exc.value.code == "cart_empty"
