"""Snapshot reads on PostgreSQL through the pooled connection's asyncpg driver.

SQLAlchemy still decides what is sent and what comes back; only the execution is direct:

- the statement is compiled through the engine's compiled cache and its parameters bound and
  processed as SQLAlchemy's execution context would (expanding IN lists included:
  adapters/sqlalchemy.py `bound_statement`);
- each result column gets the result processor SQLAlchemy would apply (enum members, aware UTC
  datetimes, floats), chosen by the column's type and the driver's type OID;
- the connection comes from the engine's pool, so its checkout event (the idle ping,
  services/db.py), its size and its statement timeout apply, and the statement is counted by
  `count_statements` like every other.

A read runs outside a transaction (one SELECT in autocommit). A statement that fails or is
cancelled drops its connection rather than return one in an unknown protocol state to the pool;
its error is asyncpg's own. tests/integration/test_driver_reads.py compares both paths for every
entity, for parameters and for failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler

from adapters.sqlalchemy import bound_statement, greenlet_spawn, result_processors
from services.db import note_statement

# The row conversion of each SQL text: what SQLAlchemy's result processors do to a record, made
# into a tuple of the given class (a row snapshot's named tuple, or `tuple`).
Convert = Callable[[Sequence[Any], type[tuple[Any, ...]]], list[Any]]
_CONVERTERS: dict[str | tuple[str, int], Convert] = {}
_MAX_CONVERTERS = 2_000
"""SQL texts whose conversion is kept (a page's text varies with its filters; cleared when full)."""


async def driver_rows(
    engine: AsyncEngine,
    stmt: Executable,
    params: Mapping[str, Any] | None,
    row_type: type[tuple[Any, ...]] = tuple,
    head: int = 0,
) -> list[Any]:
    """The rows of `stmt` (a SELECT) as `row_type` tuples of column values, SQLAlchemy's types applied.

    `row_type` is a tuple class taking the values in column order (a snapshot's named tuple); the
    rows are made as `tuple.__new__(row_type, values)`, without its `_make`'s length check: the
    converter has checked once that the statement returns as many columns as it compiled.

    With `head` > 0 the statement's first `head` columns belong to runs of rows (a page's row joined
    with its list's rows) and column `head` is true on the one row of each run that carries them:
    each row comes back as a plain tuple `(first, *columns[head:])`, `first` the `row_type` tuple of
    the first `head` columns on that row and None on the others (whose first columns are not read).
    """
    sql, args, compiled = bound_statement(engine, stmt, params)
    note_statement()
    leased = _LEASED.get()
    if leased is not None and leased.engine is engine and leased.task is asyncio.current_task():
        return await _fetch(leased.fairy, sql, args, compiled, engine, row_type, head)
    fairy = await engine.raw_connection()
    try:
        rows = await _fetch(fairy, sql, args, compiled, engine, row_type, head)
    except BaseException:
        await greenlet_spawn(fairy.invalidate)
        raise
    await greenlet_spawn(fairy.close)
    return rows


async def _fetch(
    fairy: Any,
    sql: str,
    args: list[Any],
    compiled: SQLCompiler,
    engine: AsyncEngine,
    row_type: type[tuple[Any, ...]],
    head: int = 0,
) -> list[Any]:
    """Run one statement on `fairy`'s driver connection and convert its records."""
    driver = fairy.driver_connection
    assert driver is not None
    key = (sql, head) if head else sql
    convert = _CONVERTERS.get(key)
    if convert is None:
        # Once per SQL text: the prepared statement tells the columns' type OIDs, which pick
        # SQLAlchemy's processors (a numeric column read as float or Decimal, say).
        prepared = await driver.prepare(sql)
        convert = _converter(compiled, [a.type.oid for a in prepared.get_attributes()], engine, head)
        if len(_CONVERTERS) >= _MAX_CONVERTERS:
            _CONVERTERS.clear()
        _CONVERTERS[key] = convert
        records = await prepared.fetch(*args)
    else:
        records = await driver.fetch(sql, *args)
    return convert(records, row_type)


@dataclass(frozen=True, slots=True)
class _Lease:
    engine: AsyncEngine
    fairy: Any
    task: asyncio.Task[Any] | None


_LEASED: ContextVar[_Lease | None] = ContextVar("mallgraph_leased_read_connection", default=None)


@asynccontextmanager
async def one_connection(engine: AsyncEngine) -> AsyncIterator[None]:
    """Run the current task's snapshot reads inside the block on one pooled connection, one after
    another, instead of checking a connection out of the pool and back in for each statement.

    Only the task that opened the block uses the connection (asyncpg runs one statement at a time on
    a connection): a task it starts reads on connections of its own. A block that fails drops the
    connection, as a failed read does. Nothing happens on SQLite, whose reads keep their sessions.
    """
    if engine.dialect.name != "postgresql" or _LEASED.get() is not None:
        yield
        return
    fairy = await engine.raw_connection()
    token = _LEASED.set(_Lease(engine, fairy, asyncio.current_task()))
    try:
        yield
    except BaseException:
        _LEASED.reset(token)
        await greenlet_spawn(fairy.invalidate)
        raise
    _LEASED.reset(token)
    await greenlet_spawn(fairy.close)


def _converter(compiled: SQLCompiler, oids: list[int], engine: AsyncEngine, head: int = 0) -> Convert:
    """The conversion of this statement's records, generated as one list comprehension (a loop
    with `head`: `driver_rows`).

    The generated comprehension builds each snapshot straight from the record: `r[i]` for a column
    read as is, `p<i>(r[i])` for one with a processor. Its source holds only indices and names it
    makes itself; the processors are passed in its namespace.
    """
    namespace: dict[str, Any] = {"new": tuple.__new__}
    values = []
    for index, processor in enumerate(result_processors(compiled, oids, engine.dialect)):
        if processor is None:
            values.append(f"r[{index}]")
        else:
            namespace[f"p{index}"] = processor
            values.append(f"p{index}(r[{index}])")
    if head:
        if not 0 < head < len(values):
            raise ValueError(f"head {head} of a statement of {len(values)} columns")
        first, rest = ", ".join(values[:head]), ", ".join(values[head:])
        source = (
            "def convert(records, row_type):\n"
            "    out = []\n"
            "    for r in records:\n"
            f"        if r[{head}]:\n"
            f"            out.append((new(row_type, ({first},)), {rest}))\n"
            "        else:\n"
            f"            out.append((None, {rest}))\n"
            "    return out\n"
        )
    else:
        row = "r" if len(namespace) == 1 else f"({', '.join(values)},)"
        source = f"def convert(records, row_type):\n    return [new(row_type, {row}) for r in records]\n"
    exec(compile(source, f"<driver_reads converter of {len(values)} columns>", "exec"), namespace)
    convert: Convert = namespace["convert"]
    return convert
