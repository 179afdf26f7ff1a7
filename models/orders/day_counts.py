"""Orders counted per (local day, store, status), by creation day and by payment day, and when a
time-range count may use them.

A `created:` or `paid:` range grows with the orders in it. `order_day_count_parts` holds +n/−n
parts per (basis, local day, store, status) — basis "created" counts every order on the local day
of its `created_at`, basis "paid" every paid order on the local day of its `paid_at` — kept by
triggers on `orders` (migration 0034) exactly as `order_count_parts` (models/orders/counts.py):
appended in the writer's transaction on every insert, delete and change of status, store,
`created_at` or `paid_at`, merged by the sweep. Parts only ever get higher ids, so the merge reads
only the keys of the parts added since its last run (`order_day_count_merges`). A count over a
range sums the parts of its whole local days and counts the orders of the rest of the range (the
partial first and last days) from the time indexes, in one statement.

The local day is the configured `TIMEZONE`'s. SQLite has no time zone database, and PostgreSQL's
may differ from Python's, so the triggers never name a zone: they read the day's offset from
`order_day_offsets`, one row per period of constant UTC offset of the zone (from zoneinfo, the
same data `models/date_ranges.py` cuts days with), and take the date of `at + offset`. Those rows
are written with the parts (migration 0034, `services/orders/day_counts.rebuild_day_parts`): a
change of `TIMEZONE` rebuilds both in one transaction. While the table is empty (never built) the
triggers write nothing and counts never read the parts; a count reads them only when the zone
they were built for is the zone it cuts days with (checked in the same statement).

Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, id_pk
from models.date_ranges import local_day, local_midnight, zone_name
from models.orders import filters as f
from models.orders.counts import CountScope, count_scope
from models.principals import Principal

COVERED_FROM: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""The first instant `order_day_offsets` describes; an order before it has no day part."""
COVERED_UNTIL: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""The offsets' last period is taken to last for ever, so days from here on are never read from
parts (zoneinfo's rules may change the offset later)."""


class DayBasis(StrEnum):
    CREATED = "created"
    PAID = "paid"


class OrderDayCountPart(Base):
    """+n or −n orders of one (basis, local day, store, status); no foreign key, as `OrderCountPart`."""

    __tablename__ = "order_day_count_parts"
    __table_args__ = (
        # PostgreSQL: an index-only scan sums a range of days (the parts' pages are all-visible once
        # autovacuum has passed after the inserts)
        Index(
            "ix_order_day_count_parts_basis_day",
            "basis",
            "day",
            "status",
            "store_id",
            postgresql_include=["n"],
        ),
    )

    id: Mapped[int] = id_pk()
    basis: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int | None] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(Integer)


class OrderDayCountMerge(Base):
    """The merge's high-water mark (one row, id 1): every part with an id up to `through_id` was
    there when a merge or rebuild last ran, so a (basis, day, store, status) can hold several parts
    only if one of them has a higher id. No row: nothing is known (the next merge reads every part)."""

    __tablename__ = "order_day_count_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through_id: Mapped[int] = mapped_column(IdType)


class OrderDayOffset(Base):
    """From `starts_at` until the next row's, the zone `zone` is `offset_seconds` ahead of UTC."""

    __tablename__ = "order_day_offsets"

    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(Integer)
    zone: Mapped[str] = mapped_column(String(64))


def _offset(seconds: int, zone: tzinfo) -> int:
    shift = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    return int(shift.total_seconds()) if shift is not None else 0


def zone_offsets(zone: tzinfo) -> list[tuple[datetime, int]]:
    """(start, offset in seconds) of each period of constant offset of `zone` from COVERED_FROM to
    COVERED_UNTIL: the first starts at COVERED_FROM, the others at the exact second of a change.

    Days are stepped and a change within a day is found by bisection; offsets never change twice
    within one day.
    """
    first, until = int(COVERED_FROM.timestamp()), int(COVERED_UNTIL.timestamp())
    current = _offset(first, zone)
    found = [(COVERED_FROM, current)]
    day = 86_400
    at = first
    while at < until:
        nxt = min(at + day, until)
        if _offset(nxt, zone) != current:
            low, high = at, nxt  # offset(low) == current != offset(high)
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(mid, zone) == current:
                    low = mid
                else:
                    high = mid
            current = _offset(high, zone)
            found.append((datetime.fromtimestamp(high, UTC), current))
            at = high
        else:
            at = nxt
    return found


def irregular_days(offsets: list[tuple[datetime, int]]) -> frozenset[date]:
    """Local days that are not one interval of time: a change of offset that turns the clock back
    across midnight makes the day before it begin again. Such days are never read from parts."""
    days: set[date] = set()
    for (_, before), (at, after) in itertools.pairwise(offsets):
        last = (at - timedelta(microseconds=1) + timedelta(seconds=before)).date()
        again = (at + timedelta(seconds=after)).date()
        if again >= last:  # forward, or back within one day (a 25-hour day is still one interval)
            continue
        day = again
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A time range cut into whole local days `first..last` (both inclusive) and the rest of the
    range: `before` = [start, midnight of `first`) and `after` = [midnight after `last`, end), a None
    bound being open, each None when empty."""

    first: date
    last: date
    before: tuple[datetime | None, datetime] | None
    after: tuple[datetime, datetime | None] | None


def split_days(
    start: datetime | None, end: datetime | None, zone: tzinfo, irregular: frozenset[date]
) -> DaySplit | None:
    """[start, end) as whole covered local days and the rest, or None when it holds no whole day
    (or an irregular one)."""
    low = max(start, COVERED_FROM) if start is not None else COVERED_FROM
    high = min(end, COVERED_UNTIL) if end is not None else COVERED_UNTIL
    if low >= high:
        return None
    first = local_day(low, zone)
    if local_midnight(first, zone) < low:
        first += timedelta(days=1)
    after_last = local_day(high, zone)  # the day after the last whole day
    if local_midnight(after_last, zone) > high:  # pragma: no cover - midnight is the day's first instant
        after_last -= timedelta(days=1)
    last = after_last - timedelta(days=1)
    if first > last or any(first <= d <= last for d in irregular):
        return None
    begins, ends = local_midnight(first, zone), local_midnight(after_last, zone)
    before = (start, begins) if start is None or start < begins else None
    after = (ends, end) if end is None or ends < end else None
    return DaySplit(first, last, before, after)


@dataclass(frozen=True, slots=True)
class DayCountScope:
    """The orders of `scope` whose `basis` time lies in [start, end) (None: open)."""

    scope: CountScope
    basis: DayBasis
    start: datetime | None
    end: datetime | None


def day_count_scope(principal: Principal, filters: Iterable[f.Node | None]) -> DayCountScope | None:
    """What `count_scope` answers, plus one time range (every `TimeIn` of the filters on one field,
    intersected); None when there is no time range, ranges on both fields, or anything
    `count_scope` refuses."""
    rest: list[f.Node] = []
    ranges: list[f.TimeIn] = []
    for node in filters:
        if node is None:
            continue
        for leaf in node.children if isinstance(node, f.AllOf) else (node,):
            if isinstance(leaf, f.TimeIn):
                ranges.append(leaf)
            else:
                rest.append(leaf)
    if not ranges or len({r.field for r in ranges}) != 1:
        return None
    scope = count_scope(principal, rest)
    if scope is None:
        return None
    starts = [r.start for r in ranges if r.start is not None]
    ends = [r.end for r in ranges if r.end is not None]
    basis = DayBasis(ranges[0].field.value)
    return DayCountScope(scope, basis, max(starts) if starts else None, min(ends) if ends else None)


def name_of(zone: tzinfo) -> str:
    """The name a build records for `zone` (compared with the configured zone's before a read)."""
    return zone_name(zone)
