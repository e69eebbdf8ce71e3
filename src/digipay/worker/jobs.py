"""The worker's own periodic job: keep its tables and the task results from growing forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from django_tasks_db.models import DBTaskResult

from digipay.worker.models import JobRun, WorkerHeartbeat
from digipay.worker.registry import periodic

KEEP_JOB_RUNS = timedelta(days=30)
KEEP_HEARTBEATS = timedelta(days=7)
KEEP_FINISHED_TASKS = timedelta(days=14)


@periodic("worker.prune", every=timedelta(days=1))
def prune(now: datetime) -> int:
    """Delete job runs older than 30 days, heartbeats unseen for 7 days and task results that
    finished more than 14 days ago; returns how many rows went."""
    removed, _ = JobRun.objects.filter(slot__lt=now - KEEP_JOB_RUNS).delete()
    gone, _ = WorkerHeartbeat.objects.filter(seen_at__lt=now - KEEP_HEARTBEATS).delete()
    removed += gone
    gone, _ = (
        DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED_TASKS).delete()
    )
    return removed + gone
