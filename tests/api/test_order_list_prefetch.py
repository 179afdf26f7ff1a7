"""The order list prefetches whole levels (gql/resolvers/order_prefetch.py): same answers, fewer turns.

The list answers relation fields from loaders it filled in one batch per level; a single order
fetched by id walks the same fields lazily. Both paths must give identical JSON — also when the
relations hide in fragments, inline fragments, aliases, or are only partly selected, and for
roles whose view is masked or scoped.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.enums import Role
from services.db import count_statements
from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

ORDER_FIELDS = """
  id orderNo status payableAmount { cents }
  store { code name }
  customer { nickname phone }
  lines { quantity productName sku { skuCode product { name } } product { name } }
"""

SHAPES = {
    "plain": f"edges {{ node {{ {ORDER_FIELDS} }} }}",
    "fragment": "edges { node { ...O } }",
    "inline": f"edges {{ node {{ ... on Order {{ {ORDER_FIELDS} }} }} }}",
    "aliases": """edges { n: node { id orderNo payableAmount { cents }
        s: store { code name } c: customer { nickname phone }
        l: lines { quantity productName k: sku { skuCode p: product { name } } product { name } } } }""",
    "partial": "edges { node { id orderNo lines { quantity sku { skuCode } } } }",
}


def _list_query(shape: str) -> str:
    fragment = f"fragment O on Order {{ {ORDER_FIELDS} }}" if "...O" in shape else ""
    return f"query {{ orders(first: 20) {{ {shape} }} }} {fragment}"


def _one_by_one(selection: str) -> str:
    return f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ {selection} }} }} }}"


@pytest.mark.parametrize("shape", ["plain", "fragment", "inline"])
async def test_prefetched_list_equals_orders_fetched_one_by_one(api: Api, seed: Seed, shape: str) -> None:
    """Shapes selecting ORDER_FIELDS as they are; aliases and partial selections are compared with
    the plain list in the next test."""
    store_id = await seed_order_page(seed, 12)
    for viewer in (api.as_hq(), api.as_staff(store_id), api.as_role(Role.ANALYST)):
        listed = await viewer.execute(_list_query(SHAPES[shape]))
        assert listed.errors == []
        edges: list[dict[str, Any]] = listed.data["orders"]["edges"]
        assert edges
        for edge in edges:
            node = edge["node"]
            single = await viewer.execute(_one_by_one(ORDER_FIELDS), id=node["id"])
            assert single.errors == []
            assert single.data["node"] == node


async def test_aliases_and_partial_selections_match_the_plain_list(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 12)
    hq = api.as_hq()
    plain = (await hq.execute(_list_query(SHAPES["plain"]))).data["orders"]["edges"]
    aliased = (await hq.execute(_list_query(SHAPES["aliases"]))).data["orders"]["edges"]
    partial = (await hq.execute(_list_query(SHAPES["partial"]))).data["orders"]["edges"]
    for p, a, q in zip(plain, aliased, partial, strict=True):
        o, n = p["node"], a["n"]
        assert (n["id"], n["s"], n["c"]) == (o["id"], o["store"], o["customer"])
        assert [(x["k"]["skuCode"], x["k"]["p"], x["product"]) for x in n["l"]] == [
            (x["sku"]["skuCode"], x["sku"]["product"], x["product"]) for x in o["lines"]
        ]
        assert q["node"]["lines"] == [
            {"quantity": x["quantity"], "sku": {"skuCode": x["sku"]["skuCode"]}} for x in o["lines"]
        ]


async def test_prefetch_loads_only_what_is_selected(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 12)
    hq = api.as_hq()
    counts = {}
    for name in ("plain", "partial"):
        with count_statements() as counter:
            r = await hq.execute(_list_query(SHAPES[name]))
        assert r.errors == []
        counts[name] = counter.count
    # the page joined with its stores, customers, lines, SKUs and products: one statement
    assert counts == {"plain": 1, "partial": 1}


@pytest.mark.parametrize("direction", ["forward", "backward"])
async def test_pages_through_cursors_equal_orders_fetched_one_by_one(
    api: Api, seed: Seed, direction: str
) -> None:
    """The page read joined with its relations (loaders/joined.py `read_joined_page`) keeps the
    page's order and rows on pages after and before a cursor, and its extra row (the one that tells
    of a next page) is not shown."""
    await seed_order_page(seed, 12)
    hq = api.as_hq()
    forward = direction == "forward"
    size, cursor, seen = 5, None, []
    while True:
        if forward:
            args = f"first: {size}" + (f', after: "{cursor}"' if cursor else "")
        else:
            args = f"last: {size}" + (f', before: "{cursor}"' if cursor else "")
        query = f"""query {{ orders({args}) {{
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
            edges {{ node {{ {ORDER_FIELDS} }} }} }} }}"""
        r = await hq.execute(query)
        assert r.errors == []
        page = r.data["orders"]
        nodes = [e["node"] for e in page["edges"]]
        assert 0 < len(nodes) <= size
        for node in nodes:
            single = await hq.execute(_one_by_one(ORDER_FIELDS), id=node["id"])
            assert single.data["node"] == node
        seen += nodes if forward else nodes[::-1]
        more = page["pageInfo"]["hasNextPage" if forward else "hasPreviousPage"]
        if not more:
            break
        cursor = page["pageInfo"]["endCursor" if forward else "startCursor"]
    everything = await hq.execute(
        f"query {{ orders(first: 100) {{ edges {{ node {{ {ORDER_FIELDS} }} }} }} }}"
    )
    listed = [e["node"] for e in everything.data["orders"]["edges"]]
    assert seen == (listed if forward else listed[::-1])
    assert len({n["id"] for n in seen}) == len(seen) > size
