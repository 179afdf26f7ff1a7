"""Day sets (`models/metrics/sets.py`): building them from the day rollups, keeping them current,
and counting distinct ids over spans from them.

* Customer sets are rebuilt from `metrics_customer_days` inside every recompute of the orders
  rollups (`services/metrics/rollups.py`), in the same transaction: they are exactly as current as the
  rollups the metrics already trust.
* Visitor sets are rebuilt from `metrics_visitor_days`: by a full build of the visits rollups,
  and for the (store, day)s page-view ingestion marked changed (`metrics_day_set_changes`) by
  `refresh_visitor_sets`, which the sweeper and the metrics' freshness check run. It takes the
  visits group's PostgreSQL advisory lock (held by another process or a build: it skips), reads
  the markers, recomputes their sets and deletes exactly the markers it read; recomputing is
  idempotent, so a crash only repeats work.

Every rebuild of some stores' sets on some days also rebuilds the all-stores sets of those days
(the union of every store's), which unscoped questions read: one row per day.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from pyroaring import BitMap
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.date_ranges import Granularity, local_day, local_midnight
from models.metrics.rollups import ALL_STORES, CustomerDay, VisitorDay
from models.metrics.sets import DaySet, DaySetChange, SetKind, VisitorNumber, encode, union
from services.db import SessionFactory, unit_of_work
from services.metrics.facts import PAID, PLACED, VISITS, Fact, RawFilter, Rows
from services.metrics.sources import split_spans
from services.metrics.sql import Span, at, dialect_of, in_spans, in_stores, rollup_lock_key

log = logging.getLogger("mallgraph.metrics_sets")

CUSTOMER_KINDS = {SetKind.PAYING: "paid_orders", SetKind.ORDERING: "placed_orders"}
VISITOR_KINDS = {SetKind.VISITORS: "pv", SetKind.PRODUCT_VISITORS: "product_pv"}
KINDS = {"orders": tuple(CUSTOMER_KINDS), "visits": tuple(VISITOR_KINDS)}
"""The kinds each rollup group's recompute rebuilds."""
CHANGES_PER_REFRESH = 5000
"""Markers one refresh transaction consumes at most (the rest wait for the next)."""

SETS: dict[tuple[str, str, str | None], tuple[SetKind, str]] = {
    (PAID.name, "customer_id", None): (SetKind.PAYING, "orders"),
    (PLACED.name, "customer_id", None): (SetKind.ORDERING, "orders"),
    (VISITS.name, "visitor_id", None): (SetKind.VISITORS, "visits"),
    (VISITS.name, "visitor_id", "product_pv"): (SetKind.PRODUCT_VISITORS, "visits"),
}
"""(fact, counted column, `when` column) of a COUNT(DISTINCT) → the day set that answers it, and
the rollup group that must be ready."""


Members = Iterable[tuple[datetime, int, int, Sequence[int]]]
"""(day_start, store_id, member, flags): the member belongs to kind i's set when flags[i] > 0."""


async def _replace(
    session: AsyncSession,
    kinds: Sequence[SetKind],
    rows: Members,
    start: datetime,
    end: datetime,
    stores: frozenset[int] | None,
) -> None:
    """Replace the sets of `kinds` on the days in [start, end) of `stores` (None: all) by those of
    `rows`, then the all-stores sets of those days by the union of every store's."""
    members: dict[tuple[SetKind, datetime, int], list[int]] = defaultdict(list)
    for day, store, member, flags in rows:
        for kind, flag in zip(kinds, flags, strict=True):
            if flag > 0:
                members[(kind, day, store)].append(member)
    t = DaySet.__table__
    scope = in_stores(t.c.store_id, stores) | (t.c.store_id == ALL_STORES)
    days = (t.c.day_start >= at(start)) & (t.c.day_start < at(end))
    await session.execute(delete(DaySet).where(t.c.kind.in_(kinds), days, scope))
    await _insert(session, ((k, d, s, m) for (k, d, s), m in members.items()))
    stored = await session.execute(
        select(t.c.kind, t.c.day_start, t.c.members).where(t.c.kind.in_(kinds), days)
    )
    per_day: dict[tuple[SetKind, datetime], list[bytes]] = defaultdict(list)
    for kind, day, blob in stored:
        per_day[(kind, day)].append(blob)
    await _insert(session, ((k, d, ALL_STORES, union(blobs)) for (k, d), blobs in per_day.items()))


NewSets = Iterable[tuple[SetKind, datetime, int, Iterable[int]]]


async def _insert(session: AsyncSession, sets: NewSets) -> None:
    values = []
    for kind, day, store, members in sets:
        blob, size = encode(members)
        values.append({"kind": kind, "day_start": day, "store_id": store, "members": blob, "size": size})
    if values:
        await session.execute(insert(DaySet), values)


async def rebuild(
    session: AsyncSession, group: str, start: datetime, end: datetime, stores: frozenset[int] | None
) -> None:
    """After a recompute of `group`'s rollups on [start, end) (local midnights) for `stores`:
    rebuild the sets derived from them."""
    if group == "orders":
        c = CustomerDay
        rows = await session.execute(
            select(c.day_start, c.store_id, c.customer_id, c.paid_orders, c.placed_orders).where(
                c.day_start >= at(start), c.day_start < at(end), in_stores(c.store_id, stores)
            )
        )
        found = ((d, s, m, (paid, placed)) for d, s, m, paid, placed in rows)
        await _replace(session, list(CUSTOMER_KINDS), found, start, end, stores)
    elif group == "visits":
        await _rebuild_visitors(session, start, end, stores)


async def _rebuild_visitors(
    session: AsyncSession, start: datetime, end: datetime, stores: frozenset[int] | None
) -> None:
    v, n = VisitorDay, VisitorNumber
    where = (v.day_start >= at(start), v.day_start < at(end), in_stores(v.store_id, stores))
    unnumbered = (
        select(v.visitor_id)
        .where(*where, ~exists().where(n.visitor_id == v.visitor_id))
        .distinct()
        .order_by(v.visitor_id)
    )
    dialect_insert = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    await session.execute(dialect_insert(n).from_select(["visitor_id"], unnumbered).on_conflict_do_nothing())
    rows = await session.execute(
        select(v.day_start, v.store_id, n.number, v.product_pv)
        .join(n, n.visitor_id == v.visitor_id)
        .where(*where)
    )
    found = ((d, s, m, (1, product)) for d, s, m, product in rows)
    await _replace(session, list(VISITOR_KINDS), found, start, end, stores)


async def _try_lock(session: AsyncSession) -> bool:
    """The visits group's lock: a refresh never interleaves with a build rewriting the same sets."""
    if dialect_of(session) != "postgresql":
        return True
    key = rollup_lock_key("visits")
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(key))))


@dataclass(frozen=True, slots=True)
class SetRefresh:
    changes: int
    """markers consumed"""
    partitions: int
    """(store, day)s whose visitor sets were rebuilt"""
    seconds: float


async def refresh_visitor_sets(sessions: SessionFactory, zone: tzinfo) -> SetRefresh:
    """Rebuild the visitor sets of the (store, day)s ingestion marked changed (at most
    `CHANGES_PER_REFRESH` markers; zero when another process is at it)."""
    began = time.perf_counter()
    c = DaySetChange
    async with sessions() as session:
        if await session.scalar(select(c.id).limit(1)) is None:
            return SetRefresh(0, 0, 0.0)
    async with unit_of_work(sessions) as session:
        if not await _try_lock(session):
            return SetRefresh(0, 0, 0.0)
        changes = (
            await session.execute(
                select(c.id, c.day_start, c.store_id).order_by(c.id).limit(CHANGES_PER_REFRESH)
            )
        ).all()
        if not changes:
            return SetRefresh(0, 0, 0.0)
        by_day: dict[datetime, set[int]] = defaultdict(set)
        for _, day, store in changes:
            by_day[day].add(store)
        for day, stores in sorted(by_day.items()):
            end = local_midnight(local_day(day, zone) + timedelta(days=1), zone)
            await _rebuild_visitors(session, day, end, frozenset(stores))
        await session.execute(delete(c).where(c.id.in_([row.id for row in changes])))
    done = SetRefresh(len(changes), sum(map(len, by_day.values())), time.perf_counter() - began)
    log.info(
        "visitor sets: %d markers, %d (store, day)s in %.3f s", done.changes, done.partitions, done.seconds
    )
    return done


def set_for(fact: Fact, distinct_of: tuple[str, str | None] | None) -> tuple[SetKind, str] | None:
    """The day set (and the group it needs) answering a plain COUNT(DISTINCT) of `fact`, if any."""
    if distinct_of is None:
        return None
    return SETS.get((fact.name, *distinct_of))


Execute = Any
"""`Engine.execute`: runs a statement on the read sessions within the role's time limit."""


SetRow = tuple[datetime, bytes, int]
"""(day_start, members, size) of one day set."""
ReadSets = Callable[[SetKind, tuple[Span, ...]], Awaitable[list[SetRow]]]
"""The day sets of one kind whose day starts inside one of the spans, within the caller's stores."""


def day_set_rows(
    questions: Sequence[tuple[SetKind, tuple[Span, ...]]], stores: frozenset[int] | None
) -> tuple[Rows, Callable[[Sequence[Sequence[Any]]], list[list[SetRow]]]]:
    """One statement reading the day sets several `ReadSets` questions ask for (the all-stores rows
    when `stores` is None, else those stores' rows), and the function that splits its rows into
    each question's answer, in order."""
    t = DaySet.__table__
    scope = t.c.store_id == ALL_STORES if stores is None else in_stores(t.c.store_id, stores)
    kinds = sorted({kind for kind, _ in questions})
    stmt = select(t.c.kind, t.c.day_start, t.c.members, t.c.size).where(
        t.c.kind.in_(kinds) if len(kinds) > 1 else t.c.kind == kinds[0],
        in_spans(t.c.day_start, [s for _, spans in questions for s in spans]),
        scope,
    )

    def split(rows: Sequence[Sequence[Any]]) -> list[list[SetRow]]:
        return [
            [
                (day, members, size)
                for kind, day, members, size in rows
                if kind == wanted and any(start <= day < end for start, end in spans)
            ]
            for wanted, spans in questions
        ]

    return stmt, split


def _reader(execute: Execute, stores: frozenset[int] | None) -> ReadSets:
    async def read(kind: SetKind, spans: tuple[Span, ...]) -> list[SetRow]:
        stmt, split = day_set_rows([(kind, spans)], stores)
        rows = await execute(stmt)
        return split([(r["kind"], r["day_start"], r["members"], r["size"]) for r in rows])[0]

    return read


async def distinct_counts(
    execute: Execute,
    fact: Fact,
    kind: SetKind,
    column: str,
    when: str | None,
    spans: Sequence[Span],
    stores: frozenset[int] | None,
    zone: tzinfo,
    dialect: str,
    read: ReadSets | None = None,
) -> list[int]:
    """COUNT(DISTINCT column) of `fact` in each span (sorted, disjoint, non-empty): the union of the
    day sets of the whole local days in it, plus the raw rows of its partial days.

    `read` fetches the day sets of whole days (`day_set_rows`' contract); by default one
    statement per call through `execute`.
    """
    whole: list[tuple[Span, int]] = []
    rest: list[tuple[Span, int]] = []
    for i, span in enumerate(spans):
        w, r = split_spans([span], Granularity.DAY, zone)
        whole.extend((s, i) for s in w)
        rest.extend((s, i) for s in r)
    blobs: list[list[bytes]] = [[] for _ in spans]
    sizes: list[int] = [0] * len(spans)
    if whole:
        parts = tuple(s for s, _ in whole)
        found = await (read or _reader(execute, stores))(kind, parts)
        owner = _owner(whole)
        for day_start, members, size in found:
            i = owner(day_start)
            blobs[i].append(members)
            sizes[i] += size
    numbered: list[set[int]] = [set() for _ in spans]
    unnumbered: list[set[str]] = [set() for _ in spans]
    if rest:
        raw = fact.project(RawFilter([s for s, _ in rest], stores), dialect).subquery()
        value = raw.c[column]
        conditions = [value.is_not(None)] + ([raw.c[when] > 0] if when else [])
        if kind in VISITOR_KINDS:
            n = VisitorNumber
            stmt = (
                select(raw.c.at, value.label("v"), n.number)
                .outerjoin(n, n.visitor_id == value)
                .where(*conditions)
                .distinct()
            )
        else:
            stmt = select(raw.c.at, value.label("v"), value.label("number")).where(*conditions).distinct()
        owner = _owner(rest)
        for row in await execute(stmt):
            i = owner(row["at"])
            if row["number"] is None:
                unnumbered[i].add(row["v"])
            else:
                numbered[i].add(row["number"])
    counts = []
    for i in range(len(spans)):
        if len(blobs[i]) == 1 and not numbered[i]:
            counts.append(sizes[i] + len(unnumbered[i]))
            continue
        merged = union(blobs[i])
        merged |= BitMap(numbered[i])
        counts.append(len(merged) + len(unnumbered[i]))
    return counts


async def distinct_counts_by_store(
    execute: Execute,
    kind: SetKind,
    spans: Sequence[Span],
    stores: frozenset[int] | None,
    zone: tzinfo,
) -> list[tuple[int, int, int]] | None:
    """(span index, store, distinct count) per store with any id in a span, from each store's
    day sets; None when a span does not consist of whole local days (the caller counts rows)."""
    if split_spans(spans, Granularity.DAY, zone)[1]:
        return None
    t = DaySet.__table__
    stmt = select(t.c.day_start, t.c.store_id, t.c.members).where(
        t.c.kind == kind,
        in_spans(t.c.day_start, spans),
        t.c.store_id != ALL_STORES,
        in_stores(t.c.store_id, stores),
    )
    owner = _owner([(span, i) for i, span in enumerate(spans)])
    blobs: dict[tuple[int, int], list[bytes]] = defaultdict(list)
    for row in await execute(stmt):
        blobs[(owner(row["day_start"]), row["store_id"])].append(row["members"])
    return [(i, store, len(union(parts))) for (i, store), parts in sorted(blobs.items())]


def _owner(parts: Sequence[tuple[Span, int]]) -> Any:
    """moment → index of the span whose part holds it."""
    ordered = sorted(parts)
    starts = [start for (start, _), _ in ordered]

    def owner(moment: datetime) -> int:
        return ordered[bisect_right(starts, moment) - 1][1]

    return owner


async def mark_changed(session: AsyncSession, changed: Iterable[tuple[datetime, int]]) -> None:
    """In the ingestion transaction: the visitor sets of these (day_start, store_id)s must be rebuilt."""
    rows = [{"day_start": day, "store_id": store} for day, store in sorted(set(changed))]
    if rows:
        await session.execute(insert(DaySetChange), rows)
