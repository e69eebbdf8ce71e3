"""The worker's tables: one row per periodic-job run, one per worker process."""

from __future__ import annotations

from django.db import models

from digipay.worker.rules import JOB_NAME_MAX, JobOutcome


class JobRun(models.Model):
    """One run of a periodic job in one slot. UNIQUE(job, slot): inserting the row is the claim,
    so with any number of workers a job runs once per slot (``services.run_due_jobs``)."""

    job = models.CharField(max_length=JOB_NAME_MAX)
    slot = models.DateTimeField(help_text="Start of the period slot (UTC)")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=JobOutcome.choices, default=JobOutcome.RUNNING
    )
    result = models.BigIntegerField(null=True, blank=True, help_text="What the job returned")
    error = models.TextField(blank=True)
    worker_id = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-slot", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="jobrun_once_per_slot"),
        ]
        indexes = [models.Index(fields=["slot"], name="jobrun_slot")]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot.isoformat()} {self.outcome}"


class WorkerHeartbeat(models.Model):
    """A worker process: written at start, ``seen_at`` moved on every iteration, ``stopped_at``
    set on a graceful stop. A readiness check reads it (a live worker was seen recently)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.worker_id
