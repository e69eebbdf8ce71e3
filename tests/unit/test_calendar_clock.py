from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from digipay.core import calendar, clock


def test_weekends_and_national_holidays_are_not_working_days() -> None:
    assert not calendar.is_working_day(date(2026, 8, 17))  # Independence Day (Monday)
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert calendar.is_working_day(date(2026, 11, 27))  # Friday
    assert not calendar.is_working_day(date(2026, 12, 25))  # Christmas


def test_three_working_days_skip_weekend_and_holiday() -> None:
    # Friday 14 Aug 2026 + 3 working days: Mon 17 Aug is a holiday → Tue 18, Wed 19, Thu 20.
    assert calendar.add_working_days(date(2026, 8, 14), 3) == date(2026, 8, 20)
    assert calendar.working_days_between(date(2026, 8, 14), date(2026, 8, 20)) == 3
    assert calendar.next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_days(date(2026, 1, 5), -1)


def test_clock_freezes_and_reports_jakarta_date() -> None:
    # 20:00 UTC on 31 Dec is already 1 Jan in Jakarta (UTC+7).
    at = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        assert clock.today_jakarta() == date(2027, 1, 1)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2026, 1, 1)):
        pass


def test_frozen_time_is_normalised_to_utc() -> None:
    wib = timezone(timedelta(hours=7))
    with clock.frozen(datetime(2026, 1, 1, 7, 0, tzinfo=wib)):
        assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
        assert clock.now().tzinfo == UTC
