"""Fault injection shared by the MPN and SPAN simulators: what can go wrong at a remote
service, switchable at run time, over the service's own operations.

The same JSON shape in the config file (``"faults": {...}``) and in ``PUT /admin/faults`` (a
partial update), as in the bank simulator. Shares are probabilities between 0 and 1 (floats are
fine here: they are not money). Each simulator's ``faults`` module names its operations.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any


class FaultError(ValueError):
    """A fault setting that cannot be applied (unknown key, wrong type, out of range)."""


@dataclass(frozen=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    jitter_ms: int = 0
    error_before_execution_share: float = 0.0
    timeout_after_execution_share: float = 0.0
    timeout_hold_seconds: float = 15.0
    operations: frozenset[str] = frozenset()
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "jitterMs": self.jitter_ms,
            "errorBeforeExecutionShare": self.error_before_execution_share,
            "timeoutAfterExecutionShare": self.timeout_after_execution_share,
            "timeoutHoldSeconds": self.timeout_hold_seconds,
            "operations": sorted(self.operations),
            "seed": self.seed,
        }


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


def _operations(name: str, value: object, known: frozenset[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FaultError(f"{name} must be a list of operations {sorted(known)}")
    unknown = set(value) - known
    if unknown:
        raise FaultError(f"{name}: unknown operations {sorted(unknown)}")
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
    "seed": ("seed", _seed),
}
OPERATIONS_KEY = "operations"
OUTAGE_KEY = "outageSeconds"


def apply_patch(
    base: FaultSettings, patch: Mapping[str, Any], *, operations: frozenset[str]
) -> tuple[FaultSettings, float | None]:
    """``base`` with the keys of ``patch`` replaced, and the outage length if one was asked;
    ``operations`` are the service's operations a fault may be limited to."""
    changes: dict[str, Any] = {}
    outage: float | None = None
    for key, value in patch.items():
        if key == OUTAGE_KEY:
            outage = _seconds(key, value)
            continue
        if key == OPERATIONS_KEY:
            changes["operations"] = _operations(key, value, operations)
            continue
        if key not in _PARSERS:
            raise FaultError(
                "unknown fault setting "
                f"{key!r}; known: {sorted([*_PARSERS, OPERATIONS_KEY, OUTAGE_KEY])}"
            )
        attribute, parse = _PARSERS[key]
        changes[attribute] = parse(key, value)
    return replace(base, **changes), outage


class FaultState:
    """The faults in force now; thread-safe (admin writes, request handlers read)."""

    def __init__(
        self,
        initial: FaultSettings,
        *,
        operations: frozenset[str],
        initial_outage_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._initial = initial
        self._operations = operations
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
            settings, outage = apply_patch(self._settings, patch, operations=self._operations)
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

    def fail_before_execution(self, operation: str) -> bool:
        settings = self.settings
        return operation in settings.operations and self._roll(
            settings.error_before_execution_share
        )

    def timeout_after_execution(self, operation: str) -> float | None:
        """Seconds to hold the answer (then 504), or None to answer at once."""
        settings = self.settings
        if operation in settings.operations and self._roll(settings.timeout_after_execution_share):
            return settings.timeout_hold_seconds
        return None
