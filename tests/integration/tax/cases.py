"""Quote cases shared by the tax integration tests (JSON as clients send it)."""

from __future__ import annotations

from typing import Any


def case(
    *lines: dict[str, Any],
    date: str = "2025-03-03",
    collector: str = "BENDAHARA",
    pkp: bool = True,
    has_npwp: bool = True,
    suket: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "date": date,
        "collector": collector,
        "vendor": {"pkp": pkp, "has_npwp": has_npwp, "final_tax_certificate": suket},
        "lines": list(lines),
        **extra,
    }


def goods(price: int, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"kind": "goods", "quantity": quantity, "unit_price": price, **extra}


def services(price: int, quantity: int = 1) -> dict[str, Any]:
    return {"kind": "services", "quantity": quantity, "unit_price": price}


# DOMAIN.md §6 worked examples: (case, expected figures).
WORKED_EXAMPLES: list[tuple[str, dict[str, Any], dict[str, int]]] = [
    (
        "goods-pkp",
        case(goods(10_000_000)),
        {"base": 10_000_000, "ppn": 1_100_000, "pph22": 150_000, "net_to_vendor": 9_850_000},
    ),
    (
        "goods-pkp-pihak-lain",
        case(goods(10_000_000), collector="PIHAK_LAIN"),
        {"base": 10_000_000, "ppn": 1_100_000, "pph22": 50_000, "net_to_vendor": 9_950_000},
    ),
    (
        "services-pkp",
        case(services(5_000_000)),
        {"base": 5_000_000, "ppn": 550_000, "pph23": 100_000, "net_to_vendor": 4_900_000},
    ),
    (
        "goods-pkp-kkp",
        case(goods(10_000_000), collector="KKP"),
        {
            "base": 10_000_000,
            "ppn": 1_100_000,
            "pph22": 0,
            "gross_total": 11_100_000,
            "net_to_vendor": 11_100_000,
        },
    ),
    (
        "goods-non-pkp-suket",
        case(goods(3_000_000), pkp=False, suket=True),
        {"base": 3_000_000, "ppn": 0, "pph_final": 15_000, "net_to_vendor": 2_985_000},
    ),
    (
        "rounding",
        case(goods(3_453_454)),
        {"base": 3_453_454, "ppn": 379_879, "pph22": 51_801},
    ),
]

OTHER_CASES: list[dict[str, Any]] = [
    case(goods(1_500_000, quantity=2), services(2_000_000)),
    case(goods(1_000_000, luxury=True), goods(1_000_000), date="2025-01-15"),
    case(goods(1_000_000, luxury=True), date="2025-02-01", collector="PIHAK_LAIN"),
    case(goods(2_000_000), pkp=False, split=True),
    case(goods(2_000_000), pkp=False, has_npwp=False, date="2024-12-31"),
    case(services(3_000_000), collector="KKP", pkp=False, suket=True),
]
