"""The two loader shapes every relation uses: one row per key, or a list of rows per key.

Each batch opens its own short session, so concurrent batches never share an AsyncSession,
and results come back in key order as DataLoader requires. Both are `RowLoader`s, which a list
resolver can fill for a whole level at once (`RowLoader.fill`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from services.db import SessionFactory

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


def one_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool] | None = None,
) -> RowLoader[Any, T | None]:
    """`load(k)` → the row whose `key` equals k (None if absent or filtered out by `where`)."""

    async def batch(keys: Sequence[Any]) -> list[T | None]:
        stmt = select(entity).where(key.in_(set(keys)))
        if where is not None:
            stmt = stmt.where(where)
        async with sessions() as session:
            rows = (await session.scalars(stmt)).all()
        by_key = {getattr(r, key.key): r for r in rows}
        return [by_key.get(k) for k in keys]

    return RowLoader(batch)


def many_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> RowLoader[Any, list[T]]:
    """`load(k)` → every row whose `key` equals k, in `order_by` order (empty list if none)."""

    async def batch(keys: Sequence[Any]) -> list[list[T]]:
        stmt = select(entity).where(key.in_(set(keys))).order_by(*order_by)
        async with sessions() as session:
            rows = (await session.scalars(stmt)).all()
        grouped: defaultdict[Any, list[T]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, key.key)].append(row)
        return [grouped.get(k, []) for k in keys]

    return RowLoader(batch)
