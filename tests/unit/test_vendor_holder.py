"""Who may hold a vendor's bank account: the business or its owner, as banks spell them."""

from __future__ import annotations

import pytest

from digipay.vendors.rules import holder_is_vendor


@pytest.mark.parametrize(
    ("holder", "expected"),
    [
        ("CV SINAR JAYA ABADI", True),  # the bank adds a word
        ("Sinar Jaya", True),  # the bank drops the legal form and a word
        ("cv. sinar-jaya abadi", True),  # punctuation and case
        ("SITI RAHAYU", True),  # the owner
        ("BUDI SANTOSO", False),  # someone else
        ("SINAR MAS ABADI", False),  # a similar but different business
        ("", False),
        ("CV", False),  # only a legal-form word
    ],
)
def test_holder_is_the_business_or_its_owner(holder: str, expected: bool) -> None:
    assert (
        holder_is_vendor(holder, business_name="CV Sinar Jaya Abadi", owner_name="Siti Rahayu")
        is expected
    )
