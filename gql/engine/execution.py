"""Level-first execution of queries: the same answers as graphql-core, with less work per field.

graphql-core completes a result depth first and wraps every field in the same general
machinery: a resolve-info tuple, the argument check, the awaitable check, `complete_value`'s
type dispatch, and for every awaitable a coroutine of its own that is gathered level by level
through nested `gather`s. For a page of 50 orders that is ~1,900 fields and most of the
server's CPU.

`LevelFirstExecutor` runs a *query* breadth first: it resolves every field of every object of
one level, collects the awaitables of the whole level into one `gather` (so DataLoaders batch
exactly as before, or better), completes the values, and moves to the next level. The fields of
a selection are planned once per request (a level holds many objects under one selection) from
plans made once per process (gql/engine/field_plans.py), and run as one function generated per
selection shape (gql/engine/compiled_fields.py): fields that strawberry marks as basic (no
resolver, no permission classes, no extensions: their resolver only reads an attribute and
ignores `info`) are read directly, and when their type is a scalar or an enum coerced on the
spot, without a path, a resolve info or a completion; argument-less resolvers without extensions
(so without permission classes) are called the way strawberry calls them, minus its per-call
argument conversion and extension chain, with an `Info` built only if they read more than its
`context` (`LazyInfo`); an object they return, or a list of them, is checked and queued for the
next level in line. What the generated functions hand over — fields with arguments, values that
are null, awaitable or of a class not yet seen — goes to the field steps and completion of
gql/engine/walk_steps.py.

It only takes the happy path. The moment anything would make graphql-core do more than
produce data — a resolver raises, a non-null field is null, a value fails to coerce, a runtime
type is not what the schema allows, an `is_type_of` or `resolve_type` is asynchronous, a
deferred fragment — it stops, lets the pending awaitables settle, and hands the operation to
graphql-core's own executor from the start, which then produces the exact errors, paths and
partial data. Queries only read, so running their resolvers a second time changes nothing but
cost. A *fault* is never run twice: a resolver that failed because of the world outside (a
database error or timeout, a lost connection, an expired deadline: `is_fault`) would most likely
fail again, after as long a wait, so the operation answers at once with that error at its field's
path and `data: null`. Mutations and subscriptions always take graphql-core's path, and so does
everything when LEVEL_FIRST_EXECUTION=false (a switch for diagnostics and the benchmark's baseline). The same
documents give the same JSON either way: every query of the API test suite is answered by both
and compared (`tests/api/conftest.py`), and `tests/api/test_execution_differential.py` adds random documents.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, cast

from asyncpg import InterfaceError as DriverInterfaceError  # type: ignore[import-untyped]
from asyncpg import PostgresError
from graphql import (
    ExecutionResult,
    GraphQLObjectType,
    OperationType,
    located_error,
)
from sqlalchemy.exc import SQLAlchemyError

from adapters.graphql_core import CYCLIC_ATTRIBUTES, collect_root_fields
from gql.engine.compiled_fields import Fallback as _Fallback
from gql.engine.walk_steps import ObjectShape, Pending, WalkSteps, Work
from services.db import error_chain

FAULTS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    PostgresError,  # the driver reads (services/driver_reads.py) see asyncpg's errors unwrapped
    DriverInterfaceError,
    sqlite3.Error,
    OSError,
    TimeoutError,
)
"""Failures that come from outside the request (database, network, clock), not from its rules."""


def is_fault(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from or while handling, is one of `FAULTS`.

    A coded error made from a fault (the metrics' QUERY_TIMEOUT, raised while handling the
    database's cancellation) is a fault too: running it again would wait as long again.
    """
    return any(isinstance(current, FAULTS) for current in error_chain(error))


class _Fault(Exception):
    """A pending field failed with a fault: the operation is answered with it, not run again."""

    def __init__(self, error: Exception, entry: Pending) -> None:
        super().__init__(error)
        self.error = error
        self.entry = entry


class LevelFirstExecutor(WalkSteps):
    """graphql-core's executor, with queries run level first on their happy path (module docstring)."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        manager = self.middleware_manager
        if (
            not getattr(getattr(self.context_value, "settings", None), "level_first_execution", True)
            or serially is not None
            or self.operation.operation is not OperationType.QUERY
            or self.abort_signal is not None
            or (manager is not None and manager.middlewares)
        ):
            return super().execute_operation(serially)
        return self._execute_then_detach()

    async def _execute_then_detach(self) -> ExecutionResult:
        """`_execute_level_first`, then the executor's reference cycle cut.

        graphql-core's executor holds bound methods of itself (`async_helpers`): a cycle through
        which the request's context, its loaders and their ~500 rows could only be freed by the
        cyclic collector, whose young-generation passes walked them again and again meanwhile.
        Once the operation has run nothing reads the helpers, so the cycle is cut and the
        request's objects go as soon as the response no longer needs them; so are the walk's own
        (its planned selections hold its steps, bound methods too).
        """
        try:
            return await self._execute_level_first()
        finally:
            for cyclic in (*CYCLIC_ATTRIBUTES, "_selections", "_steps"):
                self.__dict__.pop(cyclic, None)

    async def _execute_level_first(self) -> ExecutionResult:
        try:
            data = await self._run()
        except _Fallback:
            result = super().execute_operation()
            return cast(ExecutionResult, await result if self.is_awaitable(result) else result)
        except _Fault as fault:
            _, _, details, _, path, _, _ = fault.entry
            error = located_error(fault.error, [d.node for d in details], path.as_list())
            return ExecutionResult(None, [error])
        return self.finish(self.build_response(data))  # type: ignore[return-value]

    async def _run(self) -> dict[str, Any]:
        root_type = self.schema.get_root_type(OperationType.QUERY)
        if root_type is None:
            raise _Fallback
        try:
            grouped, defers = collect_root_fields(self, root_type)
        except Exception:
            raise _Fallback from None
        if defers:
            raise _Fallback
        data: dict[str, Any] = {}
        self.narrowed_loaders: dict[str, Any] = {}  # gql/engine/narrowed.py, per operation
        self._objects: dict[tuple[GraphQLObjectType, int], ObjectShape] = {}
        # The fill and its argument of each (type, selection), planned once per request: a level
        # holds many objects of one type under one selection (50 orders), and each queued object
        # carries its selection's fill (gql/engine/compiled_fields.py `plan_fill`).
        self._selections = {}
        self._steps = (self._field, self._call, self._after_call, self._list_item, self)  # STEPS
        try:
            work: list[Work] = [(*self._planned(root_type, grouped), self.root_value, None, data)]  # type: ignore[list-item]
        except _Fallback:
            raise
        except Exception:
            raise _Fallback from None
        while work:
            next_work: list[Work] = []
            pending: list[Pending] = []
            try:
                for fill, x, source, path, target in work:
                    fill(source, path, target, next_work, pending, x)
            except _Fallback:
                await self._settle(pending)
                raise
            except Exception:
                await self._settle(pending)
                raise _Fallback from None
            if pending:
                values = await asyncio.gather(*(p[0] for p in pending), return_exceptions=True)
                try:
                    for entry, value in zip(pending, values, strict=True):
                        if isinstance(value, BaseException):
                            if isinstance(value, Exception) and is_fault(value):
                                raise _Fault(value, entry)
                            raise _Fallback
                        _, type_, details, info, path, target, key = entry
                        self._complete(type_, details, info, path, value, target, key, next_work, None)
                except (_Fallback, _Fault):
                    raise
                except Exception:
                    raise _Fallback from None
            work = next_work
        return data

    @staticmethod
    async def _settle(pending: list[Pending]) -> None:
        """Let awaitables already started finish (or fail) before graphql-core starts over."""
        if pending:
            await asyncio.gather(*(p[0] for p in pending), return_exceptions=True)
