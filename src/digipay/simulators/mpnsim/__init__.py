"""The MPN simulator: the state-revenue billing system (``python -m digipay.simulators.mpnsim``).

Issues 15-digit tax billing codes (kode billing) for a tax account (akun pajak) and deposit type
(kode jenis setoran), answers their status, and records their payment as the collecting bank
would report it, giving an NTPN and an NTB. Every call is signed (HMAC-SHA256 with a shared
client secret); creation is idempotent by the depositor's reference and payment by the bank's
reference; faults are injected on demand (``GET/PUT /admin/faults``). See docs/mpnsim.md.
"""

from digipay.simulators.mpnsim.app import create_app, sign, string_to_sign
from digipay.simulators.mpnsim.config import (
    ConfigError,
    MpnSimConfig,
    config_from_dict,
    load_config,
)

__all__ = [
    "ConfigError",
    "MpnSimConfig",
    "config_from_dict",
    "create_app",
    "load_config",
    "sign",
    "string_to_sign",
]
