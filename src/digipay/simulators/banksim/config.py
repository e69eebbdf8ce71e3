"""The simulator's configuration: banks, partners, accounts, notifications, limits, faults.

A JSON file (or YAML when PyYAML is installed and the name ends in ``.yaml``/``.yml``); file
paths inside it are relative to the file. Unknown keys are refused so that a typo does not
silently switch something off. The format is documented, with an example, in docs/banksim.md
and ``demo_config.json`` next to this module.

Amounts are integer rupiah or SNAP strings (``"1000000.00"``); floats are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from digipay.simulators.banksim.faults import FaultError, FaultSettings, apply_patch
from digipay.snap import signing, values

DEMO_CONFIG = Path(__file__).with_name("demo_config.json")
ACCOUNT_STATUSES = frozenset({"ACTIVE", "INACTIVE", "DORMANT"})


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class BankConfig:
    code: str
    name: str
    short_name: str
    # The issuer's account that receives KKP bill payments: a transfer to it whose remark is
    # ``KKP <cardRef> <YYYY-MM>`` pays that card's bill and frees the card's limit.
    card_settlement_account_no: str = ""


@dataclass(frozen=True, slots=True)
class PartnerConfig:
    client_id: str  # X-CLIENT-KEY on the token request
    partner_id: str  # X-PARTNER-ID on every other call
    client_secret: str = field(repr=False)
    public_key: rsa.RSAPublicKey = field(repr=False, compare=False)
    banks: frozenset[str] | None = None  # None: every simulated bank
    name: str = ""

    def may_use(self, bank_code: str) -> bool:
        return self.banks is None or bank_code in self.banks


@dataclass(frozen=True, slots=True)
class AccountConfig:
    bank_code: str
    account_no: str
    name: str
    balance: int
    currency: str = "IDR"
    status: str = "ACTIVE"
    type: str = "CURRENT"
    notify: bool = True


@dataclass(frozen=True, slots=True)
class CardConfig:
    """A corporate card (KKP). Only a reference and the last 4 digits: never the card number."""

    card_ref: str
    bank_code: str  # the issuing bank
    last4: str
    holder_name: str
    limit: int
    bill_bank_code: str  # the cardholder's satker account, debited by the monthly bill
    bill_account_no: str


_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d[ -])\d(?:[ -]?\d){12,18}(?!\d)(?![ -]\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def looks_like_pan(text: str) -> bool:
    """True if ``text`` holds something that could be a card number: a run of 13-19 digits
    (single spaces or dashes allowed between them, not part of a longer run) that passes the
    Luhn check."""
    return any(_luhn(re.sub(r"[ -]", "", m.group())) for m in _DIGIT_RUN.finditer(text))


def card_ref_ok(text: str) -> bool:
    """A card reference: 1-32 letters, digits, '-' or '_', not a card number in disguise."""
    return (
        re.fullmatch(r"[A-Za-z0-9_-]{1,32}", text) is not None
        and len(re.sub(r"\D", "", text)) < 12
        and not looks_like_pan(text)
    )


@dataclass(frozen=True, slots=True)
class NotificationConfig:
    url: str | None = None
    channel_id: str = "95221"
    timeout_seconds: float = 5.0
    max_attempts: int = 20
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    poll_seconds: float = 0.2
    card_events: bool = False  # also notify card authorizations, captures and voids (90-93)


@dataclass(frozen=True, slots=True)
class Limits:
    interbank_max: int = 250_000_000  # BI-FAST (18): at most
    rtgs_above: int = 100_000_000  # RTGS (22): strictly above
    skn_max: int = 1_000_000_000  # SKN (23): at most


@dataclass(frozen=True)
class BankSimConfig:
    banks: tuple[BankConfig, ...]
    partners: tuple[PartnerConfig, ...]
    accounts: tuple[AccountConfig, ...]
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    database: str = ":memory:"
    default_bank: str | None = None
    key_is_ephemeral: bool = False
    token_ttl_seconds: int = 900
    timestamp_window_seconds: int = 300
    limits: Limits = field(default_factory=Limits)
    notifications: NotificationConfig = field(default_factory=NotificationConfig)
    faults: FaultSettings = field(default_factory=FaultSettings)
    outage_seconds: float = 0.0
    admin_token: str | None = field(default=None, repr=False)
    cards: tuple[CardConfig, ...] = ()

    def bank(self, code: str) -> BankConfig | None:
        return next((b for b in self.banks if b.code == code), None)

    def partner_by_client(self, client_id: str) -> PartnerConfig | None:
        return next((p for p in self.partners if p.client_id == client_id), None)


# --- parsing helpers ---------------------------------------------------------------------------


def _object(
    value: object, where: str, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected an object")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    missing = set(required) - set(value)
    if missing:
        raise ConfigError(f"{where}: missing keys {sorted(missing)}")
    return value


def _str(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key}: expected a non-empty string")
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: expected a string or null")
    return value or None


def _int(data: Mapping[str, Any], key: str, where: str, default: int, low: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}.{key}: expected an integer >= {low}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{where}.{key}: expected a non-negative number")
    return float(value)


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false")
    return value


def _amount(data: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool | float):
        raise ConfigError(f"{where}.{key}: amounts are integer rupiah or strings like '100.00'")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"{where}.{key}: must not be negative")
        return value
    if isinstance(value, str):
        try:
            return values.parse_amount(value)
        except ValueError as exc:
            raise ConfigError(f"{where}.{key}: {exc}") from exc
    raise ConfigError(f"{where}.{key}: expected an amount")


def _pem(data: Mapping[str, Any], key: str, file_key: str, where: str, base: Path) -> str | None:
    if key in data and file_key in data:
        raise ConfigError(f"{where}: give {key} or {file_key}, not both")
    if key in data:
        return _str(data, key, where)
    if file_key in data:
        path = base / _str(data, file_key, where)
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}.{file_key}: cannot read {path}: {exc}") from exc
    return None


# --- sections ----------------------------------------------------------------------------------


def _banks(raw: object) -> tuple[BankConfig, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("banks: expected a non-empty list")
    banks: list[BankConfig] = []
    for i, item in enumerate(raw):
        where = f"banks[{i}]"
        data = _object(
            item, where, {"code", "name", "shortName", "cardSettlementAccountNo"}, {"code", "name"}
        )
        code = _str(data, "code", where)
        if not code.isdigit() or len(code) != 3:
            raise ConfigError(f"{where}.code: a bank code has 3 digits")
        if any(b.code == code for b in banks):
            raise ConfigError(f"{where}.code: duplicate bank {code}")
        name = _str(data, "name", where)
        banks.append(
            BankConfig(
                code,
                name,
                _str(data, "shortName", where, name),
                _opt_str(data, "cardSettlementAccountNo", where) or "",
            )
        )
    return tuple(banks)


def _partners(raw: object, base: Path, bank_codes: set[str]) -> tuple[PartnerConfig, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("partners: expected a non-empty list")
    partners: list[PartnerConfig] = []
    allowed = {
        "clientId",
        "partnerId",
        "clientSecret",
        "publicKey",
        "publicKeyFile",
        "banks",
        "name",
    }
    for i, item in enumerate(raw):
        where = f"partners[{i}]"
        data = _object(item, where, allowed, {"clientId", "clientSecret"})
        client_id = _str(data, "clientId", where)
        if any(p.client_id == client_id for p in partners):
            raise ConfigError(f"{where}.clientId: duplicate partner {client_id}")
        pem = _pem(data, "publicKey", "publicKeyFile", where, base)
        if pem is None:
            raise ConfigError(f"{where}: publicKey or publicKeyFile is required")
        try:
            public_key = signing.load_public_key(pem)
        except ValueError as exc:
            raise ConfigError(f"{where}: not an RSA public key in PEM: {exc}") from exc
        banks: frozenset[str] | None = None
        if "banks" in data:
            listed = data["banks"]
            if not isinstance(listed, list) or not all(isinstance(b, str) for b in listed):
                raise ConfigError(f"{where}.banks: expected a list of bank codes")
            if set(listed) - bank_codes:
                raise ConfigError(
                    f"{where}.banks: unknown banks {sorted(set(listed) - bank_codes)}"
                )
            banks = frozenset(listed)
        partners.append(
            PartnerConfig(
                client_id=client_id,
                partner_id=_str(data, "partnerId", where, client_id),
                client_secret=_str(data, "clientSecret", where),
                public_key=public_key,
                banks=banks,
                name=_str(data, "name", where, client_id),
            )
        )
    return tuple(partners)


def _accounts(raw: object, bank_codes: set[str]) -> tuple[AccountConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("accounts: expected a list")
    accounts: list[AccountConfig] = []
    seen: set[tuple[str, str]] = set()
    allowed = {"bank", "accountNo", "name", "balance", "currency", "status", "type", "notify"}
    for i, item in enumerate(raw):
        where = f"accounts[{i}]"
        data = _object(item, where, allowed, {"bank", "accountNo", "name"})
        bank = _str(data, "bank", where)
        if bank not in bank_codes:
            raise ConfigError(f"{where}.bank: {bank} is not in banks")
        number = _str(data, "accountNo", where)
        if not number.isdigit() or len(number) > 34:
            raise ConfigError(f"{where}.accountNo: digits only, at most 34")
        if (bank, number) in seen:
            raise ConfigError(f"{where}: duplicate account {bank}:{number}")
        seen.add((bank, number))
        status = _str(data, "status", where, "ACTIVE").upper()
        if status not in ACCOUNT_STATUSES:
            raise ConfigError(f"{where}.status: one of {sorted(ACCOUNT_STATUSES)}")
        currency = _str(data, "currency", where, "IDR")
        if currency != "IDR":
            raise ConfigError(f"{where}.currency: only IDR is simulated")
        accounts.append(
            AccountConfig(
                bank_code=bank,
                account_no=number,
                name=_str(data, "name", where),
                balance=_amount(data, "balance", where, 0),
                currency=currency,
                status=status,
                type=_str(data, "type", where, "CURRENT"),
                notify=_bool(data, "notify", where, True),
            )
        )
    return tuple(accounts)


def _cards(raw: object, accounts: tuple[AccountConfig, ...]) -> tuple[CardConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("cards: expected a list")
    known = {(a.bank_code, a.account_no) for a in accounts}
    cards: list[CardConfig] = []
    allowed = {"cardRef", "last4", "bank", "holderName", "limit", "billBank", "billAccountNo"}
    required = {"cardRef", "last4", "bank", "limit", "billAccountNo"}
    for i, item in enumerate(raw):
        where = f"cards[{i}]"
        data = _object(item, where, allowed, required)
        for key, value in data.items():
            if isinstance(value, str) and looks_like_pan(value):
                raise ConfigError(f"{where}.{key}: looks like a card number; never configure one")
        card_ref = _str(data, "cardRef", where)
        if not card_ref_ok(card_ref):
            raise ConfigError(f"{where}.cardRef: 1-32 of [A-Za-z0-9_-], fewer than 12 digits")
        if any(c.card_ref == card_ref for c in cards):
            raise ConfigError(f"{where}.cardRef: duplicate card {card_ref}")
        last4 = _str(data, "last4", where)
        if not re.fullmatch(r"\d{4}", last4):
            raise ConfigError(f"{where}.last4: exactly 4 digits")
        bank = _str(data, "bank", where)
        bill_bank = _str(data, "billBank", where, bank)
        bill_account = _str(data, "billAccountNo", where)
        if (bill_bank, bill_account) not in known:
            raise ConfigError(
                f"{where}.billAccountNo: {bill_bank}:{bill_account} is not in accounts"
            )
        cards.append(
            CardConfig(
                card_ref=card_ref,
                bank_code=bank,
                last4=last4,
                holder_name=_str(data, "holderName", where, card_ref),
                limit=_amount(data, "limit", where, 0),
                bill_bank_code=bill_bank,
                bill_account_no=bill_account,
            )
        )
    return tuple(cards)


def _notifications(raw: object) -> NotificationConfig:
    where = "notifications"
    allowed = {
        "url",
        "channelId",
        "timeoutSeconds",
        "maxAttempts",
        "retryBaseSeconds",
        "retryMaxSeconds",
        "pollSeconds",
        "cardEvents",
    }
    data = _object(raw, where, allowed)
    url = _opt_str(data, "url", where)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url: expected an http(s) URL")
    return NotificationConfig(
        url=url,
        channel_id=_str(data, "channelId", where, "95221"),
        timeout_seconds=_number(data, "timeoutSeconds", where, 5.0),
        max_attempts=_int(data, "maxAttempts", where, 20, low=1),
        retry_base_seconds=_number(data, "retryBaseSeconds", where, 1.0),
        retry_max_seconds=_number(data, "retryMaxSeconds", where, 60.0),
        poll_seconds=max(0.01, _number(data, "pollSeconds", where, 0.2)),
        card_events=_bool(data, "cardEvents", where, False),
    )


def _limits(raw: object) -> Limits:
    where = "limits"
    data = _object(raw, where, {"interbankMax", "rtgsAbove", "sknMax"})
    default = Limits()
    return Limits(
        interbank_max=_amount(data, "interbankMax", where, default.interbank_max),
        rtgs_above=_amount(data, "rtgsAbove", where, default.rtgs_above),
        skn_max=_amount(data, "sknMax", where, default.skn_max),
    )


def _faults(raw: object) -> tuple[FaultSettings, float]:
    if not isinstance(raw, Mapping):
        raise ConfigError("faults: expected an object")
    try:
        settings, outage = apply_patch(FaultSettings(), raw)
    except FaultError as exc:
        raise ConfigError(f"faults: {exc}") from exc
    return settings, outage or 0.0


def _signing_key(raw: object, base: Path) -> tuple[rsa.RSAPrivateKey, bool]:
    data = _object(raw, "signingKey", {"privateKey", "privateKeyFile"})
    pem = _pem(data, "privateKey", "privateKeyFile", "signingKey", base)
    if pem is None:
        private_pem, _public = signing.generate_key_pair()
        return signing.load_private_key(private_pem), True
    try:
        return signing.load_private_key(pem), False
    except ValueError as exc:
        raise ConfigError(f"signingKey: not an RSA private key in PEM: {exc}") from exc


_TOP = {
    "$comment",
    "database",
    "defaultBank",
    "tokenTtlSeconds",
    "timestampWindowSeconds",
    "signingKey",
    "limits",
    "banks",
    "partners",
    "accounts",
    "notifications",
    "faults",
    "adminToken",
    "cards",
}


def config_from_dict(raw: Mapping[str, Any], base_dir: str | Path = ".") -> BankSimConfig:
    """Build and check a configuration; relative file paths are taken from ``base_dir``."""
    base = Path(base_dir)
    data = _object(raw, "config", _TOP, {"banks", "partners"})
    banks = _banks(data["banks"])
    codes = {b.code for b in banks}
    default_bank = _opt_str(data, "defaultBank", "config")
    if default_bank is not None and default_bank not in codes:
        raise ConfigError(f"config.defaultBank: {default_bank} is not in banks")
    database = _str(data, "database", "config", ":memory:")
    if database != ":memory:" and not Path(database).is_absolute():
        database = str(base / database)
    private_key, ephemeral = _signing_key(data.get("signingKey", {}), base)
    faults, outage = _faults(data.get("faults", {}))
    limits = _limits(data.get("limits", {}))
    accounts = _accounts(data.get("accounts", []), codes)
    known = {(a.bank_code, a.account_no) for a in accounts}
    for i, bank in enumerate(banks):
        settlement = bank.card_settlement_account_no
        if settlement and (bank.code, settlement) not in known:
            raise ConfigError(
                f"banks[{i}].cardSettlementAccountNo: {bank.code}:{settlement} is not in accounts"
            )
    cards = _cards(data.get("cards", []), accounts)
    for card in cards:
        if card.bank_code not in codes:
            raise ConfigError(f"cards: bank {card.bank_code} of {card.card_ref} is not in banks")
    return BankSimConfig(
        banks=banks,
        partners=_partners(data["partners"], base, codes),
        accounts=accounts,
        cards=cards,
        private_key=private_key,
        database=database,
        default_bank=default_bank,
        key_is_ephemeral=ephemeral,
        token_ttl_seconds=_int(data, "tokenTtlSeconds", "config", 900, low=1),
        timestamp_window_seconds=_int(data, "timestampWindowSeconds", "config", 300, low=1),
        limits=limits,
        notifications=_notifications(data.get("notifications", {})),
        faults=faults,
        outage_seconds=outage,
        admin_token=_opt_str(data, "adminToken", "config"),
    )


def load_config(path: str | Path) -> BankSimConfig:
    """Read a JSON (or, with PyYAML installed, YAML) configuration file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from exc
    raw: object
    if file.suffix.lower() in {".yaml", ".yml"}:
        try:
            import yaml  # optional: only for YAML configs
        except ImportError as exc:
            raise ConfigError("YAML configs need PyYAML (pip install PyYAML), or use JSON") from exc
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: invalid YAML: {exc}") from exc
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{file}: invalid JSON: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{file}: expected an object at the top level")
    return config_from_dict(raw, file.parent)
