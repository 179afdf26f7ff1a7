"""Static operations' collected fields and plans are kept across requests (gql/engine/walk_steps.py).

An operation without directives collects the same fields whatever its variables, so the level-first
walk keeps its collections and plans for the next requests of the same document and only makes each
fill's argument again (it holds the request's steps). The answers stay those of graphql-core's
executor (every `execute` here is compared with it), and an operation with `@include` is planned
per request.
"""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from adapters.graphql_core import FragmentDetails
from gql.engine import walk_steps
from gql.engine.execution import static_selections
from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

LIST = """query ($first: Int!) { orders(first: $first) { edges { node {
  orderNo status store { name } customer { nickname }
  lines { quantity sku { skuCode product { name } } } } } } }"""
INCLUDED = """query ($with: Boolean!) { orders(first: 5) { edges { node {
  orderNo store @include(if: $with) { name } } } } }"""


def test_only_operations_without_directives_are_static() -> None:
    def static(text: str) -> bool:
        document = parse(text)
        operation, *fragments = document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        details = {
            f.name.value: FragmentDetails(f) for f in fragments if isinstance(f, FragmentDefinitionNode)
        }
        return static_selections(operation, details)

    assert static("{ a { b } }")
    assert not static("query ($x: Boolean!) { a @include(if: $x) { b } }")
    assert not static("{ a { ...F } } fragment F on A { b @skip(if: true) }")
    assert static("{ a { ...F } } fragment F on A { b }")


async def test_a_static_document_is_planned_once_and_answers_the_same(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 6)
    hq = api.as_hq()
    first = await hq.execute(LIST, first=6)
    assert first.errors == []
    kept = (len(walk_steps._SHARED_PLANS), len(walk_steps._SHARED_SHAPES))
    again = await hq.execute(LIST, first=6)
    fewer = await hq.execute(LIST, first=3)
    assert again.data == first.data
    assert fewer.data["orders"]["edges"] == first.data["orders"]["edges"][:3]
    assert kept[0] > 0
    assert kept[1] > 0
    assert (len(walk_steps._SHARED_PLANS), len(walk_steps._SHARED_SHAPES)) == kept  # found, not added


async def test_a_document_with_include_is_planned_per_request(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 6)
    hq = api.as_hq()
    with_store = await hq.execute(INCLUDED, **{"with": True})
    without = await hq.execute(INCLUDED, **{"with": False})
    assert with_store.errors == []
    assert without.errors == []
    edges = with_store.data["orders"]["edges"]
    assert edges
    assert all("store" in edge["node"] for edge in edges)
    assert [{"node": {"orderNo": e["node"]["orderNo"]}} for e in edges] == without.data["orders"]["edges"]
