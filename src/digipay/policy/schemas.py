"""API schemas of policy."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class PolicyRuleOut(Schema):
    id: int
    key: str
    label: str
    value: str = Field(description="Exact value: whole number, or a fraction such as 1/12")
    unit: str
    valid_from: date
    valid_to: date | None
    legal_basis: str


class PolicyRuleIn(Schema):
    key: str
    value: str = Field(description="e.g. 50000000, 40%, 1/12")
    valid_from: date
    legal_basis: str
