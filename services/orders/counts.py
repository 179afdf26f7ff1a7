"""Counting orders by status and store from `order_count_parts` (models/orders/counts.py).

A pair's count is the sum of its parts. Reading sums them in one statement, so a count sees one
snapshot: an order moved from PENDING_SHIPMENT to SHIPPED is in exactly one of the two, never in
both or neither. `merge_parts` keeps the table small: the sweeps call it, and so does the generator
after a bulk load. Between merges a count sums the parts written since, a few per order change.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)

from models.orders.counts import CountScope, OrderCountPart
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from services.db import SessionFactory, unit_of_work
from services.metrics.sql import dialect_of
from services.row_snapshots import read_scalar

_MERGE_LOCK: Final = zlib.crc32(b"mallgraph.order_count_parts.merge")


def _where(scope: CountScope) -> tuple[list[ColumnElement[bool]], dict[str, list[Any]]] | None:
    """The parts' conditions for `scope` and their parameters, or None when no order can match
    (an empty set). The conditions take their values as expanding parameters, so a statement made
    of them is the same object for every scope of one shape (`_SUMS`)."""
    conditions: list[ColumnElement[bool]] = []
    params: dict[str, list[Any]] = {}
    if scope.statuses is not None:
        if not scope.statuses:
            return None
        conditions.append(OrderCountPart.status.in_(bindparam("statuses", expanding=True)))
        params["statuses"] = sorted(s.value for s in scope.statuses)
    if scope.store_ids is not None:
        if not scope.store_ids:
            return None
        conditions.append(OrderCountPart.store_id.in_(bindparam("store_ids", expanding=True)))
        params["store_ids"] = sorted(scope.store_ids)
    if scope.store_codes is not None:
        if not scope.store_codes:
            return None
        coded = select(Store.id).where(Store.code.in_(bindparam("store_codes", expanding=True)))
        conditions.append(OrderCountPart.store_id.in_(coded))
        params["store_codes"] = sorted(scope.store_codes)
    return conditions, params


_SUMS: dict[tuple[str, ...], Select[Any]] = {}
"""The count's statement per shape of scope (which of statuses, stores and codes it names): made
once, so SQLAlchemy walks it for its cache key once (it memoizes the key on the statement), not on
every request's `totalCount`."""
_BY_STATUS: dict[tuple[str, ...], Select[str, int]] = {}
"""The same for the counts per status."""


async def count_orders(sessions: SessionFactory, scope: CountScope) -> int:
    """How many orders `scope` holds: one SUM over its pairs' parts."""
    found = _where(scope)
    if found is None:
        return 0
    conditions, params = found
    stmt = _SUMS.get(shape := tuple(params))
    if stmt is None:
        stmt = _SUMS[shape] = select(func.coalesce(func.sum(OrderCountPart.n), 0)).where(*conditions)
    total = await read_scalar(sessions, stmt, params)
    return int(total or 0)


async def count_by_status(sessions: SessionFactory, scope: CountScope) -> dict[OrderStatus, int]:
    """How many orders of `scope` each status holds (statuses without orders left out)."""
    found = _where(scope)
    if found is None:
        return {}
    conditions, params = found
    stmt = _BY_STATUS.get(shape := tuple(params))
    if stmt is None:
        stmt = _BY_STATUS[shape] = (
            select(OrderCountPart.status, func.sum(OrderCountPart.n))
            .where(*conditions)
            .group_by(OrderCountPart.status)
        )
    async with sessions() as session:
        rows = (await session.execute(stmt, params)).all()
    return {OrderStatus(status): int(n) for status, n in rows if n}


def by_status_select(scope: CountScope) -> Select[Any, Any] | None:
    """`count_by_status`'s statement, its parameters bound, to be part of another statement: rows
    (status, n) of the statuses of `scope`; None when no order can match."""
    found = _where(scope)
    if found is None:
        return None
    conditions, params = found
    counted = select(OrderCountPart.status.label("status"), func.sum(OrderCountPart.n).label("n"))
    return counted.where(*conditions).group_by(OrderCountPart.status).params(params)


async def merge_parts(sessions: SessionFactory) -> int:
    """Replace the parts of each pair that has several by one part holding their sum; how many
    parts it took away.

    One transaction deletes the parts it can see and inserts their sums, so a count sees either
    all the old parts or the sums, never both. Parts that concurrent order writes add meanwhile
    are not visible to the delete and stay for the next merge. Pairs with one part are left alone:
    rewriting all ~2,000 pairs in every sweep that follows an order change would leave as many dead
    rows for vacuum each time.
    On PostgreSQL one merge runs at a time (an advisory lock; a second merge returns at once); on
    SQLite the IMMEDIATE transaction waits for the writer before it.
    """
    async with unit_of_work(sessions) as session:
        if dialect_of(session) == "postgresql" and not await session.scalar(
            select(func.pg_try_advisory_xact_lock(_MERGE_LOCK))
        ):
            return 0
        store = func.coalesce(OrderCountPart.store_id, literal_column("-1"))  # NULL: the HQ warehouse
        several = (
            select(store, OrderCountPart.status)
            .group_by(store, OrderCountPart.status)
            .having(func.count() > literal_column("1"))
        )
        pair = tuple_(store, OrderCountPart.status)
        taken = (
            await session.execute(
                delete(OrderCountPart)
                .where(pair.in_(several))
                .returning(OrderCountPart.store_id, OrderCountPart.status, OrderCountPart.n)
                .execution_options(synchronize_session=False)
            )
        ).all()
        sums: dict[tuple[int | None, str], int] = defaultdict(int)
        for store_id, status, n in taken:
            sums[store_id, status] += n
        merged = [
            {"store_id": store_id, "status": status, "n": n} for (store_id, status), n in sums.items() if n
        ]
        if merged:
            await session.execute(insert(OrderCountPart), merged)
    return len(taken) - len(merged)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A (store, status) pair whose parts do not sum to its number of orders."""

    store_id: int | None
    status: str
    parts: int
    orders: int


async def mismatches(sessions: SessionFactory) -> list[Mismatch]:
    """Every pair whose parts disagree with `count(*)` over the orders, in one statement (one snapshot).

    The triggers keep the parts exact; this is the operator's check after something may have
    bypassed them (a data-only restore with triggers disabled, `session_replication_role`).
    It reads every order: a maintenance command, not a request path.
    """
    both = union_all(
        select(
            OrderCountPart.store_id, OrderCountPart.status, OrderCountPart.n.label("p"), literal(0).label("o")
        ),
        select(Order.store_id, Order.status, literal(0), literal(1)),
    ).subquery()
    stmt = (
        select(both.c.store_id, both.c.status, func.sum(both.c.p), func.sum(both.c.o))
        .group_by(both.c.store_id, both.c.status)
        .having(func.sum(both.c.p) != func.sum(both.c.o))
    )
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    found = [Mismatch(store_id, str(status), int(p), int(o)) for store_id, status, p, o in rows]
    return sorted(found, key=lambda m: (-1 if m.store_id is None else m.store_id, m.status))


async def rebuild_parts(sessions: SessionFactory) -> int:
    """Replace every part by one per pair counted from the orders; how many parts it wrote.

    Order writes wait meanwhile (PostgreSQL: a SHARE lock on `orders` until the rebuild commits,
    taken after the merge lock; SQLite: the IMMEDIATE transaction), so no order changes and no
    merge runs between the count and the new parts.
    """
    async with unit_of_work(sessions) as session:
        if dialect_of(session) == "postgresql":
            # after any merge in progress (its new sums would not be seen by the delete below)
            await session.execute(select(func.pg_advisory_xact_lock(_MERGE_LOCK)))
            await session.execute(text("LOCK TABLE orders IN SHARE MODE"))
        await session.execute(delete(OrderCountPart).execution_options(synchronize_session=False))
        counted = select(Order.store_id, Order.status, func.count()).group_by(Order.store_id, Order.status)
        rows = (await session.execute(counted)).all()
        if rows:
            await session.execute(
                insert(OrderCountPart),
                [{"store_id": store_id, "status": str(status.value), "n": n} for store_id, status, n in rows],
            )
    return len(rows)
