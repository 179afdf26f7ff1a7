"""Relation fields answered by PostgreSQL as JSON, read with the list page that holds them.

A relation field (a `Relation`'s, loaded.py) whose whole selection is leaves read off row columns
and further such relations can be rendered by the database itself: `json_build_object` of the
selected columns of its row, `json_agg` in its loader's order for a list, a nested relation as a
correlated subquery. A list resolver asks `rendered_relations(info, at, fields)` which relation
fields of the objects under `at` can be rendered, puts each one's `column(key column)` in its page
statement and hands what the rows bring to `keep`; the walk's fills then set such a field's answer
from it (compiled_objects.py) instead of building and filling an object per row.

Invariant: a rendered answer is the JSON graphql-core gives for the same rows. So a field is
rendered only when each value is a column whose SQL rendering equals the field's output coercion
(text, 32-bit integers, booleans, enums by label, aware timestamps as `isoformat()`), a nullable
column only under a nullable field, a to-one relation only over a NOT NULL foreign key (or for a
nullable field of a relation that may be missing), with no argument and no directive anywhere in
its selection, on PostgreSQL, while the level-first executor runs the operation; anything else
leaves the whole field to the walk. tests/api/engine/test_rendered_relations.py compares both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import ref

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Enum,
    Integer,
    String,
    Text,
    case,
    cast,
    func,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute, aliased

from adapters.strawberry import raw_info_of
from gql.engine.field_plans import PLANS, UNPLANNED, FieldPlan, plan_field
from gql.engine.narrowed import RUNNING
from gql.engine.row_views import RowFields
from gql.engine.selection import Path
from models.base import UtcDateTime

# A relation's JSON given the SQL expression of its key on the parent's row (as text when asked).
Render = Callable[[ColumnElement[Any], bool], ColumnElement[Any]]


@dataclass(frozen=True, slots=True, eq=False)
class Rendering:
    """One relation field under a list's objects, rendered by the database."""

    node: FieldNode
    """The field's one node in its parent's selection: the walk finds the answers by it."""
    key: str
    """The parent row's column holding the relation's key."""
    render: Render

    def column(self, key: ColumnElement[Any]) -> ColumnElement[Any]:
        """The field's answer for the parent row whose key column is `key`, as JSON text."""
        return self.render(key, True)

    def keep(self, texts: Mapping[Any, str | None]) -> None:
        """Hand the walk the answers read, by key (a row whose JSON text is NULL has no answer)."""
        running = RUNNING.get()
        if running is None:
            return
        loads = orjson.loads
        running[2][id(self.node)] = {key: loads(text) for key, text in texts.items() if text is not None}


@dataclass(frozen=True, slots=True)
class _Loaders:
    """The request's loaders, and how many relation fields of the operation read each one."""

    loaders: Any
    uses: Mapping[str, int]

    def shape(self, name: str) -> Any:
        """The loader's unscoped read; `_NotRendered` when another field of the operation reads the
        same loader (it would share the rows the list's join loads for both)."""
        if self.uses.get(name, 0) != 1:
            raise _NotRendered
        return self.loaders.narrowed(name, None).shape


def _loader_uses(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> dict[str, int]:
    """Per relation loader, the number of field nodes of the operation and its fragments that read it."""
    type_info = TypeInfo(schema)
    uses: dict[str, int] = {}

    class Count(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if isinstance(parent, GraphQLObjectType):
                plan = _plan(schema, parent, node.name.value)
                if plan is not None and plan.relation is not None:
                    name = plan.relation[0].name
                    uses[name] = uses.get(name, 0) + 1

    for node in (operation, *fragments.values()):
        visit(node, TypeInfoVisitor(type_info, Count()))
    return uses


class _NotRendered(Exception):
    """Some part of a selection cannot be rendered: the walk answers the field."""


def rendered_relations(info: Any, at: Path, fields: RowFields[Any]) -> list[Rendering]:
    """The relation fields of the objects (of `fields`' type) the current list field selects at
    `at` that the database can render (module docstring), each selected by one node there."""
    running = RUNNING.get()
    raw = raw_info_of(info)
    if running is None or running[0] is not raw.operation:
        return []
    if info.context.sessions.kw["bind"].dialect.name != "postgresql":
        return []
    key = (id(raw.operation), tuple(map(id, raw.field_nodes)), at, id(fields))
    found = _KEPT.get(key)
    if found is None or found[0]() is not raw.operation:
        if len(_KEPT) >= _MAX_KEPT:
            _KEPT.clear()
        uses = _loader_uses(raw.schema, raw.operation, raw.fragments)
        made = _renderings(
            raw.schema,
            _Loaders(info.context.loaders, uses),
            raw.fragments,
            raw.field_nodes,
            raw.return_type,
            at,
            fields,
        )
        found = _KEPT[key] = (ref(raw.operation), made)
    return found[1]


_KEPT: dict[tuple[Any, ...], tuple[ref[OperationDefinitionNode], list[Rendering]]] = {}
_MAX_KEPT = 5_000
"""Renderings kept per (operation, field nodes, place): the document cache keeps the nodes."""


def _renderings(
    schema: GraphQLSchema,
    loaders: _Loaders,
    fragments: Mapping[str, FragmentDefinitionNode],
    nodes: Sequence[FieldNode],
    type_: GraphQLOutputType,
    at: Path,
    fields: RowFields[Any],
) -> list[Rendering]:
    try:
        for name in at:
            object_type = _object_type(type_)
            grouped = _collect(schema, object_type, nodes, fragments)
            keys = [k for k, found in grouped.items() if found[0].name.value == name]
            if len(keys) != 1:
                return []
            nodes = grouped[keys[0]]
            type_ = object_type.fields[name].type
        parent = _object_type(type_)
        grouped = _collect(schema, parent, nodes, fragments)
    except _NotRendered:
        return []
    renderings = []
    for found in grouped.values():
        if len(found) != 1 or found[0].name.value == "__typename":
            continue
        plan = _plan(schema, parent, found[0].name.value)
        if plan is None or plan.relation is None or found[0].arguments:
            continue
        key = fields.column_of(plan.relation[1])
        if key is None:
            continue
        try:
            render = _relation(schema, loaders, fragments, plan, found, _column(fields.entity, key))
        except _NotRendered:
            continue
        renderings.append(Rendering(found[0], key, render))
    # A field selected under several response keys is rendered under all of them or none, so a
    # list reads a relation either rendered or loaded.
    names = [found[0].name.value for found in grouped.values()]
    return [
        r
        for r in renderings
        if names.count(r.node.name.value)
        == sum(1 for other in renderings if other.node.name.value == r.node.name.value)
    ]


def _plan(schema: GraphQLSchema, parent: GraphQLObjectType, name: str) -> FieldPlan | None:
    plan = PLANS.get((parent, name), UNPLANNED)
    if plan is UNPLANNED:
        plan = PLANS[(parent, name)] = plan_field(schema, parent, name)
    return plan  # type: ignore[no-any-return]


def _object_type(type_: GraphQLOutputType) -> GraphQLObjectType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise _NotRendered
    return type_


def _collect(
    schema: GraphQLSchema,
    type_: GraphQLObjectType,
    nodes: Sequence[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> dict[str, list[FieldNode]]:
    """The nodes' subfields on `type_` by response key, in graphql-core's collection order
    (fragments spread once, conditions that do not apply skipped); a directive raises."""
    grouped: dict[str, list[FieldNode]] = {}
    visited: set[str] = set()

    def applies(condition: NamedTypeNode | None) -> bool:
        if condition is None or condition.name.value == type_.name:
            return True
        abstract = schema.get_type(condition.name.value)
        return abstract is not None and schema.is_sub_type(abstract, type_)  # type: ignore[arg-type]

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise _NotRendered
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if applies(selection.type_condition):
                    walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = fragments.get(name)
                if fragment is None or fragment.directives:
                    raise _NotRendered
                if applies(fragment.type_condition):
                    walk(fragment.selection_set)

    for node in nodes:
        if node.directives:
            raise _NotRendered
        if node.selection_set is not None:
            walk(node.selection_set)
    return grouped


def _column(entity: type[Any] | None, key: str) -> Any:
    if entity is None:
        raise _NotRendered
    attribute = inspect(entity).column_attrs.get(key)
    if attribute is None or len(attribute.columns) != 1:
        raise _NotRendered
    return attribute.columns[0]


def _relation(
    schema: GraphQLSchema,
    loaders: _Loaders,
    fragments: Mapping[str, FragmentDefinitionNode],
    plan: FieldPlan,
    nodes: Sequence[FieldNode],
    key_column: Any,
) -> Render:
    """How a relation field's answer is rendered from its key's expression, or `_NotRendered`."""
    relation, _ = plan.relation  # type: ignore[misc]
    shape = loaders.shape(relation.name)
    field_type = plan.field_def.type
    if shape is None or shape.keep is not None or shape.many is not relation.many:
        raise _NotRendered
    if relation.required or (not relation.many and isinstance(field_type, GraphQLNonNull)):
        # the row must exist: a NOT NULL foreign key onto the loader's key
        target = _column(shape.entity, shape.key.key)
        if key_column.nullable or not any(fk.column is target for fk in key_column.foreign_keys):
            raise _NotRendered
    child_type = _object_type(field_type)
    grouped = _collect(schema, child_type, nodes, fragments)
    alias = aliased(shape.entity)
    pairs: list[tuple[str, Callable[[], ColumnElement[Any]]]] = []
    for response_key, found in grouped.items():
        name = found[0].name.value
        if name == "__typename":
            pairs.append((response_key, _literal(child_type.name)))
            continue
        child = _plan(schema, child_type, name)
        if child is None:
            continue
        if any(node.arguments for node in found):
            raise _NotRendered
        pairs.append((response_key, _value(schema, loaders, fragments, child, found, relation.fields, alias)))
    _check_keys(pairs)
    order_by = [_aliased_term(alias, term) for term in shape.order_by]
    own_key = getattr(alias, shape.key.key)

    def render(key: ColumnElement[Any], text: bool) -> ColumnElement[Any]:
        row = _object([(k, value()) for k, value in pairs])
        answer: ColumnElement[Any] = row
        if relation.many:
            answer = func.coalesce(
                func.json_agg(aggregate_order_by(row, *order_by) if order_by else row),
                literal_column("'[]'::json"),
            )
        found = select(answer).where(own_key == key).scalar_subquery()
        return cast(found, Text) if text else found

    return render


def _aliased_term(alias: Any, term: Any) -> Any:
    if isinstance(term, InstrumentedAttribute):
        return getattr(alias, term.key)
    raise _NotRendered


def _literal(text: str) -> Callable[[], ColumnElement[Any]]:
    if not text.isidentifier():
        raise _NotRendered
    return lambda: literal_column(f"'{text}'")


ComputedSql = Mapping[str, Callable[..., ColumnElement[Any]]]
_COMPUTED_SQL: dict[Callable[..., Any], ComputedSql] = {}


def render_computed(compute: Callable[..., Any], fields: ComputedSql) -> None:
    """Declare how the database renders the objects `compute` makes (a `computed` field's): per
    field of their type (by Python name), its JSON value as SQL of the columns' expressions, in
    the order `computed` names them. Each must give, for every value the columns can hold, the
    field's output coercion of what `compute` makes of it (a test should compare them)."""
    _COMPUTED_SQL[compute] = fields


def _computed(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    plan: FieldPlan,
    nodes: Sequence[FieldNode],
    fields: RowFields[Any],
    alias: Any,
) -> Callable[[], ColumnElement[Any]]:
    """An object field `computed` from columns whose rendering is declared (`render_computed`)."""
    source = fields.computed_of(plan.attribute or "")
    declared = _COMPUTED_SQL.get(source.compute) if source is not None else None
    if source is None or declared is None or isinstance(_unwrapped(plan.field_def.type), GraphQLList):
        raise _NotRendered
    if any(_column(fields.entity, name).nullable for name in source.columns):
        raise _NotRendered
    object_type = _object_type(plan.field_def.type)
    values: list[tuple[str, Callable[..., ColumnElement[Any]]]] = []
    for response_key, found in _collect(schema, object_type, nodes, fragments).items():
        name = found[0].name.value
        if name == "__typename":
            values.append((response_key, _constant(_literal(object_type.name))))
            continue
        child = _plan(schema, object_type, name)
        if child is None:
            continue
        if child.leaf is None or child.attribute is None or child.attribute not in declared:
            raise _NotRendered
        if any(n.arguments for n in found):
            raise _NotRendered
        values.append((response_key, declared[child.attribute]))
    _check_keys(values)
    columns = source.columns

    def render() -> ColumnElement[Any]:
        exprs = [getattr(alias, name) for name in columns]
        return _object((key, value(*exprs)) for key, value in values)

    return render


def _constant(value: Callable[[], ColumnElement[Any]]) -> Callable[..., ColumnElement[Any]]:
    return lambda *_: value()


def _unwrapped(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _check_keys(pairs: Sequence[tuple[str, Any]]) -> None:
    """An object of 1 to 50 fields (`json_build_object` takes at most 100 arguments) whose keys
    are GraphQL names (written into the SQL text)."""
    if not pairs or len(pairs) > 50 or not all(key.isidentifier() for key, _ in pairs):
        raise _NotRendered


def _object(pairs: Iterable[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    """`json_build_object` of (key, value) pairs whose keys `_check_keys` passed."""
    built: ColumnElement[Any] = func.json_build_object(
        *(x for key, value in pairs for x in (literal_column(f"'{key}'"), value))
    )
    return built


def _value(
    schema: GraphQLSchema,
    loaders: _Loaders,
    fragments: Mapping[str, FragmentDefinitionNode],
    plan: FieldPlan,
    nodes: Sequence[FieldNode],
    fields: RowFields[Any],
    alias: Any,
) -> Callable[[], ColumnElement[Any]]:
    """A child field's value on the aliased row: a rendered leaf or a nested relation."""
    if plan.relation is not None:
        on = fields.column_of(plan.relation[1])
        if on is None:
            raise _NotRendered
        render = _relation(schema, loaders, fragments, plan, nodes, _column(fields.entity, on))
        return lambda: render(getattr(alias, on), False)
    if plan.leaf is None and plan.attribute is not None:
        return _computed(schema, fragments, plan, nodes, fields, alias)
    if plan.leaf is None or plan.attribute is None:
        raise _NotRendered
    key = fields.column_of(plan.attribute)
    if key is None:
        raise _NotRendered
    column = _column(fields.entity, key)
    field_type = plan.field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if non_null else field_type  # type: ignore[union-attr]
    if non_null and column.nullable:
        raise _NotRendered
    leaf = _leaf(named, column.type)
    return lambda: leaf(getattr(alias, key))


def _leaf(named: Any, sql_type: Any) -> Callable[[Any], ColumnElement[Any]]:
    """The SQL rendering of a column of `sql_type` under the GraphQL leaf type `named`: the same
    JSON value as `named`'s output coercion of the column's Python value."""
    if named is GraphQLString or named is GraphQLID:
        if isinstance(sql_type, (String, Text)) and not isinstance(sql_type, Enum):
            return lambda column: column
    elif named is GraphQLInt:
        if isinstance(sql_type, Integer) and not isinstance(sql_type, BigInteger):
            return lambda column: column
    elif named is GraphQLBoolean:
        if isinstance(sql_type, Boolean):
            return lambda column: column
    elif isinstance(named, GraphQLEnumType):
        return _enum(named, sql_type)
    elif getattr(named, "name", None) == "DateTime" and isinstance(sql_type, UtcDateTime):
        return _isoformat
    raise _NotRendered


def _enum(named: GraphQLEnumType, sql_type: Any) -> Callable[[Any], ColumnElement[Any]]:
    """A stored enum label, when each member's label is its GraphQL name."""
    wrapped = getattr(named, "wrapped_cls", None)
    if wrapped is None or not isinstance(sql_type, Enum) or sql_type.enum_class is not wrapped:
        raise _NotRendered
    members: list[Any] = list(wrapped)  # type: ignore[arg-type]
    labels = list(sql_type.enums)
    try:
        if labels != [named.coerce_output_value(member) for member in members]:
            raise _NotRendered
    except Exception:
        raise _NotRendered from None
    return lambda column: cast(column, Text)


def _isoformat(column: Any) -> ColumnElement[Any]:
    """`datetime.isoformat()` of an aware UTC timestamp: seconds, then microseconds unless zero."""
    utc = func.timezone(literal_column("'UTC'"), column)
    micro = func.to_char(utc, literal_column("'US'"))
    fraction = case(
        (micro == literal_column("'000000'"), literal_column("''")), else_=_join(literal_column("'.'"), micro)
    )
    return _join(
        _join(func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'")), fraction),
        literal_column("'+00:00'"),
    )


def _join(left: Any, right: Any) -> ColumnElement[Any]:
    """`left || right` (NULL when either is)."""
    joined: ColumnElement[Any] = left.op("||")(right)
    return joined
