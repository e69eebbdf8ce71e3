"""Where the bank profiles come from: the JSON file named by settings.DIGIPAY_BANKS_CONFIG."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.gateway import SnapBankGateway
from digipay.integrations.banks.profiles import BankProfile, load_profiles


@lru_cache(maxsize=4)
def _profiles(path: str) -> dict[str, BankProfile]:
    return load_profiles(path) if path else {}


def profiles() -> dict[str, BankProfile]:
    return _profiles(str(getattr(settings, "DIGIPAY_BANKS_CONFIG", "") or ""))


def profile(bank_code: str) -> BankProfile | None:
    return profiles().get(bank_code)


def gateway_for(bank_code: str) -> SnapBankGateway:
    """The gateway to a configured bank, recording every exchange in ``BankExchange``."""
    from digipay.integrations.services import record_exchange

    found = profile(bank_code)
    if found is None:
        raise LookupError(f"no bank profile for {bank_code}")
    return SnapBankGateway(SnapClient(found, recorder=record_exchange))
