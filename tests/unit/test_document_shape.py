"""Every check before execution is linear in the document: work is counted (nodes visited), not timed.

The documents grow by a constant amount per step while what they expand to grows tenfold; the
work of `gql/shape.py`'s pass and of the cost walk must grow by a constant too.
"""

from __future__ import annotations

import itertools

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from gql.cost import CostModel, _Walker
from gql.documents import DocumentCache
from gql.limits import COUNTERS
from gql.schema import schema
from gql.settings import load_settings
from gql.shape import MAX_OF_TYPE, Shape, ShapeLimits
from models.enums import Role
from tests.api.introspection_queries import INTROSPECTION_QUERIES

SCHEMA = schema._schema
UNBOUNDED = ShapeLimits(max_depth=100, introspection=True, max_fields=10**100)


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
