"""Pure rules of the worker and notifications: slots, leases, names, links; the registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from digipay.notifications import rules as notification_rules
from digipay.worker import registry, rules


def test_daily_slots_start_at_midnight_in_jakarta() -> None:
    day = timedelta(days=1)
    # 23:59 WIB on 10 March is still the 10th; 00:00 WIB on the 11th is 17:00 UTC on the 10th.
    assert rules.slot_of(datetime(2026, 3, 10, 16, 59, tzinfo=UTC), day) == datetime(
        2026, 3, 9, 17, 0, tzinfo=UTC
    )
    assert rules.slot_of(datetime(2026, 3, 10, 17, 0, tzinfo=UTC), day) == datetime(
        2026, 3, 10, 17, 0, tzinfo=UTC
    )


def test_minute_slots() -> None:
    now = datetime(2026, 3, 10, 3, 7, 59, 999999, tzinfo=UTC)
    assert rules.slot_of(now, timedelta(minutes=1)) == datetime(2026, 3, 10, 3, 7, tzinfo=UTC)
    assert rules.slot_of(now, timedelta(minutes=15)) == datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@given(
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=1, max_value=7 * 86400),
)
def test_a_slot_contains_its_instant(now: datetime, seconds: int) -> None:
    every = timedelta(seconds=seconds)
    slot = rules.slot_of(now, every)
    assert slot <= now < slot + every
    assert rules.slot_of(slot, every) == slot
    assert rules.slot_of(slot + every, every) == slot + every


def test_slot_refuses_naive_times_and_empty_periods() -> None:
    with pytest.raises(ValueError, match="aware"):
        rules.slot_of(datetime(2026, 3, 10), timedelta(minutes=1))
    with pytest.raises(ValueError, match="positive"):
        rules.slot_of(datetime(2026, 3, 10, tzinfo=UTC), timedelta(0))


def test_retake_only_unfinished_runs_after_the_lease() -> None:
    t0 = datetime(2026, 3, 10, tzinfo=UTC)
    lease = timedelta(minutes=10)
    assert not rules.may_retake(started_at=t0, finished_at=None, now=t0 + lease / 2, lease=lease)
    assert rules.may_retake(started_at=t0, finished_at=None, now=t0 + lease, lease=lease)
    assert not rules.may_retake(started_at=t0, finished_at=t0, now=t0 + 9 * lease, lease=lease)


def test_default_lease_is_the_period_up_to_half_an_hour() -> None:
    assert rules.default_lease(timedelta(minutes=1)) == timedelta(minutes=1)
    assert rules.default_lease(timedelta(days=1)) == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("vendors.suket_reminders", True),
        ("integrations.process_pending", True),
        ("catalog.purge-imports", True),
        ("Vendors.x", False),
        ("nodot", False),
        ("a." + "x" * 100, False),
        ("a. b", False),
    ],
)
def test_job_names(name: str, ok: bool) -> None:
    assert (rules.job_name_error(name) is None) is ok


def test_error_text_is_bounded() -> None:
    assert rules.error_text(ValueError("x" * 5000)).startswith("ValueError: xxx")
    assert len(rules.error_text(ValueError("x" * 5000))) == rules.ERROR_MAX


# Registry -------------------------------------------------------------------------------------


@pytest.fixture
def clean_name() -> Iterator[str]:
    yield "test.unit_job"
    registry.unregister("test.unit_job")


def first(now: datetime) -> int:
    return 1


def second(now: datetime) -> int:
    return 2


def test_periodic_registers_and_returns_the_function(clean_name: str) -> None:
    assert registry.periodic(clean_name, every=timedelta(hours=1))(first) is first
    job = registry.get(clean_name)
    assert job is not None
    assert (job.every, job.lease, job.fn) == (timedelta(hours=1), timedelta(minutes=30), first)
    assert clean_name in [j.name for j in registry.jobs()]
    # ready() may run twice: the same function again is fine, another one is not.
    registry.periodic(clean_name, every=timedelta(hours=1))(first)
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.periodic(clean_name, every=timedelta(hours=1))(second)


def test_periodic_refuses_bad_definitions() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"app\.job_name"):
        registry.periodic("no_app", every=timedelta(hours=1))
    with pytest.raises(ImproperlyConfigured, match="one second"):
        registry.periodic("test.too_fast", every=timedelta(milliseconds=10))
    with pytest.raises(ImproperlyConfigured, match="lease"):
        registry.periodic("test.no_lease", every=timedelta(hours=1), lease=timedelta(0))


# Notification links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "ok"),
    [
        ("", True),
        ("/pesanan/12/", True),
        ("/katalog/?q=kertas&page=2", True),
        ("https://contoh.example/", False),
        ("//contoh.example/", False),
        ("/\\contoh.example", False),
        ("javascript:alert(1)", False),
        ("/a b", False),
        ("/" + "a" * 600, False),
    ],
)
def test_notification_links_stay_inside_digipay(link: str, ok: bool) -> None:
    assert (notification_rules.link_error(link) is None) is ok
