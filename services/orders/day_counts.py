"""Counting orders of a time range from `order_day_count_parts` (models/orders/day_counts.py).

A count is one statement (one snapshot): the parts of the range's whole local days, plus the
orders of the rest of the range (counted from the `created_at` / `paid_at` indexes), plus a marker
row naming the zone the parts were built for. When that zone is not the caller's (or the parts were
never built) the count returns None and the caller counts the orders as before, so a count is
always the scan's. The sweep merges the parts (`merge_day_parts`) and rebuilds them for another
zone (`ensure_day_parts`); `mallgraph recount-orders` checks them (`day_mismatches`).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from models.orders.counts import CountScope
from models.orders.day_counts import (
    COVERED_FROM,
    DayBasis,
    DayCountScope,
    OrderDayCountMerge,
    OrderDayCountPart,
    OrderDayOffset,
    irregular_days,
    name_of,
    split_days,
    zone_offsets,
)
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from services.db import SessionFactory, error_chain, unit_of_work
from services.metrics.sql import dialect_of
from services.orders import day_count_sql as day_sql

_MERGE_LOCK: Final = zlib.crc32(b"mallgraph.order_day_count_parts.merge")
_TIMES: Final = {DayBasis.CREATED: Order.created_at, DayBasis.PAID: Order.paid_at}


@cache
def _offsets(zone_key: str, zone: tzinfo) -> tuple[list[tuple[datetime, int]], frozenset[date]]:
    offsets = zone_offsets(zone)
    return offsets, irregular_days(offsets)


def _scope(scope: CountScope, store: Any, status: Any) -> list[ColumnElement[bool]] | None:
    """`scope`'s conditions on the given columns, or None when no order can match."""
    conditions: list[ColumnElement[bool]] = []
    if scope.statuses is not None:
        if not scope.statuses:
            return None
        conditions.append(status.in_(sorted(s.value for s in scope.statuses)))
    if scope.store_ids is not None:
        if not scope.store_ids:
            return None
        conditions.append(store.in_(sorted(scope.store_ids)))
    if scope.store_codes is not None:
        if not scope.store_codes:
            return None
        conditions.append(store.in_(select(Store.id).where(Store.code.in_(sorted(scope.store_codes)))))
    return conditions


async def count_by_status(
    sessions: SessionFactory, scope: DayCountScope, zone: tzinfo
) -> dict[OrderStatus, int] | None:
    """How many orders of `scope` each status holds (statuses without orders left out), or None
    when the parts cannot answer (the range holds no whole local day, or the parts are not built
    for `zone`): the caller then counts the orders."""
    _, irregular = _offsets(name_of(zone), zone)
    split = split_days(scope.start, scope.end, zone, irregular)
    if split is None:
        return None
    parts = _scope(scope.scope, OrderDayCountPart.store_id, OrderDayCountPart.status)
    orders = _scope(scope.scope, Order.store_id, Order.status)
    if parts is None or orders is None:
        return {}
    marker = select(
        null().cast(String(32)).label("status"), literal(0).label("n"), OrderDayOffset.zone.label("zone")
    ).where(OrderDayOffset.starts_at == COVERED_FROM)
    branches: list[Any] = [  # selects of one shape: (status, n, zone)
        marker,
        select(OrderDayCountPart.status, func.sum(OrderDayCountPart.n), null())
        .where(
            OrderDayCountPart.basis == scope.basis.value,
            OrderDayCountPart.day.between(split.first, split.last),
            *parts,
        )
        .group_by(OrderDayCountPart.status),
    ]
    at = _TIMES[scope.basis]
    for window in (split.before, split.after):
        if window is None:
            continue
        low, high = window
        bounds = [at.is_not(None) if low is None else at >= low]
        if high is not None:
            bounds.append(at < high)
        branches.append(
            select(Order.status, func.count(), null()).where(*bounds, *orders).group_by(Order.status)
        )
    both = union_all(*branches).subquery()
    stmt = select(both.c.status, func.sum(both.c.n), func.max(both.c.zone)).group_by(both.c.status)
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    built = next((z for status, _, z in rows if status is None), None)
    if built != name_of(zone):
        return None
    return {OrderStatus(str(status)): int(n) for status, n, _ in rows if status is not None and n}


async def count_orders(sessions: SessionFactory, scope: DayCountScope, zone: tzinfo) -> int | None:
    """How many orders `scope` holds, or None as `count_by_status`."""
    found = await count_by_status(sessions, scope, zone)
    return None if found is None else sum(found.values())


async def built_zone(sessions: SessionFactory) -> str | None:
    """The zone the parts were built for; None when they were never built."""
    async with sessions() as session:
        built = select(OrderDayOffset.zone).where(OrderDayOffset.starts_at == COVERED_FROM)
        found = await session.scalar(built)
    return None if found is None else str(found)


_LOCK_NOT_AVAILABLE: Final = "55P03"
_LOCK_WAIT: Final = "1s"
"""How long a merge waits for the order writes in progress (PostgreSQL); order writes that come
after it wait for the merge meanwhile. A merge that waits longer gives up until the next sweep."""
_CHUNK: Final = 5_000
PartKey = tuple[str, date, int | None, str]


def _lock_not_available(error: BaseException) -> bool:
    return any(
        (getattr(c, "sqlstate", None) or getattr(c, "pgcode", None)) == _LOCK_NOT_AVAILABLE
        for current in error_chain(error)
        for c in (current, getattr(current, "orig", None))
    )


async def _mark(session: AsyncSession) -> None:
    """Record the highest id of the parts as the high-water mark (0 when there are none)."""
    top = int(await session.scalar(select(func.max(OrderDayCountPart.id))) or 0)
    m = OrderDayCountMerge
    done = await session.execute(update(m).where(m.id == 1).values(through_id=top))
    if not getattr(done, "rowcount", 0):
        await session.execute(insert(m).values(id=1, through_id=top))


async def merge_day_parts(sessions: SessionFactory) -> int:
    """Replace the parts of each (basis, day, store, status) that has several by their sum; how
    many parts it took away. The contract of `services.orders.counts.merge_parts`.

    Only the keys of the parts with an id above the high-water mark (`OrderDayCountMerge`) are
    read, so a merge after few order changes reads and rewrites few rows, and none when nothing
    changed. The mark is exact because no part is being written while it moves: on PostgreSQL the
    merge takes a lock on the parts that waits for the order writes in progress (and makes later
    ones wait until it commits, so their parts get higher ids); on SQLite the IMMEDIATE
    transaction does the same. One transaction deletes the old parts and inserts their sums.
    """
    try:
        return await _merge(sessions)
    except DBAPIError as error:
        if _lock_not_available(error):
            return 0
        raise


async def _merge(sessions: SessionFactory) -> int:
    p = OrderDayCountPart
    async with unit_of_work(sessions) as session:
        postgres = dialect_of(session) == "postgresql"
        if postgres and not await session.scalar(select(func.pg_try_advisory_xact_lock(_MERGE_LOCK))):
            return 0
        through = int(await session.scalar(select(OrderDayCountMerge.through_id)) or 0)
        top = await session.scalar(select(func.max(p.id)))
        if top is None:
            return 0
        if top < through:  # the parts were emptied and their ids began again (SQLite)
            through = 0
        elif top == through:
            return 0
        if postgres:
            await session.execute(text(f"SET LOCAL lock_timeout = '{_LOCK_WAIT}'"))
            await session.execute(text("SET LOCAL jit = off"))  # compiling costs more than a few probes
            await session.execute(text("LOCK TABLE order_day_count_parts IN SHARE ROW EXCLUSIVE MODE"))
        changed = text(day_sql.changed_statement(postgres, through)).columns(
            p.id, p.basis, p.day, p.store_id, p.status, p.n
        )
        found = await session.execute(changed)
        parts: dict[PartKey, list[tuple[int, int]]] = defaultdict(list)
        for part_id, basis, day, store_id, status, n in found:
            parts[basis, day, store_id, status].append((part_id, n))
        taken = [part_id for several in parts.values() if len(several) > 1 for part_id, _ in several]
        merged = [
            {"basis": b, "day": d, "store_id": s, "status": st, "n": n}
            for (b, d, s, st), several in parts.items()
            if len(several) > 1 and (n := sum(n for _, n in several))
        ]
        if postgres and taken:  # one array parameter, one statement to prepare
            ids = bindparam("taken", taken, type_=ARRAY(BigInteger))
            await session.execute(
                delete(p).where(p.id == any_(ids)).execution_options(synchronize_session=False)
            )
        for i in range(0, 0 if postgres else len(taken), _CHUNK):  # SQLite: at most _CHUNK parameters
            chunk = taken[i : i + _CHUNK]
            await session.execute(
                delete(p).where(p.id.in_(chunk)).execution_options(synchronize_session=False)
            )
        if merged:  # the HQ warehouse's (NULL store) together: one INSERT per set of columns
            await session.execute(insert(p), sorted(merged, key=lambda part: part["store_id"] is None))
        await _mark(session)
    return len(taken) - len(merged)


async def rebuild_day_parts(sessions: SessionFactory, zone: tzinfo) -> int:
    """Write `zone`'s offsets and replace every part by one per (basis, day, store, status)
    counted from the orders; how many parts it wrote. Order writes wait meanwhile, as in
    `services.orders.counts.rebuild_parts`."""
    offsets, _ = _offsets(name_of(zone), zone)
    async with unit_of_work(sessions) as session:
        postgres = dialect_of(session) == "postgresql"
        if postgres:
            await session.execute(select(func.pg_advisory_xact_lock(_MERGE_LOCK)))
            await session.execute(text("LOCK TABLE orders IN SHARE MODE"))
        await session.execute(delete(OrderDayOffset).execution_options(synchronize_session=False))
        await session.execute(
            insert(OrderDayOffset),
            [{"starts_at": at, "offset_seconds": s, "zone": name_of(zone)} for at, s in offsets],
        )
        await session.execute(delete(OrderDayCountPart).execution_options(synchronize_session=False))
        await session.execute(text(day_sql.fill_statement(postgres)))
        await _mark(session)
        written = await session.scalar(select(func.count()).select_from(OrderDayCountPart))
    return int(written or 0)


async def ensure_day_parts(sessions: SessionFactory, zone: tzinfo) -> int:
    """The sweep's step: rebuild the parts when they were built for another zone or never, merge
    them otherwise; how many parts it wrote or took away."""
    if await built_zone(sessions) != name_of(zone):
        return await rebuild_day_parts(sessions, zone)
    return await merge_day_parts(sessions)


@dataclass(frozen=True, slots=True)
class DayMismatch:
    """A (basis, day, store, status) whose parts do not sum to its number of orders."""

    basis: str
    day: str
    store_id: int | None
    status: str
    parts: int
    orders: int


async def day_mismatches(sessions: SessionFactory, zone: tzinfo) -> list[DayMismatch] | None:
    """Every (basis, day, store, status) whose parts disagree with the orders, in one statement;
    None when the parts are built for another zone than `zone` (or never). Reads every order."""
    if await built_zone(sessions) != name_of(zone):
        return None
    async with sessions() as session:
        postgres = dialect_of(session) == "postgresql"
        rows = (await session.execute(text(day_sql.mismatch_statement(postgres)))).all()
    found = [DayMismatch(str(b), str(d), s, str(st), int(p), int(o)) for b, d, s, st, p, o in rows]
    return sorted(found, key=lambda m: (m.basis, m.day, -1 if m.store_id is None else m.store_id, m.status))
