"""Fault injection at the state-revenue system (MPN): the shared fault set
(``simulators/service_faults.py``) over this simulator's operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from digipay.simulators.service_faults import FaultError, FaultSettings
from digipay.simulators.service_faults import FaultState as _FaultState
from digipay.simulators.service_faults import apply_patch as _apply_patch

__all__ = ["FaultError", "FaultSettings", "FaultState", "apply_patch", "default_settings"]

OPERATIONS = frozenset({"create", "lookup", "status", "pay"})
DEFAULT_OPERATIONS = frozenset({"create", "pay"})


def default_settings() -> FaultSettings:
    return FaultSettings(operations=DEFAULT_OPERATIONS)


def apply_patch(
    base: FaultSettings, patch: Mapping[str, Any]
) -> tuple[FaultSettings, float | None]:
    return _apply_patch(base, patch, operations=OPERATIONS)


def FaultState(  # noqa: N802 - stands for the class, bound to this simulator's operations
    initial: FaultSettings, *, initial_outage_seconds: float = 0.0, clock: Callable[[], float]
) -> _FaultState:
    return _FaultState(
        initial, operations=OPERATIONS, initial_outage_seconds=initial_outage_seconds, clock=clock
    )
