"""The shapes every metric shares: figures (value, previous, change, series), points, the range.

A figure of a section is fetched lazily through `MetricsQuery.figure`; figures selected together
in one request are computed together, and `series(granularity)` only runs when selected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Final

import strawberry

from gql.schema.common import Money, money
from models.date_ranges import Granularity, RangeError, RangePreset
from models.errors import DomainError, ErrorCode
from models.metrics.rules import RankingKey, RegionLevel
from services.metrics.sections import Figure, MetricsQuery, Point, Section

# Amounts use the shared `Money` (64-bit `Cents`) of gql/schema/common.py: totals exceed 32 bits.


strawberry.enum(
    RangePreset,
    description="Whole local days in the business time zone (TIMEZONE, default Asia/Shanghai): "
    "TODAY and YESTERDAY; LAST_7_DAYS / LAST_30_DAYS end yesterday; THIS_WEEK / LAST_WEEK start on "
    "Monday; THIS_MONTH / LAST_MONTH are calendar months. Ranges that include today count data up "
    "to the end of the current hour.",
)
strawberry.enum(
    Granularity,
    description="Series buckets in the business time zone: HOUR, DAY, WEEK (Monday to Sunday), MONTH; "
    "the first and last week or month are cut to the range.",
)
strawberry.enum(RankingKey, description="SALES_AMOUNT (paid, 实付), UNITS (units sold), PV (page views).")
strawberry.enum(RegionLevel, description="Group stores by province, city or district.")


@strawberry.enum(description="What to compare the range with.")
class Comparison(StrEnum):
    PREVIOUS_PERIOD = "PREVIOUS_PERIOD"


PREVIOUS_PERIOD: Final = (
    "The previous period: as long as the range and ending where it starts (the previous calendar "
    "month for a month), counted to the same elapsed time when the range is still running. Null "
    "unless `compare: PREVIOUS_PERIOD`."
)
CHANGE: Final = "(value − previous) / previous; null without comparison or when previous is 0 or null."
SERIES: Final = (
    "The figure per bucket of the range (the whole range: buckets still to come are 0). At most "
    "800 points. HOUR buckets of figures counted per day (visitors, products) come from raw rows."
)

SeriesFn = Callable[[Granularity], Awaitable[list[Point]]]


async def _points(fn: SeriesFn, granularity: Granularity) -> list[Point]:
    try:
        return await fn(granularity)
    except RangeError as exc:
        raise DomainError(ErrorCode.BAD_USER_INPUT, str(exc), "granularity") from None


@strawberry.interface(description="One bucket of a series.")
class MetricPoint:
    start: datetime = strawberry.field(description="Start of the bucket (inclusive).")
    end: datetime = strawberry.field(description="End of the bucket (exclusive).")
    label: str = strawberry.field(
        description='Local start: "2026-11-01 13:00" (HOUR), "2026-11-01" (DAY, WEEK), "2026-11" (MONTH).'
    )


@strawberry.type
class CountPoint(MetricPoint):
    value: int


@strawberry.type
class MoneyPoint(MetricPoint):
    value: Money | None


@strawberry.type
class NumberPoint(MetricPoint):
    value: float | None = strawberry.field(description="Null when undefined (nothing to divide by).")


@strawberry.type(description="A count over the range.")
class CountFigure:
    value: int
    previous: int | None = strawberry.field(description=PREVIOUS_PERIOD)
    change: float | None = strawberry.field(description=CHANGE)
    _series: strawberry.Private[SeriesFn]

    @strawberry.field(description=SERIES)
    async def series(self, granularity: Granularity = Granularity.DAY) -> list[CountPoint]:
        return [
            CountPoint(start=p.bucket.start, end=p.bucket.end, label=p.bucket.label, value=int(p.value or 0))
            for p in await _points(self._series, granularity)
        ]


@strawberry.type(description="An amount of money over the range (or an average: null when undefined).")
class MoneyFigure:
    value: Money | None
    previous: Money | None = strawberry.field(description=PREVIOUS_PERIOD)
    change: float | None = strawberry.field(description=CHANGE)
    _series: strawberry.Private[SeriesFn]

    @strawberry.field(description=SERIES)
    async def series(self, granularity: Granularity = Granularity.DAY) -> list[MoneyPoint]:
        return [
            MoneyPoint(
                start=p.bucket.start,
                end=p.bucket.end,
                label=p.bucket.label,
                value=None if p.value is None else money(int(p.value)),
            )
            for p in await _points(self._series, granularity)
        ]


@strawberry.type(
    description="A ratio (0.25 = 25%) or an average; null when undefined (nothing to divide by)."
)
class NumberFigure:
    value: float | None
    previous: float | None = strawberry.field(description=PREVIOUS_PERIOD)
    change: float | None = strawberry.field(description=CHANGE)
    _series: strawberry.Private[SeriesFn]

    @strawberry.field(description=SERIES)
    async def series(self, granularity: Granularity = Granularity.DAY) -> list[NumberPoint]:
        return [
            NumberPoint(
                start=p.bucket.start,
                end=p.bucket.end,
                label=p.bucket.label,
                value=None if p.value is None else float(p.value),
            )
            for p in await _points(self._series, granularity)
        ]


@strawberry.type(description="A count without a series (a state, or a rolling window).")
class CountValue:
    value: int
    previous: int | None = strawberry.field(description=PREVIOUS_PERIOD)
    change: float | None = strawberry.field(description=CHANGE)


@strawberry.type(description="A ratio or an average without a series; null when undefined.")
class NumberValue:
    value: float | None
    previous: float | None = strawberry.field(description=PREVIOUS_PERIOD)
    change: float | None = strawberry.field(description=CHANGE)


def count_value(f: Figure) -> CountValue:
    return CountValue(value=int(f.value or 0), previous=_int(f.previous), change=f.change)


def number_value(f: Figure) -> NumberValue:
    return NumberValue(value=_float(f.value), previous=_float(f.previous), change=f.change)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _series_of(query: MetricsQuery, section: Section, name: str) -> SeriesFn:
    async def series(granularity: Granularity) -> list[Point]:
        return await query.series(section, name, granularity)

    return series


async def count(query: MetricsQuery, section: Section, name: str) -> CountFigure:
    f = await query.figure(section, name)
    return CountFigure(
        value=int(f.value or 0),
        previous=_int(f.previous),
        change=f.change,
        _series=_series_of(query, section, name),
    )


async def amount(query: MetricsQuery, section: Section, name: str) -> MoneyFigure:
    f = await query.figure(section, name)
    return MoneyFigure(
        value=None if f.value is None else money(int(f.value)),
        previous=None if f.previous is None else money(int(f.previous)),
        change=f.change,
        _series=_series_of(query, section, name),
    )


async def number(query: MetricsQuery, section: Section, name: str) -> NumberFigure:
    f = await query.figure(section, name)
    return NumberFigure(
        value=_float(f.value),
        previous=_float(f.previous),
        change=f.change,
        _series=_series_of(query, section, name),
    )


@strawberry.input(
    description="A preset, or custom `from`..`to` local dates (both included, at most 366 days), "
    "read in the business time zone."
)
class DateRange:
    preset: RangePreset | None = None
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None


@strawberry.type(description="The range as computed: UTC instants of local-day boundaries.")
class MetricsRange:
    timezone: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    until: datetime = strawberry.field(
        description="Data is counted in [start, until): the end of the current hour while the range runs."
    )
    previous_first_day: date
    previous_last_day: date
    previous_start: datetime
    previous_until: datetime
