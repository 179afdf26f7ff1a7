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
plans made once per process (gql/field_plans.py), and run as one function generated per
selection shape (gql/compiled_fields.py): fields that strawberry marks as basic (no
resolver, no permission classes, no extensions: their resolver only reads an attribute and
ignores `info`) are read directly, and when their type is a scalar or an enum coerced on the
spot, without a path, a resolve info or a completion; argument-less resolvers without extensions
(so without permission classes) are called the way strawberry calls them, minus its per-call
argument conversion and extension chain, with an `Info` built only if they read more than its
`context` (`LazyInfo`).

It only takes the happy path. The moment anything would make graphql-core do more than
produce data — a resolver raises, a non-null field is null, a value fails to coerce, a runtime
type is not what the schema allows, an `is_type_of` or `resolve_type` is asynchronous, a
deferred fragment — it stops, lets the pending awaitables settle, and hands the operation to
graphql-core's own executor from the start, which then produces the exact errors, paths and
partial data. Queries only read, so running their resolvers a second time changes nothing but
cost; mutations and subscriptions always take graphql-core's path, and so does everything when
LEVEL_FIRST_EXECUTION=false (a switch for diagnostics and the benchmark's baseline). The same
documents give the same JSON either way: every query of the API test suite is answered by both
and compared (`tests/api/conftest.py`), and `tests/api/test_execution_differential.py` adds random documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, cast

from graphql import (
    ExecutionResult,
    GraphQLAbstractType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_fields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.compiled_fields import CALL, GENERAL, LEAF, Entry, Fill, compile_fill, per_request
from gql.compiled_fields import Fallback as _Fallback
from gql.field_plans import (
    PLANS,
    UNPLANNED,
    FieldPlan,
    LazyInfo,
    ignores_info,
    plan_field,
    raw_info,
)

_path = partial(tuple.__new__, Path)
"""`Path(prev, key, typename)` from a tuple without the named tuple's Python-level `__new__`
(~1,000 paths a page; the same immutable value graphql-core builds)."""

_NEVER_AWAITABLE: set[type] = set()
"""Strawberry object classes whose instances `_awaitable` has learnt are never awaitable."""


# (object type, value, path, its grouped fields, the dict its answer goes into)
_Work = tuple[GraphQLObjectType, Any, Path, GroupedFieldSet, dict[str, Any]]
# (its field details, their grouped subfields, the type's is_type_of, whether that is strawberry's)
_Object = tuple[FieldDetailsList, GroupedFieldSet, Callable[[Any, Any], Any] | None, bool]
# (awaitable, type to complete it as, field details, info, path, container, key in the container)
_Pending = tuple[Awaitable[Any], GraphQLOutputType, FieldDetailsList, Any, Path, Any, Any]


class LevelFirstExecutor(StrawberryGraphQLCoreExecutionContext):
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
        request's objects go as soon as the response no longer needs them.
        """
        try:
            return await self._execute_level_first()
        finally:
            self.__dict__.pop("async_helpers", None)

    async def _execute_level_first(self) -> ExecutionResult:
        try:
            data = await self._run()
        except _Fallback:
            result = super().execute_operation()
            return cast(ExecutionResult, await result if self.is_awaitable(result) else result)
        return self.finish(self.build_response(data))  # type: ignore[return-value]

    async def _run(self) -> dict[str, Any]:
        root_type = self.schema.get_root_type(OperationType.QUERY)
        if root_type is None:
            raise _Fallback
        try:
            grouped, defers, _ = collect_fields(
                self.schema,
                self.fragments,
                self.variable_values,
                root_type,
                self.operation,
                self.hide_suggestions,
            )
        except Exception:
            raise _Fallback from None
        if defers:
            raise _Fallback
        data: dict[str, Any] = {}
        self.narrowed_loaders: dict[str, Any] = {}  # gql/narrowed.py, per operation
        self._objects: dict[tuple[GraphQLObjectType, int], _Object] = {}
        work: list[_Work] = [(root_type, self.root_value, None, grouped, data)]  # type: ignore[list-item]
        # The planned fields of each (type, selection): a level holds many objects of one type
        # under one selection (50 orders), so this is worked out once per selection, not per object.
        selections: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Fill, tuple[Any, ...]]] = {}
        while work:
            next_work: list[_Work] = []
            pending: list[_Pending] = []
            try:
                for parent_type, source, path, fields, target in work:
                    known = selections.get((parent_type, id(fields)))
                    if known is None or known[0] is not fields:
                        entries = self._entries(parent_type, fields)
                        known = selections[(parent_type, id(fields))] = (
                            fields,
                            compile_fill(parent_type, entries),
                            per_request(self._field, self._call, entries),
                        )
                    known[1](source, path, target, next_work, pending, known[2])
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
                            raise _Fallback
                        _, type_, details, info, path, target, key = entry
                        self._complete(type_, details, info, path, value, target, key, next_work, None)
                except _Fallback:
                    raise
                except Exception:
                    raise _Fallback from None
            work = next_work
        return data

    def _awaitable(self, value: Any) -> bool:
        """`is_awaitable`, skipped for instances of strawberry object types once their class is known.

        For an object that is not a coroutine, `is_awaitable` ends in `hasattr(value, "__await__")`,
        which for the ~500 objects a page's relation fields return means a failed lookup and a
        swallowed AttributeError each. A class with a strawberry definition and no `__await__`
        never makes awaitable instances (`await` looks special methods up on the type).
        """
        cls = type(value)
        if cls in _NEVER_AWAITABLE:
            return False
        if self.is_awaitable(value):
            return True
        if getattr(cls, "__strawberry_definition__", None) is not None and not hasattr(cls, "__await__"):
            _NEVER_AWAITABLE.add(cls)
        return False

    @staticmethod
    async def _settle(pending: list[_Pending]) -> None:
        """Let awaitables already started finish (or fail) before graphql-core starts over."""
        if pending:
            await asyncio.gather(*(p[0] for p in pending), return_exceptions=True)

    def _entries(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[Entry]:
        """The fields of a selection on `parent_type` with their plans and kinds: LEAF for the scalar
        and enum attributes without arguments, whose output coercion the fill does itself, CALL for
        the argument-less resolvers called directly, GENERAL for the rest."""
        entries: list[Entry] = []
        for key, details in fields.items():
            node = details[0].node
            plan_key = (parent_type, node.name.value)
            plan = PLANS.get(plan_key, UNPLANNED)
            if plan is UNPLANNED:
                plan = PLANS[plan_key] = plan_field(self.schema, parent_type, node.name.value)
            if plan is None:
                continue  # graphql-core leaves unknown fields out of the answer too
            if node.arguments:
                kind = GENERAL
            elif plan.leaf is not None:
                kind = LEAF
            else:
                kind = CALL if plan.call is not None else GENERAL
            entries.append((key, details, plan, kind))
        return entries

    def _field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        plan: FieldPlan,
        parent_path: Path,
        target: dict[str, Any],
        key: str,
        next_work: list[_Work],
        pending: list[_Pending],
    ) -> None:
        """The general field step (a GENERAL entry): an object-valued attribute read, or the field's
        resolver called as graphql-core would, with its resolve info and arguments; then completion.
        (Argument-less resolvers called directly are CALL entries: `_call`.)"""
        first = details[0]
        node = first.node
        field_def = plan.field_def
        target[key] = None  # keeps the key where graphql-core puts it, whenever the value arrives
        path = _path((parent_path, key, parent_type.name))
        info: GraphQLResolveInfo[Any] | LazyInfo | None = None
        if plan.attribute is not None and not node.arguments:
            # strawberry's basic-field resolver is exactly this read, and never looks at info
            result = getattr(source, plan.attribute)
        else:
            info = self.build_resolve_info(field_def, [d.node for d in details], parent_type, path)
            args = (
                get_argument_values(
                    field_def,
                    node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
                if field_def.args or node.arguments
                else {}
            )
            result = (field_def.resolve or self.field_resolver)(source, info, **args)
        if info is None and plan.needs_info:
            info = LazyInfo(self, plan, details, parent_type, path)
        if result.__class__ not in _NEVER_AWAITABLE and self._awaitable(result):
            pending.append((result, field_def.type, details, info, path, target, key))
            return
        self._complete(field_def.type, details, info, path, result, target, key, next_work, pending)

    def _call(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        plan: FieldPlan,
        parent_path: Path,
        target: dict[str, Any],
        key: str,
        next_work: list[_Work],
        pending: list[_Pending],
    ) -> None:
        """`_field` for a field whose plan has `call` and whose node has no arguments (a CALL entry)."""
        target[key] = None  # keeps the key where graphql-core puts it, whenever the value arrives
        path = _path((parent_path, key, parent_type.name))
        info = LazyInfo(self, plan, details, parent_type, path)
        result = plan.call(source, info)  # type: ignore[misc]
        if result.__class__ not in _NEVER_AWAITABLE and self._awaitable(result):
            pending.append((result, plan.field_def.type, details, info, path, target, key))
            return
        self._complete(plan.field_def.type, details, info, path, result, target, key, next_work, pending)

    def _complete(
        self,
        type_: GraphQLOutputType,
        details: FieldDetailsList,
        info: Any,
        path: Path,
        value: Any,
        target: Any,
        key: Any,
        next_work: list[_Work],
        pending: list[_Pending] | None,
    ) -> None:
        """Put the completed `value` at `target[key]`; objects are queued for the next level."""
        if isinstance(value, Exception):
            raise _Fallback
        shape = _SHAPES.get(type_)
        if shape is None:
            shape = _SHAPES[type_] = _shape(type_)
        non_null, kind, type_ = shape
        if value is None or value is Undefined:
            if non_null:
                raise _Fallback
            target[key] = None
            return
        if kind is _OBJECT:
            self._object(type_, details, info, path, value, target, key, next_work)  # type: ignore[arg-type]
            return
        if kind is _LIST:
            assert isinstance(type_, GraphQLList)
            if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
                raise _Fallback
            items: list[Any] = []
            target[key] = items
            item_type = type_.of_type
            for index, item in enumerate(value):
                items.append(None)
                item_path = _path((path, index, None))
                if item.__class__ not in _NEVER_AWAITABLE and self._awaitable(item):
                    if pending is None:
                        raise _Fallback
                    pending.append((item, item_type, details, info, item_path, items, index))
                else:
                    self._complete(
                        item_type, details, info, item_path, item, items, index, next_work, pending
                    )
            return
        if kind is _LEAF:
            assert isinstance(type_, GraphQLLeafType)
            coerced = type_.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise _Fallback
            target[key] = coerced
            return
        assert isinstance(type_, GraphQLAbstractType)
        resolve_type = type_.resolve_type or self.type_resolver
        runtime = resolve_type(value, raw_info(info), type_)
        if self.is_awaitable(runtime):
            _close(runtime)
            raise _Fallback
        runtime_type = self.ensure_valid_runtime_type(runtime, type_, details, raw_info(info), value)
        self._object(runtime_type, details, info, path, value, target, key, next_work)

    def _object(
        self,
        type_: GraphQLObjectType,
        details: FieldDetailsList,
        info: Any,
        path: Path,
        value: Any,
        target: Any,
        key: Any,
        next_work: list[_Work],
    ) -> None:
        """Check `value` is of `type_`, and queue it with its answer dict for the next level."""
        # Per (type, selection): its subfields and its is_type_of, and whether that is strawberry's
        # own (an isinstance check that never reads its info and returns a bool). A level holds
        # many objects of one type under one selection (50 orders, 150 lines).
        known = self._objects.get((type_, id(details)))
        if known is None or known[0] is not details:
            grouped, defers, _ = self.collect_subfields(type_, details)
            if defers:
                raise _Fallback
            is_type_of = type_.is_type_of
            known = self._objects[(type_, id(details))] = (
                details,
                grouped,
                is_type_of,
                is_type_of is not None and ignores_info(is_type_of),
            )
        _, grouped, is_type_of, strawberry_check = known
        if strawberry_check:
            if not is_type_of(value, None):  # type: ignore[misc]  # set whenever strawberry_check is
                raise _Fallback
        elif is_type_of is not None:
            matches = is_type_of(value, raw_info(info))
            if self.is_awaitable(matches):
                _close(matches)
                raise _Fallback
            if not matches:
                raise _Fallback
        answer: dict[str, Any] = {}
        target[key] = answer
        next_work.append((type_, value, path, grouped, answer))


# What `_complete` dispatches on, per output type: (non-null, kind, the type inside NonNull).
_LIST, _LEAF, _ABSTRACT, _OBJECT = "list", "leaf", "abstract", "object"
_SHAPES: dict[GraphQLOutputType, tuple[bool, str, GraphQLOutputType]] = {}


def _shape(type_: GraphQLOutputType) -> tuple[bool, str, GraphQLOutputType]:
    non_null = isinstance(type_, GraphQLNonNull)
    inner: GraphQLOutputType = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return non_null, _LIST, inner
    if isinstance(inner, GraphQLLeafType):
        return non_null, _LEAF, inner
    if isinstance(inner, GraphQLAbstractType):
        return non_null, _ABSTRACT, inner
    assert isinstance(inner, GraphQLObjectType)
    return non_null, _OBJECT, inner


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
