"""The level-first walk's field steps and completion (the executor is execution.py).

The generated fills (compiled_fields.py) do most fields of a selection in line and hand the rest
here: a field with arguments or a resolver graphql-core must call (`_field`), an argument-less
resolver whose value is not an object (`_call`), and any value the fills' in-line object path does
not take (`_after_call`, `_list_item`). Completion (`_complete`, `_object`) does what graphql-core's
`complete_value` does on its happy path and raises `Fallback` on anything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path

from adapters.graphql_core import FieldDetailsList, GroupedFieldSet, collect_subfields
from adapters.graphql_core import new_path as _path
from adapters.strawberry import ExecutorBase
from gql.engine.compiled_fields import Fallback as _Fallback
from gql.engine.compiled_fields import Fill, plan_fill
from gql.engine.compiled_objects import NEVER_AWAITABLE as _NEVER_AWAITABLE
from gql.engine.field_plans import FieldPlan, LazyInfo, ignores_info, raw_info

# (its selection's fill, the fill's argument, value, path, the dict its answer goes into)
Work = tuple[Fill, tuple[Any, ...], Any, Path, dict[str, Any]]
# (its field details, their grouped subfields, the type's is_type_of, whether that is strawberry's)
ObjectShape = tuple[FieldDetailsList, GroupedFieldSet, Callable[[Any, Any], Any] | None, bool]
# (awaitable, type to complete it as, field details, info, path, container, key in the container)
Pending = tuple[Awaitable[Any], GraphQLOutputType, FieldDetailsList, Any, Path, Any, Any]


class WalkSteps(ExecutorBase):
    """The per-field steps of `LevelFirstExecutor` (gql/engine/execution.py), which sets `_objects`,
    `_selections` and `_steps` for each operation."""

    _objects: dict[tuple[GraphQLObjectType, int], ObjectShape]

    _selections: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Fill, tuple[Any, ...]]]
    _steps: tuple[Any, ...]

    _static: bool
    """Whether the operation's selections are the same for any variables (`static_selections`):
    then its collected fields, and the plans made of them, are kept for the next requests."""

    def _planned(self, type_: GraphQLObjectType, fields: GroupedFieldSet) -> tuple[Fill, tuple[Any, ...]]:
        """The fill of `fields` on `type_` and its argument, planned once per request, and once
        per process for a static operation's selections (the argument made again per request
        from the kept template: it holds the request's steps)."""
        key = (type_, id(fields))
        known = self._selections.get(key)
        if known is None or known[0] is not fields:
            shared = _SHARED_PLANS.get(key)
            if shared is not None and shared[0] is fields:
                fill, x = shared[1], self._from_template(shared[2])
            elif self._static:
                children: dict[int, tuple[GraphQLObjectType, GroupedFieldSet]] = {}

                def planned(child_type: GraphQLObjectType, subfields: GroupedFieldSet) -> Any:
                    found = self._planned(child_type, subfields)
                    children[id(found[1])] = (child_type, subfields)
                    return found

                fill, x = plan_fill(self.schema, type_, fields, self._steps, self._grouped, planned)
                template = tuple(
                    _STEPS
                    if item is self._steps
                    else _Child(*children[id(item)])
                    if id(item) in children
                    else item
                    for item in x[len(self._steps) :]
                )
                if len(_SHARED_PLANS) >= _MAX_SHARED:
                    _SHARED_PLANS.clear()
                _SHARED_PLANS[key] = (fields, fill, template)
            else:
                fill, x = plan_fill(self.schema, type_, fields, self._steps, self._grouped, self._planned)
            known = self._selections[key] = (fields, fill, x)
        return known[1], known[2]

    def _from_template(self, template: tuple[Any, ...]) -> tuple[Any, ...]:
        """A kept plan's fill argument for this request: its steps, then the template's items with
        this request's steps and children's arguments in place of the markers."""
        x = list(self._steps)
        for item in template:
            if item.__class__ is _Child:
                x.append(self._planned(item.type_, item.fields)[1])
            elif item is _STEPS:
                x.append(self._steps)
            else:
                x.append(item)
        return tuple(x)

    def _awaitable(self, value: Any) -> bool:
        """`is_awaitable`, skipped for instances of strawberry object types once their class is known.

        A class with a strawberry definition and no `__await__` never makes awaitable instances
        (`await` looks special methods up on the type), so it joins `NEVER_AWAITABLE` once seen.
        """
        cls = type(value)
        if cls in _NEVER_AWAITABLE:
            return False
        if self.is_awaitable(value):
            return True
        if getattr(cls, "__strawberry_definition__", None) is not None and not hasattr(cls, "__await__"):
            _NEVER_AWAITABLE.add(cls)
        return False

    def _field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        plan: FieldPlan,
        parent_path: Path,
        target: dict[str, Any],
        key: str,
        next_work: list[Work],
        pending: list[Pending],
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
        self._after_call(parent_type, details, plan, info, path, result, target, key, next_work, pending)

    def _call(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        plan: FieldPlan,
        parent_path: Path,
        target: dict[str, Any],
        key: str,
        next_work: list[Work],
        pending: list[Pending],
    ) -> None:
        """`_field` for a field whose plan has `call` and whose node has no arguments (a CALL entry)."""
        target[key] = None  # keeps the key where graphql-core puts it, whenever the value arrives
        path = _path((parent_path, key, parent_type.name))
        info = LazyInfo(self, plan, details, parent_type, path)
        result = plan.call(source, info)  # type: ignore[misc]
        self._after_call(parent_type, details, plan, info, path, result, target, key, next_work, pending)

    def _after_call(
        self,
        parent_type: GraphQLObjectType,
        details: FieldDetailsList,
        plan: FieldPlan,
        info: Any,
        path: Path,
        result: Any,
        target: dict[str, Any],
        key: str,
        next_work: list[Work],
        pending: list[Pending],
    ) -> None:
        """A field's value, got: awaited with the level, or completed now."""
        if result.__class__ not in _NEVER_AWAITABLE and self._awaitable(result):
            pending.append((result, plan.field_def.type, details, info, path, target, key))
            return
        self._complete(plan.field_def.type, details, info, path, result, target, key, next_work, pending)

    def _list_item(
        self,
        item_type: GraphQLOutputType,
        details: FieldDetailsList,
        info: Any,
        path: Path,
        item: Any,
        items: list[Any],
        index: int,
        next_work: list[Work],
        pending: list[Pending] | None,
    ) -> None:
        """One item of a list: awaited with the level, or completed now."""
        if item.__class__ not in _NEVER_AWAITABLE and self._awaitable(item):
            if pending is None:
                raise _Fallback
            pending.append((item, item_type, details, info, path, items, index))
        else:
            self._complete(item_type, details, info, path, item, items, index, next_work, pending)

    def _complete(
        self,
        type_: GraphQLOutputType,
        details: FieldDetailsList,
        info: Any,
        path: Path,
        value: Any,
        target: Any,
        key: Any,
        next_work: list[Work],
        pending: list[Pending] | None,
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
                self._list_item(
                    item_type,
                    details,
                    info,
                    _path((path, index, None)),
                    item,
                    items,
                    index,
                    next_work,
                    pending,
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
        next_work: list[Work],
    ) -> None:
        """Check `value` is of `type_`, and queue it with its answer dict for the next level."""
        _, grouped, is_type_of, strawberry_check = self._known(type_, details)
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
        next_work.append((*self._planned(type_, grouped), value, path, answer))

    def _known(self, type_: GraphQLObjectType, details: FieldDetailsList) -> ObjectShape:
        """Per (type, selection): its subfields and its is_type_of, and whether that is strawberry's
        own (an isinstance check that never reads its info and returns a bool). A level holds many
        objects of one type under one selection (50 orders, 150 lines)."""
        key = (type_, id(details))
        known = self._objects.get(key)
        if known is None or known[0] is not details:
            known = _SHARED_SHAPES.get(key)
            if known is None or known[0] is not details:
                grouped, defers = collect_subfields(self, type_, details)
                if defers:
                    raise _Fallback
                is_type_of = type_.is_type_of
                known = (details, grouped, is_type_of, is_type_of is not None and ignores_info(is_type_of))
                if self._static:
                    if len(_SHARED_SHAPES) >= _MAX_SHARED:
                        _SHARED_SHAPES.clear()
                    _SHARED_SHAPES[key] = known
            self._objects[key] = known
        return known

    def _grouped(self, type_: GraphQLObjectType, details: FieldDetailsList) -> GroupedFieldSet:
        """The subfields objects of `type_` selected by `details` are filled with."""
        return self._known(type_, details)[1]


class _Child:
    """In a kept plan's template: the argument of the fill of `fields` on `type_` goes here."""

    __slots__ = ("fields", "type_")

    def __init__(self, type_: GraphQLObjectType, fields: GroupedFieldSet) -> None:
        self.type_, self.fields = type_, fields


_STEPS: Any = object()
"""In a kept plan's template: the request's steps (an all-leaf child's argument) go here."""

# Static operations' collected subfields and plans, kept across requests. Keyed by the identity of
# field details and grouped fields that only static operations' kept collections hand out, and
# each entry holds what its key's id is of, so an id is never taken for another object's.
_SHARED_SHAPES: dict[tuple[GraphQLObjectType, int], ObjectShape] = {}
_SHARED_PLANS: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Fill, tuple[Any, ...]]] = {}
_MAX_SHARED = 5_000
"""Entries kept (cleared when full)."""


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
