"""Date ranges, previous periods and series buckets of the metrics, in the business time zone. Pure.

Every figure is asked for a range of whole local days (a preset such as LAST_7_DAYS, or custom
`from`..`to` dates). Data is stored in UTC, so this module turns local calendar notions into UTC
instants once, in Python, with `zoneinfo`: SQL then only compares timestamps, which works the same
on SQLite (no time zones at all) and PostgreSQL, and stays right across daylight-saving changes
when the configured zone has them (Asia/Shanghai has none).

A `Period` is [start, end) plus `until`: ranges that include the present (TODAY, THIS_WEEK,
THIS_MONTH, a custom range ending today) count data up to the end of the current local hour, so
the previous period can be cut at the same elapsed time ("today until 14:00" against "yesterday
until 14:00"). Series always span the whole [start, end): the hours still to come are zeros.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final

MAX_RANGE_DAYS: Final = 366
"""A custom range spans at most a year (and a leap day)."""
MAX_SERIES_POINTS: Final = 800
"""HOUR over a month is 744 points; a longer hourly series is refused rather than computed."""
HOUR: Final = timedelta(hours=1)


class RangePreset(StrEnum):
    TODAY = "TODAY"
    YESTERDAY = "YESTERDAY"
    LAST_7_DAYS = "LAST_7_DAYS"
    LAST_30_DAYS = "LAST_30_DAYS"
    THIS_WEEK = "THIS_WEEK"
    LAST_WEEK = "LAST_WEEK"
    THIS_MONTH = "THIS_MONTH"
    LAST_MONTH = "LAST_MONTH"


class Granularity(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class RangeError(ValueError):
    """A range or series that cannot be computed; the edge turns it into BAD_USER_INPUT."""


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC; data is counted in [start, until) (until < end while the period runs)."""

    start: datetime
    end: datetime
    until: datetime
    first_day: date
    last_day: date
    """Local calendar days covered, both included."""

    @property
    def counted(self) -> tuple[datetime, datetime]:
        return self.start, self.until


@dataclass(frozen=True, slots=True)
class Range:
    current: Period
    previous: Period
    zone_name: str


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    end: datetime
    label: str
    """Local start: "2026-11-01 13:00" (HOUR), "2026-11-01" (DAY, WEEK: its first day), "2026-11" (MONTH)."""


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`.

    zoneinfo reads a wall time with fold=0: a midnight repeated by a DST change is its first
    occurrence, and a midnight skipped by one maps to the first instant of the day that exists.
    """
    return datetime.combine(day, time.min).replace(tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def local_day_start(moment: datetime, zone: tzinfo) -> datetime:
    """Start (UTC) of the local day holding `moment`: the key of per-day rollup rows."""
    return local_midnight(local_day(moment, zone), zone)


def local_hour_start(moment: datetime, zone: tzinfo) -> datetime:
    """Start (UTC) of the local hour holding `moment`: the key of per-hour rollup rows.

    Offsets move by whole hours at DST changes, so the sub-hour part of the offset is constant and
    local hours are contiguous one-hour UTC intervals (at :30 UTC for a +05:30 zone).
    """
    local = moment.astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def day_starts(first: date, last: date, zone: tzinfo) -> list[datetime]:
    """UTC starts of the local days first..last and of the day after `last` (n + 1 boundaries)."""
    return [local_midnight(first + timedelta(days=i), zone) for i in range((last - first).days + 2)]


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _add_months(day: date, months: int) -> date:
    return _month_start(day, -months)


def _until(start: datetime, end: datetime, now: datetime, zone: tzinfo) -> datetime:
    """End of the counted part: the end of the current local hour while the period runs."""
    if now >= end:
        return end
    if now < start:
        return start
    return min(end, local_hour_start(now, zone) + HOUR)


def _period(first: date, last: date, now: datetime, zone: tzinfo) -> Period:
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    return Period(start, end, _until(start, end, now, zone), first, last)


def _previous(current: Period, first: date, last: date, zone: tzinfo) -> Period:
    """The previous period [first, last] cut at the same elapsed time as `current`."""
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    if current.until >= current.end:
        until = end
    else:
        elapsed = current.until.astimezone(zone).replace(tzinfo=None) - datetime.combine(
            current.first_day, time.min
        )
        wall = datetime.combine(first, time.min) + elapsed
        until = min(end, wall.replace(tzinfo=zone).astimezone(UTC))
    return Period(start, end, until, first, last)


def preset_days(preset: RangePreset, today: date) -> tuple[date, date]:
    """First and last local day of a preset, given today's local date."""
    monday = today - timedelta(days=today.weekday())
    if preset is RangePreset.TODAY:
        return today, today
    if preset is RangePreset.YESTERDAY:
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset is RangePreset.LAST_7_DAYS:
        return today - timedelta(days=7), today - timedelta(days=1)
    if preset is RangePreset.LAST_30_DAYS:
        return today - timedelta(days=30), today - timedelta(days=1)
    if preset is RangePreset.THIS_WEEK:
        return monday, monday + timedelta(days=6)
    if preset is RangePreset.LAST_WEEK:
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if preset is RangePreset.THIS_MONTH:
        first = _month_start(today)
        return first, _add_months(first, 1) - timedelta(days=1)
    first = _month_start(today, 1)
    return first, _month_start(today) - timedelta(days=1)


def _is_calendar_month(first: date, last: date) -> bool:
    return (
        first.day == 1
        and last.day == calendar.monthrange(last.year, last.month)[1]
        and (
            first.year,
            first.month,
        )
        == (last.year, last.month)
    )


def resolve_range(
    zone: tzinfo,
    now: datetime,
    preset: RangePreset | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Range:
    """The period of a preset or of custom dates (both included), and its previous period.

    The previous period has the same length and ends where this one starts; a calendar month is
    compared with the whole previous month (October against September, not against 31 days).
    """
    if preset is not None:
        if first is not None or last is not None:
            raise RangeError("give either a preset or from and to, not both")
        first, last = preset_days(preset, local_day(now, zone))
    elif first is None or last is None:
        raise RangeError("a custom range needs both from and to")
    if first > last:
        raise RangeError("from must not be after to")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise RangeError(f"a range spans at most {MAX_RANGE_DAYS} days")
    current = _period(first, last, now, zone)
    if preset in (RangePreset.THIS_MONTH, RangePreset.LAST_MONTH) or _is_calendar_month(first, last):
        prev_first = _month_start(first, 1)
        prev_last = first - timedelta(days=1)
    else:
        prev_first, prev_last = first - timedelta(days=days), first - timedelta(days=1)
    return Range(current, _previous(current, prev_first, prev_last, zone), zone_name(zone))


def _hour_label(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _bucket_starts(period: Period, granularity: Granularity, zone: tzinfo) -> Iterator[datetime]:
    if granularity is Granularity.HOUR:
        moment = period.start
        while moment < period.end:
            yield moment
            moment += HOUR
        return
    day = period.first_day
    while day <= period.last_day:
        yield local_midnight(day, zone)
        if granularity is Granularity.DAY:
            day += timedelta(days=1)
        elif granularity is Granularity.WEEK:
            day += timedelta(days=7 - day.weekday())
        else:
            day = _add_months(_month_start(day), 1)


def _label(moment: datetime, granularity: Granularity, zone: tzinfo) -> str:
    if granularity is Granularity.HOUR:
        return _hour_label(moment, zone)
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m") if granularity is Granularity.MONTH else local.strftime("%Y-%m-%d")


def series_buckets(period: Period, granularity: Granularity, zone: tzinfo) -> list[Bucket]:
    """Contiguous buckets covering [start, end): weeks start on Monday, the first and last week or
    month are cut to the period."""
    starts = list(_bucket_starts(period, granularity, zone))
    if len(starts) > MAX_SERIES_POINTS:
        raise RangeError(
            f"a {granularity.value} series of this range has {len(starts)} points; at most "
            f"{MAX_SERIES_POINTS} (choose a coarser granularity)"
        )
    ends = [*starts[1:], period.end]
    return [Bucket(s, e, _label(s, granularity, zone)) for s, e in zip(starts, ends, strict=True)]


def days_between(first: date, last: date) -> Iterator[date]:
    for i in range((last - first).days + 1):
        yield first + timedelta(days=i)


def trailing_days(last_day: date, days: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of the `days` local days ending with `last_day` (the seed's 近30日)."""
    return local_midnight(last_day - timedelta(days=days - 1), zone), local_midnight(
        last_day + timedelta(days=1), zone
    )
