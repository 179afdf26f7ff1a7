"""Read-only row snapshots: what the read path builds GraphQL objects from, without the ORM.

A *row snapshot* is a named tuple of an entity's mapped columns, named by their attribute names,
so `row.store_id` reads exactly as on the mapped class, with the same column types applied (the
SELECT labels each column with its attribute name; the tuple class is made once per entity and
column subset). Pages of lists (services/pagination.py) and loader batches (loaders/base.py)
return them: their rows only ever become GraphQL objects, nothing writes through them. Snapshots
have no relationships and none of the class's Python properties; writes keep using sessions and
mapped instances.

Reads run on a connection of their own, outside a transaction on PostgreSQL (through the pooled
connection's driver: services/driver_reads.py): a single statement sees one snapshot either way.
SQLite keeps its transactions (services/db.py manages its driver and the WAL read lock).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import JSON, CompoundSelect, Label, Select, Text, cast, inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ColumnProperty

from services.db import SessionFactory
from services.driver_reads import driver_rows


def snapshot_columns(entity: type[Any], keep: frozenset[str] | None = None) -> tuple[Label[Any], ...]:
    """The entity's mapped columns, labelled with their attribute names; JSON columns as their text.

    A JSON column is read as text and parsed when the snapshot's attribute is read (`snapshot_type`),
    so store hours, fee slots and image lists cost nothing unless the document selects them.
    """
    found = _COLUMNS.get((entity, keep))
    if found is None:
        found = _COLUMNS[(entity, keep)] = tuple(
            (cast(attr.expression, Text) if _is_json(attr) else attr.expression).label(attr.key)
            for attr in inspect(entity).column_attrs
            if keep is None or attr.key in keep
        )
    return found


def _is_json(attr: ColumnProperty[Any]) -> bool:
    return isinstance(attr.columns[0].type, JSON)


_COLUMNS: dict[tuple[type[Any], frozenset[str] | None], tuple[Label[Any], ...]] = {}
"""Per entity and column subset (a page keeps the columns its document reads: `keep`)."""


def as_snapshots(stmt: Select[Any], keep: frozenset[str] | None = None) -> tuple[type[Any], Select[Any]]:
    """The entity `stmt` selects, and `stmt` selecting that entity's snapshot columns instead
    (only the attributes in `keep`, when given)."""
    entity = stmt.column_descriptions[0]["entity"]
    return entity, stmt.with_only_columns(*snapshot_columns(entity, keep), maintain_column_froms=True)


def snapshot_type(entity: type[Any], keep: frozenset[str] | None = None) -> type[tuple[Any, ...]]:
    """The named tuple of the entity's snapshots, fields in `snapshot_columns` order (those in
    `keep` only, when given: reading another attribute of such a snapshot is an AttributeError).

    Its JSON columns hold their text and are properties that parse it on each read (with orjson,
    as the engine's `json_deserializer` does): the same value the mapped attribute has, a new
    object per read. SQL NULL and JSON null both read as None, as they do on the mapped class.
    """
    found = _TYPES.get((entity, keep))
    if found is None:
        attrs = [attr for attr in inspect(entity).column_attrs if keep is None or attr.key in keep]
        columns = namedtuple(f"{entity.__name__}Columns", [attr.key for attr in attrs])  # type: ignore[misc]
        parsed = {
            attr.key: property(partial(_parsed, index)) for index, attr in enumerate(attrs) if _is_json(attr)
        }
        found = _TYPES[(entity, keep)] = type(
            f"{entity.__name__}Snapshot", (columns,), {"__slots__": (), **parsed}
        )
    return found


def _parsed(index: int, row: tuple[Any, ...]) -> Any:
    raw = tuple.__getitem__(row, index)
    return None if raw is None else orjson.loads(raw)


_TYPES: dict[tuple[type[Any], frozenset[str] | None], type[tuple[Any, ...]]] = {}


async def read_snapshots(
    sessions: SessionFactory,
    entity: type[Any],
    stmt: Select[Any],
    params: dict[str, Any] | None = None,
    keep: frozenset[str] | None = None,
) -> list[Any]:
    """The snapshots of `entity` that `stmt` (which selects its `snapshot_columns(entity, keep)`) returns."""
    return await _rows(sessions, stmt, params, snapshot_type(entity, keep))


async def read_tuples(
    sessions: SessionFactory, stmt: Select[Any] | CompoundSelect[Any], params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of `stmt` as plain tuples, the column types applied as for snapshots."""
    return await _rows(sessions, stmt, params, tuple)


async def read_runs(
    sessions: SessionFactory, stmt: Select[Any], head: int, row_type: type[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The rows of `stmt` whose first `head` columns belong to runs of rows, carried by the one row
    of each run whose column `head` is true, as `(first, *columns[head:])`: `first` a `row_type`
    tuple of the first `head` columns on that row, None on the others (services/driver_reads.py
    `driver_rows`)."""
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        return await driver_rows(engine, stmt, None, row_type, head)
    out: list[tuple[Any, ...]] = []
    for row in await read_rows(sessions, stmt):
        if row[head]:
            out.append((row_type._make(row[:head]), *row[head:]))  # type: ignore[attr-defined]
        else:
            out.append((None, *row[head:]))
    return out


async def read_scalar(
    sessions: SessionFactory, stmt: Select[Any], params: dict[str, Any] | None = None
) -> Any:
    """The first column of the first row of `stmt`, on a reading connection of its own."""
    rows = await _rows(sessions, stmt, params, tuple)
    return rows[0][0] if rows else None


async def _rows(
    sessions: SessionFactory,
    stmt: Select[Any] | CompoundSelect[Any],
    params: dict[str, Any] | None,
    row_type: type[tuple[Any, ...]],
) -> list[Any]:
    """The rows of `stmt` as `row_type` tuples: through the driver on PostgreSQL, through
    SQLAlchemy on SQLite."""
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        return await driver_rows(engine, stmt, params, row_type)
    make = row_type._make if row_type is not tuple else tuple  # type: ignore[attr-defined]
    return [make(row) for row in await read_rows(sessions, stmt, params)]


async def read_rows(
    sessions: SessionFactory, stmt: Select[Any] | CompoundSelect[Any], params: dict[str, Any] | None = None
) -> Sequence[Any]:
    """All rows of `stmt` through SQLAlchemy's own execution, on a connection of their own (SQLite's
    read path, and what tests/integration/test_driver_reads.py compares the driver path with)."""
    async with sessions.kw["bind"].connect() as conn:
        rows: Sequence[Any] = (await conn.execute(stmt, params)).all()
    return rows
