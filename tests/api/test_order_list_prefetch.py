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
    # the page, then its stores, customers, lines, SKUs and products in one statement
    assert counts == {"plain": 2, "partial": 2}
