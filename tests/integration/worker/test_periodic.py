"""Periodic jobs: once per slot (on SQLite and PostgreSQL), failures recorded, crashed runs
retaken after their lease, heartbeats."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from digipay.core import clock
from digipay.worker import queries, registry, services
from digipay.worker.models import JobRun, WorkerHeartbeat
from digipay.worker.rules import JobOutcome

# 10:00 WIB on a Tuesday; daily slots start at 00:00 WIB = 17:00 UTC the day before.
T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def job(name: str, fn: Any, every: timedelta = timedelta(minutes=5), **kw: Any) -> Any:
    return registry.PeriodicJob(
        name=name, every=every, fn=fn, lease=kw.get("lease", timedelta(minutes=5))
    )


class Counter:
    def __init__(self, result: int | None = 1, fail: bool = False, delay: float = 0.0) -> None:
        self.calls: list[datetime] = []
        self.result, self.fail, self.delay = result, fail, delay
        self.lock = threading.Lock()

    def __call__(self, now: datetime) -> int | None:
        with self.lock:
            self.calls.append(now)
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("pemasok data tidak menjawab")
        return self.result


@pytest.mark.django_db
def test_a_job_runs_once_per_slot_and_again_in_the_next() -> None:
    counter = Counter(result=7)
    jobs = [job("test.every_five", counter)]

    assert services.run_due_jobs(now=T0, worker_id="w1", jobs=jobs) == ["test.every_five"]
    # Same slot, same or another worker: nothing more.
    assert services.run_due_jobs(now=T0 + timedelta(minutes=2), worker_id="w1", jobs=jobs) == []
    assert services.run_due_jobs(now=T0 + timedelta(minutes=4), worker_id="w2", jobs=jobs) == []
    # The next slot runs again.
    assert services.run_due_jobs(now=T0 + timedelta(minutes=5), worker_id="w2", jobs=jobs) == [
        "test.every_five"
    ]
    assert len(counter.calls) == 2
    runs = list(JobRun.objects.order_by("slot"))
    assert [r.slot for r in runs] == [T0, T0 + timedelta(minutes=5)]
    assert [r.worker_id for r in runs] == ["w1", "w2"]
    assert all(r.outcome == JobOutcome.OK and r.result == 7 and r.finished_at for r in runs)


@pytest.mark.django_db
def test_daily_slots_follow_the_jakarta_day() -> None:
    counter = Counter()
    jobs = [job("test.daily", counter, every=timedelta(days=1))]
    late_evening = datetime(2026, 3, 10, 16, 59, tzinfo=UTC)  # 23:59 WIB on the 10th
    services.run_due_jobs(now=late_evening, worker_id="w", jobs=jobs)
    services.run_due_jobs(now=T0, worker_id="w", jobs=jobs)  # 10:00 WIB the same day
    assert len(counter.calls) == 1
    services.run_due_jobs(now=late_evening + timedelta(minutes=1), worker_id="w", jobs=jobs)
    assert len(counter.calls) == 2  # 00:00 WIB on the 11th: a new day
    assert JobRun.objects.order_by("slot").last().slot == datetime(  # type: ignore[union-attr]
        2026, 3, 10, 17, 0, tzinfo=UTC
    )


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, fine = Counter(fail=True), Counter(result=3)
    jobs = [job("test.a_broken", broken), job("test.b_fine", fine)]

    ran = services.run_due_jobs(now=T0, worker_id="w1", jobs=jobs)

    assert ran == ["test.a_broken", "test.b_fine"]
    failed = JobRun.objects.get(job="test.a_broken")
    assert failed.outcome == JobOutcome.FAILED
    assert failed.error == "RuntimeError: pemasok data tidak menjawab"
    assert failed.finished_at is not None
    assert failed.result is None
    assert JobRun.objects.get(job="test.b_fine").outcome == JobOutcome.OK
    # Logs carry ids and the class only; the message (which might name a person) stays out.
    assert "job failed job=test.a_broken" in caplog.text
    assert "pemasok" not in caplog.text
    # A failed run counts for its slot: no retry storm every two seconds.
    assert services.run_due_jobs(now=T0 + timedelta(seconds=2), worker_id="w1", jobs=jobs) == []


@pytest.mark.django_db
def test_a_crashed_run_is_retaken_after_its_lease_only() -> None:
    counter = Counter()
    jobs = [job("test.leased", counter, every=timedelta(hours=1), lease=timedelta(minutes=10))]
    # A worker claimed the slot and died: the row has no finished_at.
    JobRun.objects.create(job="test.leased", slot=T0, started_at=T0, worker_id="dead")

    assert services.run_due_jobs(now=T0 + timedelta(minutes=9), worker_id="w2", jobs=jobs) == []
    assert services.run_due_jobs(now=T0 + timedelta(minutes=10), worker_id="w2", jobs=jobs) == [
        "test.leased"
    ]
    run = JobRun.objects.get(job="test.leased")
    assert (run.worker_id, run.attempts, run.outcome) == ("w2", 2, JobOutcome.OK)
    # Finished now: never again in this slot.
    assert services.run_due_jobs(now=T0 + timedelta(minutes=40), worker_id="w3", jobs=jobs) == []
    assert len(counter.calls) == 1


@pytest.mark.django_db
def test_registered_jobs_run_with_the_default_registry() -> None:
    counter = Counter()
    registry.periodic("test.registered", every=timedelta(minutes=1))(counter)
    try:
        with clock.frozen(T0):
            ran = services.run_due_jobs(worker_id="w")
    finally:
        registry.unregister("test.registered")
    assert "test.registered" in ran
    assert "worker.prune" in ran  # the worker's own housekeeping is registered by its app
    assert counter.calls == [T0]


@pytest.mark.django_db
def test_prune_keeps_recent_rows() -> None:
    old, recent = T0 - timedelta(days=31), T0 - timedelta(days=1)
    for slot in (old, recent):
        JobRun.objects.create(job="test.x", slot=slot, started_at=slot, worker_id="w")
    WorkerHeartbeat.objects.create(worker_id="gone", host="h", pid=1, started_at=old, seen_at=old)
    prune = registry.get("worker.prune")
    assert prune is not None
    assert prune.fn(T0) == 2
    assert list(JobRun.objects.values_list("slot", flat=True)) == [recent]
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_heartbeat_is_created_moved_and_stopped() -> None:
    first = services.beat("w1", now=T0)
    assert (first.started_at, first.seen_at, first.stopped_at) == (T0, T0, None)
    later = services.beat("w1", now=T0 + timedelta(seconds=2))
    assert later.pk == first.pk
    assert later.seen_at == T0 + timedelta(seconds=2)
    assert later.started_at == T0
    assert list(queries.live_workers(now=T0 + timedelta(seconds=10))) == [later]
    services.stopped("w1", now=T0 + timedelta(seconds=3))
    assert not queries.live_workers(now=T0 + timedelta(seconds=4)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_stops_gracefully_on_sigterm() -> None:
    before = signal.getsignal(signal.SIGTERM)
    counter = Counter()
    registry.periodic("test.in_loop", every=timedelta(hours=1))(counter)
    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        call_command("worker", "--interval", "0.05", "--worker-id", "looping")
    finally:
        timer.cancel()
        registry.unregister("test.in_loop")
    assert len(counter.calls) == 1  # many iterations, one slot
    heartbeat = WorkerHeartbeat.objects.get(worker_id="looping")
    assert heartbeat.stopped_at is not None
    assert heartbeat.seen_at > heartbeat.started_at
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.django_db(transaction=True)
def test_worker_once_reports_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("worker", "--once", "--worker-id", "cron")
    out = capsys.readouterr().out
    assert out.startswith("Worker cron: ")
    assert "tugas berkala" in out
    assert WorkerHeartbeat.objects.get(worker_id="cron").stopped_at is not None
    assert JobRun.objects.filter(job="worker.prune", worker_id="cron").exists()


# PostgreSQL: real concurrency --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_job_exactly_once() -> None:
    for round_no in range(5):
        counter = Counter(delay=0.05)
        jobs = [job(f"test.race_{round_no}", counter)]
        barrier = threading.Barrier(4)
        results: list[Any] = [None] * 4

        def work(
            i: int,
            jobs: list[Any] = jobs,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
        ) -> None:
            try:
                barrier.wait()
                results[i] = services.run_due_jobs(now=T0, worker_id=f"w{i}", jobs=jobs)
            except BaseException as exc:  # pragma: no cover - shown by the assertion
                results[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        assert sorted(map(len, results)) == [0, 0, 0, 1], results
        assert len(counter.calls) == 1
        run = JobRun.objects.get(job=f"test.race_{round_no}")
        assert run.outcome == JobOutcome.OK
        assert run.attempts == 1
