"""A document's shape — expanded size, depth, fragment cycles, introspection — measured before validation.

A fragment spread stands for its whole selection, so a short document can stand for a huge one
(ten spreads of the previous fragment, nine deep: 10⁹ fields in ~800 bytes). `Shape` measures each
fragment once per context (data, or inside `__schema`/`__type`) and remembers the measure, so the
pass visits every selection node at most three times (once looking for fragment cycles, which it
refuses first, then once per context): O(n) in the document's size, whatever it expands to. Sums
of the expanded document are computed from the remembered parts, and the pass stops as soon as one
passes its limit. It runs before graphql-core's validation (`gql/documents.py`), so no validation
rule ever sees a document that expands past the limits or whose fragments form a cycle.

The limits it enforces, each refused with a stable code:

* expanded fields in one operation ≤ `MAX_EXPANDED_FIELDS` (`DOCUMENT_TOO_LARGE`);
* data depth ≤ `MAX_QUERY_DEPTH`, introspection subtrees not counted (`MAX_DEPTH_EXCEEDED`);
* selections (fields, inline fragments, spreads) nested ≤ `MAX_NESTING` (`MAX_DEPTH_EXCEEDED`);
* a fragment spread inside itself (`GRAPHQL_VALIDATION_FAILED`, as graphql-core's NoFragmentCycles);
* for callers who may introspect (others are refused `INTROSPECTION_DISABLED` by validation):
  `ofType` nested ≤ `MAX_OF_TYPE` and lists of types nested ≤ `MAX_TYPE_LISTS` on one path
  (`MAX_DEPTH_EXCEEDED`), one `__schema` per operation and ≤ `MAX_INTROSPECTION_ALIASES` aliases
  inside introspection (`MAX_ALIASES_EXCEEDED`), ≤ `MAX_INTROSPECTION_FIELDS` expanded
  introspection fields (`DOCUMENT_TOO_LARGE`). Introspection costs no data points (`gql/cost.py`);
  these rules are its budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)

from models.errors import ErrorCode

MAX_EXPANDED_FIELDS: Final = 10_000
"""Fields of one operation with every fragment spread replaced by its fragment (the admin SPA's
largest page expands to a few dozen; graphql-js's introspection query to ~230)."""
MAX_NESTING: Final = 100
"""Selection sets inside one another, counting inline fragments and spreads: bounds the recursion."""
MAX_OF_TYPE: Final = 10
"""graphql-js's introspection query (and GraphiQL's) nests `ofType` 9 deep, older ones 7."""
MAX_TYPE_LISTS: Final = 2
"""`fields`, `interfaces`, `possibleTypes`, `inputFields` inside one another; graphql-js refuses 3."""
MAX_INTROSPECTION_FIELDS: Final = 1_000
MAX_INTROSPECTION_ALIASES: Final = 10
MAX_SCHEMA_FIELDS: Final = 1

INTROSPECTION_ROOTS: Final = frozenset({"__schema", "__type"})
TYPE_LISTS: Final = frozenset({"fields", "interfaces", "possibleTypes", "inputFields"})


@dataclass(frozen=True, slots=True)
class ShapeLimits:
    max_depth: int
    introspection: bool
    """The caller may introspect: the introspection rules apply (otherwise validation refuses it)."""
    max_fields: int = MAX_EXPANDED_FIELDS


@dataclass(frozen=True, slots=True)
class _Measure:
    """What a selection set adds to the expanded operation."""

    fields: int = 0
    depth: int = 0
    """Deepest chain of data fields; an introspection root counts 1, nothing below it."""
    of_type: int = 0
    type_lists: int = 0
    introspection_fields: int = 0
    introspection_aliases: int = 0
    schema_keys: frozenset[str] = frozenset()
    """Response keys of `__schema` fields (at most `MAX_SCHEMA_FIELDS + 1` kept)."""


_EMPTY: Final = _Measure()


class Shape:
    """One pass over one document. `work` counts the selection nodes visited: each at most three
    times (once looking for cycles, once per context), so `work` ≤ 3n."""

    def __init__(self, document: DocumentNode, limits: ShapeLimits) -> None:
        self.document = document
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._known: dict[tuple[str, bool], _Measure] = {}
        self.work = 0

    def check(self) -> GraphQLError | None:
        """The first limit the document passes, or None. O(n) in the document's selection nodes."""
        try:
            self._refuse_cycles()
            for definition in self.document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._operation(definition)
        except GraphQLError as error:
            return error
        return None

    def _refuse_cycles(self) -> None:
        """A fragment that spreads itself, through any chain: iterative, O(n), before any recursion."""
        spreads: dict[str, list[FragmentSpreadNode]] = {}
        for name, fragment in self.fragments.items():
            found = spreads[name] = []
            stack = [fragment.selection_set]
            while stack:
                for selection in stack.pop().selections:
                    self.work += 1
                    if isinstance(selection, FragmentSpreadNode):
                        if selection.name.value in self.fragments:
                            found.append(selection)
                    elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                        stack.append(selection.selection_set)
        done: set[str] = set()
        for start in self.fragments:
            if start in done:
                continue
            path = [start]
            pending = [iter(spreads[start])]
            while pending:
                spread = next(pending[-1], None)
                if spread is None:
                    done.add(path.pop())
                    pending.pop()
                    continue
                name = spread.name.value
                if name in path:
                    via = path[path.index(name) + 1 :]
                    through = f" via {', '.join(repr(v) for v in via)}" if via else ""
                    raise _coded(
                        ErrorCode.GRAPHQL_VALIDATION_FAILED,
                        f"Cannot spread fragment '{name}' within itself{through}.",
                        spread,
                    )
                if name not in done:
                    path.append(name)
                    pending.append(iter(spreads[name]))

    def _operation(self, node: OperationDefinitionNode) -> None:
        measure = self._selections(node.selection_set, False, 0)
        limits = self.limits
        if measure.depth > limits.max_depth:
            raise _coded(
                ErrorCode.MAX_DEPTH_EXCEEDED,
                f"query depth {measure.depth} exceeds the limit of {limits.max_depth}",
                node,
                maxDepth=limits.max_depth,
            )
        if not limits.introspection:
            return
        if measure.of_type > MAX_OF_TYPE:
            raise _coded(
                ErrorCode.MAX_DEPTH_EXCEEDED,
                f"introspection nests ofType {measure.of_type} deep; the limit is {MAX_OF_TYPE}",
                node,
                maxOfTypeDepth=MAX_OF_TYPE,
            )
        if measure.type_lists > MAX_TYPE_LISTS:
            raise _coded(
                ErrorCode.MAX_DEPTH_EXCEEDED,
                f"introspection nests lists of types {measure.type_lists} deep; at most {MAX_TYPE_LISTS}",
                node,
                maxTypeListDepth=MAX_TYPE_LISTS,
            )

    def _selections(self, selection_set: SelectionSetNode, introspection: bool, nesting: int) -> _Measure:
        if nesting > MAX_NESTING:
            raise _coded(
                ErrorCode.MAX_DEPTH_EXCEEDED,
                f"selections are nested more than {MAX_NESTING} deep",
                selection_set,
                maxNesting=MAX_NESTING,
            )
        fields = depth = of_type = type_lists = introspection_fields = introspection_aliases = 0
        schema_keys: frozenset[str] = frozenset()
        for selection in selection_set.selections:
            self.work += 1
            if isinstance(selection, FieldNode):
                part = self._field(selection, introspection, nesting)
            elif isinstance(selection, InlineFragmentNode):
                part = self._selections(selection.selection_set, introspection, nesting + 1)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._spread(selection, introspection, nesting)
            else:  # pragma: no cover - the three kinds of selection
                continue
            fields += part.fields
            depth = max(depth, part.depth)
            of_type = max(of_type, part.of_type)
            type_lists = max(type_lists, part.type_lists)
            introspection_fields += part.introspection_fields
            introspection_aliases += part.introspection_aliases
            if part.schema_keys and len(schema_keys) <= MAX_SCHEMA_FIELDS:
                schema_keys = frozenset(list(schema_keys | part.schema_keys)[: MAX_SCHEMA_FIELDS + 1])
            self._check_sums(fields, introspection_fields, introspection_aliases, schema_keys, selection)
        return _Measure(
            fields, depth, of_type, type_lists, introspection_fields, introspection_aliases, schema_keys
        )

    def _field(self, node: FieldNode, introspection: bool, nesting: int) -> _Measure:
        name = node.name.value
        inside = introspection or name in INTROSPECTION_ROOTS
        below = self._selections(node.selection_set, inside, nesting + 1) if node.selection_set else _EMPTY
        if not inside:
            return _Measure(
                1 + below.fields,
                1 + below.depth,
                below.of_type,
                below.type_lists,
                below.introspection_fields,
                below.introspection_aliases,
                below.schema_keys,
            )
        schema_keys = below.schema_keys
        if name == "__schema":
            schema_keys = schema_keys | {(node.alias or node.name).value}
        return _Measure(
            1 + below.fields,
            0 if introspection else 1,
            below.of_type + (name == "ofType"),
            below.type_lists + (name in TYPE_LISTS),
            1 + below.introspection_fields,
            below.introspection_aliases + (node.alias is not None),
            schema_keys,
        )

    def _spread(self, node: FragmentSpreadNode, introspection: bool, nesting: int) -> _Measure:
        name = node.name.value
        known = self._known.get((name, introspection))
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None:  # KnownFragmentNamesRule reports it
            return _EMPTY
        measure = self._selections(fragment.selection_set, introspection, nesting + 1)
        self._known[(name, introspection)] = measure
        return measure

    def _check_sums(
        self,
        fields: int,
        introspection_fields: int,
        introspection_aliases: int,
        schema_keys: frozenset[str],
        node: object,
    ) -> None:
        """Sums only grow with the rest of the document: refuse as soon as one passes its limit."""
        if fields > self.limits.max_fields:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"with its fragments spread, the operation has more than {self.limits.max_fields} fields",
                node,
                maxExpandedFields=self.limits.max_fields,
            )
        if not self.limits.introspection:
            return
        if len(schema_keys) > MAX_SCHEMA_FIELDS:
            raise _coded(
                ErrorCode.MAX_ALIASES_EXCEEDED,
                f"an operation may ask for __schema at most {MAX_SCHEMA_FIELDS} time(s)",
                node,
                maxSchemaFields=MAX_SCHEMA_FIELDS,
            )
        if introspection_aliases > MAX_INTROSPECTION_ALIASES:
            raise _coded(
                ErrorCode.MAX_ALIASES_EXCEEDED,
                f"introspection uses more than {MAX_INTROSPECTION_ALIASES} aliases",
                node,
                maxIntrospectionAliases=MAX_INTROSPECTION_ALIASES,
            )
        if introspection_fields > MAX_INTROSPECTION_FIELDS:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"introspection expands to more than {MAX_INTROSPECTION_FIELDS} fields",
                node,
                maxIntrospectionFields=MAX_INTROSPECTION_FIELDS,
            )


def _coded(code: ErrorCode, message: str, node: object, **extra: object) -> GraphQLError:
    nodes = node if isinstance(node, Node) else None
    return GraphQLError(message, nodes, extensions={"code": code.value, **extra})
