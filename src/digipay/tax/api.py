"""HTTP API of tax: the tax quote, and the tax table (every signed-in user reads it; DJPb
admins add rows). Thin: the quote goes through ``services.quote_json``, the same path as
``digipay tax-quote``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from digipay.accounts.api import actor_of
from digipay.accounts.permissions import require
from digipay.accounts.schemas import ErrorOut
from digipay.core.errors import ValidationFailed
from digipay.tax import queries, rules, services
from digipay.tax.models import TaxRule
from digipay.tax.schemas import TaxQuoteIn, TaxQuoteOut, TaxRuleIn, TaxRuleOut

router = Router(tags=["tax"])


def _inline_schema(model: type[TaxQuoteIn]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined (for the OpenAPI request body)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


# The body is parsed by ``schemas.parse_case`` (strict, messages in Bahasa Indonesia, shared
# with the CLI), so the request schema is documented here rather than declared as a parameter.
_QUOTE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_schema(TaxQuoteIn)}},
    }
}


@router.post(
    "/quote",
    response={200: TaxQuoteOut, 422: ErrorOut},
    summary="Quote the taxes of an invoice",
    description=(
        "PPN, PPh 22, PPh 23 and PPh final of one invoice under the tax rules in force on its "
        "date (DOMAIN.md §6): per line and per invoice, which taxes the collector "
        "collects/withholds and which the vendor accounts for itself, the gross total, the "
        "net amount to the vendor and the explanation of every figure (rule row, threshold). "
        "Amounts are whole rupiah; every tax is rounded down at the end. Bad input: 422 with "
        "`code` and `message` (Bahasa Indonesia) naming the field. Same result as "
        "`digipay tax-quote`."
    ),
    openapi_extra=_QUOTE_BODY,
)
def quote(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), "tax.quote")
    return services.quote_json(request.body)


def _out(rule: TaxRule) -> dict[str, Any]:
    row = rule.as_row()
    return {
        "id": rule.pk,
        "tax": rule.tax,
        "collector": rule.collector,
        "kind": rule.kind,
        "luxury": rule.luxury,
        "rate": rules.fraction_text(row.rate),
        "rate_percent": rules.percent(row.rate),
        "rate_without_npwp": rules.fraction_text(row.rate_without_npwp),
        "base_fraction": rules.fraction_text(row.base_fraction),
        "base_rounding": rule.base_rounding,
        "threshold_idr": rule.threshold_idr,
        "threshold_basis": rule.threshold_basis,
        "collected": rule.collected,
        "valid_from": rule.valid_from,
        "valid_to": rule.valid_to,
        "legal_basis": rule.legal_basis,
        "description": rules.describe_row(row),
    }


@router.get("/rules", response=list[TaxRuleOut], summary="The tax rule rows with their history")
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    require(actor_of(request), "tax.quote")
    return [_out(rule) for rule in queries.all_rules()]


def _fraction(text: str | None, field: str) -> Any:
    if text is None:
        return None
    try:
        return rules.parse_fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValidationFailed(
            _("Nilai tidak dapat dibaca; tulis misalnya 12%, 1,5% atau 11/12."),
            details={"field": field},
        ) from exc


@router.post(
    "/rules",
    response={201: TaxRuleOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add a tax rule row (DJPb admins)",
    description=(
        "A rule change is a new row from a date (today or later). The open row of the same "
        "tax, collector and conditions is closed the day before; any other overlap is refused "
        "(409 `tax_rule_overlap`)."
    ),
)
def add_rule(request: HttpRequest, payload: TaxRuleIn) -> Status[dict[str, Any]]:
    rule = services.add_tax_rule(
        actor_of(request),
        tax=payload.tax,
        collector=payload.collector,
        kind=payload.kind,
        luxury=payload.luxury,
        rate=_fraction(payload.rate, "rate"),
        rate_without_npwp=_fraction(payload.rate_without_npwp, "rate_without_npwp"),
        base_fraction=_fraction(payload.base_fraction, "base_fraction"),
        base_rounding=payload.base_rounding,
        threshold_idr=payload.threshold_idr,
        threshold_basis=payload.threshold_basis,
        collected=payload.collected,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        legal_basis=payload.legal_basis,
    )
    return Status(201, _out(rule))
