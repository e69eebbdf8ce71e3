"""Bank profiles: how to reach each bank over SNAP (configuration, not code).

Loaded from the JSON file named by ``DIGIPAY_BANKS_CONFIG``: a list of objects with
``bank_code``, ``base_url``, ``partner_id`` (X-PARTNER-ID), ``client_id`` (X-CLIENT-KEY),
``client_secret``, ``private_key_path`` (ours, PEM), ``bank_public_key_path`` (theirs, PEM,
for notifications), ``channel_id`` and optional ``timeout_seconds``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BankProfile:
    bank_code: str
    base_url: str
    partner_id: str
    client_id: str
    client_secret: str = field(repr=False)
    private_key_pem: str = field(repr=False)
    bank_public_key_pem: str
    channel_id: str = "95221"
    timeout_seconds: float = 10.0


def load_profiles(path: str | Path) -> dict[str, BankProfile]:
    base = Path(path).parent
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    profiles = {}
    for item in raw:
        profile = BankProfile(
            bank_code=item["bank_code"],
            base_url=item["base_url"].rstrip("/"),
            partner_id=item["partner_id"],
            client_id=item["client_id"],
            client_secret=item["client_secret"],
            private_key_pem=(base / item["private_key_path"]).read_text(encoding="utf-8"),
            bank_public_key_pem=(base / item["bank_public_key_path"]).read_text(encoding="utf-8"),
            channel_id=item.get("channel_id", "95221"),
            timeout_seconds=float(item.get("timeout_seconds", 10.0)),
        )
        profiles[profile.bank_code] = profile
    return profiles
