"""Reads of the worker's tables (for a readiness check and for operators)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from digipay.core import clock
from digipay.worker.models import JobRun, WorkerHeartbeat


def live_workers(
    *, within: timedelta = timedelta(seconds=30), now: datetime | None = None
) -> QuerySet[WorkerHeartbeat]:
    """Workers seen within ``within`` and not stopped."""
    now = now or clock.now()
    return WorkerHeartbeat.objects.filter(seen_at__gte=now - within, stopped_at__isnull=True)


def runs_of(job: str) -> QuerySet[JobRun]:
    return JobRun.objects.filter(job=job).order_by("-slot")
