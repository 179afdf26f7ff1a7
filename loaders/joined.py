"""Several loaders filled by one statement: a loader's rows with the rows they refer to, joined.

`fill_joined(sessions, root, keys, (loader, on), …)` reads `root`'s rows for `keys` LEFT JOINed
with each one-per-key `loader`'s rows whose key equals `on` (a column of the root's entity or of
an earlier join's), and fills every loader with what it would have loaded itself for those keys:
the same columns (each loader's own `Shape.keep`), the same snapshot classes, the root's lists in
its `order_by` order. A list's prefetch (gql/resolvers/order_prefetch.py) then reads a level and
the level below it in one round trip instead of one statement per loader.

Invariants: only unscoped loaders (with a `Shape`) take part; a key a loader already holds or is
loading keeps its value; a joined key without a row (a dangling reference) is left unfilled, so
the loader reads it itself if it is ever asked, as it would have.
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


async def fill_joined(
    sessions: SessionFactory, root: RowLoader[Any, Any], keys: Iterable[Any], *joins: Join
) -> dict[Any, Any]:
    """Fill `root` for `keys` and each join's loader for the keys its `on` column holds in those
    rows, with one statement; `root`'s values for `keys`, as `RowLoader.fill` gives them."""
    wanted = list(dict.fromkeys(keys))
    shapes = _shapes(root, joins)
    dialect = sessions.kw["bind"].dialect.name
    plan = _plan(shapes, tuple(on for _, on in joins), dialect)
    stmt, spans, key_at = plan
    missing = [k for k in wanted if k not in root.values and k not in root.futures]
    if missing:
        rows = await read_tuples(sessions, stmt, {"keys": missing})
        classes = [snapshot_type(s.entity, s.keep) for s in shapes]
        new = tuple.__new__
        root_class, (start, end) = classes[0], spans[0]
        loaders = [loader for loader, _ in joins]
        parts = list(zip(loaders, classes[1:], spans[1:], key_at[1:], strict=True))
        root_key = key_at[0]
        if shapes[0].many:
            grouped: dict[Any, list[Any]] = {k: [] for k in missing}
            for row in rows:
                grouped[row[root_key]].append(new(root_class, row[start:end]))
        else:
            found: dict[Any, Any] = dict.fromkeys(missing)
            for row in rows:
                found[row[root_key]] = new(root_class, row[start:end])
            grouped = found
        root.values.update(grouped)
        for loader, cls, (start, end), at in parts:
            values, futures = loader.values, loader.futures
            for row in rows:
                key = row[at]
                if key is not None and key not in values and key not in futures:
                    values[key] = new(cls, row[start:end])
    return await root.fill(wanted)


def _shapes(root: RowLoader[Any, Any], joins: tuple[Join, ...]) -> list[Shape]:
    shapes = [root.shape, *(loader.shape for loader, _ in joins)]
    for shape in shapes:
        if shape is None:
            raise ValueError("fill_joined reads unscoped loaders only (a RowLoader with a shape)")
    if any(s.many for s in shapes[1:]):  # type: ignore[union-attr]
        raise ValueError("fill_joined joins one-per-key loaders only")
    return shapes  # type: ignore[return-value]


def _plan(
    shapes: list[Shape], ons: tuple[InstrumentedAttribute[Any], ...], dialect: str
) -> tuple[Select[Any], list[tuple[int, int]], list[int]]:
    """The statement, each part's span of columns and the index of each part's key, made once per
    shape (SQLAlchemy memoizes a statement's cache key on the statement object)."""
    cache_key = (tuple(shapes), ons, dialect)
    found = _PLANS.get(cache_key)
    if found is not None:
        return found
    columns: list[Label[Any]] = []
    spans, key_at = [], []
    for index, shape in enumerate(shapes):
        keep = shape.keep if shape.keep is None else shape.keep | {shape.key.key}
        own = snapshot_columns(shape.entity, keep)
        names = [c.name for c in own]
        key_at.append(len(columns) + names.index(shape.key.key))
        spans.append((len(columns), len(columns) + len(own)))
        columns += [c.element.label(f"j{index}_{c.name}") for c in own]
    root = shapes[0]
    stmt = select(*columns).select_from(root.entity)
    for shape, on in zip(shapes[1:], ons, strict=True):
        stmt = stmt.outerjoin(shape.entity, shape.key == on)
    stmt = stmt.where(key_condition(root.key, dialect)).order_by(*root.order_by)
    found = _PLANS[cache_key] = (stmt, spans, key_at)
    return found


_PLANS: dict[tuple[Any, ...], tuple[Select[Any], list[tuple[int, int]], list[int]]] = {}
