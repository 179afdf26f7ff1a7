"""Range presets, previous periods and series buckets in the business time zone (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.date_ranges import (
    Granularity,
    RangeError,
    RangePreset,
    local_day_start,
    local_hour_start,
    local_midnight,
    resolve_range,
    series_buckets,
)
from services.metrics.sources import split_spans
from services.metrics.sql import bucket_ids, merge_spans

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 2026-11-23 14:20 in Shanghai.
NOW = datetime(2026, 11, 23, 6, 20, tzinfo=UTC)


def z(y: int, m: int, d: int, h: int = 0) -> datetime:
    """A UTC instant given in Shanghai wall time."""
    return datetime(y, m, d, h, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("preset", "days", "previous_days"),
    [
        (RangePreset.TODAY, ("2026-11-23", "2026-11-23"), ("2026-11-22", "2026-11-22")),
        (RangePreset.YESTERDAY, ("2026-11-22", "2026-11-22"), ("2026-11-21", "2026-11-21")),
        (RangePreset.LAST_7_DAYS, ("2026-11-16", "2026-11-22"), ("2026-11-09", "2026-11-15")),
        (RangePreset.LAST_30_DAYS, ("2026-10-24", "2026-11-22"), ("2026-09-24", "2026-10-23")),
        (RangePreset.THIS_WEEK, ("2026-11-23", "2026-11-29"), ("2026-11-16", "2026-11-22")),
        (RangePreset.LAST_WEEK, ("2026-11-16", "2026-11-22"), ("2026-11-09", "2026-11-15")),
        (RangePreset.THIS_MONTH, ("2026-11-01", "2026-11-30"), ("2026-10-01", "2026-10-31")),
        (RangePreset.LAST_MONTH, ("2026-10-01", "2026-10-31"), ("2026-09-01", "2026-09-30")),
    ],
)
def test_presets_and_their_previous_period(
    preset: RangePreset, days: tuple[str, str], previous_days: tuple[str, str]
) -> None:
    r = resolve_range(SHANGHAI, NOW, preset)
    assert (r.current.first_day.isoformat(), r.current.last_day.isoformat()) == days
    assert (r.previous.first_day.isoformat(), r.previous.last_day.isoformat()) == previous_days
    assert r.current.start == local_midnight(r.current.first_day, SHANGHAI)
    assert r.previous.end <= r.current.start


def test_running_ranges_count_to_the_end_of_the_hour_and_compare_at_the_same_elapsed_time() -> None:
    today = resolve_range(SHANGHAI, NOW, RangePreset.TODAY)
    assert (today.current.start, today.current.until, today.current.end) == (
        z(2026, 11, 23),
        z(2026, 11, 23, 15),
        z(2026, 11, 24),
    )
    assert today.previous.counted == (z(2026, 11, 22), z(2026, 11, 22, 15))
    month = resolve_range(SHANGHAI, NOW, RangePreset.THIS_MONTH)
    assert month.previous.counted == (z(2026, 10, 1), z(2026, 10, 23, 15))
    done = resolve_range(SHANGHAI, NOW, RangePreset.LAST_MONTH)
    assert done.current.until == done.current.end
    assert done.previous.until == done.previous.end == z(2026, 10, 1)


def test_a_longer_month_is_compared_with_the_whole_shorter_one() -> None:
    march_31 = datetime(2026, 3, 31, 6, tzinfo=UTC)  # 14:00 in Shanghai
    r = resolve_range(SHANGHAI, march_31, RangePreset.THIS_MONTH)
    # 30 days 15 hours into March is past the end of February: the previous period is all of it.
    assert r.previous.counted == (z(2026, 2, 1), z(2026, 3, 1))
    custom = resolve_range(SHANGHAI, NOW, first=date(2026, 2, 1), last=date(2026, 2, 28))
    assert (custom.previous.first_day, custom.previous.last_day) == (date(2026, 1, 1), date(2026, 1, 31))
    week = resolve_range(SHANGHAI, NOW, first=date(2026, 11, 4), last=date(2026, 11, 6))
    assert (week.previous.first_day, week.previous.last_day) == (date(2026, 11, 1), date(2026, 11, 3))


def test_bad_ranges() -> None:
    with pytest.raises(RangeError):
        resolve_range(SHANGHAI, NOW, first=date(2026, 11, 8), last=date(2026, 11, 2))
    with pytest.raises(RangeError):
        resolve_range(SHANGHAI, NOW, first=date(2025, 1, 1), last=date(2026, 1, 2))
    with pytest.raises(RangeError):
        resolve_range(SHANGHAI, NOW, RangePreset.TODAY, first=date(2026, 11, 2))
    with pytest.raises(RangeError):
        resolve_range(SHANGHAI, NOW, first=date(2026, 11, 2))
    future = resolve_range(SHANGHAI, NOW, first=date(2027, 1, 1), last=date(2027, 1, 2))
    assert future.current.until == future.current.start  # nothing to count yet


def test_series_buckets() -> None:
    week = resolve_range(SHANGHAI, NOW, RangePreset.LAST_7_DAYS).current
    days = series_buckets(week, Granularity.DAY, SHANGHAI)
    assert [b.label for b in days] == [f"2026-11-{d}" for d in range(16, 23)]
    assert (days[0].start, days[-1].end) == (z(2026, 11, 16), z(2026, 11, 23))
    month = resolve_range(SHANGHAI, NOW, RangePreset.THIS_MONTH).current
    weeks = series_buckets(month, Granularity.WEEK, SHANGHAI)
    # November 1st 2026 is a Sunday: a one-day first week, then Monday-starting weeks.
    assert [b.label for b in weeks] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    custom = resolve_range(SHANGHAI, NOW, first=date(2026, 10, 15), last=date(2026, 12, 5)).current
    assert [b.label for b in series_buckets(custom, Granularity.MONTH, SHANGHAI)] == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    hours = series_buckets(
        resolve_range(SHANGHAI, NOW, RangePreset.TODAY).current, Granularity.HOUR, SHANGHAI
    )
    assert (len(hours), hours[0].label, hours[-1].label) == (24, "2026-11-23 00:00", "2026-11-23 23:00")
    october = resolve_range(SHANGHAI, NOW, RangePreset.LAST_MONTH).current
    assert len(series_buckets(october, Granularity.HOUR, SHANGHAI)) == 31 * 24
    with pytest.raises(RangeError):
        series_buckets(custom, Granularity.HOUR, SHANGHAI)  # 52 days of hours


def test_daylight_saving_days_have_25_and_23_hours() -> None:
    fall = resolve_range(NEW_YORK, NOW, first=date(2026, 11, 1), last=date(2026, 11, 1)).current
    hours = series_buckets(fall, Granularity.HOUR, NEW_YORK)
    assert len(hours) == 25
    assert [b.label for b in hours[1:3]] == ["2026-11-01 01:00", "2026-11-01 01:00"]
    spring = resolve_range(NEW_YORK, NOW, first=date(2026, 3, 8), last=date(2026, 3, 8)).current
    assert len(series_buckets(spring, Granularity.HOUR, NEW_YORK)) == 23
    assert fall.end - fall.start == timedelta(hours=25)


def test_local_hour_and_day_starts() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: local hours start at :30 UTC
    moment = datetime(2026, 11, 23, 5, 20, tzinfo=UTC)  # 10:50 in Kolkata
    assert local_hour_start(moment, kolkata) == datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
    assert local_day_start(moment, kolkata) == datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    # 23:50 on Nov 1 in Shanghai is still Nov 1 there, although 15:50 UTC.
    assert local_day_start(datetime(2026, 11, 1, 15, 50, tzinfo=UTC), SHANGHAI) == z(2026, 11, 1)
    assert local_day_start(datetime(2026, 11, 1, 16, 5, tzinfo=UTC), SHANGHAI) == z(2026, 11, 2)


def test_spans_split_into_whole_rollup_buckets_and_raw_leftovers() -> None:
    span = (z(2026, 11, 2), z(2026, 11, 5, 15))
    whole, rest = split_spans([span], Granularity.DAY, SHANGHAI)
    assert whole == [(z(2026, 11, 2), z(2026, 11, 5))]
    assert rest == [(z(2026, 11, 5), z(2026, 11, 5, 15))]
    whole, rest = split_spans([(z(2026, 11, 5, 3), z(2026, 11, 5, 9))], Granularity.DAY, SHANGHAI)
    assert (whole, rest) == ([], [(z(2026, 11, 5, 3), z(2026, 11, 5, 9))])
    whole, rest = split_spans([span], Granularity.HOUR, SHANGHAI)
    assert (whole, rest) == ([span], [])


def test_span_helpers() -> None:
    a, b, c, d = (z(2026, 11, day) for day in (1, 2, 3, 4))
    assert merge_spans([(c, d), (a, b), (b, c), (d, d)]) == [(a, d)]
    cuts, ids = bucket_ids([(a, b), (c, d)])
    assert (cuts, ids) == ([a, b, c, d], [0, -1, 1])
