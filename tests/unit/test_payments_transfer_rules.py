"""The checks of a generic treasurer transfer's request (payments.rules.transfer_error)."""

from __future__ import annotations

from typing import Any

import pytest

from digipay.payments.rules import Purpose, transfer_error

GOOD: dict[str, Any] = {
    "purpose": Purpose.TAX_DEPOSIT,
    "amount_idr": 1_100_000,
    "beneficiary_bank_code": "002",
    "beneficiary_account": "034601000999301",
    "beneficiary_name": "KAS NEGARA",
    "remark": "MPN 123456789012345",
    "legs": [(10, 1_100_000), (11, -1_100_000)],
    "up_tunai": 11,
}


def test_a_good_request_passes() -> None:
    assert transfer_error(**GOOD) is None
    # A card bill also frees the card's limit: extra balanced legs may ride along.
    card_bill = [(12, 1_100_000), (11, -1_100_000), (13, 1_100_000), (14, -1_100_000)]
    assert transfer_error(**{**GOOD, "purpose": Purpose.CARD_BILL, "legs": card_bill}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": Purpose.VENDOR},  # vendors are paid through pay(), with invoices
        {"purpose": "GIFT"},
        {"amount_idr": 0},
        {"amount_idr": -5},
        {"amount_idr": 1.5},
        {"amount_idr": True},
        {"beneficiary_bank_code": "02"},
        {"beneficiary_account": "12-34"},
        {"beneficiary_account": "123"},
        {"beneficiary_name": "  "},
        {"remark": "x" * 51},
        {"legs": []},
        {"legs": [(10, 1_100_000), (11, -1_000_000)]},  # unbalanced
        {"legs": [(10, 1_000_000), (11, -1_000_000)]},  # not the amount
        {"legs": [(10, 2_200_000), (11, -2_200_000)]},  # twice the amount
        {"legs": [(10, 1_100_000), (12, -1_100_000)]},  # not out of UP Tunai
    ],
)
def test_bad_requests_are_refused(change: dict[str, Any]) -> None:
    assert transfer_error(**{**GOOD, **change})
