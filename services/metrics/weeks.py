"""Week rollups: all-stores rows per local week (Monday start), each the sum of the all-stores
day rows of its week (`Rollup.summed_from`), never read from raw rows.

They are recomputed after the day rows they sum, in the same transaction: for a span, or once per
week touched by an incremental refresh (`services/metrics/rollups.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.date_ranges import Granularity, local_midnight
from services.metrics.rollup_tables import Rollup
from services.metrics.sources import grain_ceil, grain_floor, summed_select
from services.metrics.sql import at


async def recompute_weeks(
    session: AsyncSession, rollups: Iterable[Rollup], days: Iterable[date], zone: tzinfo
) -> None:
    """Recompute the week rows among `rollups` of the local weeks holding `days` (each week once)."""
    mondays = sorted({day - timedelta(days=day.weekday()) for day in days})
    for rollup in rollups:
        if rollup.summed_from is not None:
            for monday in mondays:
                start = local_midnight(monday, zone)
                end = local_midnight(monday + timedelta(days=7), zone)
                await sum_weeks(session, rollup, start, end, zone)


async def sum_weeks(
    session: AsyncSession, weeks: Rollup, start: datetime, end: datetime, zone: tzinfo
) -> None:
    """Replace the week rows of the local weeks meeting [start, end) by the sums of the
    (just recomputed) all-stores day rows of those weeks."""
    days = weeks.summed_from
    assert days is not None, "a week rollup sums a day rollup"
    first, last = grain_floor(start, Granularity.WEEK, zone), grain_ceil(end, Granularity.WEEK, zone)
    w = weeks.table
    await session.execute(delete(w).where(w.c[weeks.time] >= at(first), w.c[weeks.time] < at(last)))
    columns = [weeks.time, "store_id", *weeks.keys, *weeks.columns]
    await session.execute(insert(w).from_select(columns, summed_select(weeks, days, first, last, zone)))
