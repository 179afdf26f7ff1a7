"""A document's shape — size, depth, fragment cycles, field merging, introspection — before validation.

A fragment spread stands for its whole selection, so a short document can stand for a huge one
(ten spreads of the previous fragment, nine deep: 10⁹ fields in ~800 bytes). `Shape` measures each
fragment once per context (data, or inside `__schema`/`__type`) and remembers the measure, so the
pass visits every selection node at most three times (once looking for fragment cycles, which it
refuses first in `gql/gate/shape_cycles.py`, then once per context). Merging a remembered fragment into
a selection set that spreads it copies its response keys and the names of the fragments it
spreads, once per selection set (as graphql-core dedupes spreads); those copies are counted in
`Shape.merges` and refused past `MAX_MERGE_WORK`. So the pass is O(n) in the document's size
plus at most a fixed budget of merging, whatever the document expands to, and it stops as soon
as a limit is passed. It runs before graphql-core's validation (`gql/gate/documents.py`), so no
validation rule ever sees a document past these limits.

OverlappingFieldsCanBeMerged compares every pair of fields merged into one response path (fields
sharing a key, through inline fragments, spreads, and the selections of fields merged above) and
every pair of fragments spread into one selection set: quadratic, so it gets its own budget. Each
measure carries, per response path, an upper bound of the field nodes merged there, and of the sum
of their squares (Cauchy–Schwarz through each merge); the pairs the rule compares are at most
(Σ m² − Σ m) / 2, and the rule's `find_conflict` calls stay below `MAX_MERGED_PAIRS`.

The limits it enforces, each refused with a stable code:

* expanded fields in one operation ≤ `MAX_EXPANDED_FIELDS` (`DOCUMENT_TOO_LARGE`);
* data depth ≤ `MAX_QUERY_DEPTH`, introspection subtrees not counted (`MAX_DEPTH_EXCEEDED`);
* selections (fields, inline fragments, spreads) nested ≤ `MAX_NESTING` (`MAX_DEPTH_EXCEEDED`);
* a fragment spread inside itself (`GRAPHQL_VALIDATION_FAILED`, as graphql-core's NoFragmentCycles);
* field nodes merged into one response path ≤ `MAX_MERGED_FIELDS`, fragments (distinct spreads,
  through other spreads, and inline fragments) merged into one selection set ≤
  `MAX_MERGED_FRAGMENTS`, pairs compared for merging in the document ≤ `MAX_MERGED_PAIRS`, and
  fragment merging ≤ `MAX_MERGE_WORK` steps (`DOCUMENT_TOO_LARGE`); unused fragments are measured
  too, since validation compares their fields as well;
* for callers who may introspect (others are refused `INTROSPECTION_DISABLED` by validation):
  `ofType` nested ≤ `MAX_OF_TYPE` and lists of types nested ≤ `MAX_TYPE_LISTS` on one path
  (`MAX_DEPTH_EXCEEDED`), one `__schema` per operation and ≤ `MAX_INTROSPECTION_ALIASES` aliases
  inside introspection (`MAX_ALIASES_EXCEEDED`), ≤ `MAX_INTROSPECTION_FIELDS` expanded
  introspection fields (`DOCUMENT_TOO_LARGE`). Introspection costs no data points (`gql/gate/cost.py`);
  these rules are its budget.
"""

from __future__ import annotations

from collections.abc import Mapping
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

from gql.gate.shape_cycles import refuse_fragment_cycles
from gql.gate.shape_measure import EMPTY, MAX_SCHEMA_FIELDS, Key, Level, Measure
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
MAX_MERGED_FIELDS: Final = 32
"""Field nodes merged into one response path (an upper bound): fields sharing a response key in one
selection set, its inline fragments and spreads included, times the most merged below one of them.
Apollo's `__typename` in each inline fragment of all 14 `Node` types, and beside them, is 15."""
MAX_MERGED_FRAGMENTS: Final = 32
"""Distinct fragments spread into one selection set, through other spreads too, plus its inline
fragments: the rule compares each pair of those fragments."""
MAX_MERGED_PAIRS: Final = 2_000
"""Pairs of fields merged into one response path, and of fragments merged into one selection set,
in the whole document (an upper bound): what OverlappingFieldsCanBeMerged compares. Every document
in the tests has none; at this limit the rule takes a few milliseconds."""
MAX_MERGE_WORK: Final = 10_000
"""Entries copied while merging fragments into the selection sets that spread them, per document."""
MAX_INTROSPECTION_FIELDS: Final = 1_000
MAX_INTROSPECTION_ALIASES: Final = 10

INTROSPECTION_ROOTS: Final = frozenset({"__schema", "__type"})
TYPE_LISTS: Final = frozenset({"fields", "interfaces", "possibleTypes", "inputFields"})


@dataclass(frozen=True, slots=True)
class ShapeLimits:
    max_depth: int
    introspection: bool
    """The caller may introspect: the introspection rules apply (otherwise validation refuses it)."""
    max_fields: int = MAX_EXPANDED_FIELDS
    max_merged_fields: int = MAX_MERGED_FIELDS
    max_merged_fragments: int = MAX_MERGED_FRAGMENTS
    max_merged_pairs: int = MAX_MERGED_PAIRS
    max_merge_work: int = MAX_MERGE_WORK


class Shape:
    """One pass over one document. `work` counts the selection nodes visited: each at most three
    times (once looking for cycles, once per context), so `work` ≤ 3n; `merges` counts the entries
    copied merging fragments (≤ `max_merge_work`); `pairs` bounds what validation will compare."""

    def __init__(self, document: DocumentNode, limits: ShapeLimits) -> None:
        self.document = document
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._known: dict[tuple[str, bool], Measure] = {}
        self.work = 0
        self.merges = 0
        self.pairs = 0

    def check(self) -> GraphQLError | None:
        """The first limit the document passes, or None. O(n) in the document's selection nodes,
        plus at most `max_merge_work` steps merging remembered fragments."""
        try:
            self.work += refuse_fragment_cycles(self.fragments)
            for definition in self.document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._operation(definition)
            for name, fragment in self.fragments.items():  # unused: graphql-core compares them too
                if (name, False) not in self._known and (name, True) not in self._known:
                    self._spread(FragmentSpreadNode(name=fragment.name, directives=()), False, 0)
        except GraphQLError as error:
            return error
        return None

    def _operation(self, node: OperationDefinitionNode) -> None:
        measure = self._selections(node.selection_set, False, 0)
        self._pairs(measure, node)
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

    def _selections(self, selection_set: SelectionSetNode, introspection: bool, nesting: int) -> Measure:
        """The set's measure: O(its own selection nodes) plus merges; fragments come from memory."""
        level = Level()
        self._collect(selection_set, introspection, nesting, level)
        return self._close(level, introspection, selection_set)

    def _collect(
        self, selection_set: SelectionSetNode, introspection: bool, nesting: int, level: Level
    ) -> None:
        """Adds the set's selections to `level`, inline fragments flattened into it as graphql-core does."""
        if nesting > MAX_NESTING:
            raise _coded(
                ErrorCode.MAX_DEPTH_EXCEEDED,
                f"selections are nested more than {MAX_NESTING} deep",
                selection_set,
                maxNesting=MAX_NESTING,
            )
        for selection in selection_set.selections:
            self.work += 1
            if isinstance(selection, FieldNode):
                part = self._field(selection, introspection, nesting)
                key = (selection.alias or selection.name).value
                this = Key(1, part.merged, part.squares, part.nodes)
                had = level.keys.get(key)
                level.keys[key] = this if had is None else had + this
                level.add(part)
            elif isinstance(selection, InlineFragmentNode):
                level.inline += 1
                self._collect(selection.selection_set, introspection, nesting + 1, level)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._spread(selection, introspection, nesting)
                level.add(part)
                name = selection.name.value
                if name in self.fragments and name not in level.reached:
                    self._merge(1 + len(part.reached), selection)
                    level.reached.add(name)
                    level.reached |= part.reached
            self._check_sums(
                level.fields,
                level.introspection_fields,
                level.introspection_aliases,
                level.schema_keys,
                selection,
            )

    def _close(self, level: Level, introspection: bool, node: SelectionSetNode) -> Measure:
        """Merges the remembered keys of each fragment the set reaches (once each, as graphql-core
        does) and refuses the set if it merges too many fragments or fields into one response path."""
        fragments = [self._known.get((name, introspection), EMPTY) for name in level.reached]
        merged_fragments = len(fragments) + level.inline + sum(f.inline for f in fragments)
        limit = self.limits.max_merged_fragments
        if merged_fragments > limit:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"a selection set merges {merged_fragments} fragments; the limit is {limit}",
                node,
                maxMergedFragments=limit,
            )
        keys: Mapping[str, Key] = level.keys
        if fragments:
            merging = dict(level.keys)
            for fragment in fragments:
                self._merge(len(fragment.keys), node)
                for key, part in fragment.keys.items():
                    had = merging.get(key)
                    merging[key] = part if had is None else had + part
            keys = merging
        # A path's nodes are the sum over the fields merged at its key: Cauchy-Schwarz bounds its square.
        merged, squares, nodes = 1, len(fragments) ** 2, len(fragments)
        for part in keys.values():
            merged = max(merged, part.count * part.merged)
            squares += part.count**2 + part.count * part.squares
            nodes += part.count + part.nodes
        limit = self.limits.max_merged_fields
        if merged > limit:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"{merged} fields would be merged into one response key; the limit is {limit}",
                node,
                maxMergedFields=limit,
            )
        return Measure(
            level.fields,
            level.depth,
            level.of_type,
            level.type_lists,
            level.introspection_fields,
            level.introspection_aliases,
            level.schema_keys,
            merged,
            squares,
            nodes,
            level.keys,
            frozenset(level.reached),
            level.inline,
        )

    def _pairs(self, measure: Measure, node: Node) -> None:
        """Adds an operation's or a fragment's pairs to the document's; refuses past the limit."""
        self.pairs += (measure.squares - measure.nodes) // 2
        if self.pairs > self.limits.max_merged_pairs:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"validating that its fields merge compares more than {self.limits.max_merged_pairs} pairs",
                node,
                maxMergedPairs=self.limits.max_merged_pairs,
            )

    def _merge(self, entries: int, node: Node) -> None:
        self.merges += entries
        if self.merges > self.limits.max_merge_work:
            raise _coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"merging its fragments takes more than {self.limits.max_merge_work} steps",
                node,
                maxMergeWork=self.limits.max_merge_work,
            )

    def _field(self, node: FieldNode, introspection: bool, nesting: int) -> Measure:
        name = node.name.value
        inside = introspection or name in INTROSPECTION_ROOTS
        below = self._selections(node.selection_set, inside, nesting + 1) if node.selection_set else EMPTY
        if not inside:
            return Measure(
                1 + below.fields,
                1 + below.depth,
                below.of_type,
                below.type_lists,
                below.introspection_fields,
                below.introspection_aliases,
                below.schema_keys,
                below.merged,
                below.squares,
                below.nodes,
            )
        schema_keys = below.schema_keys
        if name == "__schema":
            schema_keys = schema_keys | {(node.alias or node.name).value}
        return Measure(
            1 + below.fields,
            0 if introspection else 1,
            below.of_type + (name == "ofType"),
            below.type_lists + (name in TYPE_LISTS),
            1 + below.introspection_fields,
            below.introspection_aliases + (node.alias is not None),
            schema_keys,
            below.merged,
            below.squares,
            below.nodes,
        )

    def _spread(self, node: FragmentSpreadNode, introspection: bool, nesting: int) -> Measure:
        name = node.name.value
        known = self._known.get((name, introspection))
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None:  # KnownFragmentNamesRule reports it
            return EMPTY
        measure = self._selections(fragment.selection_set, introspection, nesting + 1)
        if (name, not introspection) not in self._known:
            self._pairs(measure, node)
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
