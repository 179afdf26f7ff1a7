"""The two loader shapes every relation uses: one row per key, or a list of rows per key.

Each batch opens its own short session, so concurrent batches never share an AsyncSession,
and results come back in key order as DataLoader requires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from services.db import SessionFactory

T = TypeVar("T")


def one_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool] | None = None,
) -> DataLoader[Any, T | None]:
    """`load(k)` → the row whose `key` equals k (None if absent or filtered out by `where`)."""

    async def batch(keys: Sequence[Any]) -> list[T | None]:
        stmt = select(entity).where(key.in_(set(keys)))
        if where is not None:
            stmt = stmt.where(where)
        async with sessions() as session:
            rows = (await session.scalars(stmt)).all()
        by_key = {getattr(r, key.key): r for r in rows}
        return [by_key.get(k) for k in keys]

    return DataLoader(batch)


def many_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> DataLoader[Any, list[T]]:
    """`load(k)` → every row whose `key` equals k, in `order_by` order (empty list if none)."""

    async def batch(keys: Sequence[Any]) -> list[list[T]]:
        stmt = select(entity).where(key.in_(set(keys))).order_by(*order_by)
        async with sessions() as session:
            rows = (await session.scalars(stmt)).all()
        grouped: defaultdict[Any, list[T]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, key.key)].append(row)
        return [grouped.get(k, []) for k in keys]

    return DataLoader(batch)
