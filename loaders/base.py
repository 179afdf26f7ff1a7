"""The two loader shapes every relation uses: one row per key, or a list of rows per key.

Each batch opens its own short connection, so concurrent batches never share one, and results
come back in key order as DataLoader requires. Both are `RowLoader`s, which a list resolver can
fill for a whole level at once (`RowLoader.fill`).

What they return are row snapshots, not ORM instances, read in AUTOCOMMIT on PostgreSQL
(services/row_snapshots.py): the same attributes by the same names, no relationships.

On PostgreSQL the keys travel as one array parameter (`key = ANY($1)`): one statement text
whatever the number of keys, so asyncpg prepares it once per connection instead of once per
distinct list length, and SQLAlchemy does not re-render an expanding IN list per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from services.db import SessionFactory
from services.row_snapshots import read_rows, snapshot_columns

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class RowLoader(DataLoader[K, V]):
    """A DataLoader that can also be filled for many keys without a future awaited per key."""

    async def fill(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of `keys`, loading those not yet cached with one call of the batch function.

        `load_many` gives the same values and cache, but gathers one future per key: for the ~500
        rows of an order-list page that is ~500 done-callbacks and event-loop turns, which cost
        more CPU than the SQL. Here the missing keys go to the batch function in one call and are
        primed into the cache, so later `load`s (the relation fields) find them resolved. Keys
        another caller is already loading are awaited, not loaded twice.
        """
        wanted = list(dict.fromkeys(keys))
        missing = [k for k in wanted if self.get_cache_key(k) not in self._cache]
        if missing:
            values = await self.batch_load_fn(missing)
            for key, value in zip(missing, values, strict=True):
                self.prime(key, value)
        found: dict[K, V] = {}
        for key in wanted:
            future = self._cache[self.get_cache_key(key)]
            found[key] = future.result() if future.done() else await future
        return found


def _key_in(key: InstrumentedAttribute[Any], keys: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return key == any_(bindparam("keys", list(keys), type_=ARRAY(key.type)))
    return key.in_(keys)


def one_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool] | None = None,
) -> RowLoader[Any, T | None]:
    """`load(k)` → the row whose `key` equals k (None if absent or filtered out by `where`)."""
    dialect = sessions.kw["bind"].dialect.name
    name = key.key

    async def batch(keys: Sequence[Any]) -> list[T | None]:
        stmt = select(*snapshot_columns(entity)).where(_key_in(key, list(set(keys)), dialect))
        if where is not None:
            stmt = stmt.where(where)
        by_key = {getattr(r, name): r for r in await read_rows(sessions, stmt)}
        return [by_key.get(k) for k in keys]

    return RowLoader(batch)


def many_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> RowLoader[Any, list[T]]:
    """`load(k)` → every row whose `key` equals k, in `order_by` order (empty list if none)."""
    dialect = sessions.kw["bind"].dialect.name
    name = key.key

    async def batch(keys: Sequence[Any]) -> list[list[T]]:
        stmt = (
            select(*snapshot_columns(entity))
            .where(_key_in(key, list(set(keys)), dialect))
            .order_by(*order_by)
        )
        grouped: defaultdict[Any, list[T]] = defaultdict(list)
        for row in await read_rows(sessions, stmt):
            grouped[getattr(row, name)].append(row)
        return [grouped.get(k, []) for k in keys]

    return RowLoader(batch)
