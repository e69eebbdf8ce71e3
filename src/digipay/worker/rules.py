"""Pure decisions of the worker: period slots, leases, outcomes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.db import models

from digipay.core.clock import JAKARTA

# Slots are counted from midnight in Jakarta, so a daily job's slot is the business day
# (00:00–24:00 WIB) and a six-hourly one starts at 00, 06, 12 and 18 WIB.
SLOT_EPOCH = datetime(1970, 1, 1, tzinfo=JAKARTA)
# A claimed run that never finished may be taken over after its lease (the worker died).
MAX_DEFAULT_LEASE = timedelta(minutes=30)
JOB_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$")
JOB_NAME_MAX = 100
ERROR_MAX = 2000


class JobOutcome(models.TextChoices):
    RUNNING = "running", "running"
    OK = "ok", "ok"
    FAILED = "failed", "failed"


def slot_of(now: datetime, every: timedelta) -> datetime:
    """The start (UTC) of the period slot of length ``every`` that contains ``now``."""
    if every <= timedelta(0):
        raise ValueError("every must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    index = (now - SLOT_EPOCH) // every
    return (SLOT_EPOCH + index * every).astimezone(UTC)


def default_lease(every: timedelta) -> timedelta:
    return min(every, MAX_DEFAULT_LEASE)


def may_retake(
    *, started_at: datetime, finished_at: datetime | None, now: datetime, lease: timedelta
) -> bool:
    """A run may be taken over only if it never finished and its lease has run out."""
    return finished_at is None and started_at <= now - lease


def job_name_error(name: str) -> str | None:
    if len(name) > JOB_NAME_MAX:
        return f"job name longer than {JOB_NAME_MAX} characters"
    if not JOB_NAME.match(name):
        return "job name must look like 'app.job_name' (lower case, dots)"
    return None


def error_text(exc: BaseException) -> str:
    """What a failed run stores: the exception class and message, cut to a bounded length."""
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
