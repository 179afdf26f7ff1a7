"""The SQL that renders a selection as JSON (rendered.py decides where it is used).

`selection_sql` turns the fields a document selects on an object type into the SQL of one
`json_build_object` over a row: column leaves (text, 32-bit integers, booleans, enums by label,
aware timestamps as `isoformat()`), objects computed from columns whose rendering is declared
(`render_computed`), `__typename`, and relations (a `Relation`'s loader read as a correlated
subquery, `json_agg` in the loader's order for a list). Whatever has no rendering equal to the
field's output coercion raises `NotRendered`, and the caller leaves the selection to the walk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
    SelectionSetNode,
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

from gql.engine.field_plans import PLANS, UNPLANNED, FieldPlan, plan_field
from gql.engine.row_views import RowFields
from models.base import UtcDateTime

ColumnOf = Callable[[str], ColumnElement[Any]]
"""A row's column by attribute name, as an SQL expression."""
Builder = Callable[[ColumnOf], ColumnElement[Any]]
"""A value's SQL over a row."""
Subquery = Callable[[ColumnElement[Any]], ColumnElement[Any]]
"""A relation's answer given the SQL of its key."""


class NotRendered(Exception):
    """Some part of a selection has no rendering: the walk answers it."""


@dataclass(frozen=True, slots=True)
class Loaders:
    """The request's loaders, and how many relation fields of the operation read each one."""

    loaders: Any
    uses: Mapping[str, int]

    def shape(self, name: str) -> Any:
        """The loader's unscoped read; `NotRendered` when another field of the operation reads the
        same loader (a list's join loads rows for both)."""
        if self.uses.get(name, 0) != 1:
            raise NotRendered
        return self.loaders.narrowed(name, None).shape


@dataclass(frozen=True, slots=True)
class Context:
    schema: GraphQLSchema
    loaders: Loaders
    fragments: Mapping[str, FragmentDefinitionNode]


def selection_sql(
    context: Context, type_: GraphQLObjectType, nodes: Sequence[FieldNode], fields: RowFields[Any]
) -> tuple[Builder, frozenset[str]]:
    """The JSON object of what `nodes` select on `type_`, over a row of `fields`' entity, and the
    row's columns it reads."""
    reads: set[str] = set()

    def value(plan: FieldPlan, found: list[FieldNode]) -> Builder:
        builder, columns = _value(context, plan, found, fields)
        reads.update(columns)
        return builder

    pairs = _each_field(context, type_, nodes, value)
    return (lambda column_of: _json_object(pairs, column_of)), frozenset(reads)


def _each_field(
    context: Context,
    type_: GraphQLObjectType,
    nodes: Sequence[FieldNode],
    value: Callable[[FieldPlan, list[FieldNode]], Callable[..., ColumnElement[Any]]],
) -> list[tuple[str, Callable[..., ColumnElement[Any]]]]:
    """Each response key the nodes select on `type_`, with `value(its plan, its nodes)` (`__typename`
    the type's name); `NotRendered` for an argument, or for no or more than 50 fields
    (`json_build_object` takes at most 100 arguments)."""
    pairs: list[tuple[str, Callable[..., ColumnElement[Any]]]] = []
    for response_key, found in collect(context.schema, type_, nodes, context.fragments).items():
        name = found[0].name.value
        if name == "__typename":
            pairs.append((response_key, _fixed(type_.name)))
            continue
        plan = field_plan(context.schema, type_, name)
        if plan is None:
            continue  # unknown fields are left out of the answer, as graphql-core leaves them
        if any(node.arguments for node in found):
            raise NotRendered
        pairs.append((response_key, value(plan, found)))
    if not pairs or len(pairs) > 50 or not all(key.isidentifier() for key, _ in pairs):
        raise NotRendered  # the keys are written into the SQL text
    return pairs


def _json_object(
    pairs: Sequence[tuple[str, Callable[..., ColumnElement[Any]]]], *args: Any
) -> ColumnElement[Any]:
    """`json_build_object` of each key and its value's SQL over `args`."""
    built: ColumnElement[Any] = func.json_build_object(
        *(x for key, value in pairs for x in (literal_column(f"'{key}'"), value(*args)))
    )
    return built


def relation_sql(context: Context, plan: FieldPlan, nodes: Sequence[FieldNode], key_column: Any) -> Subquery:
    """A relation field's answer as a correlated subquery, given the SQL of its key: its row's
    object (`key_column` a NOT NULL foreign key onto the row when the row must exist), or its rows'
    objects in its loader's order (`[]` for none)."""
    relation = plan.relation[0]  # type: ignore[index]
    shape = context.loaders.shape(relation.name)
    field_type = plan.field_def.type
    if shape is None or shape.keep is not None or shape.many is not relation.many:
        raise NotRendered
    if relation.required or (not relation.many and isinstance(field_type, GraphQLNonNull)):
        target = column(shape.entity, shape.key.key)
        if key_column.nullable or not any(fk.column is target for fk in key_column.foreign_keys):
            raise NotRendered
    alias = aliased(shape.entity)
    build, _ = selection_sql(context, object_type(field_type), nodes, relation.fields)
    order_by = [_aliased_term(alias, term) for term in shape.order_by]
    own_key = getattr(alias, shape.key.key)

    def subquery(key: ColumnElement[Any]) -> ColumnElement[Any]:
        answer = build(lambda name: getattr(alias, name))
        if relation.many:
            answer = func.coalesce(
                func.json_agg(aggregate_order_by(answer, *order_by) if order_by else answer),
                literal_column("'[]'::json"),
            )
        found: ColumnElement[Any] = select(answer).where(own_key == key).scalar_subquery()
        return found

    return subquery


def _value(
    context: Context, plan: FieldPlan, nodes: Sequence[FieldNode], fields: RowFields[Any]
) -> tuple[Builder, frozenset[str]]:
    """A field's SQL over its parent's row: a relation, a declared computation or a column leaf."""
    if plan.relation is not None:
        on = fields.column_of(plan.relation[1])
        if on is None:
            raise NotRendered
        subquery = relation_sql(context, plan, nodes, column(fields.entity, on))
        return (lambda column_of: subquery(column_of(on))), frozenset((on,))
    if plan.attribute is None:
        raise NotRendered
    if plan.leaf is None:
        return _computed(context, plan, nodes, fields)
    name = fields.column_of(plan.attribute)
    if name is None:
        raise NotRendered
    found = column(fields.entity, name)
    field_type = plan.field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    if non_null and found.nullable:
        raise NotRendered
    leaf = _leaf(field_type.of_type if non_null else field_type, found.type)  # type: ignore[union-attr]
    return (lambda column_of: leaf(column_of(name))), frozenset((name,))


ComputedSql = Mapping[str, Callable[..., ColumnElement[Any]]]
_COMPUTED_SQL: dict[Callable[..., Any], ComputedSql] = {}


def render_computed(compute: Callable[..., Any], fields: ComputedSql) -> None:
    """Declare how the database renders the objects `compute` makes (a `computed` field's): per
    field of their type (by Python name), its JSON value as SQL of the columns' expressions, in
    the order `computed` names them. Each must give, for every value the columns can hold, the
    field's output coercion of what `compute` makes of it (a test should compare them)."""
    _COMPUTED_SQL[compute] = fields


def _computed(
    context: Context, plan: FieldPlan, nodes: Sequence[FieldNode], fields: RowFields[Any]
) -> tuple[Builder, frozenset[str]]:
    """An object field `computed` from NOT NULL columns whose rendering is declared."""
    source = fields.computed_of(plan.attribute or "")
    declared = _COMPUTED_SQL.get(source.compute) if source is not None else None
    if source is None or declared is None or isinstance(_unwrapped(plan.field_def.type), GraphQLList):
        raise NotRendered
    if any(column(fields.entity, name).nullable for name in source.columns):
        raise NotRendered
    type_ = object_type(plan.field_def.type)

    def value(child: FieldPlan, _: list[FieldNode]) -> Callable[..., ColumnElement[Any]]:
        if child.leaf is None or child.attribute is None or child.attribute not in declared:
            raise NotRendered
        return declared[child.attribute]

    pairs = _each_field(context, type_, nodes, value)
    names = source.columns
    return (lambda column_of: _json_object(pairs, *(column_of(name) for name in names))), frozenset(names)


def _leaf(named: Any, sql_type: Any) -> Callable[[Any], ColumnElement[Any]]:
    """The SQL rendering of a column of `sql_type` under the GraphQL leaf type `named`: the same
    JSON value as `named`'s output coercion of the column's Python value."""
    if named is GraphQLString or named is GraphQLID:
        if isinstance(sql_type, (String, Text)) and not isinstance(sql_type, Enum):
            return lambda value: value
    elif named is GraphQLInt:
        if isinstance(sql_type, Integer) and not isinstance(sql_type, BigInteger):
            return lambda value: value
    elif named is GraphQLBoolean:
        if isinstance(sql_type, Boolean):
            return lambda value: value
    elif isinstance(named, GraphQLEnumType):
        return _enum(named, sql_type)
    elif getattr(named, "name", None) == "DateTime" and isinstance(sql_type, UtcDateTime):
        return isoformat
    raise NotRendered


def _enum(named: GraphQLEnumType, sql_type: Any) -> Callable[[Any], ColumnElement[Any]]:
    """A stored enum label, when each member's label is its GraphQL name."""
    wrapped = getattr(named, "wrapped_cls", None)
    if wrapped is None or not isinstance(sql_type, Enum) or sql_type.enum_class is not wrapped:
        raise NotRendered
    members: list[Any] = list(wrapped)  # type: ignore[arg-type]
    try:
        if list(sql_type.enums) != [named.coerce_output_value(member) for member in members]:
            raise NotRendered
    except Exception:
        raise NotRendered from None
    return lambda value: cast(value, Text)


def isoformat(value: Any) -> ColumnElement[Any]:
    """`datetime.isoformat()` of an aware UTC timestamp: seconds, then microseconds unless zero."""
    utc = func.timezone(literal_column("'UTC'"), value)
    micro = func.to_char(utc, literal_column("'US'"))
    fraction = case(
        (micro == literal_column("'000000'"), literal_column("''")), else_=_join(literal_column("'.'"), micro)
    )
    seconds = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"))
    return _join(_join(seconds, fraction), literal_column("'+00:00'"))


def _join(left: Any, right: Any) -> ColumnElement[Any]:
    """`left || right` (NULL when either is)."""
    joined: ColumnElement[Any] = left.op("||")(right)
    return joined


def _fixed(text: str) -> Callable[..., ColumnElement[Any]]:
    """A GraphQL name as an SQL string literal, whatever the row."""
    if not text.isidentifier():
        raise NotRendered
    return lambda *_: literal_column(f"'{text}'")


def _aliased_term(alias: Any, term: Any) -> Any:
    if isinstance(term, InstrumentedAttribute):
        return getattr(alias, term.key)
    raise NotRendered


def field_plan(schema: GraphQLSchema, parent: GraphQLObjectType, name: str) -> FieldPlan | None:
    plan = PLANS.get((parent, name), UNPLANNED)
    if plan is UNPLANNED:
        plan = PLANS[(parent, name)] = plan_field(schema, parent, name)
    return plan  # type: ignore[no-any-return]


def column(entity: type[Any] | None, key: str) -> Any:
    """The mapped column of `entity`'s attribute `key`."""
    if entity is None:
        raise NotRendered
    attribute = inspect(entity).column_attrs.get(key)
    if attribute is None or len(attribute.columns) != 1:
        raise NotRendered
    return attribute.columns[0]


def _unwrapped(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def object_type(type_: GraphQLOutputType) -> GraphQLObjectType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise NotRendered
    return type_


def collect(
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
                raise NotRendered
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
                    raise NotRendered
                if applies(fragment.type_condition):
                    walk(fragment.selection_set)

    for node in nodes:
        if node.directives:
            raise NotRendered
        if node.selection_set is not None:
            walk(node.selection_set)
    return grouped
