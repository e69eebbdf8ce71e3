"""The one clock: aware UTC datetimes, freezable in tests.

Services ask ``clock.now()`` rather than ``datetime.now()`` so that deadlines, session lifetimes
and effective dates can be tested at any instant (``with clock.frozen(dt): ...``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")
_frozen: ContextVar[datetime | None] = ContextVar("digipay_frozen_now", default=None)


def now() -> datetime:
    """Current instant, aware, in UTC."""
    fixed = _frozen.get()
    if fixed is not None:
        return fixed
    return datetime.now(UTC)


def today_jakarta() -> date:
    """The calendar date in Jakarta: business dates (deadlines, reports) follow it, not UTC."""
    return now().astimezone(JAKARTA).date()


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Freeze ``now()`` at ``at`` (must be timezone-aware) inside the block."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    token = _frozen.set(at.astimezone(UTC))
    try:
        yield at
    finally:
        _frozen.reset(token)
