"""Periodic job of idempotency: delete the records whose retention has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from digipay.idempotency import services
from digipay.worker.registry import periodic


@periodic("idempotency.prune", every=timedelta(days=1))
def prune(now: datetime) -> int:
    """Delete expired idempotency records (kept ``IDEMPOTENCY_KEY_HOURS``, at least 24 h)."""
    return services.prune(now)
