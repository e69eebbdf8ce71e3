"""Template filters: rupiah and Jakarta dates, the way Indonesian users read them."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import formats, timezone

from digipay.core.clock import JAKARTA
from digipay.core.money import Money, format_idr

register = template.Library()


@register.filter
def rupiah(value: int | Money | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Money):
        return format_idr(value.idr)
    return format_idr(int(value))


@register.filter
def tanggal(value: date | datetime | None) -> str:
    """dd/mm/yyyy; datetimes are shown in Asia/Jakarta."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(JAKARTA)
        return formats.date_format(value, "d/m/Y H:i")
    return formats.date_format(value, "d/m/Y")


@register.filter
def neg(value: int) -> int:
    """The amount with its sign flipped (credits are stored negative)."""
    return -int(value)


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)
