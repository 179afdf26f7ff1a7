"""SQL building blocks of the metrics that must mean the same on SQLite and PostgreSQL.

Time buckets are never computed by the database: SQLite has no time zones, and PostgreSQL's
would silently depend on the session's TimeZone. Bucket boundaries are computed in Python
(`models/date_ranges.py`) and SQL only compares timestamps with them, through a binary tree of
CASE expressions (about log2(n) comparisons a row, whatever the number of buckets).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    Subquery,
    Table,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy import Integer as SqlInteger
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import UtcDateTime

Span = tuple[datetime, datetime]
"""[start, end) in UTC."""


def at(moment: datetime) -> ColumnElement[datetime]:
    """A timestamp parameter stored exactly like a UtcDateTime column (naive UTC text on SQLite)."""
    return literal(moment, UtcDateTime())


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-empty, non-overlapping spans (touching ones joined)."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def in_spans(column: SQLColumnExpression[Any], spans: Iterable[Span]) -> ColumnElement[bool]:
    parts = [and_(column >= at(s), column < at(e)) for s, e in merge_spans(spans)]
    if not parts:
        return false()
    return parts[0] if len(parts) == 1 else or_(*parts)


def in_stores(column: SQLColumnExpression[Any], stores: frozenset[int] | None) -> ColumnElement[bool]:
    """None means every store, including rows without one. Store 0 stands for "no store": it
    matches 0 in a rollup and NULL in a raw table (refreshes recompute such rows too)."""
    if stores is None:
        return true()
    if not stores:
        return false()
    condition = column.in_(sorted(stores))
    return or_(condition, column.is_(None)) if 0 in stores else condition


def by_cuts(
    column: ColumnElement[Any], cuts: Sequence[datetime], values: Sequence[Any]
) -> ColumnElement[Any]:
    """values[i] for a row whose `column` lies in [cuts[i], cuts[i+1]).

    A balanced tree of CASEs. Rows outside [cuts[0], cuts[-1]) must be filtered out by the caller.
    """
    assert values, "at least one segment"
    assert len(values) == len(cuts) - 1, "one value per segment"

    def node(lo: int, hi: int) -> ColumnElement[Any]:
        if hi - lo == 1:
            value = values[lo]
            return at(value) if isinstance(value, datetime) else literal(value)
        mid = (lo + hi) // 2
        return case((column < at(cuts[mid]), node(lo, mid)), else_=node(mid, hi))

    return node(0, len(values))


def bucket_ids(spans: Sequence[Span]) -> tuple[list[datetime], list[int]]:
    """Cuts and segment ids for `by_cuts` when bucket i is spans[i] (spans sorted, disjoint).

    Gaps between spans get id -1 (the caller's WHERE keeps those rows out anyway).
    """
    cuts: list[datetime] = []
    ids: list[int] = []
    for i, (start, end) in enumerate(spans):
        if cuts and start < cuts[-1]:
            raise ValueError("spans must be sorted and disjoint")
        if cuts and start > cuts[-1]:
            ids.append(-1)
            cuts.append(start)
        elif not cuts:
            cuts.append(start)
        ids.append(i)
        cuts.append(end)
    return cuts, ids


def whole_seconds(moment: SQLColumnExpression[Any], dialect: str) -> ColumnElement[int]:
    """Seconds since the epoch, truncated: both dialects agree on every difference of two."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", moment), SqlInteger)
    return cast(func.floor(extract("epoch", moment)), SqlInteger)


def seconds_between(later: SQLColumnExpression[Any], earlier: SQLColumnExpression[Any], dialect: str) -> Any:
    return whole_seconds(later, dialect) - whole_seconds(earlier, dialect)


def rollup_lock_key(group: str) -> int:
    """The PostgreSQL advisory-lock key that serialises writers of a rollup group's tables."""
    return zlib.crc32(f"mallgraph.rollups.{group}".encode())


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert_adding(dialect: str, table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """INSERT rows; on a key conflict add their values to the stored ones (one statement)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(list(rows))
    values = [c.name for c in table.columns if c.name not in keys]
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in values},
    )


def insert_ignoring(dialect: str, table: Table, rows: Sequence[Mapping[str, Any]]) -> Any:
    """INSERT rows; rows that hit a unique constraint are skipped (ON CONFLICT DO NOTHING)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(list(rows)).on_conflict_do_nothing()


def count_distinct_rows(
    groups: Select[Any], rows: Subquery, name: str, column: str, when: str | None
) -> Select[Any]:
    """SELECT groups, COUNT(*) FROM (SELECT DISTINCT groups, column ...): COUNT(DISTINCT) per group."""
    pairs = groups.add_columns(rows.c[column].label("_v")).where(rows.c[column].is_not(None))
    if when is not None:
        pairs = pairs.where(rows.c[when] > 0)
    d = pairs.distinct().subquery("pairs")
    keys = [c for c in d.c if c.name != "_v"]
    return select(*keys, func.count().label(name)).group_by(*keys)
