"""The admin list reads only the order columns its document selects, and answers as if it read all.

`ORDER_ROW_FIELDS` (gql/schema/orders.py) says which row attributes each Order field and resolver
reads; the list selects those plus the sort's. Every field of Order is selected alone through the
list here and compared with the same order fetched by id (which reads whole rows), for a role
that sees everything, a store's staff, an analyst (masked fields) and a shopper.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type, is_leaf_type

import gql.resolvers.order_prefetch
import loaders.joined
import services.pagination
import services.row_snapshots
from adapters.strawberry import graphql_schema_of
from gql.schema import schema
from models.enums import Fulfillment, Role
from models.orders.states import OrderStatus
from tests.api.conftest import Api
from tests.factories import T0, Seed

_ORDER = graphql_schema_of(schema).type_map["Order"]
assert isinstance(_ORDER, GraphQLObjectType)
ORDER_TYPE: GraphQLObjectType = _ORDER
FIELDS = sorted(ORDER_TYPE.fields)


def _selection(name: str) -> str:
    """The field with the least sub-selection it allows (`__typename` for objects)."""
    named = get_named_type(ORDER_TYPE.fields[name].type)
    return name if is_leaf_type(named) else f"{name} {{ __typename }}"


async def _orders(seed: Seed) -> tuple[int, int]:
    north, south = await seed.store("SH001"), await seed.store("SH002")
    alice, bob = await seed.customer(), await seed.customer()
    _, skus = await seed.product(prices=(1299, 2599, 399))
    statuses = [OrderStatus.PENDING_ACCEPTANCE, OrderStatus.PENDING_PICKUP, OrderStatus.COMPLETED]
    for i in range(6):
        await seed.order(
            north if i % 2 else south,
            alice if i % 3 else bob,
            [(skus[i % 3], 1 + i % 2)],
            status=statuses[i % 3],
            fulfillment=Fulfillment.SELF_PICKUP if i % 3 == 1 else Fulfillment.STORE_DELIVERY,
            created_at=T0 + timedelta(minutes=i),
            completed_at=T0 + timedelta(hours=1) if statuses[i % 3] is OrderStatus.COMPLETED else None,
        )
    return north.id, alice.id


@pytest.mark.parametrize("name", FIELDS)
async def test_each_field_through_the_list_equals_the_order_fetched_by_id(
    api: Api, seed: Seed, name: str
) -> None:
    store_id, customer_id = await _orders(seed)
    selection = _selection(name)
    viewers = (api.as_hq(), api.as_staff(store_id), api.as_role(Role.ANALYST), api.as_shopper(customer_id))
    for viewer in viewers:
        listed = await viewer.execute(f"{{ orders(first: 10) {{ edges {{ node {{ id {selection} }} }} }} }}")
        assert listed.errors == [], (name, listed.errors)
        edges: list[dict[str, Any]] = listed.data["orders"]["edges"]
        assert edges
        for edge in edges:
            single = await viewer.execute(
                f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ id {selection} }} }} }}",
                id=edge["node"]["id"],
            )
            assert single.errors == []
            assert single.data["node"] == edge["node"], name


async def test_the_page_selects_only_what_the_document_and_the_sort_read(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _orders(seed)
    kept: list[frozenset[str] | None] = []
    read = services.row_snapshots.read_snapshots

    async def spy(*args: Any, **kw: Any) -> list[Any]:
        kept.append(kw.get("keep"))
        return await read(*args, **kw)

    joined = loaders.joined.read_joined_page

    async def joined_spy(
        sessions: Any, joins: Any, query: services.pagination.PageQuery, **kw: Any
    ) -> list[Any]:
        kept.append(query.keep)
        return await joined(sessions, joins, query, **kw)

    monkeypatch.setattr(services.pagination, "read_snapshots", spy)
    monkeypatch.setattr(gql.resolvers.order_prefetch, "read_joined_page", joined_spy)
    hq = api.as_hq()
    narrow = "edges { node { orderNo status payableAmount { cents } store { name } lines { quantity } } }"
    assert (await hq.execute(f"{{ orders(first: 5) {{ {narrow} }} }}")).errors == []
    assert kept[-1] == frozenset({"order_no", "status", "payable_amount", "store_id", "id", "created_at"})
    by_total = f"{{ orders(first: 5, sort: [{{key: TOTAL, direction: ASC}}]) {{ {narrow} }} }}"
    assert (await hq.execute(by_total)).errors == []
    assert kept[-1] == frozenset({"order_no", "status", "payable_amount", "store_id", "id"})
    assert (
        await hq.execute("{ orders(first: 5) { edges { node { __typename consignee { name } } } } }")
    ).errors == []
    assert kept[-1] is not None
    assert "consignee_phone" in kept[-1]
    assert "goods_amount" not in kept[-1]
