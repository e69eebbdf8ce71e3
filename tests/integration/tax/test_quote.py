"""The tax quote end to end: the rows seeded by the migration, the quote service, the API
endpoint and ``digipay tax-quote`` giving the same result; bad input refused in Bahasa
Indonesia."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from fractions import Fraction
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

import digipay
from digipay.tax import queries, rules, services
from digipay.tax.models import TaxRule
from tests.integration.tax.cases import OTHER_CASES, WORKED_EXAMPLES, case, goods

QUOTE = "/api/v1/tax/quote"
ENGLISH = ("Input should", "Field required", "Extra inputs", "Invalid JSON", "value_error")


def cli(monkeypatch: pytest.MonkeyPatch, text: str) -> tuple[int, str, str]:
    """Run ``tax_quote`` in-process on ``text`` as stdin: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", StringIO(text))
    out, err = StringIO(), StringIO()
    try:
        call_command("tax_quote", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# --- the seeded rows --------------------------------------------------------------------


def test_the_migration_seeds_the_domain_rules_from_april_2022(db: None) -> None:
    rows = [rule.as_row() for rule in TaxRule.objects.all()]
    assert len(rows) == 22
    assert min(row.valid_from for row in rows) == date(2022, 4, 1)
    for i, a in enumerate(rows):
        assert rules.rule_problem(a) is None
        assert a.legal_basis
        for b in rows[i + 1 :]:
            assert not rules.rows_overlap(a, b), (a, b)
    ppn = {
        (r.collector, r.kind, r.luxury, r.valid_from, r.valid_to): (
            r.rate,
            r.base_fraction,
            r.threshold_idr,
            r.threshold_basis,
            r.collected,
        )
        for r in rows
        if r.tax == "PPN"
    }
    eleven, twelve = Fraction(11, 100), Fraction(12, 100)
    dpp = Fraction(11, 12)
    bendahara = (2_000_000, "INCL_PPN", True)
    assert ppn[("BENDAHARA", "ALL", "ANY", date(2022, 4, 1), date(2024, 12, 31))] == (
        eleven,
        1,
        *bendahara,
    )
    assert ppn[("BENDAHARA", "ALL", "NON_LUXURY", date(2025, 1, 1), None)] == (
        twelve,
        dpp,
        *bendahara,
    )
    assert ppn[("BENDAHARA", "GOODS", "LUXURY", date(2025, 1, 1), date(2025, 1, 31))] == (
        twelve,
        dpp,
        *bendahara,
    )
    assert ppn[("BENDAHARA", "GOODS", "LUXURY", date(2025, 2, 1), None)] == (
        twelve,
        1,
        *bendahara,
    )
    assert ppn[("KKP", "ALL", "NON_LUXURY", date(2025, 1, 1), None)][-1] is False
    assert ppn[("PIHAK_LAIN", "ALL", "NON_LUXURY", date(2025, 1, 1), None)][2] is None
    pph22 = {r.collector: r for r in rows if r.tax == "PPH22"}
    assert set(pph22) == {"BENDAHARA", "PIHAK_LAIN"}  # none on KKP payments
    assert (pph22["BENDAHARA"].rate, pph22["BENDAHARA"].rate_without_npwp) == (
        Fraction(3, 200),
        Fraction(3, 100),
    )
    assert pph22["BENDAHARA"].threshold_idr == 2_000_000
    assert pph22["BENDAHARA"].threshold_basis == "EXCL_PPN"
    assert pph22["PIHAK_LAIN"].rate == Fraction(1, 200)
    pph23 = [r for r in rows if r.tax == "PPH23"]
    assert {r.collector for r in pph23} == {"BENDAHARA", "PIHAK_LAIN", "KKP"}
    assert {(r.rate, r.rate_without_npwp) for r in pph23} == {(Fraction(2, 100), Fraction(4, 100))}
    assert {r.rate for r in rows if r.tax == "PPH_FINAL"} == {Fraction(1, 200)}


def test_rules_in_force_follow_the_invoice_date(db: None) -> None:
    def ppn_rates(on: date) -> set[tuple[str, Fraction, Fraction]]:
        return {
            (r.luxury, r.rate, r.base_fraction)
            for r in queries.rules_in_force(on)
            if r.tax == "PPN" and r.collector == "BENDAHARA"
        }

    assert ppn_rates(date(2024, 12, 31)) == {("ANY", Fraction(11, 100), Fraction(1))}
    assert ppn_rates(date(2025, 1, 31)) == {
        ("NON_LUXURY", Fraction(12, 100), Fraction(11, 12)),
        ("LUXURY", Fraction(12, 100), Fraction(11, 12)),
    }
    assert ppn_rates(date(2025, 2, 1)) == {
        ("NON_LUXURY", Fraction(12, 100), Fraction(11, 12)),
        ("LUXURY", Fraction(12, 100), Fraction(1)),
    }
    assert queries.rules_in_force(date(2022, 3, 31)) == []


# --- the service, the API and the CLI ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "expected"), WORKED_EXAMPLES, ids=[w[0] for w in WORKED_EXAMPLES]
)
def test_worked_examples_through_the_service_api_and_cli(
    world: dict[str, Any],
    api_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    body: dict[str, Any],
    expected: dict[str, int],
) -> None:
    from_service = services.quote_json(json.dumps(body))
    assert {key: from_service[key] for key in expected} == expected, name
    response = api_as("bendahara@415256.demo.digipay.id").post(QUOTE, body)
    assert response.status_code == 200, response.content
    status, out, err = cli(monkeypatch, json.dumps(body))
    assert (status, err) == (0, "")
    assert response.json() == from_service == json.loads(out)


@pytest.mark.parametrize("body", OTHER_CASES)
def test_api_and_cli_return_identical_results(
    world: dict[str, Any], api_as: Any, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> None:
    response = api_as("pengadaan@415256.demo.digipay.id").post(QUOTE, body)
    assert response.status_code == 200, response.content
    status, out, _err = cli(monkeypatch, json.dumps(body))
    assert status == 0
    assert response.json() == json.loads(out)
    data = response.json()
    assert data["net_to_vendor"] + data["collected_total"] == data["gross_total"]
    assert data["explanation"], "every quote explains its figures"
    assert all(note["text"] for note in data["explanation"])


def test_the_quote_service_uses_the_rules_of_the_invoice_date(db: None) -> None:
    luxury = case(goods(1_000_000, luxury=True))
    for on, ppn in (("2024-12-31", 110_000), ("2025-01-31", 110_000), ("2025-02-01", 120_000)):
        result = services.quote_json(json.dumps({**luxury, "date": on}))
        assert result["ppn"] == ppn, on
        ids = {n["rule_id"] for n in result["explanation"] if n["figure"] == "ppn"} - {None}
        (rule_id,) = ids
        rule = TaxRule.objects.get(pk=rule_id)
        assert rule.valid_from <= date.fromisoformat(on)
        assert rule.valid_to is None or date.fromisoformat(on) <= rule.valid_to


def test_the_quote_needs_a_token(world: dict[str, Any], anonymous_api: Any) -> None:
    response = anonymous_api.post(QUOTE, case(goods(1_000)))
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "details"}


def test_the_quote_is_documented_in_openapi(world: dict[str, Any], api_as: Any) -> None:
    schema = api_as("pemesan@415256.demo.digipay.id").get("/api/v1/openapi.json").json()
    operation = schema["paths"][QUOTE]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"date", "collector", "vendor", "lines"}
    assert body["properties"]["collector"]["enum"] == ["BENDAHARA", "PIHAK_LAIN", "KKP"]
    assert "description" in body["properties"]["split"]
    line = body["properties"]["lines"]["items"]
    assert line["properties"]["kind"]["enum"] == ["goods", "services"]
    assert {"200", "422"} <= set(operation["responses"])
    out = schema["components"]["schemas"]["TaxQuoteOut"]["properties"]
    for key in ("base", "ppn", "pph22", "pph23", "pph_final", "gross_total", "net_to_vendor"):
        assert out[key]["type"] == "integer"
    assert out["withheld_by_collector"]["description"]


# --- bad input --------------------------------------------------------------------------


BAD_INPUT: list[tuple[str, str, str]] = [
    ("{", "", "Data bukan JSON yang sah."),
    ("[]", "", "harus berupa objek JSON."),
    (
        json.dumps({k: v for k, v in case(goods(1)).items() if k != "vendor"}),
        "vendor",
        "wajib diisi.",
    ),
    (
        json.dumps(case({"kind": "goods", "quantity": "2", "unit_price": 1})),
        "lines[0].quantity",
        "harus bilangan bulat.",
    ),
    (
        json.dumps(case({"kind": "goods", "quantity": 1, "unit_price": 1.5})),
        "lines[0].unit_price",
        "harus bilangan bulat.",
    ),
    (json.dumps(case(goods(0))), "lines[0].unit_price", "paling kecil 1."),
    (json.dumps(case(goods(1), date="03/03/2025")), "date", "harus tanggal berformat YYYY-MM-DD."),
    (json.dumps(case(goods(1), collector="BANK")), "collector", "harus salah satu dari"),
    (json.dumps(case(goods(1), discount=5)), "discount", "kolom tidak dikenal."),
    (json.dumps(case()), "lines", "paling sedikit 1 baris."),
    (json.dumps(case({"kind": "rent", "quantity": 1, "unit_price": 1})), "lines[0].kind", "goods"),
    (
        json.dumps(case(goods(1), pkp=True, has_npwp=False)),
        "vendor.pkp",
        "Vendor PKP wajib memiliki NPWP.",
    ),
    (
        json.dumps(case({"kind": "services", "quantity": 1, "unit_price": 1, "luxury": True})),
        "lines[0].luxury",
        "Hanya barang",
    ),
    (json.dumps(case(goods(1), date="2021-12-31")), "date", "Belum ada aturan pajak"),
    (json.dumps(case(goods(1), split="yes")), "split", "harus true atau false."),
]


@pytest.mark.parametrize(("raw", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_422_in_bahasa_indonesia(
    world: dict[str, Any],
    api_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    raw: str,
    field: str,
    message: str,
) -> None:
    api = api_as("bendahara@415256.demo.digipay.id")
    response = api.client.post(QUOTE, raw, content_type="application/json", headers=api.headers)
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] in {"validation_error", "tax_rules_missing"}
    assert message in body["message"]
    assert body["details"]["field"] == field
    assert not any(word in json.dumps(body) for word in ENGLISH)
    assert "net_to_vendor" not in json.dumps(body)
    status, out, err = cli(monkeypatch, raw)
    assert status == 2
    assert out == ""
    assert message in err
    assert body["message"] in err


# --- the real console script -------------------------------------------------------------


def test_the_digipay_console_script_reads_stdin_and_prints_the_same_json(
    db: None, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DIGIPAY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "DIGIPAY_ALLOW_DEV_SECRET": "1",
        # the code under test, wherever this test runs from
        "PYTHONPATH": str(Path(digipay.__file__).resolve().parents[1]),
    }

    def run(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "digipay.cli", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )

    migrated = run("migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    body = json.dumps(
        case(
            goods(1_500_000, quantity=2),
            {"kind": "services", "quantity": 1, "unit_price": 2_000_000},
        )
    )
    result = run("tax-quote", stdin=body)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    here = services.quote_json(body)

    assert printed["net_to_vendor"] == 4_915_000
    assert {k: v for k, v in printed.items() if k != "explanation"} == {
        k: v for k, v in here.items() if k != "explanation"
    }
    assert len(printed["explanation"]) == len(here["explanation"])
    assert [n["figure"] for n in printed["explanation"]] == [
        n["figure"] for n in here["explanation"]
    ]
    bad = run("tax-quote", stdin='{"date": "2025-03-03"}')
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "collector: wajib diisi." in bad.stderr
