"""The MPN simulator's configuration: clients and their secrets, billing lifetime, faults.

A JSON file; unknown keys are refused so that a typo does not silently switch something off.
The format is documented in docs/mpnsim.md and ``demo_config.json`` next to this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digipay.simulators.mpnsim.faults import (
    FaultError,
    FaultSettings,
    apply_patch,
    default_settings,
)

DEMO_CONFIG = Path(__file__).with_name("demo_config.json")
DEFAULT_BILLING_TTL = 7 * 24 * 3600


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    client_id: str
    secret: str = field(repr=False)
    name: str = ""


@dataclass(frozen=True)
class MpnSimConfig:
    clients: tuple[ClientConfig, ...]
    database: str = ":memory:"
    timestamp_window_seconds: int = 300
    billing_ttl_seconds: int = DEFAULT_BILLING_TTL
    collecting_banks: frozenset[str] | None = None  # None: any 3-digit bank code
    faults: FaultSettings = field(default_factory=default_settings)
    outage_seconds: float = 0.0
    admin_token: str | None = field(default=None, repr=False)

    def client(self, client_id: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.client_id == client_id), None)


def _object(value: object, where: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected an object")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    return value


def _str(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key}: expected a non-empty string")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, default: int, low: int = 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}.{key}: expected an integer >= {low}")
    return value


def _clients(raw: object) -> tuple[ClientConfig, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("clients: expected a non-empty list")
    clients: list[ClientConfig] = []
    for i, item in enumerate(raw):
        where = f"clients[{i}]"
        data = _object(item, where, {"clientId", "secret", "name"})
        client_id = _str(data, "clientId", where)
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", client_id):
            raise ConfigError(f"{where}.clientId: 1-64 letters, digits, '.', '_' or '-'")
        secret = _str(data, "secret", where)
        if len(secret) < 16:
            raise ConfigError(f"{where}.secret: at least 16 characters")
        name = data.get("name", "")
        if not isinstance(name, str):
            raise ConfigError(f"{where}.name: expected a string")
        clients.append(ClientConfig(client_id, secret, name))
    ids = [c.client_id for c in clients]
    if len(set(ids)) != len(ids):
        raise ConfigError("clients: duplicate clientId")
    return tuple(clients)


def _banks(raw: object) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(b, str) and re.fullmatch(r"\d{3}", b) for b in raw
    ):
        raise ConfigError("collectingBanks: a list of 3-digit bank codes, or null")
    return frozenset(raw)


_TOP = {
    "$comment",
    "database",
    "timestampWindowSeconds",
    "billingTtlSeconds",
    "clients",
    "collectingBanks",
    "faults",
    "adminToken",
}


def config_from_dict(raw: Mapping[str, Any], base_dir: str | Path = ".") -> MpnSimConfig:
    """Build and check a configuration; a relative database path is taken from ``base_dir``."""
    data = _object(raw, "config", _TOP)
    if "clients" not in data:
        raise ConfigError("config: missing keys ['clients']")
    database = _str(data, "database", "config", ":memory:")
    if database != ":memory:" and not Path(database).is_absolute():
        database = str(Path(base_dir) / database)
    faults_raw = data.get("faults", {})
    if not isinstance(faults_raw, Mapping):
        raise ConfigError("faults: expected an object")
    try:
        faults, outage = apply_patch(default_settings(), faults_raw)
    except FaultError as exc:
        raise ConfigError(f"faults: {exc}") from exc
    admin_token = data.get("adminToken")
    if admin_token is not None and (not isinstance(admin_token, str) or not admin_token):
        raise ConfigError("config.adminToken: a non-empty string or null")
    return MpnSimConfig(
        clients=_clients(data["clients"]),
        database=database,
        timestamp_window_seconds=_int(data, "timestampWindowSeconds", "config", 300),
        billing_ttl_seconds=_int(data, "billingTtlSeconds", "config", DEFAULT_BILLING_TTL),
        collecting_banks=_banks(data.get("collectingBanks")),
        faults=faults,
        outage_seconds=outage or 0.0,
        admin_token=admin_token,
    )


def load_config(path: str | Path) -> MpnSimConfig:
    """Read a JSON configuration file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}: invalid JSON: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{file}: expected an object at the top level")
    return config_from_dict(raw, file.parent)
