"""``digipay worker``: the background worker (docs/adr/0012).

Every ``--interval`` seconds (default 2): heartbeat → periodic jobs whose slot is due → a
bounded batch of queued django-tasks (database backend) → sleep. ``--once`` runs one iteration
and exits (tests, cron). SIGTERM or SIGINT stops it after the job or task in hand; a second
signal stops it at once. Run as many as you like on PostgreSQL; on SQLite one is enough.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from digipay.worker import services

log = logging.getLogger("digipay.worker")


def _positive_float(value: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Worker latar belakang: tugas berkala dan antrean tugas (django-tasks). "
        "--once menjalankan satu putaran lalu berhenti."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="satu putaran, lalu berhenti")
        parser.add_argument(
            "--interval", type=_positive_float, default=2.0, help="jeda antarputaran (detik)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=50, help="tugas antrean paling banyak per putaran"
        )
        parser.add_argument("--worker-id", default="", help="default: host:pid:acak")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size harus ≥ 1")
        worker_id: str = options["worker_id"] or services.new_worker_id()
        if len(worker_id) > 64:
            raise CommandError("--worker-id paling panjang 64 karakter")
        once: bool = options["once"]
        interval: float = options["interval"]
        if options["verbosity"] < 2:
            # django-tasks-db announces every batch ("Starting worker ..."); keep its warnings.
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)

        stop = threading.Event()
        previous = self._install_signals(stop)
        log.info("worker started worker=%s once=%s interval=%s", worker_id, once, interval)
        jobs_run = tasks_run = 0
        try:
            while True:
                try:
                    jobs, tasks = self._iteration(worker_id, batch_size, stop)
                except Exception as exc:
                    if once:
                        raise
                    # Keep going (e.g. the database restarts); ids and the class only.
                    log.error("iteration failed worker=%s error=%s", worker_id, type(exc).__name__)
                    log.debug("iteration failure details", exc_info=True)
                    jobs = tasks = 0
                jobs_run += jobs
                tasks_run += tasks
                if once or stop.is_set() or stop.wait(interval):
                    break
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            try:
                services.stopped(worker_id)
            finally:
                close_old_connections()
            log.info("worker stopped worker=%s", worker_id)
        if once:
            self.stdout.write(
                f"Worker {worker_id}: {jobs_run} tugas berkala, {tasks_run} tugas antrean."
            )

    def _iteration(self, worker_id: str, batch_size: int, stop: threading.Event) -> tuple[int, int]:
        close_old_connections()  # a long-lived process: drop dead or expired connections
        services.beat(worker_id)
        ran = services.run_due_jobs(worker_id=worker_id)
        tasks = 0
        if not stop.is_set():
            tasks = services.run_queued_tasks(worker_id=worker_id, max_tasks=batch_size, stop=stop)
        return len(ran), tasks

    def _install_signals(self, stop: threading.Event) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}  # signals can only be handled on the main thread (e.g. in tests)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                log.warning("second signal, stopping now signal=%s", signal.Signals(signum).name)
                raise SystemExit(1)
            log.info("stopping after the current work signal=%s", signal.Signals(signum).name)
            stop.set()

        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, on_signal)
        return previous
