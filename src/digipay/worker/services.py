"""The worker's use cases: heartbeat, periodic jobs (once per slot), queued tasks.

Logs carry ids only (worker id, job name, slot, task id), never personal data.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from digipay.core import clock
from digipay.worker import registry, rules
from digipay.worker.models import JobRun, WorkerHeartbeat
from digipay.worker.rules import JobOutcome

log = logging.getLogger("digipay.worker")


def new_worker_id() -> str:
    """``host:pid:random`` — unique per process, at most 64 characters."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


# Heartbeat -------------------------------------------------------------------------------------


def beat(worker_id: str, *, now: datetime | None = None) -> WorkerHeartbeat:
    """Record that this worker process is alive (created on its first beat)."""
    now = now or clock.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        try:
            with transaction.atomic():
                return WorkerHeartbeat.objects.create(
                    worker_id=worker_id,
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=now,
                    seen_at=now,
                )
        except IntegrityError:  # pragma: no cover - same id beating twice at once
            pass
    return WorkerHeartbeat.objects.get(worker_id=worker_id)


def stopped(worker_id: str, *, now: datetime | None = None) -> None:
    """Mark a gracefully stopped worker (a crashed one simply stops beating)."""
    now = now or clock.now()
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now, stopped_at=now)


# Periodic jobs ---------------------------------------------------------------------------------


def run_due_jobs(
    *,
    now: datetime | None = None,
    worker_id: str,
    jobs: Iterable[registry.PeriodicJob] | None = None,
) -> list[str]:
    """Run every job (default: all registered) whose current slot has not run yet.

    Returns the names of the jobs this call ran, failed ones included. A job that raises is
    recorded as failed (class and message in ``JobRun.error``) and the next job still runs.
    """
    now = now or clock.now()
    ran: list[str] = []
    for job in registry.jobs() if jobs is None else jobs:
        slot = rules.slot_of(now, job.every)
        run = _claim(job, slot=slot, now=now, worker_id=worker_id)
        if run is None:
            continue
        _execute(job, run, now=now, worker_id=worker_id)
        ran.append(job.name)
    return ran


def _claim(
    job: registry.PeriodicJob, *, slot: datetime, now: datetime, worker_id: str
) -> JobRun | None:
    """Insert-first claim: the row for (job, slot) is created by exactly one worker; the unique
    constraint refuses the others. An unfinished row whose lease ran out is taken over with a
    conditional UPDATE that only one worker can win."""
    existing = JobRun.objects.filter(job=job.name, slot=slot).first()
    if existing is None:
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    job=job.name, slot=slot, started_at=now, worker_id=worker_id
                )
        except IntegrityError:
            return None  # another worker claimed this slot first
    if not rules.may_retake(
        started_at=existing.started_at, finished_at=existing.finished_at, now=now, lease=job.lease
    ):
        return None
    taken = JobRun.objects.filter(
        pk=existing.pk,
        finished_at__isnull=True,
        started_at=existing.started_at,
        worker_id=existing.worker_id,
    ).update(
        started_at=now,
        worker_id=worker_id,
        attempts=F("attempts") + 1,
        outcome=JobOutcome.RUNNING,
        error="",
    )
    if taken != 1:
        return None
    log.warning(
        "job retaken job=%s slot=%s worker=%s previous_worker=%s",
        job.name,
        slot.isoformat(),
        worker_id,
        existing.worker_id,
    )
    existing.refresh_from_db()
    return existing


def _execute(job: registry.PeriodicJob, run: JobRun, *, now: datetime, worker_id: str) -> None:
    outcome, result, error = JobOutcome.OK, None, ""
    try:
        value = job.fn(now)
    except Exception as exc:
        outcome, error = JobOutcome.FAILED, rules.error_text(exc)
        log.error(
            "job failed job=%s slot=%s worker=%s error=%s",
            job.name,
            run.slot.isoformat(),
            worker_id,
            type(exc).__name__,
        )
        log.debug("job failure details job=%s", job.name, exc_info=True)
    else:
        result = value if isinstance(value, int) and not isinstance(value, bool) else None
        log.info(
            "job done job=%s slot=%s worker=%s result=%s",
            job.name,
            run.slot.isoformat(),
            worker_id,
            result,
        )
    finished = JobRun.objects.filter(
        pk=run.pk, worker_id=worker_id, started_at=run.started_at
    ).update(finished_at=clock.now(), outcome=outcome, result=result, error=error)
    if not finished:
        log.warning(
            "job run was taken over before it finished job=%s slot=%s worker=%s",
            job.name,
            run.slot.isoformat(),
            worker_id,
        )


# Queued tasks (django-tasks, database backend) -------------------------------------------------


class _BatchWorker(Worker):
    """django-tasks-db's worker in batch mode, counting what it ran and stopping between tasks
    when asked to (SIGTERM)."""

    def __init__(self, *, stop: threading.Event | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.stop = stop
        self.done = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:  # type: ignore[type-arg]
        super().run_task(db_task_result)
        self.done += 1
        if self.stop is not None and self.stop.is_set():
            self.running = False


def run_queued_tasks(
    *,
    worker_id: str,
    max_tasks: int,
    stop: threading.Event | None = None,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
) -> int:
    """Run up to ``max_tasks`` ready tasks of the database backend, in this process; returns how
    many ran. Each task is claimed in its own transaction (``SKIP LOCKED`` on PostgreSQL), so
    several workers share the queue; a failing task is stored as FAILED and the batch goes on."""
    if not isinstance(task_backends[backend], DatabaseBackend):
        return 0  # e.g. the immediate backend: tasks already ran when enqueued
    worker = _BatchWorker(
        stop=stop,
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.run()
    return worker.done
