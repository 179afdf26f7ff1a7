"""Query cost analysis: what a document will cost the database, computed from its AST before execution.

The costs themselves (the model, like Shopify's) are in `gql/gate/cost_table.py`. Alternatives under an
abstract type (`node { ... on Order {…} ... on Store {…} }`) are summed, an upper bound. Introspection
(`__schema`, `__type` and all below) and `__typename` cost nothing: they read no table, and
`gql/gate/shape.py` bounds introspection by its own rules.

The walk is linear in the document: a fragment's cost is remembered per page size (`_Walker.known`),
so a fragment spread ten times in each of nine nested fragments is walked nine times, not 10⁹.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)

from gql.gate.cost_table import (
    AGGREGATES,
    CONNECTION_COST,
    DEFAULT_GROUPS,
    FIELD_COSTS,
    FLAT_COSTS,
    LIST_SIZES,
    MAX_GROUPS,
    MUTATION_COST,
    is_wrapper,
)
from gql.gate.limits import PAGE_ARGUMENTS, page_size_error
from models.errors import ErrorCode
from services.pagination import DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class CostModel:
    default_list_size: int
    max_page_size: int


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLNamedType, bool]:
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return get_named_type(type_), is_list


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        model: CostModel,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.model = model
        self.known: dict[tuple[str, int | None], int] = {}
        """A fragment's cost by (name, page size of the connection it sits in): the variables are
        fixed for one walk, so each fragment is walked once per page size, never once per spread."""
        self.work = 0
        """Selection nodes visited: O(n × distinct page sizes), n the document's selection nodes."""

    def int_argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._int(argument.value)
        return None

    def _int(self, value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = self.variables.get(value.name.value)
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        return None

    def list_length(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, ListValueNode):
                return len(argument.value.values)
            if isinstance(argument.value, VariableNode):
                raw = self.variables.get(argument.value.name.value)
                return len(raw) if isinstance(raw, list) else None
        return None

    def selection_cost(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        page: int | None,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            self.work += 1
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                inner = (
                    self._type(selection.type_condition.name.value) if selection.type_condition else parent
                )
                total += self.selection_cost(inner or parent, selection.selection_set, page, seen)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(parent, selection.name.value, page, seen)
        return total

    def _fragment_cost(
        self, parent: GraphQLNamedType, name: str, page: int | None, seen: frozenset[str]
    ) -> int:
        known = self.known.get((name, page))
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:  # validation refused it (unknown, or a cycle)
            return 0
        inner = self._type(fragment.type_condition.name.value) or parent
        cost = self.selection_cost(inner, fragment.selection_set, page, seen | {name})
        self.known[(name, page)] = cost
        return cost

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def _field(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def field_cost(
        self, parent: GraphQLNamedType, node: FieldNode, page: int | None, seen: frozenset[str]
    ) -> int:
        name = node.name.value
        definition = self._field(parent, name)
        if definition is None:  # __typename, __schema, __type, or a field validation already refused
            return 0
        named, is_list = _unwrap(definition.type)
        key = f"{parent.name}.{name}"
        if key in FLAT_COSTS:
            return FLAT_COSTS[key]
        if key in AGGREGATES:
            groups = self._groups(node, definition)
            return AGGREGATES[key] + self.selection_cost(named, node.selection_set, groups, seen)
        own = FIELD_COSTS.get(key)
        child_page: int | None = None
        if any(a in definition.args for a in PAGE_ARGUMENTS):
            size = self._page_size(node)
            own = CONNECTION_COST if own is None else own
            child_page = size
        if own is None:
            own = 0 if not node.selection_set or is_wrapper(named.name) else 1
        children = self.selection_cost(named, node.selection_set, child_page, seen)
        if is_list:
            items = self._list_items(node, key, definition, page)
            if key in FIELD_COSTS:  # one aggregate computes the whole list
                return own + items * children
            return items * (own + children)
        return own + children

    def _groups(self, node: FieldNode, definition: GraphQLField) -> int:
        """The groups an aggregate may return: its `top`, refused above MAX_GROUPS."""
        top = self.int_argument(node, "top")
        if top is not None and top > MAX_GROUPS:
            raise GraphQLError(
                f"top must be at most {MAX_GROUPS}",
                node,
                extensions={"code": ErrorCode.TOO_MANY_GROUPS.value, "field": "top"},
            )
        return DEFAULT_GROUPS if top is None or top < 1 else top

    def _page_size(self, node: FieldNode) -> int:
        sizes = {a: self.int_argument(node, a) for a in PAGE_ARGUMENTS}
        for argument, size in sizes.items():
            if size is not None and size > self.model.max_page_size:
                raise page_size_error(argument, self.model.max_page_size, node)
        present = [s for s in sizes.values() if s is not None and s > 0]
        return max(present) if present else DEFAULT_PAGE_SIZE

    def _list_items(self, node: FieldNode, key: str, definition: GraphQLField, page: int | None) -> int:
        if page is not None:  # edges / nodes of a connection
            return page
        if "top" in definition.args:
            top = self.int_argument(node, "top")
            default = definition.args["top"].default_value
            return top if top is not None else (default if isinstance(default, int) else 10)
        if "ids" in definition.args:
            length = self.list_length(node, "ids")
            if length is not None:
                return length
        return LIST_SIZES.get(key, self.model.default_list_size)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    model: CostModel,
) -> int:
    """The requested cost of `operation`; raises a coded GraphQLError for a page size over the limit.

    Variables are read as sent (validation already checked their types), falling back to the
    operation's declared defaults, so `first: $n` costs what `n` asks for.

    A client sends the same document (one parsed object, from the document cache) with the same
    page size again and again. Which variables the walk reads depends on the document alone, so the
    cost is remembered per operation object and the values of just those variables; a refused page
    size is not.
    """
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode):
            values[definition.variable.name.value] = int(default.value)
    values.update(variables or {})
    key = (id(schema), id(operation), model)
    known = _KNOWN.get(key)
    if known is not None and known.operation is operation:
        values_key = _values_key(values, known.reads)
        found = None if values_key is None else known.costs.get(values_key)
        if found is not None:
            return found
    reading = _Reading(values)
    cost = _walk(schema, document, operation, reading, model)
    reads = tuple(dict.fromkeys(reading.read))
    if known is None or known.operation is not operation or known.reads != reads:
        if len(_KNOWN) >= _MAX_KNOWN:
            _KNOWN.clear()
        known = _KNOWN[key] = _Known(operation, reads, {})
    values_key = _values_key(values, reads)
    if values_key is not None and len(known.costs) < _MAX_COSTS_PER_OPERATION:
        known.costs[values_key] = cost
    return cost


def _walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    values: Mapping[str, Any],
    model: CostModel,
) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(schema, fragments, values, model)
    root = schema.get_root_type(operation.operation)
    if root is None:
        raise GraphQLError(f"the schema has no {operation.operation.value} type")
    cost = walker.selection_cost(root, operation.selection_set, None, frozenset())
    if operation.operation is OperationType.MUTATION:
        cost += MUTATION_COST * sum(1 for s in operation.selection_set.selections if isinstance(s, FieldNode))
    return cost


class _Reading(dict[str, Any]):
    """The variables, noting the names the walk reads."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


@dataclass(slots=True)
class _Known:
    operation: OperationDefinitionNode
    """Held, so the id in the key cannot be reused by another operation while this entry lives."""
    reads: tuple[str, ...]
    costs: dict[bytes, int]


def _values_key(values: Mapping[str, Any], names: tuple[str, ...]) -> bytes | None:
    try:
        return orjson.dumps([values.get(name) for name in names])
    except TypeError:  # not JSON (variables arrive as JSON; anything else is simply not remembered)
        return None


_KNOWN: dict[tuple[int, int, CostModel], _Known] = {}
_MAX_KNOWN: Final = 1_000
_MAX_COSTS_PER_OPERATION: Final = 64
