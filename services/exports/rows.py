"""The rows of an export: the rows the caller's list shows, read in pages and turned into cells.

A list is a `Listing` (services/exports/lists.py: its key, its tables, its columns and whose store
decides masking); an `ExportQuery` is a listing with the caller, the condition (scope AND filter,
compiled by the list's own code) and the chosen columns. Rows are read in keyset pages in key
order (`BATCH` at a time, each page one short statement), so memory stays flat however many rows
match and no statement or transaction lives for the whole export. On PostgreSQL a page is read
through the driver (services/driver_reads.py) and the next page is already asked for while the
current one is formatted.

Cells are made a column at a time (`Column.cells` of the page's values), strings or None: money
from `models.exports.money_cells`, times from `time_cells` (read as stored, without the model's
UTC processing: `time_cells` reads a naive time as UTC, as SQLite returns it), phones and
addresses masked with `models.pii` exactly where `sees_full_pii` says GraphQL masks them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, DateTime, Select, String, func, select, type_coerce

from models.exports import ExportList, money_cells, time_cells
from models.pii import mask_address, mask_phone, sees_full_pii
from models.principals import Principal
from services.db import SessionFactory
from services.driver_reads import driver_rows

BATCH: Final = 10_000

Cell = str | None
Row = Sequence[Any]


def text_cells(values: Sequence[Any], _zone: tzinfo) -> Sequence[Cell]:
    return [None if v is None else str(v) for v in values]


def bool_cells(values: Sequence[Any], _zone: tzinfo) -> Sequence[Cell]:
    return ["true" if v else "false" for v in values]


def _money(values: Sequence[Any], _zone: tzinfo) -> Sequence[Cell]:
    return money_cells(values)


Cells = Callable[[Sequence[Any], tzinfo], Sequence[Cell]]


@dataclass(frozen=True, slots=True)
class Column:
    """One export column: its SQL expression and how a page of its values becomes cells.

    `cells` None: the values already are the cells (a string column). `masked`: a phone or an
    address, shown in full only where `sees_full_pii(principal, row's store)` holds. `text` reads
    an enum column as its stored string (the enum's value) without making members of it.
    """

    expression: Any
    cells: Cells | None = None
    masked: Callable[[str], str] | None = None

    @staticmethod
    def text(expression: Any) -> Column:
        return Column(type_coerce(expression, String()))

    @staticmethod
    def number(expression: Any) -> Column:
        return Column(expression, text_cells)

    @staticmethod
    def money(expression: Any) -> Column:
        return Column(expression, _money)

    @staticmethod
    def time(expression: Any) -> Column:
        return Column(type_coerce(expression, DateTime(timezone=True)), time_cells)

    @staticmethod
    def phone(expression: Any) -> Column:
        return Column(expression, masked=mask_phone)

    @staticmethod
    def address(expression: Any) -> Column:
        return Column(expression, masked=mask_address)


@dataclass(frozen=True, slots=True)
class Listing:
    """A list as an export reads it: `key` orders the pages, `source` adds the joins its columns
    need, `store` is the store that owns a row for masking (None: the list's scope already limits
    staff to their own rows, as for customers)."""

    key: Any
    source: Callable[[Select[Any]], Select[Any]]
    columns: dict[str, Column]
    store: Any | None = None


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """What one export reads: `condition` is the caller's scope AND the filter, from the list's code."""

    kind: ExportList
    listing: Listing
    principal: Principal
    condition: ColumnElement[bool]
    columns: Sequence[str]

    def statement(self) -> Select[Any]:
        """key, owning store (or NULL), then the chosen columns; without keyset bounds."""
        listing = self.listing
        store = listing.store if listing.store is not None else type_coerce(None, String())
        chosen = (listing.columns[c].expression.label(f"c{i}") for i, c in enumerate(self.columns))
        stmt = select(listing.key, store, *chosen)  # labels: one column may feed two cells
        return listing.source(stmt).where(self.condition)

    def count(self) -> Select[Any]:
        inner = self.listing.source(select(self.listing.key)).where(self.condition).subquery()
        return select(func.count()).select_from(inner)

    def cells(self, zone: tzinfo) -> Callable[[Sequence[Row]], list[tuple[Cell, ...]]]:
        """The page's rows as cells, column by column (a row's first two values are key and store)."""
        makers = [self.listing.columns[c] for c in self.columns]
        principal, listing = self.principal, self.listing

        def page_cells(rows: Sequence[Row]) -> list[tuple[Cell, ...]]:
            by_column = list(zip(*rows, strict=True))
            if not by_column:
                return []
            full: Sequence[bool] | None = None
            out: list[Sequence[Cell]] = []
            for column, values in zip(makers, by_column[2:], strict=True):
                if column.masked is not None:
                    if full is None:
                        full = _full_pii(principal, by_column[1], listing.store is not None)
                    mask = column.masked
                    out.append([v if f or v is None else mask(v) for v, f in zip(values, full, strict=True)])
                elif column.cells is not None:
                    out.append(column.cells(values, zone))
                else:
                    out.append(values)
            return list(zip(*out, strict=True))

        return page_cells


def _full_pii(principal: Principal, stores: Sequence[int | None], per_store: bool) -> Sequence[bool]:
    """`sees_full_pii` of each row, asked once per store rather than once per row."""
    seen: dict[int | None, bool] = {}
    out = []
    for store in stores:
        full = seen.get(store)
        if full is None:
            full = seen[store] = sees_full_pii(principal, store if per_store else None)
        out.append(full)
    return out


async def stream_rows(sessions: SessionFactory, query: ExportQuery) -> AsyncIterator[Sequence[Row]]:
    """The matching rows in key order, a page at a time; the next page is read while one is used."""
    key = query.listing.key
    base = query.statement().order_by(key).limit(BATCH)
    read = _reader(sessions)
    pending = asyncio.ensure_future(read(base))
    try:
        while True:
            rows = await pending
            if not rows:
                return
            if len(rows) == BATCH:
                pending = asyncio.ensure_future(read(base.where(key > rows[-1][0])))
                await asyncio.sleep(0)  # let it send the statement before the caller gets busy
            yield rows
            if len(rows) < BATCH:
                return
    finally:
        if not pending.done():
            pending.cancel()


def _reader(sessions: SessionFactory) -> Callable[[Select[Any]], Any]:
    engine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":

        async def by_driver(stmt: Select[Any]) -> list[Any]:
            return await driver_rows(engine, stmt, None)

        return by_driver

    async def by_session(stmt: Select[Any]) -> list[Any]:
        async with sessions() as session:
            return [tuple(r) for r in (await session.execute(stmt)).all()]

    return by_session


async def count_rows(sessions: SessionFactory, query: ExportQuery) -> int:
    async with sessions() as session:
        return int(await session.scalar(query.count()) or 0)
