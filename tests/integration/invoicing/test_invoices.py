"""A BAST makes exactly one invoice, with the tax engine's figures for the BAST date, the
order's channel (TRANSFER → Bendahara, KKP → card) and the vendor's facts on that date; the
figures are frozen on the invoice; partial receipts make one invoice each and together never
exceed the order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.invoicing import rules, services
from digipay.invoicing.models import Invoice, InvoiceLine
from digipay.invoicing.rules import InvoiceState
from digipay.orders import services as order_services
from digipay.orders.models import OrderLine, PaymentMethod, Receipt
from digipay.orders.rules import OrderState
from digipay.tax import services as tax_services
from digipay.tax.models import TaxRule
from digipay.tax.rules import Collector, Line, Tax

from .conftest import (
    JUTA,
    Shop,
    give_suket,
    invoice_of,
    lines_of,
    make_product,
    make_service,
    received,
)

JAKARTA_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=clock.JAKARTA)


def taxes_of(invoice: Invoice) -> dict[str, tuple[int, int]]:
    return {t.tax: (t.amount_idr, t.collected_idr) for t in invoice.taxes.all()}


def test_a_bast_makes_one_invoice_with_the_engines_figures(shop: Shop) -> None:
    """Goods Rp10 juta from a PKP vendor by transfer: PPN 1.100.000 and PPh 22 150.000
    withheld by the Bendahara; the vendor receives 9.850.000 (DOMAIN.md §6)."""
    product = make_product("UMKM-0001", price=10 * JUTA)
    order = received(shop, [(product, 1)])
    invoice = invoice_of(order)
    receipt = Receipt.objects.get(order=order)
    assert invoice.receipt_id == receipt.pk
    assert invoice.state == InvoiceState.UNVERIFIED
    assert invoice.collector == Collector.BENDAHARA
    assert invoice.invoice_date == receipt.at.astimezone(clock.JAKARTA).date()
    assert invoice.number == f"INV/415256/{invoice.invoice_date.year}/00001"
    assert (invoice.base_idr, invoice.ppn_idr, invoice.gross_idr) == (
        10 * JUTA,
        1_100_000,
        11_100_000,
    )
    assert (invoice.collected_idr, invoice.net_idr) == (1_250_000, 9_850_000)
    assert taxes_of(invoice) == {Tax.PPN: (1_100_000, 1_100_000), Tax.PPH22: (150_000, 150_000)}
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price_idr, line.base_idr) == (1, 10 * JUTA, 10 * JUTA)
    assert (line.ppn_idr, line.pph22_idr, line.pph23_idr, line.pph_final_idr) == (
        1_100_000,
        150_000,
        0,
        0,
    )
    # The engine's explanation is kept, and it is the same quote the engine gives today.
    assert invoice.quote["net_to_vendor"] == 9_850_000
    assert any(note["figure"] == "pph22" for note in invoice.quote["explanation"])
    assert AuditEvent.objects.filter(action="invoice.created", object_id=str(invoice.pk)).exists()


def test_kkp_order_collects_no_ppn_and_no_pph22(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=10 * JUTA)
    order = received(shop, [(product, 1)], method=PaymentMethod.KKP)
    invoice = invoice_of(order)
    assert invoice.collector == Collector.KKP
    assert invoice.ppn_idr == 1_100_000  # charged by the PKP vendor, not collected
    assert invoice.collected_idr == 0
    assert invoice.net_idr == 11_100_000
    assert taxes_of(invoice) == {Tax.PPN: (1_100_000, 0)}


def test_services_by_kkp_still_withhold_pph23(shop: Shop) -> None:
    service = make_service("UMKM-0001", price=5 * JUTA)
    order = received(shop, [(service, 1)], method=PaymentMethod.KKP)
    invoice = invoice_of(order)
    assert invoice.lines.get().kind == "services"
    assert taxes_of(invoice)[Tax.PPH23] == (100_000, 100_000)
    assert invoice.net_idr == 5 * JUTA + 550_000 - 100_000


def test_non_pkp_vendor_charges_no_ppn(shop: Shop) -> None:
    product = make_product("UMKM-0002", price=3 * JUTA)
    order = received(shop, [(product, 1)])
    invoice = invoice_of(order)
    assert not invoice.vendor_pkp
    assert invoice.ppn_idr == 0
    assert taxes_of(invoice) == {Tax.PPH22: (45_000, 45_000)}
    assert invoice.net_idr == 2_955_000


def test_suket_valid_on_the_bast_date_gives_final_tax(shop: Shop) -> None:
    give_suket("UMKM-0002", date(2026, 1, 1), date(2026, 12, 31))
    product = make_product("UMKM-0002", price=3 * JUTA)
    order = received(shop, [(product, 1)], at=JAKARTA_NOON)
    invoice = invoice_of(order)
    assert invoice.vendor_suket
    assert invoice.invoice_date == date(2026, 3, 10)
    assert taxes_of(invoice) == {Tax.PPH_FINAL: (15_000, 15_000)}
    assert invoice.net_idr == 2_985_000


def test_suket_expired_on_the_bast_date_gives_pph22(shop: Shop) -> None:
    give_suket("UMKM-0002", date(2025, 1, 1), date(2026, 3, 9))  # ended the day before
    product = make_product("UMKM-0002", price=3 * JUTA)
    order = received(shop, [(product, 1)], at=JAKARTA_NOON)
    invoice = invoice_of(order)
    assert not invoice.vendor_suket
    assert taxes_of(invoice) == {Tax.PPH22: (45_000, 45_000)}


def test_bast_date_is_the_jakarta_date(shop: Shop) -> None:
    # 20:00 UTC on 31 March is 03:00 on 1 April in Jakarta: the April register, April taxes.
    late = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    product = make_product("UMKM-0001", price=JUTA)
    order = received(shop, [(product, 1)], at=late)
    assert invoice_of(order).invoice_date == date(2026, 4, 1)


def test_small_payment_below_threshold_is_not_collected(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=1_500_000)
    order = received(shop, [(product, 1)])
    invoice = invoice_of(order)
    # Rp1,665,000 incl. PPN ≤ Rp2 juta: the Bendahara collects neither PPN nor PPh 22.
    assert invoice.collected_idr == 0
    assert taxes_of(invoice) == {Tax.PPN: (165_000, 0)}


def test_split_flag_loses_the_exemption(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=1_500_000)
    order = shop.at(OrderState.DIKIRIM, [(product, 1)])
    type(order).objects.filter(pk=order.pk).update(split_flag="Pemecahan transaksi (uji)")
    order = shop.receive(order)
    invoice = invoice_of(order)
    assert invoice.split
    assert taxes_of(invoice) == {Tax.PPN: (165_000, 165_000), Tax.PPH22: (22_500, 22_500)}


def test_partial_receipts_make_one_invoice_each_never_more_than_the_order(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=2 * JUTA)
    other = make_product("UMKM-0001", price=JUTA)
    order = shop.at(OrderState.DIKIRIM, [(product, 5), (other, 2)])
    first, second = lines_of(order)
    order = shop.receive(order, {first.pk: 2})
    order = shop.receive(order, {first.pk: 3, second.pk: 1})
    order = shop.receive(order, {second.pk: 1})
    invoices = list(Invoice.objects.filter(order=order).order_by("id"))
    assert len(invoices) == Receipt.objects.filter(order=order).count() == 3
    assert [i.number[-5:] for i in invoices] == ["00001", "00002", "00003"]
    assert [i.base_idr for i in invoices] == [4 * JUTA, 7 * JUTA, JUTA]
    invoiced = {
        line.pk: sum(InvoiceLine.objects.filter(order_line=line).values_list("quantity", flat=True))
        for line in OrderLine.objects.filter(order=order)
    }
    assert invoiced == {first.pk: 5, second.pk: 2}
    assert sum(i.base_idr for i in invoices) == order_services.received_value(order)


def test_the_listener_makes_one_invoice_per_bast_even_if_called_again(shop: Shop) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=JUTA), 1)])
    receipt = Receipt.objects.get(order=order)
    again = services.create_invoice(receipt)
    assert again == invoice_of(order)
    assert Invoice.objects.filter(receipt=receipt).count() == 1


def test_an_old_invoice_keeps_its_figures_when_the_rules_change(shop: Shop) -> None:
    order = received(shop, [(make_product("UMKM-0001", price=10 * JUTA), 1)])
    invoice = invoice_of(order)
    frozen = (invoice.ppn_idr, invoice.collected_idr, invoice.net_idr, invoice.quote)
    TaxRule.objects.filter(tax=Tax.PPH22).update(rate_numerator=5, rate_denominator=100)
    invoice.refresh_from_db()
    assert (invoice.ppn_idr, invoice.collected_idr, invoice.net_idr, invoice.quote) == frozen
    # The engine itself now says otherwise for the same case.
    case = services._case_like(invoice, (Line(kind="goods", quantity=1, unit_price=10 * JUTA),))
    assert tax_services.quote(case).taxes[Tax.PPH22].collected == 500_000


def test_register_numbers_run_per_satker_and_year() -> None:
    assert rules.register_number("INV", "415256", 2026, 17) == "INV/415256/2026/00017"
    with pytest.raises(ValueError, match="sequence"):
        rules.register_number("INV", "415256", 2026, 0)


# --- pemecahan transaksi: the exemptions hold only when the whole purchase is small ------------


def test_two_small_orders_of_one_vendor_on_one_day_lose_the_exemption(shop: Shop) -> None:
    """Rp1,5 juta twice from the same PKP vendor on the same day: the second invoice is part of
    a Rp3 juta purchase, so the Bendahara collects PPN and PPh 22 on it (DOMAIN.md §6)."""
    product = make_product("UMKM-0001", price=1_500_000)
    day = datetime(2026, 7, 20, 10, tzinfo=clock.JAKARTA)
    first = invoice_of(received(shop, [(product, 1)], at=day))
    second = invoice_of(received(shop, [(product, 1)], at=day))
    assert (first.split, first.collected_idr) == (False, 0)  # alone, still small
    assert second.split
    assert taxes_of(second) == {Tax.PPN: (165_000, 165_000), Tax.PPH22: (22_500, 22_500)}
    # Another day is another purchase.
    third = invoice_of(received(shop, [(product, 1)], at=day.replace(day=21)))
    assert (third.split, third.collected_idr) == (False, 0)


def test_a_partial_bast_of_a_large_order_is_not_exempt(shop: Shop) -> None:
    """4 × Rp1 juta received in two BASTs of 2: each Rp2 juta invoice is part of a Rp4 juta
    purchase, so PPh 22 (1,5%) is withheld on both."""
    product = make_product("UMKM-0001", price=1_000_000)
    order = shop.at(OrderState.DIKIRIM, [(product, 4)])
    (line,) = order.lines.all()
    shop.receive(order, {line.pk: 2})
    shop.receive(order, {line.pk: 2})
    invoices = list(Invoice.objects.filter(order=order).order_by("pk"))
    assert len(invoices) == 2
    for invoice in invoices:
        assert invoice.split
        assert taxes_of(invoice)[Tax.PPH22] == (30_000, 30_000)
        assert taxes_of(invoice)[Tax.PPN] == (220_000, 220_000)


def test_a_small_order_received_in_parts_stays_exempt(shop: Shop) -> None:
    product = make_product("UMKM-0001", price=300_000)
    order = shop.at(OrderState.DIKIRIM, [(product, 5)])  # Rp1,5 juta in all
    (line,) = order.lines.all()
    shop.receive(order, {line.pk: 2})
    shop.receive(order, {line.pk: 3})
    for invoice in Invoice.objects.filter(order=order):
        assert not invoice.split
        assert invoice.collected_idr == 0
