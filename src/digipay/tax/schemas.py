"""Schemas of the tax quote and the tax table, and the one parser of a quote case.

``parse_case`` reads a case from JSON text for both edges (``POST /api/v1/tax/quote`` and
``digipay tax-quote``), strictly (a price is a JSON integer, a date is ``YYYY-MM-DD``), and
refuses bad input with a ``ValidationFailed`` whose message names the field in Bahasa
Indonesia.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from digipay.core.errors import ValidationFailed
from digipay.tax import rules


class VendorIn(BaseModel):
    """What the tax engine needs to know about the vendor."""

    model_config = ConfigDict(strict=True, extra="forbid", title="TaxVendorIn")

    pkp: bool = Field(description="Vendor is a PKP (VAT-registered business): it charges PPN.")
    has_npwp: bool = Field(
        description="Vendor has an NPWP (tax id). Without one, PPh 22/23 use the higher rate."
    )
    final_tax_certificate: bool = Field(
        description=(
            "Vendor holds a verified Suket PPh Final (PP 55/2022): the 0.5% final tax replaces "
            "PPh 22/23 while it is valid on the invoice date."
        )
    )
    final_tax_certificate_valid_from: dt.date | None = Field(
        None, description="Optional: first day the Suket is valid (YYYY-MM-DD)."
    )
    final_tax_certificate_valid_until: dt.date | None = Field(
        None, description="Optional: last day the Suket is valid (YYYY-MM-DD)."
    )


class LineIn(BaseModel):
    """One invoice line; the price excludes PPN."""

    model_config = ConfigDict(strict=True, extra="forbid", title="TaxLineIn")

    kind: Literal["goods", "services"] = Field(description="goods (barang) or services (jasa).")
    luxury: bool = Field(
        False, description="Luxury goods (subject to PPnBM): 12% PPN on the price from Feb 2025."
    )
    quantity: int = Field(ge=1, le=rules.MAX_QUANTITY, description="Whole units, at least 1.")
    unit_price: int = Field(
        ge=1,
        le=rules.MAX_UNIT_PRICE,
        description="Price per unit in whole rupiah, excluding PPN.",
    )


class TaxQuoteIn(BaseModel):
    """One invoice to quote: the taxes in force on its date for its collector channel."""

    model_config = ConfigDict(strict=True, extra="forbid", title="TaxQuoteIn")

    date: dt.date = Field(
        description="Invoice date (YYYY-MM-DD): the rules in force on that day apply."
    )
    collector: Literal["BENDAHARA", "PIHAK_LAIN", "KKP"] = Field(
        description=(
            "Who collects the taxes: BENDAHARA (the expenditure treasurer, CMS/VA), "
            "PIHAK_LAIN (an appointed marketplace) or KKP (government credit card payment)."
        )
    )
    vendor: VendorIn
    lines: list[LineIn] = Field(min_length=1, max_length=rules.MAX_LINES)
    split: bool = Field(
        False,
        description=(
            "Part of a split purchase (pemecahan transaksi): the Rp2 juta small-payment "
            "exemptions do not apply."
        ),
    )


def parse_case(raw: str | bytes) -> rules.TaxCase:
    """The case in ``raw`` JSON, or ValidationFailed naming the first bad field."""
    try:
        data = TaxQuoteIn.model_validate_json(raw)
    except PydanticValidationError as exc:
        problems = [(_field(error["loc"]), _message(error)) for error in exc.errors()]
        field, message = problems[0]
        raise ValidationFailed(
            f"{field}: {message}" if field else message,
            details={
                "field": field,
                "errors": [{"field": f, "message": m} for f, m in problems],
            },
        ) from None
    vendor = data.vendor
    return rules.TaxCase(
        date=data.date,
        collector=data.collector,
        vendor=rules.VendorFacts(
            pkp=vendor.pkp,
            has_npwp=vendor.has_npwp,
            final_tax_certificate=vendor.final_tax_certificate,
            final_tax_certificate_valid_from=vendor.final_tax_certificate_valid_from,
            final_tax_certificate_valid_until=vendor.final_tax_certificate_valid_until,
        ),
        lines=tuple(
            rules.Line(
                kind=line.kind,
                quantity=line.quantity,
                unit_price=line.unit_price,
                luxury=line.luxury,
            )
            for line in data.lines
        ),
        split=data.split,
    )


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return _("Data bukan JSON yang sah.")
    if kind == "missing":
        return _("wajib diisi.")
    if kind == "extra_forbidden":
        return _("kolom tidak dikenal.")
    if kind in {"model_type", "model_attributes_type", "dict_type", "json_type"}:
        return _("harus berupa objek JSON.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("harus true atau false.")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("harus bilangan bulat.")
    if kind == "greater_than_equal":
        return _("paling kecil %(value)s.") % {"value": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("paling besar %(value)s.") % {"value": ctx.get("le")}
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("harus tanggal berformat YYYY-MM-DD.")
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " atau ")
        return _("harus salah satu dari: %(values)s.") % {"values": expected}
    if kind == "list_type":
        return _("harus berupa daftar.")
    if kind == "too_short":
        return _("paling sedikit %(count)s baris.") % {"count": ctx.get("min_length")}
    if kind == "too_long":
        return _("paling banyak %(count)s baris.") % {"count": ctx.get("max_length")}
    return _("tidak valid.")


# --- output -------------------------------------------------------------------------------


class TaxFigureOut(Schema):
    tax: str = Field(description="ppn, pph22, pph23 or pph_final")
    label: str
    amount: int = Field(description="The tax on the invoice, whole rupiah (rounded down)")
    withheld_by_collector: int = Field(
        description="The part the collector collects/withholds and deposits"
    )
    accounted_by_vendor: int = Field(
        description="The part the vendor accounts for itself (e.g. PPN on a KKP payment)"
    )


class TaxLineOut(Schema):
    line: int = Field(description="Line number, from 1")
    kind: str
    luxury: bool
    quantity: int
    unit_price: int
    base: int = Field(description="quantity × unit_price (DPP before any DPP nilai lain)")
    ppn: int = Field(description="This line's share of the invoice PPN")
    pph22: int
    pph23: int
    pph_final: int


class TaxNoteOut(Schema):
    figure: str = Field(
        description="What is explained: base, vendor, ppn, pph22, pph23, pph_final, "
        "gross_total or net_to_vendor"
    )
    lines: list[int] = Field(description="The lines concerned (from 1)")
    rule_id: int | None = Field(description="The tax rule row used, if any")
    amount: int | None
    text: str = Field(description="The explanation, in Bahasa Indonesia")


class TaxQuoteOut(Schema):
    date: dt.date
    collector: str
    split: bool
    base: int = Field(description="DPP: the invoice's price excluding PPN, whole rupiah")
    dpp_nilai_lain: int | None = Field(
        description="DPP nilai lain (11/12 × price from 2025) rounded down, where it applies"
    )
    dpp_nilai_lain_exact: str | None = Field(
        description="The exact DPP nilai lain as a fraction, e.g. 27500000/3"
    )
    ppn: int = Field(description="PPN on the invoice (collected or accounted by the vendor)")
    pph22: int
    pph23: int
    pph_final: int
    taxes: list[TaxFigureOut] = Field(description="Each tax, split by who accounts for it")
    withheld_by_collector: list[str] = Field(
        description="Taxes the collector collects/withholds from the payment"
    )
    accounted_by_vendor: list[str] = Field(description="Taxes the vendor accounts for itself")
    collected_total: int = Field(description="Sum the collector collects/withholds")
    gross_total: int = Field(description="Invoice total: base + PPN")
    net_to_vendor: int = Field(description="gross_total − collected_total")
    lines: list[TaxLineOut]
    explanation: list[TaxNoteOut]


# --- the tax table ------------------------------------------------------------------------


class TaxRuleOut(Schema):
    id: int
    tax: str
    collector: str
    kind: str
    luxury: str
    rate: str = Field(description="Exact rate as a fraction, e.g. 3/200 (= 1.5%)")
    rate_percent: str
    rate_without_npwp: str | None
    base_fraction: str = Field(description="DPP = base_fraction × price (11/12: DPP nilai lain)")
    base_rounding: str
    threshold_idr: int | None
    threshold_basis: str
    collected: bool
    valid_from: dt.date
    valid_to: dt.date | None
    legal_basis: str
    description: str


class TaxRuleIn(Schema):
    tax: Literal["PPN", "PPH22", "PPH23", "PPH_FINAL"]
    collector: Literal["BENDAHARA", "PIHAK_LAIN", "KKP"]
    kind: Literal["ALL", "GOODS", "SERVICES"] = "ALL"
    luxury: Literal["ANY", "LUXURY", "NON_LUXURY"] = "ANY"
    rate: str = Field(description="e.g. 12%, 1,5%, 3/200")
    rate_without_npwp: str | None = Field(None, description="Rate without NPWP; empty: the same")
    base_fraction: str = Field("1", description="1 (price) or 11/12 (DPP nilai lain)")
    base_rounding: Literal["EXACT", "FLOOR"] = "EXACT"
    threshold_idr: int | None = Field(None, ge=0, description="Small-payment exemption, rupiah")
    threshold_basis: Literal["EXCL_PPN", "INCL_PPN"] = "EXCL_PPN"
    collected: bool = True
    valid_from: dt.date
    valid_to: dt.date | None = None
    legal_basis: str = Field(max_length=300)
