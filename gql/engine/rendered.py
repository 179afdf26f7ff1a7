"""A list's objects, or their relation fields, answered by PostgreSQL as JSON with the page.

When everything a document selects on a list's objects can be rendered by the database
(rendered_sql.py: column leaves, declared computations such as Money, `__typename`, relations
read by unscoped loaders), the list's page statement renders each object whole, and the list
resolver hands the walk `RenderedAnswer`s for nodes (`rendered_objects`). Otherwise it renders
the relation fields that can be (`rendered_relations`): the walk fills the rest of each object and
sets such a field's answer from what the page statement brought. Either way the walk's fills copy
the rendered JSON into the answer instead of building and filling an object per row
(compiled_objects.py).

Invariants: a rendered answer is the JSON graphql-core gives for the same rows (rendered_sql.py
says field by field why). Rendering happens only on PostgreSQL while the level-first executor runs
the operation and has not fallen back to graphql-core (which never sees a `RenderedAnswer`), with
no directive in the rendered selection, and for relations read by no other field of the operation
(they would share the rows a join loads). tests/api/engine/test_rendered_relations.py compares
both executors; tests/integration/engine/test_rendered_leaves.py the leaves' SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import ref

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from sqlalchemy import ColumnElement, Text, cast

from adapters.strawberry import raw_info_of
from gql.engine.narrowed import RUNNING
from gql.engine.rendered_sql import (
    Builder,
    ColumnOf,
    Context,
    Loaders,
    NotRendered,
    Subquery,
    collect,
    column,
    field_plan,
    object_type,
    relation_sql,
    selection_sql,
)
from gql.engine.row_views import RowFields
from gql.engine.selection import Path


class RenderedAnswer:
    """An object's whole answer, rendered by the database: the walk copies `value` as it is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass(frozen=True, slots=True, eq=False)
class Rendering:
    """A value the database renders for each row of a list's page."""

    node: FieldNode
    """The rendered field's one node (a relation's; for whole objects, the list's node field)."""
    key: str
    """The row's column whose value keys the answers (the relation's key; the row's own id)."""
    reads: frozenset[str]
    """The row's columns the rendering reads."""
    build: Builder

    def column(self, column_of: ColumnOf) -> ColumnElement[Any]:
        """The rendered JSON, as text, over a page row whose columns `column_of` gives."""
        return cast(self.build(column_of), Text)

    def keep(self, texts: Mapping[Any, str | None]) -> None:
        """Keep the answers read, by key, for the walk (a NULL is no answer)."""
        running = RUNNING.get()
        if running is not None:
            loads = orjson.loads
            running[2][id(self.node)] = {key: loads(text) for key, text in texts.items() if text is not None}

    def answers(self) -> Mapping[Any, Any]:
        """The answers `keep` kept in this operation, by key."""
        running = RUNNING.get()
        return running[2].get(id(self.node), {}) if running is not None else {}


def rendered_objects(info: Any, at: Path, fields: RowFields[Any]) -> Rendering | None:
    """The rendering of the whole objects (of `fields`' type) that the current list field selects
    at `at`, when everything selected on them can be rendered (module docstring); else None."""
    found = _kept(info, at, fields)
    return found[0] if found is not None else None


def rendered_relations(info: Any, at: Path, fields: RowFields[Any]) -> list[Rendering]:
    """The relation fields of the objects (of `fields`' type) that the current list field selects
    at `at` that the database can render, each selected under one response key by one node."""
    found = _kept(info, at, fields)
    return found[1] if found is not None else []


def answer_of(rendering: Rendering | None, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert` of a page row, or its `RenderedAnswer` when the rendering brought one."""
    if rendering is None:
        return convert
    answers = rendering.answers()
    key = rendering.key

    def answer(row: Any) -> Any:
        found = answers.get(getattr(row, key), _NONE)
        return convert(row) if found is _NONE else RenderedAnswer(found)

    return answer


_NONE: Any = object()


def _kept(info: Any, at: Path, fields: RowFields[Any]) -> tuple[Rendering | None, list[Rendering]] | None:
    running = RUNNING.get()
    raw = raw_info_of(info)
    if running is None or running[0] is not raw.operation:
        return None
    if info.context.sessions.kw["bind"].dialect.name != "postgresql":
        return None
    key = (id(raw.operation), tuple(map(id, raw.field_nodes)), at, id(fields))
    found = _KEPT.get(key)
    if found is None or found[0]() is not raw.operation:
        if len(_KEPT) >= _MAX_KEPT:
            _KEPT.clear()
        context = Context(raw.schema, Loaders(info.context.loaders, _loader_uses(raw)), raw.fragments)
        found = _KEPT[key] = (
            ref(raw.operation),
            _plan(context, raw.field_nodes, raw.return_type, at, fields),
        )
    return found[1]


_KEPT: dict[
    tuple[Any, ...], tuple[ref[OperationDefinitionNode], tuple[Rendering | None, list[Rendering]]]
] = {}
_MAX_KEPT = 5_000
"""Plans kept per (operation, field nodes, place): the document cache keeps the nodes."""


def _plan(
    context: Context, nodes: Sequence[FieldNode], type_: GraphQLOutputType, at: Path, fields: RowFields[Any]
) -> tuple[Rendering | None, list[Rendering]]:
    """The whole objects' rendering, or else the relations' renderings."""
    try:
        for name in at:
            parent = object_type(type_)
            grouped = collect(context.schema, parent, nodes, context.fragments)
            keys = [k for k, found in grouped.items() if found[0].name.value == name]
            if len(keys) != 1:
                return None, []
            nodes = grouped[keys[0]]
            type_ = parent.fields[name].type
        parent = object_type(type_)
        grouped = collect(context.schema, parent, nodes, context.fragments)
    except NotRendered:
        return None, []
    if fields.entity is not None:
        try:
            build, reads = selection_sql(context, parent, nodes, fields)
            key = column(fields.entity, "id").key
            return Rendering(nodes[0], key, reads | {key}, build), []
        except NotRendered:
            pass
    return None, _relations(context, parent, grouped, fields)


def _relations(
    context: Context, parent: GraphQLObjectType, grouped: dict[str, list[FieldNode]], fields: RowFields[Any]
) -> list[Rendering]:
    renderings = []
    for found in grouped.values():
        if len(found) != 1 or found[0].name.value == "__typename":
            continue
        plan = field_plan(context.schema, parent, found[0].name.value)
        if plan is None or plan.relation is None or found[0].arguments:
            continue
        key = fields.column_of(plan.relation[1])
        if key is None:
            continue
        try:
            subquery = relation_sql(context, plan, found, column(fields.entity, key))
        except NotRendered:
            continue
        renderings.append(Rendering(found[0], key, frozenset((key,)), _keyed(subquery, key)))
    # A field selected under several response keys is rendered under all of them or none, so a
    # list reads a relation either rendered or loaded.
    names = [found[0].name.value for found in grouped.values()]
    rendered = [r.node.name.value for r in renderings]
    return [r for r in renderings if names.count(r.node.name.value) == rendered.count(r.node.name.value)]


def _keyed(subquery: Subquery, key: str) -> Builder:
    return lambda column_of: subquery(column_of(key))


def _loader_uses(raw: Any) -> dict[str, int]:
    """Per relation loader, how many field nodes of the operation and its fragments read it."""
    schema: GraphQLSchema = raw.schema
    type_info = TypeInfo(schema)
    uses: dict[str, int] = {}

    class Count(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if isinstance(parent, GraphQLObjectType):
                plan = field_plan(schema, parent, node.name.value)
                if plan is not None and plan.relation is not None:
                    name = plan.relation[0].name
                    uses[name] = uses.get(name, 0) + 1

    fragments: Mapping[str, FragmentDefinitionNode] = raw.fragments
    for node in (raw.operation, *fragments.values()):
        visit(node, TypeInfoVisitor(type_info, Count()))
    return uses
