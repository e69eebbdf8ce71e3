"""Periodic jobs, registered by the apps that own them.

An app registers its jobs in ``AppConfig.ready()``::

    from datetime import timedelta
    from digipay.worker.registry import periodic

    periodic("vendors.suket_reminders", every=timedelta(days=1))(my_job)

or decorates a module-level function that ``ready()`` imports. A job is ``fn(now) -> int | None``
(``now`` is the worker's aware UTC instant; return how many things it did, or ``None``). It runs
at most once per slot of length ``every`` (slots start at midnight in Jakarta; see
``rules.slot_of``) across all workers, manages its own transactions, and must be idempotent:
after a crash it may run again in the same slot once its ``lease`` has passed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

from digipay.worker import rules

JobFunction = Callable[[datetime], int | None]
F = TypeVar("F", bound=JobFunction)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    fn: JobFunction
    lease: timedelta


_jobs: dict[str, PeriodicJob] = {}
_lock = threading.Lock()


def _identity(fn: JobFunction) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def periodic(name: str, every: timedelta, *, lease: timedelta | None = None) -> Callable[[F], F]:
    """Register ``fn`` as the periodic job ``name``, run once per slot of length ``every``.

    ``lease`` (default: ``every``, at most 30 minutes) is how long a started run may stay
    unfinished before another worker may take it over. Registering the same function under the
    same name again is a no-op (``ready()`` may run twice); another function under a taken name
    is a configuration error.
    """
    problem = rules.job_name_error(name)
    if problem:
        raise ImproperlyConfigured(f"{problem}: {name!r}")
    if every < timedelta(seconds=1):
        raise ImproperlyConfigured(f"job {name!r}: every must be at least one second")
    chosen_lease = lease if lease is not None else rules.default_lease(every)
    if chosen_lease <= timedelta(0):
        raise ImproperlyConfigured(f"job {name!r}: lease must be positive")

    def register(fn: F) -> F:
        job = PeriodicJob(name=name, every=every, fn=fn, lease=chosen_lease)
        with _lock:
            existing = _jobs.get(name)
            if existing is not None and _identity(existing.fn) != _identity(fn):
                raise ImproperlyConfigured(
                    f"periodic job {name!r} is already registered by {_identity(existing.fn)}"
                )
            _jobs[name] = job
        return fn

    return register


def jobs() -> list[PeriodicJob]:
    """Every registered job, by name."""
    with _lock:
        return sorted(_jobs.values(), key=lambda job: job.name)


def get(name: str) -> PeriodicJob | None:
    with _lock:
        return _jobs.get(name)


def unregister(name: str) -> None:
    """Forget a job (tests; an app that is switched off)."""
    with _lock:
        _jobs.pop(name, None)
