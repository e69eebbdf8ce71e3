"""The SPAN simulator: the treasury's disbursement system (``digipay spansim``).

Receives SPMs (GUP, GUP KKP, TUP and PTUP) with the paid invoices they list; a KPPN user
approves one (SP2D number and date) or rejects it (with a reason). An approved SP2D credits the
treasurer's account in the bank simulator (``POST /admin/credits``, remark ``SP2D <number>``),
never twice: a credit whose outcome is unknown is looked up on the bank statement before
anything is sent again. Every call is signed (HMAC-SHA256, as the MPN simulator); submission is
idempotent by SPM number per satker; faults are injected on demand (``GET/PUT /admin/faults``).
See docs/spansim.md.
"""

from digipay.simulators.spansim.app import create_app, sign, string_to_sign
from digipay.simulators.spansim.config import (
    ConfigError,
    SpanSimConfig,
    config_from_dict,
    load_config,
)

__all__ = [
    "ConfigError",
    "SpanSimConfig",
    "config_from_dict",
    "create_app",
    "load_config",
    "sign",
    "string_to_sign",
]
