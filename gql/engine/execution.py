"""Level-first execution of queries: graphql-core's answers, with less work per field.

`LevelFirstExecutor` runs a query breadth first: every field of every object of one level, then
the level's awaitables in one `gather` (DataLoaders batch as before), then the next level. Each
(type, selection) is filled by a function generated once per process (compiled_fields.py) from
per-field plans (field_plans.py); what those hand over goes to the steps of walk_steps.py.

Contract:
- Only the happy path runs here. Where graphql-core would do more than produce data (a resolver
  raises, a non-null field is null, a value fails to coerce, a runtime type is not allowed, an
  `is_type_of`/`resolve_type` is asynchronous, a fragment is deferred) the pending awaitables
  settle and graphql-core executes the operation from the start: its errors, paths and partial
  data. Queries only read, so running their resolvers again changes nothing but cost.
- A fault (`is_fault`: the database, the network, the clock) is never run twice: the operation is
  answered at once with the error at its field's path and `data: null`.
- Mutations, subscriptions, middleware, abort signals and LEVEL_FIRST_EXECUTION=false take
  graphql-core's path.
- Both paths give the same JSON: tests/api/conftest.py answers every API query with both, and
  tests/api/test_execution_differential.py adds random documents.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, cast
from weakref import ref

from asyncpg import InterfaceError as DriverInterfaceError  # type: ignore[import-untyped]
from asyncpg import PostgresError
from graphql import (
    BREAK,
    ExecutionResult,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    located_error,
    visit,
)
from sqlalchemy.exc import SQLAlchemyError

from adapters.graphql_core import CYCLIC_ATTRIBUTES, FragmentDetails, GroupedFieldSet, collect_root_fields
from gql.engine.compiled_fields import Fallback as _Fallback
from gql.engine.narrowed import RUNNING
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


def static_selections(operation: OperationDefinitionNode, fragments: dict[str, FragmentDetails]) -> bool:
    """Whether the operation and its fragments have no directive: then the fields collected for a
    type from its nodes are the same whatever the variables (only `@skip`/`@include` read them,
    and `@defer` leaves the level-first path), so they are kept across requests."""
    found = _STATIC.get(id(operation))
    if found is not None and found[0]() is operation:
        return found[1]
    static = True

    class Directives(Visitor):
        def enter_directive(self, *_: Any) -> Any:
            nonlocal static
            static = False
            return BREAK

    for node in (operation, *(fragment.definition for fragment in fragments.values())):
        visit(node, Directives())
    if len(_STATIC) >= _MAX_KEPT:
        _STATIC.clear()
    _STATIC[id(operation)] = (ref(operation), static)
    return static


_STATIC: dict[int, tuple[ref[OperationDefinitionNode], bool]] = {}
_ROOT_FIELDS: dict[tuple[int, GraphQLObjectType], tuple[OperationDefinitionNode, GroupedFieldSet]] = {}
_MAX_KEPT = 5_000
"""Operations whose answers are kept (cleared when full); a weak reference, or the node itself,
tells an answer for a node since freed and its id reused."""


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
        """`_execute_level_first`, then the executor's reference cycles cut.

        graphql-core's executor holds bound methods of itself (`CYCLIC_ATTRIBUTES`), and the walk's
        planned selections hold its steps: dropped once the operation has run (nothing reads them
        then), so the request's context, loaders and rows are freed by reference counting alone.
        """
        try:
            return await self._execute_level_first()
        finally:
            for cyclic in (*CYCLIC_ATTRIBUTES, "_selections", "_steps"):
                self.__dict__.pop(cyclic, None)

    async def _execute_level_first(self) -> ExecutionResult:
        self.narrowed_loaders: dict[str, Any] = {}  # gql/engine/narrowed.py, per operation
        self.rendered: dict[int, dict[Any, Any]] = {}  # gql/engine/rendered.py, per operation
        running = RUNNING.set((self.operation, self.narrowed_loaders, self.rendered))
        try:
            data = await self._run()
        except _Fallback:
            RUNNING.set(None)  # graphql-core's run renders nothing (rendered.py)
            result = super().execute_operation()
            return cast(ExecutionResult, await result if self.is_awaitable(result) else result)
        except _Fault as fault:
            _, _, details, _, path, _, _ = fault.entry
            error = located_error(fault.error, [d.node for d in details], path.as_list())
            return ExecutionResult(None, [error])
        finally:
            RUNNING.reset(running)
        return self.finish(self.build_response(data))  # type: ignore[return-value]

    async def _run(self) -> dict[str, Any]:
        root_type = self.schema.get_root_type(OperationType.QUERY)
        if root_type is None:
            raise _Fallback
        self._static = static_selections(self.operation, self.fragments)
        kept = _ROOT_FIELDS.get((id(self.operation), root_type)) if self._static else None
        if kept is not None and kept[0] is self.operation:
            grouped = kept[1]
        else:
            try:
                grouped, defers = collect_root_fields(self, root_type)
            except Exception:
                raise _Fallback from None
            if defers:
                raise _Fallback
            if self._static:
                if len(_ROOT_FIELDS) >= _MAX_KEPT:
                    _ROOT_FIELDS.clear()
                _ROOT_FIELDS[(id(self.operation), root_type)] = (self.operation, grouped)
        data: dict[str, Any] = {}
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
