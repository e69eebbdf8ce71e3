"""Vendor bank accounts checked by an account-name inquiry at the bank: the real bank simulator
(Starlette, real SNAP signatures) on a loopback port, reached through a real ``SnapBankGateway``
(DOMAIN.md §8, §9). An account is usable for payments only once the bank's name matches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from digipay.audit.models import AuditEvent
from digipay.core.errors import NotFound, ValidationFailed
from digipay.integrations.banks import registry
from digipay.integrations.models import BankExchange
from digipay.vendors import queries, services
from digipay.vendors.models import Vendor, VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

from .conftest import (
    BERKAH_BNI,
    BNI,
    BRI,
    RAHAYU_BRI,
    SINAR_BRI,
    UNKNOWN_BRI,
    Api,
    BankSim,
    admin_of,
    closed_port_url,
    verified,
)

pytestmark = pytest.mark.usefixtures("vw")


@pytest.fixture
def vendor() -> Vendor:
    return verified(business_name="CV Sinar Jaya")


def add(
    vendor: Vendor, account_no: str, holder: str, bank: str = BRI, **kw: Any
) -> VendorBankAccount:
    return services.add_bank_account(
        admin_of(vendor), vendor, bank_code=bank, account_no=account_no, holder_name=holder, **kw
    )


def checked_events(account: VendorBankAccount) -> list[dict[str, Any]]:
    return [
        e.after
        for e in AuditEvent.objects.filter(
            action="vendor.bank_account_checked", object_id=str(account.pk)
        ).order_by("seq")
    ]


def test_a_matching_name_verifies_the_account(banksim: BankSim, vendor: Vendor) -> None:
    account = add(vendor, SINAR_BRI, "CV. Sinar Jaya")
    assert account.status == BankAccountStatus.UNCHECKED
    assert not account.usable
    assert queries.primary_account(vendor) is None  # not before the bank confirmed the name
    account = services.check_bank_account(admin_of(vendor), account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.VERIFIED
    assert account.bank_name_returned == "CV SINAR JAYA"
    assert account.checked_at is not None
    assert account.usable
    assert queries.primary_account(vendor) == account
    assert checked_events(account) == [{"status": "VERIFIED"}]
    added = AuditEvent.objects.get(action="vendor.bank_account_added", object_id=str(account.pk))
    assert added.tenant_id == vendor.organisation_id
    assert SINAR_BRI not in json.dumps(added.after)


def test_a_name_mismatch_blocks_the_account_until_corrected(
    banksim: BankSim, vendor: Vendor
) -> None:
    admin = admin_of(vendor)
    account = add(vendor, SINAR_BRI, "Sinar Jaya Abadi")
    account = services.check_bank_account(admin, account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.MISMATCH
    assert account.bank_name_returned == "CV SINAR JAYA"
    assert not account.usable
    assert account.is_primary  # the only account, chosen, yet no payment may go there
    assert queries.primary_account(vendor) is None
    with pytest.raises(ValidationFailed):
        services.set_primary_account(admin, account)
    assert checked_events(account) == [{"status": "MISMATCH"}]

    account = services.correct_holder_name(admin, account, holder_name="CV Sinar Jaya")
    assert account.status == BankAccountStatus.UNCHECKED
    assert not account.usable
    assert AuditEvent.objects.filter(
        action="vendor.bank_account_corrected", object_id=str(account.pk)
    ).exists()
    account = services.check_bank_account(admin, account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.VERIFIED
    assert queries.primary_account(vendor) == account
    assert services.set_primary_account(admin, account).is_primary
    assert checked_events(account) == [{"status": "MISMATCH"}, {"status": "VERIFIED"}]


def test_an_unknown_account_is_not_found(banksim: BankSim, vendor: Vendor) -> None:
    account = add(vendor, UNKNOWN_BRI, "CV Sinar Jaya")
    account = services.check_bank_account(admin_of(vendor), account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.NOT_FOUND
    assert account.check_message
    assert not account.usable
    assert queries.primary_account(vendor) is None
    assert checked_events(account) == [{"status": "NOT_FOUND"}]


def test_an_unreachable_bank_leaves_the_account_unusable_and_checkable_again(
    banksim: BankSim, vendor: Vendor
) -> None:
    account = add(vendor, SINAR_BRI, "CV Sinar Jaya")
    down = banksim.gateway(BRI, url=closed_port_url())
    account = services.check_bank_account(admin_of(vendor), account, gateway=down)
    assert account.status == BankAccountStatus.CHECK_FAILED
    assert account.check_message
    assert not account.usable
    assert queries.primary_account(vendor) is None
    assert checked_events(account) == [{"status": "CHECK_FAILED"}]
    # When the bank is back, the same account is checked again.
    account = services.check_bank_account(admin_of(vendor), account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.VERIFIED


def test_an_account_at_another_bank_is_asked_interbank(banksim: BankSim) -> None:
    vendor = verified(business_name="UD Berkah Tani")
    account = add(vendor, BERKAH_BNI, "UD Berkah Tani", bank=BNI)
    account = services.check_bank_account(None, account, gateway=banksim.gateway(BRI))
    assert account.status == BankAccountStatus.VERIFIED
    assert account.bank_name_returned == "UD BERKAH TANI"


def test_a_second_account_becomes_primary_only_once_verified(
    banksim: BankSim, vendor: Vendor
) -> None:
    admin = admin_of(vendor)
    first = add(vendor, SINAR_BRI, "CV Sinar Jaya")
    first = services.check_bank_account(admin, first, gateway=banksim.gateway(BRI))
    second = add(vendor, RAHAYU_BRI, "CV Sinar Jaya")  # the owner's own account: another name
    second = services.check_bank_account(admin, second, gateway=banksim.gateway(BRI))
    assert second.status == BankAccountStatus.MISMATCH
    assert queries.primary_account(vendor) == first
    with pytest.raises(ValidationFailed):
        services.set_primary_account(admin, second)
    assert queries.primary_account(vendor) == first


def test_adding_a_mismatching_account_as_primary_keeps_payments_on_the_verified_one(
    banksim: BankSim, vendor: Vendor
) -> None:
    """``set_primary_account`` refuses an account whose name the bank has not confirmed; adding
    one with ``primary=True`` must not get around that and leave the vendor with no account
    payments can go to."""
    admin = admin_of(vendor)
    first = add(vendor, SINAR_BRI, "CV Sinar Jaya")
    first = services.check_bank_account(admin, first, gateway=banksim.gateway(BRI))
    assert queries.primary_account(vendor) == first
    second = add(vendor, RAHAYU_BRI, "CV Sinar Jaya", primary=True)
    second = services.check_bank_account(admin, second, gateway=banksim.gateway(BRI))
    assert second.status == BankAccountStatus.MISMATCH
    assert queries.primary_account(vendor) == first, (
        "a mismatching account displaced the verified primary: the vendor cannot be paid"
    )


def test_the_same_account_twice_and_bad_numbers_are_refused(vendor: Vendor) -> None:
    add(vendor, SINAR_BRI, "CV Sinar Jaya")
    with pytest.raises(ValidationFailed):
        add(vendor, SINAR_BRI, "CV Sinar Jaya")
    for number in ("12345", "0346-0100-0456", "A34601000456302"):
        with pytest.raises(ValidationFailed):
            add(vendor, number, "CV Sinar Jaya")
    with pytest.raises(ValidationFailed):
        add(vendor, RAHAYU_BRI, "CV Sinar Jaya", bank="2")


def test_another_vendor_cannot_check_or_change_the_account(
    banksim: BankSim, vendor: Vendor
) -> None:
    account = add(vendor, SINAR_BRI, "CV Sinar Jaya")
    other = admin_of(verified())
    with pytest.raises(NotFound):
        services.check_bank_account(other, account, gateway=banksim.gateway(BRI))
    with pytest.raises(NotFound):
        services.correct_holder_name(other, account, holder_name="Orang Lain")
    with pytest.raises(NotFound):
        services.remove_bank_account(other, account)
    account.refresh_from_db()
    assert (account.status, account.holder_name, account.removed_at) == (
        BankAccountStatus.UNCHECKED,
        "CV Sinar Jaya",
        None,
    )


# --- over the API, with the configured bank profile ----------------------------------------------


@pytest.fixture
def banks_config(banksim: BankSim, settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.DIGIPAY_BANKS_CONFIG = str(banksim.write_config(tmp_path))
    settings.DIGIPAY_INQUIRY_BANK = BRI
    registry._profiles.cache_clear()
    yield tmp_path
    registry._profiles.cache_clear()


def test_api_checks_at_once_and_shows_account_numbers_masked(
    api: Callable[[str], Api], vendor: Vendor, banks_config: Path
) -> None:
    client = api(vendor.email)
    base = f"/api/v1/vendors/{vendor.pk}/bank-accounts"
    response = client.post(
        base, {"bank_code": BRI, "account_no": SINAR_BRI, "holder_name": "Sinar Jaya Abadi"}
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == BankAccountStatus.MISMATCH
    assert out["usable"] is False
    assert out["account_no_masked"] == "•" * 11 + "6302"
    assert "account_no" not in out
    assert SINAR_BRI not in response.content.decode()
    assert BankExchange.objects.filter(bank_code=BRI).exists()  # the inquiry really went out

    refused = client.post(f"{base}/{out['id']}/primary")
    assert refused.status_code == 422

    response = client.patch(f"{base}/{out['id']}", {"holder_name": "CV Sinar Jaya"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == BankAccountStatus.VERIFIED
    assert response.json()["usable"] is True
    assert SINAR_BRI not in response.content.decode()

    # Another bank's account is asked through BRI (interbank inquiry).
    response = client.post(
        base, {"bank_code": BNI, "account_no": BERKAH_BNI, "holder_name": "CV Sinar Jaya"}
    )
    assert response.status_code == 201
    assert response.json()["status"] == BankAccountStatus.MISMATCH  # BNI: "UD BERKAH TANI"
    listed = client.get(base)
    assert listed.status_code == 200
    rows = listed.json()
    assert {r["account_no_masked"] for r in rows} == {"•" * 11 + "6302", "•" * 6 + "5678"}
    text = listed.content.decode()
    assert SINAR_BRI not in text
    assert BERKAH_BNI not in text
    # The partner satker sees the accounts the same way.
    partner = api("pengadaan@415256.demo.digipay.id").get(base)
    assert partner.status_code == 200
    assert SINAR_BRI not in partner.content.decode()
    # Nor does the audit chain hold them in full.
    events = AuditEvent.objects.filter(tenant_id=vendor.organisation_id)
    dumped = json.dumps([[e.before, e.after] for e in events])
    assert SINAR_BRI not in dumped
    assert BERKAH_BNI not in dumped


def test_api_with_the_bank_down_answers_check_failed(
    api: Callable[[str], Api], vendor: Vendor, banksim: BankSim, settings: Any, tmp_path: Path
) -> None:
    settings.DIGIPAY_BANKS_CONFIG = str(banksim.write_config(tmp_path, url=closed_port_url()))
    registry._profiles.cache_clear()
    try:
        client = api(vendor.email)
        base = f"/api/v1/vendors/{vendor.pk}/bank-accounts"
        response = client.post(
            base, {"bank_code": BRI, "account_no": SINAR_BRI, "holder_name": "CV Sinar Jaya"}
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == BankAccountStatus.CHECK_FAILED
        assert response.json()["usable"] is False
    finally:
        registry._profiles.cache_clear()


def test_no_bank_profile_at_all_is_a_failed_check_not_a_crash(
    api: Callable[[str], Api], vendor: Vendor, settings: Any
) -> None:
    settings.DIGIPAY_BANKS_CONFIG = ""
    registry._profiles.cache_clear()
    response = api(vendor.email).post(
        f"/api/v1/vendors/{vendor.pk}/bank-accounts",
        {"bank_code": BRI, "account_no": SINAR_BRI, "holder_name": "CV Sinar Jaya"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == BankAccountStatus.CHECK_FAILED


def test_removing_the_primary_passes_it_to_a_verified_account(
    banksim: BankSim, vendor: Vendor, api: Callable[[str], Api]
) -> None:
    admin = admin_of(vendor)
    first = services.check_bank_account(
        admin, add(vendor, SINAR_BRI, "CV Sinar Jaya"), gateway=banksim.gateway(BRI)
    )
    second = services.check_bank_account(
        admin, add(vendor, BERKAH_BNI, "CV Sinar Jaya", bank=BNI), gateway=banksim.gateway(BRI)
    )
    assert second.status == BankAccountStatus.MISMATCH
    response = api(vendor.email).delete(f"/api/v1/vendors/{vendor.pk}/bank-accounts/{first.pk}")
    assert response.status_code == 204
    assert queries.primary_account(vendor) is None  # the one left is blocked
    assert list(queries.bank_accounts(vendor)) == [second]


def test_only_the_vendor_or_its_owner_can_hold_the_account(vendor: Vendor) -> None:
    """Payments go to the vendor's own account: a third person's name is refused before any
    bank call, and nothing is recorded."""
    before = VendorBankAccount.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.add_bank_account(
            admin_of(vendor),
            vendor,
            bank_code=BRI,
            account_no="034601000999301",
            holder_name="Budi Orang Lain",
        )
    assert exc.value.code == "holder_not_vendor"
    assert VendorBankAccount.objects.count() == before
