"""Where the rows of a fact come from for a question: rollups where they can serve, raw elsewhere.

`fact_source` returns rows of a fact's shape for a set of time spans: from a rollup where a span
covers whole rollup buckets and the rollup has every column the figure needs (the all-stores week
rows of the product tables for whole weeks when the caller allows, a day rollup for the whole
days, then an hour rollup of the same rows for the whole hours left), from the raw rows
elsewhere (the ends of a range that stop mid-day, hourly buckets of a daily rollup, distinct
customers with their first payment). The same aggregate over either gives the same number.
`build_select` computes a rollup's rows from the raw rows (used by `services/metrics/rollups.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, literal, select, union_all

from models.date_ranges import Granularity, local_day, local_day_start, local_hour_start, local_midnight
from models.metrics.rollups import ALL_STORES
from services.metrics.facts import FEEDS, Fact, RawFilter, Rows
from services.metrics.rollup_tables import Rollup
from services.metrics.sql import Span, at, by_cuts, in_spans, in_stores


def grain_floor(moment: datetime, grain: Granularity, zone: tzinfo) -> datetime:
    """Start of the local hour, day or week (from Monday) holding `moment`."""
    if grain is Granularity.HOUR:
        return local_hour_start(moment, zone)
    if grain is Granularity.WEEK:
        day = local_day(moment, zone)
        return local_midnight(day - timedelta(days=day.weekday()), zone)
    return local_day_start(moment, zone)


def grain_ceil(moment: datetime, grain: Granularity, zone: tzinfo) -> datetime:
    floor = grain_floor(moment, grain, zone)
    if floor == moment:
        return moment
    if grain is Granularity.HOUR:
        return floor + timedelta(hours=1)
    days = 7 if grain is Granularity.WEEK else 1
    return local_midnight(local_day(floor, zone) + timedelta(days=days), zone)


def split_spans(spans: Sequence[Span], grain: Granularity, zone: tzinfo) -> tuple[list[Span], list[Span]]:
    """(parts made of whole rollup buckets, leftover parts) of the spans."""
    whole: list[Span] = []
    rest: list[Span] = []
    for start, end in spans:
        core_start, core_end = grain_ceil(start, grain, zone), grain_floor(end, grain, zone)
        if core_start >= core_end:
            rest.append((start, end))
            continue
        whole.append((core_start, core_end))
        rest.extend(s for s in ((start, core_start), (core_end, end)) if s[0] < s[1])
    return whole, rest


def rollup_for(fact: Fact, needed: Sequence[str], ready: frozenset[str]) -> Rollup | None:
    """The first rollup of the fact holding every needed column, if its group is built."""
    found = rollups_for(fact, needed, ready)
    return found[0] if found else None


_COARSEST_FIRST = {Granularity.WEEK: 0, Granularity.DAY: 1, Granularity.HOUR: 2}


def rollups_for(fact: Fact, needed: Sequence[str], ready: frozenset[str]) -> list[Rollup]:
    """The fact's rollups holding every needed column, of built groups, coarsest grain first
    (week rows serve the whole weeks of a span, day rows its whole days left, hour rows its
    whole hours left, raw rows the rest)."""
    found = [r for r in fact.rollups if r.group in ready and set(needed) <= {*r.keys, *r.columns}]
    if not found:
        return []
    first = found[0]
    same = [r for r in found if r.keys == first.keys]  # one row shape: same keys, several grains
    return sorted(same, key=lambda r: _COARSEST_FIRST[r.grain])


def _rollup_rows(
    fact: Fact,
    rollup: Rollup,
    needed: Sequence[str],
    spans: Sequence[Span],
    stores: frozenset[int] | None,
    per_store: bool,
) -> Rows:
    t = rollup.table
    if rollup.totals and stores is None:
        # The all-stores rows, unless the caller groups by store; then every store's own rows.
        scope: ColumnElement[bool] = t.c.store_id != ALL_STORES if per_store else t.c.store_id == ALL_STORES
    else:
        scope = in_stores(t.c.store_id, stores)
    conditions = [in_spans(t.c[rollup.time], spans), scope]
    if len(FEEDS[t.name]) > 1 and fact.presence and set(needed) & set(rollup.keys):
        conditions.append(t.c[fact.presence] > 0)  # rows this fact contributed to
    return select(
        t.c[rollup.time].label("at"), t.c.store_id.label("store_id"), *(t.c[n] for n in needed)
    ).where(*conditions)


def fact_source(
    fact: Fact,
    needed: Sequence[str],
    spans: Sequence[Span],
    stores: frozenset[int] | None,
    *,
    zone: tzinfo,
    dialect: str,
    ready: frozenset[str],
    per_store: bool = False,
    hourly: bool = False,
    weekly: bool = False,
) -> Subquery:
    """Rows (at, store_id, *needed) of `fact` inside `spans` and `stores`: from a rollup where the
    spans cover whole buckets of one whose group is `ready`, from raw rows elsewhere.

    `ready=frozenset()` reads raw rows only (the exact computation). `per_store`: the caller groups
    by store_id, so all-stores rollup rows must not be used. `hourly`: the caller groups `at` by the
    hour, so no row may stand for more than an hour (day rollups are skipped). `weekly`: the
    caller groups `at` by the spans only, so an unscoped question may read the all-stores week
    rows; without it no row stands for more than a day.
    """
    parts: list[Rows] = []
    raw_spans: Sequence[Span] = spans
    for rollup in rollups_for(fact, needed, ready):
        if hourly and rollup.grain is not Granularity.HOUR:
            continue
        if not rollup.per_store and (stores is not None or per_store):
            continue  # it holds the all-stores rows only
        if rollup.summed_from is not None and not (weekly and stores is None and not per_store):
            continue
        whole, raw_spans = split_spans(raw_spans, rollup.grain, zone)
        if whole:
            parts.append(_rollup_rows(fact, rollup, needed, whole, stores, per_store))
        if not raw_spans:
            break
    if raw_spans or not parts:
        raw = fact.project(RawFilter(raw_spans, stores), dialect).subquery()
        parts.append(select(raw.c.at, raw.c.store_id, *(raw.c[name] for name in needed)))
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return statement.subquery()


def build_select(
    rollup: Rollup,
    spans: Sequence[Span],
    stores: frozenset[int] | None,
    bucket: Callable[[Any], Any],
    dialect: str,
    *,
    all_stores: bool = False,
) -> Rows:
    """SELECT bucket, store_id, keys, SUM(columns) of the raw rows in `spans`: a rollup's new rows.

    `bucket` maps the union's `at` column to the bucket start (a CASE over hour or day
    boundaries). `all_stores`: one row per bucket and key for every store together (ALL_STORES).
    """
    parts = []
    for fact in FEEDS[rollup.table.name]:
        p = fact.project(RawFilter(spans, stores), dialect).subquery()
        values = [p.c[c] if c in p.c else literal(0) for c in rollup.columns]
        parts.append(
            select(
                p.c.at,
                p.c.store_id,
                *(p.c[k] for k in rollup.keys),
                *(v.label(c) for v, c in zip(values, rollup.columns, strict=True)),
            )
        )
    u = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("feed")
    store = literal(ALL_STORES) if all_stores else u.c.store_id
    inner = select(
        bucket(u.c.at).label("bucket"),
        store.label("store_id"),
        *(u.c[k] for k in rollup.keys),
        *(u.c[c] for c in rollup.columns),
    ).subquery("bucketed")
    keys = [inner.c.bucket, inner.c.store_id, *(inner.c[k] for k in rollup.keys)]
    return select(*keys, *(func.sum(inner.c[c]) for c in rollup.columns)).group_by(*keys)


def summed_select(coarse: Rollup, fine: Rollup, start: datetime, end: datetime, zone: tzinfo) -> Rows:
    """SELECT bucket, ALL_STORES, keys, SUM(columns) of `fine`'s all-stores rows in [start, end)
    (whole buckets of `coarse`): the new rows of `coarse`, a rollup summed from `fine`."""
    cuts = [start]
    while cuts[-1] < end:
        cuts.append(grain_ceil(cuts[-1] + timedelta(hours=1), coarse.grain, zone))
    t = fine.table
    inner = (
        select(
            by_cuts(t.c[fine.time], cuts, cuts[:-1]).label("bucket"),
            *(t.c[k] for k in coarse.keys),
            *(t.c[c] for c in coarse.columns),
        )
        .where(t.c.store_id == ALL_STORES, t.c[fine.time] >= at(start), t.c[fine.time] < at(end))
        .subquery("fine")
    )
    keys = [inner.c.bucket, *(inner.c[k] for k in coarse.keys)]
    return select(
        inner.c.bucket, literal(ALL_STORES), *keys[1:], *(func.sum(inner.c[c]) for c in coarse.columns)
    ).group_by(*keys)
