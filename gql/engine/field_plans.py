"""What the level-first walk (execution.py) knows of each field, worked out once per process.

A `FieldPlan` says how to get a field's value without graphql-core's general machinery: read an
attribute (strawberry's basic fields), call an argument-less resolver as strawberry would, or
leave it to graphql-core's resolver call. `LazyInfo` is the `Info` those resolvers get: the real
one is built only when a resolver reads more than `context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from inspect import Parameter
from typing import Any, cast

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.pyutils import Path
from strawberry.resolvers import is_default_resolver
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from adapters.graphql_core import FieldDetailsList
from adapters.strawberry import (
    ExecutorBase,
    field_definition,
    is_strawberry_is_type_of,
    make_info,
    strawberry_schema_of,
)


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """What the walk needs to know of a field, worked out once per (type, field) per process."""

    field_def: GraphQLField
    attribute: str | None
    """Set when the value is `getattr(source, attribute)`: a strawberry basic field (no resolver,
    no permission classes, no extensions, no arguments) whose default resolver is `getattr`."""
    needs_info: bool
    """Completing the value may call `is_type_of`/`resolve_type`, which receive a resolve info."""
    leaf: Callable[[Any], Any] | None = None
    """Set with `attribute` when the field's type is a scalar or an enum: its output coercion."""
    non_null: bool = False
    call: Callable[[Any, Any], Any] | None = None
    """Set for an argument-less strawberry resolver with no extensions (so no permission classes):
    `call(source, info)` calls it as strawberry would — source as `self`/`root`/`parent`, the
    `Info` — without its per-call argument conversion and extension chain (`direct_call`)."""
    info_class: type[Info] | None = None
    relation: tuple[Any, str] | None = None
    """Set with `call` when the resolver is a `Relation`'s (gql/engine/loaded.py): the relation and the
    attribute holding its key, so the fills can do what `relation.now(executor, key)` does first."""


UNPLANNED: Any = object()
PLANS: dict[tuple[GraphQLObjectType, str], FieldPlan | None] = {}


def plan_field(schema: GraphQLSchema, parent_type: GraphQLObjectType, name: str) -> FieldPlan | None:
    field_def = schema.get_field(parent_type, name)
    if field_def is None:
        return None
    plan = FieldPlan(field_def, None, _needs_info(field_def.type))
    definition = field_definition(field_def)
    if definition is None or field_def.args or definition.extensions:
        return plan  # arguments to convert, or extensions (permission classes) to run: strawberry's path
    if field_def.resolve is not None and is_default_resolver(field_def.resolve):
        if definition.is_basic_field and definition.default_resolver is getattr:
            plan = replace(plan, attribute=definition.python_name)
            named = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
            if isinstance(named, GraphQLLeafType):
                plan = replace(
                    plan, leaf=named.coerce_output_value, non_null=isinstance(field_def.type, GraphQLNonNull)
                )
            return plan
        return plan
    strawberry_schema = strawberry_schema_of(schema)
    base = definition.base_resolver
    if base is None or base.arguments or strawberry_schema is None or strawberry_schema.exception_handlers:
        return plan  # strawberry's field exception handlers wrap resolvers: keep its path with them
    return replace(
        plan,
        call=direct_call(base),
        info_class=strawberry_schema.config.info_class,
        relation=getattr(base.wrapped_func, "__relation__", None),
    )


class LazyInfo:
    """strawberry's `Info` for an argument-less resolver, built only if the resolver reads more
    than `context`.

    It holds what building the real `Info` takes; any attribute but `context` builds it once and
    reads it from there, so a resolver sees the same values either way. graphql-core's own hooks
    (`resolve_type`, a custom `is_type_of`) get the real resolve info (`raw()`).
    """

    __slots__ = ("_details", "_info", "_parent_type", "_path", "_plan", "_raw", "context", "executor")

    def __init__(
        self,
        executor: ExecutorBase,
        plan: FieldPlan,
        details: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> None:
        self.context = executor.context_value
        self.executor: Any = executor
        """The level-first executor running the operation (per-operation state: gql/engine/narrowed.py)."""
        self._plan = plan
        self._details = details
        self._parent_type = parent_type
        self._path = path
        self._raw: GraphQLResolveInfo[Any] | None = None
        self._info: Info | None = None

    def raw(self) -> GraphQLResolveInfo[Any]:
        if self._raw is None:
            nodes = [d.node for d in self._details]
            self._raw = self.executor.build_resolve_info(
                self._plan.field_def, nodes, self._parent_type, self._path
            )
        return self._raw

    def __getattr__(self, name: str) -> Any:
        if self._info is None:
            info_class = self._plan.info_class or Info
            self._info = make_info(info_class, self.raw(), _definition(self._plan.field_def))
        return getattr(self._info, name)


def raw_info(info: GraphQLResolveInfo[Any] | LazyInfo | None) -> Any:
    return info.raw() if isinstance(info, LazyInfo) else info


_IGNORES_INFO: dict[Any, bool] = {}


def ignores_info(is_type_of: Any) -> bool:
    """Whether `is_type_of` is the one strawberry generates (`isinstance`; its info is unused)."""
    found = _IGNORES_INFO.get(is_type_of)
    if found is None:
        found = _IGNORES_INFO[is_type_of] = is_strawberry_is_type_of(is_type_of)
    return found


def _definition(field_def: GraphQLField) -> StrawberryField:
    definition = field_definition(field_def)
    assert definition is not None, "planned fields with a resolver are strawberry's"
    return definition


def direct_call(resolver: StrawberryResolver[Any]) -> Callable[[Any, Any], Any]:
    """`call(source, info)`, calling `resolver` with the arguments `call_resolver` gives it.

    A method `def field(self, info)` (or `(self)`) is called positionally, without
    `call_resolver`'s keyword dictionary and strawberry's `__call__` in between; anything else
    (`root`, `parent`, keyword-only or reordered parameters) goes through `call_resolver`.
    """
    func = resolver.wrapped_func
    params = list(resolver.signature.parameters.values())
    positional = all(p.kind is Parameter.POSITIONAL_OR_KEYWORD for p in params)
    mine = resolver.self_parameter
    info = resolver.info_parameter
    if (
        callable(func)
        and positional
        and mine is not None
        and params[0].name == mine.name
        and resolver.parent_parameter is None
        and resolver.root_parameter is None
    ):
        if len(params) == 2 and info is not None and params[1].name == info.name:
            return cast(Callable[[Any, Any], Any], func)
        if len(params) == 1:
            return lambda source, _info: func(source)
    return partial(call_resolver, resolver)


def call_resolver(resolver: StrawberryResolver[Any], source: Any, info: Info) -> Any:
    """The resolver with the arguments strawberry's `get_arguments` gives an argument-less field."""
    args = [source] if resolver.self_parameter is not None else []
    kwargs: dict[str, Any] = {}
    if resolver.parent_parameter is not None:
        kwargs[resolver.parent_parameter.name] = source
    if resolver.root_parameter is not None:
        kwargs[resolver.root_parameter.name] = source
    if resolver.info_parameter is not None:
        kwargs[resolver.info_parameter.name] = info
    return resolver(*args, **kwargs)


def _needs_info(type_: GraphQLOutputType) -> bool:
    """Completing an object or abstract value may call `is_type_of`/`resolve_type` with the info."""
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return not isinstance(type_, GraphQLLeafType)
