"""Keeping the metric rollups equal to the raw rows: full builds and incremental refreshes.

Three groups, each with a row in `metrics_rollup_state`:

* **orders** (order hours, product sales days) and **refunds** (refund hours) are *recomputed*:
  a refresh finds the rows whose `updated_at` moved since the group's high-water mark (minus
  `CHANGE_OVERLAP`, so a transaction that committed late is still seen), derives the (local
  day, store) partitions they can affect — every day holding one of the order's moments, for
  every store the order ever belonged to (reallocation moves orders between stores) — and
  recomputes exactly those partitions from the raw rows (DELETE + INSERT … SELECT; the all-stores
  week rows of the weeks holding them from the all-stores day rows just recomputed). Recomputing
  is idempotent, so overlap and retries are harmless; the order and refund services need not
  know that rollups exist. A recompute of the orders group also rebuilds the day sets and the
  channel days (`services/metrics/channels.py`) of its partitions.
* **visits** (traffic hours, product views, visitor days) are *added to* by `trackEvents` in the
  ingestion transaction (`services/visits.py`): events never change, so only a full build reads
  them again.

Several processes may refresh at once: on PostgreSQL a group's refresh holds an advisory lock
(others skip it rather than queue, and serve the last committed rollups), and a full build of
the visits group locks its tables day by day so ingestion waits a moment instead of racing it.
On SQLite every write transaction is already exclusive. A group being built is not *ready*:
metrics then read raw rows for it (`ready_groups`), so a figure is never computed from a
half-built table. Whether a request must refresh first is `services/metrics/freshness.py`'s call.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.after_sales.rows import AfterSale
from models.base import utcnow
from models.date_ranges import Granularity, day_starts, days_between, local_day, zone_name
from models.metrics.rollups import ALL_STORES, RollupState
from models.metrics.sets import DaySet
from models.orders.rows import AllocationRecord, Order
from models.visits import VisitEvent
from services.db import SessionFactory, unit_of_work
from services.metrics import channels as metrics_channels
from services.metrics import line_facts
from services.metrics import sets as metrics_sets
from services.metrics.rollup_tables import (
    CUSTOMER_DAYS,
    ORDER_DAYS,
    ORDER_HOURS,
    PRODUCT_SALES_DAYS,
    PRODUCT_SALES_WEEKS,
    PRODUCT_VIEW_DAYS,
    PRODUCT_VIEW_WEEKS,
    REFUND_HOURS,
    SOURCE_DAYS,
    TRAFFIC_HOURS,
    VISITOR_DAYS,
    Rollup,
)
from services.metrics.sources import build_select
from services.metrics.sql import at, by_cuts, dialect_of, in_stores, rollup_lock_key
from services.metrics.weeks import recompute_weeks, sum_weeks

log = logging.getLogger("mallgraph.rollups")

ROLLUP_VERSION = 3
"""Bump when a fact's definition changes: every group is then rebuilt on its next refresh."""
BUILDING = -1
"""`version` of a state row while its group is being built."""
CHANGE_OVERLAP = timedelta(minutes=5)
"""Longer than any write transaction (and clock skew between processes) may take to commit."""
BUILD_DAYS = 7
"""Days a full build recomputes per transaction: short enough not to hold locks for long."""
STALE_BUILD = timedelta(minutes=30)
"""A build marker older than this belonged to a process that died: build again."""

GROUPS: dict[str, tuple[Rollup, ...]] = {
    "orders": (
        ORDER_HOURS,
        ORDER_DAYS,
        PRODUCT_SALES_DAYS,
        PRODUCT_SALES_WEEKS,
        CUSTOMER_DAYS,
        line_facts.CATEGORY_LINE_HOURS,
    ),
    "refunds": (REFUND_HOURS,),
    "visits": (TRAFFIC_HOURS, PRODUCT_VIEW_DAYS, PRODUCT_VIEW_WEEKS, VISITOR_DAYS, SOURCE_DAYS),
}

Partitions = dict[date, set[int]]
"""Local day → stores (0: rows without a store) whose rollup rows must be recomputed."""


@dataclass(slots=True)
class RefreshReport:
    built: list[str] = field(default_factory=list)
    partitions: int = 0
    """(day, store set) partitions recomputed by incremental refreshes."""
    visitor_sets: int = 0
    """(store, day)s whose visitor day sets were rebuilt."""
    seconds: float = 0.0


async def _lock(session: AsyncSession, group: str, *, wait: bool) -> bool:
    """Serialise refreshes of a group across processes (PostgreSQL; SQLite writers are exclusive)."""
    if dialect_of(session) != "postgresql":
        return True
    fn = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    result = await session.scalar(select(fn(rollup_lock_key(group))))
    return True if wait else bool(result)


async def _lock_tables(session: AsyncSession, group: str) -> None:
    """Ingestion adds to the visits rollups: while their rows are rebuilt it must wait, not interleave
    (SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock of its upserts)."""
    if group == "visits" and dialect_of(session) == "postgresql":
        names = ", ".join(r.table.name for r in GROUPS["visits"])
        await session.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


async def _no_timeout(session: AsyncSession) -> None:
    """A build is background work: the request statement timeout must not cut it short."""
    if dialect_of(session) == "postgresql":
        await session.execute(text("SET LOCAL statement_timeout = 0"))


def is_current(state: RollupState | None, zone: tzinfo) -> bool:
    return state is not None and state.version == ROLLUP_VERSION and state.zone == zone_name(zone)


def is_being_built(state: RollupState | None, now: datetime) -> bool:
    return state is not None and state.version == BUILDING and state.refreshed_at > now - STALE_BUILD


async def recompute(
    session: AsyncSession,
    group: str,
    first: date,
    last: date,
    stores: frozenset[int] | None,
    zone: tzinfo,
    *,
    weeks: bool = True,
) -> None:
    """Replace the group's rollup rows of the local days first..last (and of `stores`, None = all)
    by the sums of the raw rows: one DELETE and one INSERT … SELECT per table; then the week rows
    of the weeks holding those days (`weeks=False`: the caller calls `recompute_weeks` later)."""
    dialect = dialect_of(session)
    days = day_starts(first, last, zone)
    hours = _hour_cuts(days[0], days[-1])
    span = [(days[0], days[-1])]
    if group == "orders":
        await line_facts.take_new_products(session)  # before any line is summed under its category
    for rollup in GROUPS[group]:
        if rollup.summed_from is not None:
            if weeks:
                await sum_weeks(session, rollup, days[0], days[-1], zone)
            continue
        t = rollup.table
        scope = in_stores(t.c.store_id, stores)
        if rollup.totals and stores is not None:
            scope = or_(scope, t.c.store_id == ALL_STORES)  # the all-stores rows change too
        await session.execute(
            delete(t).where(t.c[rollup.time] >= at(days[0]), t.c[rollup.time] < at(days[-1]), scope)
        )
        cuts = hours if rollup.grain is Granularity.HOUR else days

        def bucket(column: Any, cuts: list[datetime] = cuts) -> Any:
            return by_cuts(column, cuts, cuts[:-1])

        columns = [rollup.time, "store_id", *rollup.keys, *rollup.columns]
        if rollup.per_store:
            rows = build_select(rollup, span, stores, bucket, dialect)
            await session.execute(insert(t).from_select(columns, rows))
        if rollup.totals:
            every_store = build_select(rollup, span, None, bucket, dialect, all_stores=True)
            await session.execute(insert(t).from_select(columns, every_store))
    await metrics_sets.rebuild(session, group, days[0], days[-1], stores)
    if group == "orders":
        await metrics_channels.rebuild(session, days, stores)


def _hour_cuts(start: datetime, end: datetime) -> list[datetime]:
    """Starts of the local hours in [start, end) (local midnights), and `end`. Local hours are
    one-hour UTC intervals whatever the DST changes (offsets move by whole hours)."""
    cuts = [start]
    while cuts[-1] + timedelta(hours=1) < end:
        cuts.append(cuts[-1] + timedelta(hours=1))
    cuts.append(end)
    return cuts


async def _span(session: AsyncSession, group: str) -> tuple[datetime | None, datetime | None]:
    """First and last moment any raw row of the group is counted at."""
    if group == "orders":
        first = select(func.min(Order.created_at)).scalar_subquery()
        lasts = [
            select(func.max(c)).scalar_subquery()
            for c in (Order.created_at, Order.paid_at, Order.accepted_at, AllocationRecord.created_at)
        ]
        row = (await session.execute(select(first, *lasts))).one()
        ends = [v for v in row[1:] if v is not None]
        return row[0], max(ends) if ends else None
    column = AfterSale.refunded_at if group == "refunds" else VisitEvent.occurred_at
    span = (await session.execute(select(func.min(column), func.max(column)))).one()
    return span[0], span[1]


async def _high_water(session: AsyncSession, group: str) -> datetime | None:
    if group == "visits":
        return None
    column = Order.updated_at if group == "orders" else AfterSale.updated_at
    value: datetime | None = await session.scalar(select(func.max(column)))
    return value


async def _write_state(
    session: AsyncSession, group: str, zone: tzinfo, version: int, seen: datetime | None, now: datetime
) -> None:
    state = await session.get(RollupState, group)
    if state is None:
        session.add(
            RollupState(name=group, zone=zone_name(zone), version=version, seen_until=seen, refreshed_at=now)
        )
    else:
        state.zone, state.version, state.seen_until, state.refreshed_at = zone_name(zone), version, seen, now
    await session.flush()


async def build(sessions: SessionFactory, group: str, zone: tzinfo, now: datetime) -> bool:
    """Rebuild a group from the raw rows, one local day per transaction. False: someone else is."""
    async with unit_of_work(sessions) as session:
        if not await _lock(session, group, wait=False):
            return False
        state = await session.get(RollupState, group)
        if is_being_built(state, now):
            return False
        first, last = await _span(session, group)
        seen = await _high_water(session, group)
        await _write_state(session, group, zone, BUILDING, None, now)
    async with unit_of_work(sessions) as session:
        await _lock(session, group, wait=True)
        await _lock_tables(session, group)
        for rollup in GROUPS[group]:
            await session.execute(delete(rollup.table))
        if group == "orders":
            await line_facts.forget_products(session)
        await session.execute(delete(DaySet).where(DaySet.kind.in_(metrics_sets.KINDS.get(group, ()))))
        if group == "orders":
            await metrics_channels.clear(session)
    if first is not None and last is not None:
        days = list(days_between(local_day(first, zone), local_day(last, zone)))
        for i in range(0, len(days), BUILD_DAYS):
            chunk = days[i : i + BUILD_DAYS]
            async with unit_of_work(sessions) as session:
                await _lock(session, group, wait=True)
                await _lock_tables(session, group)
                await _no_timeout(session)
                await recompute(session, group, chunk[0], chunk[-1], None, zone)
    async with unit_of_work(sessions) as session:
        await _lock(session, group, wait=True)
        await _write_state(session, group, zone, ROLLUP_VERSION, seen, utcnow())
    log.info("rollups %s built (%s .. %s)", group, first, last)
    return True


def _add(
    partitions: Partitions, moments: Iterable[datetime | None], stores: Iterable[int], zone: tzinfo
) -> None:
    for moment in moments:
        if moment is not None:
            partitions[local_day(moment, zone)].update(stores)


async def _changed_orders(
    session: AsyncSession, since: datetime, zone: tzinfo
) -> tuple[Partitions, datetime | None]:
    rows = (
        await session.execute(
            select(
                Order.id, Order.store_id, Order.created_at, Order.paid_at, Order.accepted_at, Order.updated_at
            ).where(Order.updated_at >= at(since))
        )
    ).all()
    records = (
        await session.execute(
            select(
                AllocationRecord.order_id,
                AllocationRecord.from_store_id,
                AllocationRecord.to_store_id,
                AllocationRecord.created_at,
            )
            .join(Order, Order.id == AllocationRecord.order_id)
            .where(Order.updated_at >= at(since))
        )
    ).all()
    stores_ever: dict[int, set[int]] = defaultdict(set)
    partitions: Partitions = defaultdict(set)
    for r in records:
        stores_ever[r.order_id].update(s or 0 for s in (r.from_store_id, r.to_store_id))
        if r.to_store_id is None and r.from_store_id is not None:
            _add(partitions, [r.created_at], [r.from_store_id], zone)
    for o in rows:
        stores = {o.store_id or 0, *stores_ever[o.id]}
        _add(partitions, [o.created_at, o.paid_at, o.accepted_at], stores, zone)
    return partitions, max((o.updated_at for o in rows), default=None)


async def _changed_refunds(
    session: AsyncSession, since: datetime, zone: tzinfo
) -> tuple[Partitions, datetime | None]:
    rows = (
        await session.execute(
            select(AfterSale.store_id, AfterSale.refunded_at, AfterSale.updated_at).where(
                AfterSale.updated_at >= at(since)
            )
        )
    ).all()
    partitions: Partitions = defaultdict(set)
    for r in rows:
        _add(partitions, [r.refunded_at], [r.store_id or 0], zone)
    return partitions, max((r.updated_at for r in rows), default=None)


async def catch_up(
    sessions: SessionFactory, group: str, zone: tzinfo, now: datetime, overlap: timedelta = CHANGE_OVERLAP
) -> int | None:
    """Recompute the partitions touched since the high-water mark minus `overlap`; None when the
    group must be built first. Returns the number of partitions recomputed (0 when another
    process holds the group)."""
    async with unit_of_work(sessions) as session:
        if not await _lock(session, group, wait=False):
            return 0
        state = await session.get(RollupState, group)
        if not is_current(state, zone):
            return None
        assert state is not None
        if group == "visits":
            return 0  # kept current by ingestion
        since = (state.seen_until or now) - overlap
        changed = _changed_orders if group == "orders" else _changed_refunds
        partitions, seen = await changed(session, since, zone)
        if group == "orders":
            await line_facts.follow_catalogue(session, zone)
        for day, stores in sorted(partitions.items()):
            await recompute(session, group, day, day, frozenset(stores), zone, weeks=False)
        await recompute_weeks(session, GROUPS[group], partitions, zone)
        state.seen_until = max((s for s in (seen, state.seen_until) if s is not None), default=None)
        state.refreshed_at = now
        return len(partitions)


async def refresh_rollups(
    sessions: SessionFactory, zone: tzinfo, now: datetime | None = None, overlap: timedelta = CHANGE_OVERLAP
) -> RefreshReport:
    """Bring every group up to date: build what was never built (or with another zone or
    definition version), recompute what changed since the last refresh. Safe to run anywhere.

    `overlap` re-reads changes older than the high-water mark, for transactions that committed
    late; a request path that only wants the newest changes passes 0."""
    now = now or utcnow()
    began = time.perf_counter()
    report = RefreshReport()
    for group in GROUPS:
        done = await catch_up(sessions, group, zone, now, overlap)
        if done is None:
            if await build(sessions, group, zone, now):
                report.built.append(group)
        else:
            report.partitions += done
    report.visitor_sets = (await metrics_sets.refresh_visitor_sets(sessions, zone)).partitions
    report.seconds = time.perf_counter() - began
    log.info(
        "rollup refresh: %d partitions, %d visitor sets, built %s in %.3f s",
        report.partitions,
        report.visitor_sets,
        report.built,
        report.seconds,
    )
    return report


async def sweep_rollups(sessions: SessionFactory, zone: tzinfo, now: datetime) -> int:
    """The sweeper's refresh, after the other sweeps moved orders: partitions recomputed plus
    groups built. A failure is logged and left to the next sweep (the figures stay correct:
    metrics refresh before they read)."""
    try:
        report = await refresh_rollups(sessions, zone, now)
    except Exception:
        log.exception("rollup refresh failed; the next sweep retries")
        return 0
    return report.partitions + report.visitor_sets + len(report.built)
