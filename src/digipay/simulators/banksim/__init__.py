"""The bank simulator: several SNAP banks in one process (``python -m digipay.simulators.banksim``).

Each simulated bank answers under its own base URL ``/{bankCode}`` (e.g. ``/002`` for BRI),
verifies every signature and timestamp, enforces per-day uniqueness of ``X-EXTERNAL-ID`` and
``partnerReferenceNo``, keeps accounts with balances in SQLite, settles interbank transfers
between its banks, sends signed credit notifications (retried until acknowledged), and
injects faults on demand (``GET/PUT /admin/faults``). See docs/banksim.md.
"""

from digipay.simulators.banksim.app import create_app
from digipay.simulators.banksim.config import (
    BankSimConfig,
    ConfigError,
    config_from_dict,
    load_config,
)

__all__ = ["BankSimConfig", "ConfigError", "config_from_dict", "create_app", "load_config"]
