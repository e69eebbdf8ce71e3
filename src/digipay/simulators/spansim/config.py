"""The SPAN simulator's configuration: clients and their secrets, the bank link, TUP, faults.

A JSON file; unknown keys are refused so that a typo does not silently switch something off.
The format is documented in docs/spansim.md and ``demo_config.json`` next to this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digipay.simulators.spansim.faults import (
    FaultError,
    FaultSettings,
    apply_patch,
    default_settings,
)

DEMO_CONFIG = Path(__file__).with_name("demo_config.json")
DEFAULT_BANK_URL = "http://127.0.0.1:8100"


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    client_id: str
    secret: str = field(repr=False)
    name: str = ""


@dataclass(frozen=True, slots=True)
class BankLink:
    """Where an SP2D's money comes from: the bank simulator's ``POST /admin/credits``.

    ``url`` None: no bank; approved SP2Ds keep their credit PENDING until one is configured.
    The source account is what the treasurer's statement shows as the payer (the KPPN's
    disbursement account, RPKBUN); ``source_name`` gets `` KPPN <code>`` appended."""

    url: str | None = DEFAULT_BANK_URL
    admin_token: str | None = field(default=None, repr=False)
    timeout_seconds: float = 5.0
    retry_seconds: float = 10.0
    source_bank_code: str = "002"
    source_account_no: str = "0000000000"
    source_name: str = "RPKBUN"


@dataclass(frozen=True)
class SpanSimConfig:
    clients: tuple[ClientConfig, ...]
    database: str = ":memory:"
    timestamp_window_seconds: int = 300
    tup_due_months: int = 1
    bank: BankLink = field(default_factory=BankLink)
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


def _seconds(data: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ConfigError(f"{where}.{key}: expected a number of seconds in (0, 3600]")
    return float(value)


def _optional_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{where}.{key}: a non-empty string or null")
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


_BANK = {
    "url",
    "adminToken",
    "timeoutSeconds",
    "retrySeconds",
    "sourceBankCode",
    "sourceAccountNo",
    "sourceName",
}


def _bank(raw: object) -> BankLink:
    data = _object({} if raw is None else raw, "bank", _BANK)
    url = data.get("url", DEFAULT_BANK_URL)
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ConfigError("bank.url: an http(s) URL or null")
    source_bank = _str(data, "sourceBankCode", "bank", "002")
    if not re.fullmatch(r"\d{3}", source_bank):
        raise ConfigError("bank.sourceBankCode: 3 digits")
    source_account = _str(data, "sourceAccountNo", "bank", "0000000000")
    if not re.fullmatch(r"\d{1,34}", source_account):
        raise ConfigError("bank.sourceAccountNo: 1-34 digits")
    return BankLink(
        url=url.rstrip("/") if url else None,
        admin_token=_optional_str(data, "adminToken", "bank"),
        timeout_seconds=_seconds(data, "timeoutSeconds", "bank", 5.0),
        retry_seconds=_seconds(data, "retrySeconds", "bank", 10.0),
        source_bank_code=source_bank,
        source_account_no=source_account,
        source_name=_str(data, "sourceName", "bank", "RPKBUN"),
    )


_TOP = {
    "$comment",
    "database",
    "timestampWindowSeconds",
    "tupDueMonths",
    "clients",
    "bank",
    "faults",
    "adminToken",
}


def config_from_dict(raw: Mapping[str, Any], base_dir: str | Path = ".") -> SpanSimConfig:
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
    tup_due_months = _int(data, "tupDueMonths", "config", 1)
    if tup_due_months > 12:
        raise ConfigError("config.tupDueMonths: expected an integer between 1 and 12")
    return SpanSimConfig(
        clients=_clients(data["clients"]),
        database=database,
        timestamp_window_seconds=_int(data, "timestampWindowSeconds", "config", 300),
        tup_due_months=tup_due_months,
        bank=_bank(data.get("bank")),
        faults=faults,
        outage_seconds=outage or 0.0,
        admin_token=_optional_str(data, "adminToken", "config"),
    )


def load_config(path: str | Path) -> SpanSimConfig:
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
