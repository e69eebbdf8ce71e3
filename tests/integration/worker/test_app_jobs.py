"""The periodic jobs each app registers with the worker (``AppConfig.ready``): their names and
intervals, and that each job does its work for the ``now`` the worker gives it."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from digipay.worker import registry

EXPECTED = {
    "orders.auto_cancel": timedelta(minutes=5),
    "orders.deadline_reminders": timedelta(hours=1),
    "vendors.suket_reminders": timedelta(days=1),
    "integrations.process_pending": timedelta(minutes=1),
    "catalog.purge_imports": timedelta(days=1),
}


def test_every_app_registers_its_jobs() -> None:
    registered = {job.name: job.every for job in registry.jobs()}
    assert {name: registered.get(name) for name in EXPECTED} == EXPECTED
    assert "worker.prune" in registered


def test_the_suket_job_uses_the_date_in_jakarta(monkeypatch: pytest.MonkeyPatch) -> None:
    from digipay.vendors import services

    seen: list[date] = []
    monkeypatch.setattr(services, "send_suket_reminders", lambda *, today: seen.append(today) or 0)
    job = registry.get("vendors.suket_reminders")
    assert job is not None
    # 17:30 UTC on 1 December is already 2 December in Jakarta (UTC+7).
    job.fn(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
    assert seen == [date(2026, 12, 2)]


def test_the_bank_notification_job_processes_what_is_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digipay.integrations import services

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(services, "process_pending", lambda **kw: calls.append(kw) or 3)
    job = registry.get("integrations.process_pending")
    assert job is not None
    assert job.fn(datetime(2026, 12, 1, tzinfo=UTC)) == 3
    assert calls == [{}]  # everything waiting, not a chosen subset


def test_the_import_purge_job_deletes_only_files_older_than_a_day(
    settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    now = datetime.now(UTC)
    old = default_storage.save("imports/3/old.csv", ContentFile(b"sku;nama\n"))
    recent = default_storage.save("imports/3/recent.csv", ContentFile(b"sku;nama\n"))
    for path, age in ((old, timedelta(hours=25)), (recent, timedelta(hours=23))):
        stamp = (now - age).timestamp()
        os.utime(default_storage.path(path), (stamp, stamp))
    job = registry.get("catalog.purge_imports")
    assert job is not None
    assert job.fn(now) == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(recent)
    # Nothing to purge (no imports folder at all) is not an error.
    settings.MEDIA_ROOT = str(tmp_path / "empty")
    assert job.fn(now) == 0
