"""Every check before execution is linear in the document: work is counted (nodes visited), not timed.

The documents grow by a constant amount per step while what they expand to grows tenfold; the
work of `gql/gate/shape.py`'s pass and of the cost walk must grow by a constant too.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import graphql.validation.rules.overlapping_fields_can_be_merged as overlapping
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInterfaceType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)

from adapters.strawberry import graphql_schema_of
from gql.gate.cost import CostModel, _Walker
from gql.gate.documents import DocumentCache
from gql.gate.limits import COUNTERS
from gql.gate.shape import MAX_MERGED_FIELDS, MAX_MERGED_PAIRS, MAX_OF_TYPE, Shape, ShapeLimits
from gql.schema import schema
from gql.settings import load_settings
from models.enums import Role
from tests.api.introspection_queries import INTROSPECTION_QUERIES

SCHEMA = graphql_schema_of(schema)
UNBOUNDED = ShapeLimits(
    max_depth=100,
    introspection=True,
    max_fields=10**100,
    max_merged_fields=10**100,
    max_merged_fragments=10**100,
    max_merged_pairs=10**100,
    max_merge_work=10**100,
)


def bomb(levels: int, leaf: str = "categories { name }") -> str:
    """Issue 21's document: each fragment spreads the previous one ten times."""
    parts = [f"fragment Q0 on Query {{ {leaf} }}"]
    parts += [f"fragment Q{i} on Query {{ {' '.join([f'...Q{i - 1}'] * 10)} }}" for i in range(1, levels + 1)]
    return f"{{ ...Q{levels} }} " + " ".join(parts)


def fragment_chain(length: int) -> str:
    """Each fragment spreads the next one twice, under one field: deep, and doubling."""
    parts = [
        f"fragment C{i} on Category {{ name parent {{ ...C{i + 1} }} children {{ ...C{i + 1} }} }}"
        for i in range(length)
    ]
    parts.append(f"fragment C{length} on Category {{ name }}")
    return "{ categories { ...C0 } } " + " ".join(parts)


def selection_nodes(document: DocumentNode) -> int:
    stack: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))
    ]
    count = 0
    while stack:
        for selection in stack.pop().selections:
            count += 1
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                stack.append(selection.selection_set)
    return count


def shape_work(text: str) -> tuple[int, int]:
    document = parse(text, max_tokens=None)
    shape = Shape(document, UNBOUNDED)
    assert shape.check() is None
    return shape.work, selection_nodes(document)


def cost_work(text: str) -> tuple[int, int]:
    document = parse(text, max_tokens=None)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(SCHEMA, fragments, {}, CostModel(default_list_size=10, max_page_size=100))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    query = SCHEMA.query_type
    assert query is not None
    cost = walker.selection_cost(query, operation.selection_set, None, frozenset())
    return walker.work, cost


def test_the_shape_pass_is_linear_in_the_fragment_bomb() -> None:
    works = [shape_work(bomb(levels)) for levels in range(1, 41)]
    steps = {b[0] - a[0] for a, b in itertools.pairwise(works)}
    assert steps == {20}, steps  # one more fragment: its ten spreads, seen by the cycle and data passes
    for work, nodes in works:
        assert work <= 3 * nodes
    assert works[8] == (185, 93)  # issue 21's nine levels: 10⁹ fields, 185 nodes visited


def test_the_shape_pass_is_linear_in_deep_doubling_fragment_chains() -> None:
    works = [shape_work(fragment_chain(length)) for length in range(1, 41)]
    steps = {b[0] - a[0] for a, b in itertools.pairwise(works)}
    assert len(steps) == 1, steps
    assert all(work <= 3 * nodes for work, nodes in works)


def test_the_cost_walk_is_linear_and_still_exact() -> None:
    works = [cost_work(bomb(levels)) for levels in range(1, 31)]
    steps = {b[0] - a[0] for a, b in itertools.pairwise(works)}
    assert steps == {10}, steps
    assert works[8][1] == 10**9 * 10  # categories (a list of 10) × 10⁹, as before
    # one fragment in two connections of different page sizes: remembered per page size
    pages = "{ a: stores(first: 3) { ...E } b: stores(first: 4) { ...E } } "
    pages += "fragment E on StoreConnection { edges { node { code } } }"
    assert cost_work(pages)[1] == (2 + 3) + (2 + 4)


def test_the_bomb_is_refused_before_graphql_cores_validation_runs() -> None:
    cache = DocumentCache(SCHEMA, load_settings())
    validations = COUNTERS.validations
    for levels in (5, 6, 9, 30):
        checked = cache.check(bomb(levels), role=None)
        assert [e.extensions["code"] for e in checked.errors if e.extensions] == ["DOCUMENT_TOO_LARGE"]
    assert COUNTERS.validations == validations
    assert cache.check(bomb(3), role=None).ok  # 2,000 fields: under the cap
    cycle = (
        "{ categories { ...A } } fragment A on Category { parent { ...B } } fragment B on Category { ...A }"
    )
    checked = cache.check(cycle, role=None)
    assert [e.message for e in checked.errors] == ["Cannot spread fragment 'A' within itself via 'B'."]
    assert checked.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert COUNTERS.validations == validations + 1  # only bomb(3) reached validation


def test_the_real_introspection_queries_fit_their_own_bounds() -> None:
    cache = DocumentCache(SCHEMA, load_settings(environment="prod", jwt_secret="x" * 40))
    for name, text in INTROSPECTION_QUERIES.items():
        assert cache.check(text, role=Role.HQ_ADMIN).ok, name
        assert cache.check(text, role=None).errors[0].extensions == {"code": "INTROSPECTION_DISABLED"}
        document = parse(text)
        shape = Shape(document, UNBOUNDED)
        assert shape.check() is None
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        measure = shape._selections(operation.selection_set, False, 0)
        assert measure.of_type in (7, 9)
        assert measure.of_type < MAX_OF_TYPE
        assert 150 < measure.introspection_fields < 300, (name, measure.introspection_fields)
        assert measure.depth == 1  # the data depth: only __schema itself


GROWING: dict[str, Callable[[int], str]] = {
    "one key n times": lambda n: "{ " + "viewer { role } " * n + "}",
    "one leaf key n times": lambda n: "{ viewer { " + "role " * n + "} }",
    "n distinct fragments": lambda n: (
        "{ viewer { "
        + " ".join(f"...F{i}" for i in range(n))
        + " } } "
        + " ".join(f"fragment F{i} on Viewer {{ role }}" for i in range(n))
    ),
    "n inline fragments": lambda n: "{ viewer { " + "... on Viewer { __typename } " * n + "} }",
    "n aliased keys nested": lambda n: "{ " + "a: viewer { a: role } " * n + "}",
}


def test_the_merge_measures_are_linear_in_growing_documents() -> None:
    for name, make in GROWING.items():
        shapes = []
        for n in range(1, 61):
            shape = Shape(parse(make(n), max_tokens=None), UNBOUNDED)
            assert shape.check() is None
            shapes.append((shape.work, shape.merges))
        steps = {(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(shapes)}
        assert len(steps) == 1, (name, steps)  # one more repetition: a constant more work


@contextlib.contextmanager
def counted_comparisons() -> Iterator[list[int]]:
    """graphql-core's rule compares two fields in `find_conflict`: count its calls (test only)."""
    calls = [0]
    original = overlapping.find_conflict

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return original(*args)

    overlapping.find_conflict = counting  # type: ignore[assignment]
    try:
        yield calls
    finally:
        overlapping.find_conflict = original


def rule_comparisons(text: str) -> int:
    with counted_comparisons() as calls:
        validate(SCHEMA, parse(text, max_tokens=None), [overlapping.OverlappingFieldsCanBeMergedRule])
    return calls[0]


AT_THE_LIMITS: Final = {
    "one key 32 times": "{ " + "viewer { role } " * 32 + "}",
    "two keys 32 times": "{ " + "viewer { role } " * 32 + "categories { id } " * 32 + "}",
    "four leaf keys 32 times": "{ viewer { "
    + "role " * 32
    + "subject " * 32
    + "} categories { "
    + "name " * 32
    + "id " * 32
    + "} }",
    "merged below": "{ "
    + ("viewer { " + "role " * 8 + "} ") * 4
    + ("categories { " + "id " * 8 + "} ") * 4
    + "}",
    "32 fragments": "{ viewer { "
    + " ".join(f"...F{i}" for i in range(32))
    + " } } "
    + " ".join(f"fragment F{i} on Viewer {{ role }}" for i in range(32)),
    "32 inline fragments": "{ viewer { " + "... on Viewer { __typename } " * 32 + "} }",
    "32 fragments, other arguments": "{ "
    + " ".join(f"...F{i}" for i in range(32))
    + " } "
    + " ".join(f'fragment F{i} on Query {{ store(code: "{i}") {{ code }} }}' for i in range(32)),
}


def test_at_the_limits_the_rule_compares_at_most_the_pairs_the_pass_bounded() -> None:
    """Counted, not timed: `find_conflict` calls ≤ `Shape.pairs` ≤ MAX_MERGED_PAIRS, while past
    the limits the same shapes cost the rule quadratically more (printed: the timings)."""
    cache = DocumentCache(SCHEMA, load_settings(document_cache_size=0))
    for name, text in AT_THE_LIMITS.items():
        shape = Shape(parse(text), ShapeLimits(max_depth=15, introspection=False))
        assert shape.check() is None, name
        started = time.perf_counter()
        checked = cache.check(text, role=None)
        elapsed = time.perf_counter() - started
        comparisons = rule_comparisons(text)
        print(f"{name}: {comparisons} comparisons ≤ {shape.pairs} bounded, {elapsed * 1000:.1f} ms")
        assert comparisons <= shape.pairs <= MAX_MERGED_PAIRS, name
        assert all(e.extensions and e.extensions["code"] != "DOCUMENT_TOO_LARGE" for e in checked.errors)
    before = [rule_comparisons("{ " + "viewer { role } " * n + "}") for n in (100, 200)]
    assert before == [100 * 99, 200 * 199]  # each pair of `viewer`, then of the `role`s under them
    for n in (33, 100, 200, 490):
        checked = cache.check("{ " + "viewer { role } " * n + "}", role=None)
        assert [e.extensions for e in checked.errors] == [
            {"code": "DOCUMENT_TOO_LARGE", "maxMergedFields": MAX_MERGED_FIELDS}
        ]


def test_the_pairs_bound_holds_for_generated_documents() -> None:
    """Random nestings of repeated keys, inline fragments and spreads: the bound is never below
    what the rule actually compares."""
    rng = random.Random(21)

    def selection(depth: int) -> str:
        parts = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if depth < 3 and kind < 0.4:
                parts.append(f"parent {{ {selection(depth + 1)} }}")
            elif kind < 0.55:
                parts.append(f"... on Category {{ {selection(depth + 1) if depth < 3 else 'id'} }}")
            elif kind < 0.7:
                parts.append(f"...F{rng.randrange(4)}")
            else:
                parts.append(rng.choice(["id", "name", "level", "n: name", "n: id"]))
        return " ".join(parts)

    for _ in range(150):
        fragments = " ".join(
            f"fragment F{i} on Category {{ {rng.choice(['id', 'name', 'parent { id }'])} }}" for i in range(4)
        )
        text = f"{{ categories {{ {selection(0)} }} categories {{ {selection(0)} }} }} {fragments}"
        shape = Shape(parse(text), UNBOUNDED)
        assert shape.check() is None
        assert rule_comparisons(text) <= shape.pairs, text


def test_apollo_style_typename_everywhere_is_within_the_merge_limits() -> None:
    """Apollo adds `__typename` to every selection set; one inline fragment per `Node` type makes
    15 `__typename` and 14 `id` on one response key each."""
    node = SCHEMA.type_map["Node"]
    assert isinstance(node, GraphQLInterfaceType)
    names = sorted(t.name for t in SCHEMA.get_possible_types(node))
    inline = " ".join(f"... on {name} {{ __typename id }}" for name in names)
    text = f'{{ node(id: "x") {{ __typename id {inline} }} viewer {{ __typename role }} }}'
    shape = Shape(parse(text), ShapeLimits(max_depth=15, introspection=False))
    assert shape.check() is None
    assert shape.pairs < MAX_MERGED_PAIRS // 4
    assert DocumentCache(SCHEMA, load_settings()).check(text, role=None).ok
