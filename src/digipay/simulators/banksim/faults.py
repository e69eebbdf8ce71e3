"""Fault injection: what can go wrong at the bank, switchable by config and at run time.

The settings are a frozen value (``FaultSettings``) parsed from the same JSON shape in the
config file (``"faults": {...}``) and in ``PUT /admin/faults`` (a partial update). The run-time
state (``FaultState``) adds the outage deadline and a seeded random generator, and answers the
questions the request pipeline and the notifier ask ("fail this one?", "how long to wait?").

Shares are probabilities between 0 and 1 (floats are fine here: they are not money).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

TRANSFER_SERVICES = frozenset({"17", "18", "22", "23"})
KNOWN_SERVICES = frozenset(
    {"14", "15", "16", "17", "18", "22", "23", "36", "73"}
    | {"24", "25", "26", "27", "90", "91", "92", "93", "94"}
)


class FaultError(ValueError):
    """A fault setting that cannot be applied (unknown key, wrong type, out of range)."""


@dataclass(frozen=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    jitter_ms: int = 0
    error_before_execution_share: float = 0.0
    timeout_after_execution_share: float = 0.0
    timeout_hold_seconds: float = 15.0
    in_progress_share: float = 0.0
    services: frozenset[str] = TRANSFER_SERVICES
    duplicate_notification_share: float = 0.0
    reorder_notification_share: float = 0.0
    reorder_delay_seconds: float = 2.0
    insufficient_funds_accounts: frozenset[str] = field(default_factory=frozenset)
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "jitterMs": self.jitter_ms,
            "errorBeforeExecutionShare": self.error_before_execution_share,
            "timeoutAfterExecutionShare": self.timeout_after_execution_share,
            "timeoutHoldSeconds": self.timeout_hold_seconds,
            "inProgressShare": self.in_progress_share,
            "services": sorted(self.services),
            "duplicateNotificationShare": self.duplicate_notification_share,
            "reorderNotificationShare": self.reorder_notification_share,
            "reorderDelaySeconds": self.reorder_delay_seconds,
            "insufficientFundsAccounts": sorted(self.insufficient_funds_accounts),
            "seed": self.seed,
        }


# JSON key → (attribute, parser)
def _int_ms(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 600_000:
        raise FaultError(f"{name} must be an integer of milliseconds between 0 and 600000")
    return value


def _share(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise FaultError(f"{name} must be a number between 0 and 1")
    return float(value)


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise FaultError(f"{name} must be a number of seconds between 0 and 3600")
    return float(value)


def _services(name: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FaultError(f"{name} must be a list of SNAP service codes")
    unknown = set(value) - KNOWN_SERVICES
    if unknown:
        raise FaultError(f"{name}: unknown service codes {sorted(unknown)}")
    return frozenset(value)


def _accounts(name: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FaultError(f'{name} must be a list of "bankCode:accountNo" or "accountNo"')
    return frozenset(value)


def _seed(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultError(f"{name} must be an integer or null")
    return value


_PARSERS: dict[str, tuple[str, Callable[[str, object], Any]]] = {
    "latencyMs": ("latency_ms", _int_ms),
    "jitterMs": ("jitter_ms", _int_ms),
    "errorBeforeExecutionShare": ("error_before_execution_share", _share),
    "timeoutAfterExecutionShare": ("timeout_after_execution_share", _share),
    "timeoutHoldSeconds": ("timeout_hold_seconds", _seconds),
    "inProgressShare": ("in_progress_share", _share),
    "services": ("services", _services),
    "duplicateNotificationShare": ("duplicate_notification_share", _share),
    "reorderNotificationShare": ("reorder_notification_share", _share),
    "reorderDelaySeconds": ("reorder_delay_seconds", _seconds),
    "insufficientFundsAccounts": ("insufficient_funds_accounts", _accounts),
    "seed": ("seed", _seed),
}
OUTAGE_KEY = "outageSeconds"


def apply_patch(
    base: FaultSettings, patch: Mapping[str, Any]
) -> tuple[FaultSettings, float | None]:
    """``base`` with the keys of ``patch`` replaced, and the outage length if one was asked."""
    changes: dict[str, Any] = {}
    outage: float | None = None
    for key, value in patch.items():
        if key == OUTAGE_KEY:
            outage = _seconds(key, value)
            continue
        if key not in _PARSERS:
            raise FaultError(
                f"unknown fault setting {key!r}; known: {sorted([*_PARSERS, OUTAGE_KEY])}"
            )
        attribute, parse = _PARSERS[key]
        changes[attribute] = parse(key, value)
    return replace(base, **changes), outage


class FaultState:
    """The faults in force now; thread-safe (admin writes, request handlers and notifier read)."""

    def __init__(
        self,
        initial: FaultSettings,
        *,
        initial_outage_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._initial = initial
        self._initial_outage = initial_outage_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._settings = initial
        self._outage_until = clock() + initial_outage_seconds if initial_outage_seconds else 0.0
        # Simulated faults, not security: a seedable PRNG makes runs reproducible.
        self._random = random.Random(initial.seed)  # noqa: S311

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def update(self, patch: Mapping[str, Any]) -> None:
        with self._lock:
            settings, outage = apply_patch(self._settings, patch)
            if settings.seed != self._settings.seed and settings.seed is not None:
                self._random.seed(settings.seed)
            self._settings = settings
            if outage is not None:
                self._outage_until = self._clock() + outage if outage else 0.0

    def reset(self) -> None:
        """Back to the faults of the config file (without re-starting its outage)."""
        with self._lock:
            self._settings = self._initial
            self._outage_until = 0.0
            self._random.seed(self._initial.seed)

    def outage_remaining(self) -> float:
        with self._lock:
            return max(0.0, self._outage_until - self._clock())

    def outage_active(self) -> bool:
        return self.outage_remaining() > 0

    def to_json(self) -> dict[str, Any]:
        data = self.settings.to_json()
        data["outageRemainingSeconds"] = round(self.outage_remaining(), 3)
        return data

    def _roll(self, share: float) -> bool:
        if share <= 0:
            return False
        if share >= 1:
            return True
        with self._lock:
            return self._random.random() < share

    def latency_seconds(self) -> float:
        settings = self.settings
        jitter = 0
        if settings.jitter_ms:
            with self._lock:
                jitter = self._random.randint(0, settings.jitter_ms)
        return (settings.latency_ms + jitter) / 1000

    def fail_before_execution(self, service: str) -> bool:
        settings = self.settings
        return service in settings.services and self._roll(settings.error_before_execution_share)

    def timeout_after_execution(self, service: str) -> float | None:
        """Seconds to hold the answer (then 504), or None to answer at once."""
        settings = self.settings
        if service in settings.services and self._roll(settings.timeout_after_execution_share):
            return settings.timeout_hold_seconds
        return None

    def in_progress(self, service: str) -> bool:
        """Answer 202 (in progress) for a call that was in fact executed."""
        settings = self.settings
        return service in settings.services and self._roll(settings.in_progress_share)

    def forced_insufficient(self, bank_code: str, account_no: str) -> bool:
        chosen = self.settings.insufficient_funds_accounts
        return account_no in chosen or f"{bank_code}:{account_no}" in chosen

    def duplicate_notification(self) -> bool:
        return self._roll(self.settings.duplicate_notification_share)

    def notification_delay(self) -> float:
        """Seconds to hold back a new notification so that later ones overtake it (or 0)."""
        settings = self.settings
        if self._roll(settings.reorder_notification_share):
            return settings.reorder_delay_seconds
        return 0.0
