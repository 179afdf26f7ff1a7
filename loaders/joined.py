"""Several loaders filled by one statement: the rows a list's objects refer to, joined.

`fill_joined(sessions, Order.id, keys, (loader, on), …)` reads the `keys` rows of the root
(`Order.id` = one of `keys`) LEFT JOINed with each loader's rows whose key equals `on` (a column
of the root's entity or of an earlier join's), and fills every loader with what it would have
loaded itself for the keys met: the same columns (each loader's own `Shape.keep`), the same
snapshot classes, a list loader's lists in its `order_by` order (an empty list for a parent
without rows). A list's prefetch (gql/resolvers/order_prefetch.py) then reads its objects'
relations, and theirs, in one round trip instead of one statement per loader.

Invariants: only unscoped loaders (with a `Shape`) take part, at most one of them a list loader
(so no row is repeated for a pair of lists); a key a loader already holds or is loading keeps
its value; a key met without a row (a dangling reference) is left unfilled, so the loader reads
it itself if it is ever asked, as it would have. The root's own rows are not kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Label, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from loaders.base import RowLoader, Shape, key_condition
from services.db import SessionFactory
from services.row_snapshots import read_tuples, snapshot_columns, snapshot_type

Join = tuple[RowLoader[Any, Any], InstrumentedAttribute[Any]]
# Per join: its columns' span in a row, the index of its own key, the index of its `on` value
# (list loaders only, else -1)
Part = tuple[tuple[int, int], int, int]


async def fill_joined(
    sessions: SessionFactory, root: InstrumentedAttribute[Any], keys: Iterable[Any], *joins: Join
) -> None:
    """Fill each join's loader from one statement over the root rows of `keys` (module docstring)."""
    shapes = _shapes(joins)
    stmt, parts = _plan(root, shapes, tuple(on for _, on in joins), sessions.kw["bind"].dialect.name)
    rows = await read_tuples(sessions, stmt, {"keys": list(dict.fromkeys(keys))})
    new = tuple.__new__
    for (loader, _), shape, ((start, end), at, on_at) in zip(joins, shapes, parts, strict=True):
        cls = snapshot_type(shape.entity, shape.keep)
        values, futures = loader.values, loader.futures
        if shape.many:
            grouped: dict[Any, list[Any]] = {}
            for row in rows:
                items = grouped.setdefault(row[on_at], [])
                if row[at] is not None:
                    items.append(new(cls, row[start:end]))
            for parent, items in grouped.items():
                if parent is not None and parent not in values and parent not in futures:
                    values[parent] = items
            continue
        for row in rows:
            key = row[at]
            if key is not None and key not in values and key not in futures:
                values[key] = new(cls, row[start:end])


def _shapes(joins: tuple[Join, ...]) -> list[Shape]:
    shapes = [loader.shape for loader, _ in joins if loader.shape is not None]
    if len(shapes) < len(joins):
        raise ValueError("fill_joined fills unscoped loaders only (a RowLoader with a shape)")
    if len([shape for shape in shapes if shape.many]) > 1:
        raise ValueError("fill_joined joins at most one list loader")
    return shapes


def _plan(
    root: InstrumentedAttribute[Any],
    shapes: list[Shape],
    ons: tuple[InstrumentedAttribute[Any], ...],
    dialect: str,
) -> tuple[Select[Any], list[Part]]:
    """The statement and each join's place in its rows, made once per shape (SQLAlchemy memoizes
    a statement's cache key on the statement object)."""
    cache_key = (root, tuple(shapes), ons, dialect)
    found = _PLANS.get(cache_key)
    if found is not None:
        return found
    columns: list[Label[Any]] = [root.label("j_root")]
    parts: list[Part] = []
    for index, (shape, on) in enumerate(zip(shapes, ons, strict=True)):
        own = snapshot_columns(shape.entity, shape.keep)
        at = len(columns) + [c.name for c in own].index(shape.key.key)
        span = (len(columns), len(columns) + len(own))
        columns += [c.element.label(f"j{index}_{c.name}") for c in own]
        on_at = -1
        if shape.many:
            on_at = len(columns)
            columns.append(on.label(f"j{index}_on"))
        parts.append((span, at, on_at))
    stmt = select(*columns).select_from(root.class_)
    for shape, on in zip(shapes, ons, strict=True):
        stmt = stmt.outerjoin(shape.entity, shape.key == on)
    order_by = [term for shape in shapes if shape.many for term in shape.order_by]
    stmt = stmt.where(key_condition(root, dialect)).order_by(*order_by)
    found = _PLANS[cache_key] = (stmt, parts)
    return found


_PLANS: dict[tuple[Any, ...], tuple[Select[Any], list[Part]]] = {}
