"""SQLAlchemy internals that the PostgreSQL snapshot reads (services/driver_reads.py) rely on.

Those reads let SQLAlchemy decide what is sent and how the results are typed, and run the
statement on the pooled connection's asyncpg driver themselves. SQLAlchemy's public execution
path does both at once; doing only the first takes the compiler's internals. This module is the
one place that names them:

- `bound_statement`: a statement compiled through the engine's compiled cache, with its
  positional arguments bound and processed as SQLAlchemy's execution context would send them
  (expanding IN lists and literal-execute parameters rendered);
- `result_processors`: per result column, the processor SQLAlchemy applies to the driver's value
  for that column's type and the driver's type OID (None: the value is kept as it is);
- `greenlet_spawn`: runs a sync pool call (a connection's `close`/`invalidate`) from async code.

tests/unit/adapters/test_sqlalchemy.py pins all of it against `TESTED_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Executable
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

__all__ = ["TESTED_VERSION", "bound_statement", "greenlet_spawn", "result_processors"]

TESTED_VERSION = "2.1.9"


def bound_statement(
    engine: AsyncEngine, stmt: Executable, params: Mapping[str, Any] | None
) -> tuple[str, list[Any], SQLCompiler]:
    """The SQL text, its positional arguments and its compiled form, as SQLAlchemy would send them."""
    found, extracted, collected, _ = stmt._compile_w_cache(
        dialect=engine.dialect,
        compiled_cache=engine.sync_engine._compiled_cache,
        column_keys=[],
        for_executemany=False,
        schema_translate_map=None,
    )
    if not isinstance(found, SQLCompiler):
        raise TypeError(f"not a SQL statement: {stmt!r}")
    compiled = found
    values = compiled.construct_params(
        params, extracted_parameters=extracted, escape_names=False, _collected_params=collected
    )
    processors: Mapping[str, Any] = compiled._bind_processors
    sql: str = compiled.string
    order: Sequence[str] | None = compiled.positiontup
    if compiled.literal_execute_params or compiled.post_compile_params:
        expanded = compiled._process_parameters_for_postcompile(values)
        sql, order = expanded.statement, expanded.positiontup
        processors = {**processors, **expanded.processors}
    args = [processors[key](values[key]) if key in processors else values[key] for key in order or ()]
    return sql, args, compiled


def result_processors(
    compiled: SQLCompiler, oids: Sequence[int], dialect: Dialect
) -> list[Callable[[Any], Any] | None]:
    """Per result column of `compiled`, SQLAlchemy's processor for the driver's values of it."""
    columns = compiled._result_columns
    if len(columns) != len(oids):
        raise RuntimeError(f"{len(oids)} columns came back for {len(columns)} compiled ones")
    return [
        column[3]._cached_result_processor(dialect, oid) for column, oid in zip(columns, oids, strict=True)
    ]
