"""The invoicing API for each step: lists per side, detail with the explanation and allowed
actions, vendor numbers, verify/return, credit notes, deposits and the monthly report JSON;
403/404/409/422 where they belong."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from digipay.core import clock
from digipay.invoicing.models import Invoice, TaxDeposit

from .conftest import (
    BENDAHARA,
    JUTA,
    PPK,
    VENDOR_1,
    VENDOR_2,
    Shop,
    email,
    invoice_of,
    make_product,
    received,
)

JULY = datetime(2026, 7, 20, 12, 0, tzinfo=clock.JAKARTA)
Api = Callable[[str], Any]


@pytest.fixture
def invoice(shop: Shop) -> Invoice:
    return invoice_of(received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)], at=JULY))


def test_lists_per_side(api_as: Api, invoice: Invoice) -> None:
    for who in (BENDAHARA, PPK, VENDOR_1, "admin@kppn019.demo.digipay.id"):
        body = api_as(who).get("/api/v1/invoices").json()
        assert [i["number"] for i in body["results"]] == [invoice.number], who
    assert api_as(VENDOR_2).get("/api/v1/invoices").json()["results"] == []
    assert api_as(email("bendahara", "527010")).get("/api/v1/invoices").json()["results"] == []
    assert api_as("admin@kppn030.demo.digipay.id").get("/api/v1/invoices").json()["results"] == []
    # Roles that do not deal with invoices are refused.
    assert api_as(email("pemesan")).get("/api/v1/invoices").status_code == 403


def test_detail_with_explanation_and_allowed_actions(api_as: Api, invoice: Invoice) -> None:
    response = api_as(PPK).get(f"/api/v1/invoices/{invoice.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["net_idr"] == 9_850_000
    assert {t["tax"]: t["withheld_by_collector_idr"] for t in body["taxes"]} == {
        "ppn": 1_100_000,
        "pph22": 150_000,
    }
    assert body["lines"][0]["pph22_idr"] == 150_000
    assert any("PPh 22" in note["text"] for note in body["explanation"])
    assert body["outstanding"]["net_idr"] == 9_850_000
    assert body["allowed_actions"] == ["VERIFY", "RETURN", "CREDIT"]
    vendor = api_as(VENDOR_1).get(f"/api/v1/invoices/{invoice.pk}").json()
    assert vendor["allowed_actions"] == ["VENDOR_NUMBERS"]
    assert api_as(BENDAHARA).get(f"/api/v1/invoices/{invoice.pk}").json()["allowed_actions"] == []


def test_other_tenants_get_404(api_as: Api, invoice: Invoice) -> None:
    for who in (VENDOR_2, email("ppk", "527010"), "admin@kppn030.demo.digipay.id"):
        assert api_as(who).get(f"/api/v1/invoices/{invoice.pk}").status_code == 404, who
    assert (
        api_as(email("ppk", "527010")).post(f"/api/v1/invoices/{invoice.pk}/verify").status_code
        == 404
    )


def test_vendor_numbers_then_verify_then_too_late(api_as: Api, invoice: Invoice) -> None:
    vendor = api_as(VENDOR_1)
    path = f"/api/v1/invoices/{invoice.pk}/vendor-numbers"
    bad = vendor.post(path, {"vendor_invoice_number": "A-1", "tax_invoice_number": "123"})
    assert bad.status_code == 422
    assert bad.json()["details"] == {"field": "tax_invoice_number"}
    ok = vendor.post(
        path, {"vendor_invoice_number": "A-1", "tax_invoice_number": "020.000-26.00000001"}
    )
    assert ok.status_code == 200
    assert ok.json()["tax_invoice_number"] == "0200002600000001"
    assert api_as(BENDAHARA).post(f"/api/v1/invoices/{invoice.pk}/verify").status_code == 403
    assert vendor.post(f"/api/v1/invoices/{invoice.pk}/verify").status_code == 404
    verified = api_as(PPK).post(f"/api/v1/invoices/{invoice.pk}/verify")
    assert verified.status_code == 200
    assert verified.json()["state"] == "VERIFIED"
    assert {d["account_code"] for d in verified.json()["deposits"]} == {"411211", "411122"}
    late = vendor.post(path, {"vendor_invoice_number": "A-2", "tax_invoice_number": ""})
    assert late.status_code == 409
    assert api_as(PPK).post(f"/api/v1/invoices/{invoice.pk}/verify").status_code == 409


def test_return_needs_a_reason(api_as: Api, invoice: Invoice) -> None:
    ppk = api_as(PPK)
    assert ppk.post(f"/api/v1/invoices/{invoice.pk}/return", {"reason": "x"}).status_code == 422
    assert ppk.post(f"/api/v1/invoices/{invoice.pk}/return", {}).status_code == 422
    done = ppk.post(
        f"/api/v1/invoices/{invoice.pk}/return", {"reason": "Faktur pajak belum dilampirkan."}
    )
    assert done.status_code == 200
    assert done.json()["state"] == "RETURNED"
    assert api_as(VENDOR_1).get("/api/v1/invoices", todo=True).json()["results"][0]["id"] == (
        invoice.pk
    )


def test_credit_notes(api_as: Api, invoice: Invoice) -> None:
    ppk = api_as(PPK)
    line = invoice.lines.get()
    path = f"/api/v1/invoices/{invoice.pk}/credit-notes"
    reason = "Satu unit rusak, disepakati dikurangi."
    too_much = ppk.post(path, {"reason": reason, "lines": [{"line_id": line.pk, "quantity": 3}]})
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "credit_exceeds_invoice"
    assert (
        api_as(BENDAHARA)
        .post(path, {"reason": reason, "lines": [{"line_id": line.pk, "quantity": 1}]})
        .status_code
        == 403
    )
    made = ppk.post(path, {"reason": reason, "lines": [{"line_id": line.pk, "quantity": 1}]})
    assert made.status_code == 201
    assert made.json()["figures"]["base_idr"] == 5 * JUTA
    detail = ppk.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert detail["outstanding"]["base_idr"] == 5 * JUTA
    assert detail["outstanding"]["collected_idr"] == 625_000
    assert len(detail["credit_notes"]) == 1


def test_deposits_and_monthly_report(api_as: Api, invoice: Invoice) -> None:
    api_as(PPK).post(f"/api/v1/invoices/{invoice.pk}/verify")
    bendahara = api_as(BENDAHARA)
    deposits = bendahara.get("/api/v1/tax-deposits", period="2026-07").json()
    assert sorted((d["account_code"], d["amount_idr"], d["due_date"]) for d in deposits) == [
        ("411122", 150_000, "2026-08-18"),
        ("411211", 1_100_000, "2026-08-18"),
    ]
    report = bendahara.get("/api/v1/tax-report", period="2026-07").json()
    assert report["satker_code"] == "415256"
    assert report["total"]["collected_idr"] == sum(
        TaxDeposit.objects.filter(invoice=invoice).values_list("amount_idr", flat=True)
    )
    assert [r["account_code"] for r in report["rows"]] == ["411211", "411122"]
    kppn = api_as("admin@kppn019.demo.digipay.id")
    assert (
        kppn.get("/api/v1/tax-report", satker="415256", period="2026-07").json()["total"][
            "collected_idr"
        ]
        == 1_250_000
    )
    assert (
        api_as("admin@kppn030.demo.digipay.id")
        .get("/api/v1/tax-report", satker="415256")
        .status_code
        == 404
    )
    assert api_as(VENDOR_1).get("/api/v1/tax-report").status_code == 403
    assert bendahara.get("/api/v1/tax-report", period="juli").status_code == 422


def test_counts(api_as: Api, invoice: Invoice) -> None:
    assert api_as(PPK).get("/api/v1/invoices/counts").json() == {"UNVERIFIED": 1, "todo": 1}
