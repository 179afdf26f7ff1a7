"""Relation loaders that read only the columns the operation can read of their rows.

A row loaded for a relation field becomes a GraphQL object of the field's type (a view,
row_views.py), and a view is only read by the fields the document selects on that type. So the
columns are those `RowFields.columns` gives for every field the operation selects on that type or
on an interface of it, anywhere in the operation and its fragments (directives ignored: a field
that may be skipped still counts). A field that does not say what it reads makes the loader read
every column. Only relations whose rows become objects of one type this way use a narrowed
loader; every other use of a loader (services, checks reading a row) keeps whole rows.

The narrowed loader is `Loaders.narrowed(name, columns)`: one per (loader, column set) in the
request, so a list's prefetch and the relation fields share its cache and its one statement. The
level-first executor keeps the operation's by name (`narrowed_loaders`, where its fills look them
up): a resolver given strawberry's own `Info` (a root field with arguments prefetching what is
below it) puts the loader it gets there too (`RUNNING`), so the fills find the rows it filled.
"""

from __future__ import annotations

from collections import defaultdict
from contextvars import ContextVar
from typing import Any
from weakref import ref

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)

from adapters.graphql_core import fragment_definitions
from adapters.strawberry import raw_info_of, strawberry_schema_of
from gql.engine.field_plans import LazyInfo
from gql.engine.row_views import RowFields
from gql.engine.selection import columns_of
from loaders.base import RowLoader

Names = dict[str, frozenset[str]]

RUNNING: ContextVar[
    tuple[OperationDefinitionNode, dict[str, RowLoader[Any, Any]], dict[int, dict[Any, Any]]] | None
] = ContextVar("narrowed_loaders_running", default=None)
"""The operation the level-first executor is running, its narrowed loaders by name, and the
relation answers the database rendered, by the relation field's node (rendered.py)."""


def narrowed_loader(info: Any, name: str, fields: RowFields[Any]) -> RowLoader[Any, Any]:
    """The request's loader `name`, reading the columns the operation can read of its rows,
    which become `fields`' type (one type per loader name)."""
    if info.__class__ is LazyInfo:
        memo: dict[str, RowLoader[Any, Any]] = info.executor.narrowed_loaders
        found = memo.get(name)
        if found is None:
            executor = info.executor
            fragments = fragment_definitions(executor)
            columns = readable_columns(executor.schema, executor.operation, fragments, fields)
            found = memo[name] = info.context.loaders.narrowed(name, columns)
        return found
    raw = raw_info_of(info)
    columns = readable_columns(raw.schema, raw.operation, raw.fragments, fields)
    loader: RowLoader[Any, Any] = info.context.loaders.narrowed(name, columns)
    running = RUNNING.get()
    if running is not None and running[0] is raw.operation:
        running[1].setdefault(name, loader)  # the same loader: same operation, same columns
    return loader


def readable_columns(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    fields: RowFields[Any],
) -> frozenset[str] | None:
    """The row attributes the operation can read through objects of `fields`' type (None: all)."""
    key = (id(operation), id(fields))
    found = _COLUMNS.get(key)
    if found is None or found[0]() is not operation:
        if len(_COLUMNS) >= _MAX_KEPT:
            _COLUMNS.clear()
        names = _selected_names(schema, operation, fragments)
        found = _COLUMNS[key] = (ref(operation), _columns(schema, names, fields))
    return found[1]


_COLUMNS: dict[tuple[int, int], tuple[ref[OperationDefinitionNode], frozenset[str] | None]] = {}
_NAMES: dict[int, tuple[ref[OperationDefinitionNode], Names]] = {}
_MAX_KEPT = 5_000
"""Answers kept, by operation node: cached documents keep their nodes, so the answers stay good; a
weak reference tells an answer for a node since freed and its id reused (cleared when full)."""


def _columns(schema: GraphQLSchema, names: Names, fields: RowFields[Any]) -> frozenset[str] | None:
    object_type = schema.get_type(fields.cls.__strawberry_definition__.name)
    if not isinstance(object_type, GraphQLObjectType):
        return None
    selected = set(names.get(object_type.name, ()))
    for interface in object_type.interfaces:
        selected |= names.get(interface.name, set()) & set(object_type.fields)
    strawberry_schema = strawberry_schema_of(schema)
    if strawberry_schema is None:
        return None
    return columns_of(fields, selected, strawberry_schema.config.name_converter)


def _selected_names(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> Names:
    """Per type name, the field names the operation and the fragments select on that type."""
    found = _NAMES.get(id(operation))
    if found is not None and found[0]() is operation:
        return found[1]
    type_info = TypeInfo(schema)
    selected: defaultdict[str, set[str]] = defaultdict(set)

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                selected[parent.name].add(node.name.value)

    for node in (operation, *fragments.values()):
        visit(node, TypeInfoVisitor(type_info, Collect()))
    names = {type_name: frozenset(field_names) for type_name, field_names in selected.items()}
    if len(_NAMES) >= _MAX_KEPT:
        _NAMES.clear()
    _NAMES[id(operation)] = (ref(operation), names)
    return names
