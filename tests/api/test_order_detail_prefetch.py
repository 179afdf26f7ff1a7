"""One order by id reads its selected relations joined (gql/resolvers/order_prefetch.py
`prefetch_order`): the same answers as the lazy walk, fewer statements.

`order(id:)` prefetches; `node(id:)` walks the same fields lazily, one loader at a time. Both must
give identical JSON for every role (masked, scoped, hidden), with fragments and aliases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gql.ids import encode_id
from models.after_sales.rows import AfterSaleLine
from models.after_sales.states import AfterSaleStatus
from models.enums import Role
from models.orders.rows import Order as OrderRow
from services.db import count_statements, unit_of_work
from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

# the admin order detail (bench/scenarios.py ORDER_DETAIL) and the lines' own products
DETAIL = """
  id orderNo status type fulfillment channel paymentMethod
  goodsAmount { amount } discountAmount { amount } deliveryFee { amount } packagingFee { amount }
  payableAmount { amount } paidAmount { amount } refundedAmount { amount }
  consignee { name phone address }
  buyerRemark createdAt paidAt acceptedAt shippedAt completedAt version pickupCode
  availableActions { action allowed reason }
  store { code name phone }
  customer { nickname phone memberLevel }
  lines {
    id productName spec quantity unitPrice { amount } paidAmount { amount }
    refundedQuantity refundedAmount { amount } isGift sku { skuCode barcode product { name } }
    product { name }
  }
  parcels { carrier trackingNo }
  events { action toStatus actorType createdAt }
  afterSales { id status type refundAmount { amount } }
"""

BY_ORDER = f"query ($id: ID!) {{ order(id: $id) {{ {DETAIL} }} }}"
BY_NODE = f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ {DETAIL} }} }} }}"
FRAGMENT = f"query ($id: ID!) {{ order(id: $id) {{ ...D }} }} fragment D on Order {{ {DETAIL} }}"
# the refund facts (every column of the lines) beside the shown lines, or without them
REFUNDS = """id lines { id quantity refundedQuantity } refundableLines { refundableQuantity
  maxAmount { amount } openAfterSale } availableActions { action allowed reason }"""
ACTIONS = "id store { code } availableActions { action allowed reason }"
ALIASED = """query ($id: ID!) { o: order(id: $id) { id s: store { code } c: customer { nickname }
  l: lines { quantity k: sku { skuCode } } } }"""


@pytest.fixture
def api_settings() -> dict[str, Any]:
    return {"rate_limit_enabled": False}  # many requests of one viewer


async def _ids(api: Api) -> list[str]:
    r = await api.as_hq().execute("{ orders(first: 20) { edges { node { id } } } }")
    assert r.errors == []
    return [e["node"]["id"] for e in r.data["orders"]["edges"]]


async def test_order_by_id_equals_the_lazy_walk_for_every_role(api: Api, seed: Seed) -> None:
    store_id = await seed_order_page(seed, 6)
    ids = await _ids(api)
    viewers = (api.as_hq(), api.as_staff(store_id), api.as_role(Role.ANALYST), api.as_shopper(1))
    shown = 0
    for viewer in viewers:
        for id_ in ids:
            lazy = await viewer.execute(BY_NODE, id=id_)
            for query in (BY_ORDER, FRAGMENT):
                found = await viewer.execute(query, id=id_)
                assert found.errors == lazy.errors == []
                assert found.data["order"] == lazy.data["node"]
            shown += found.data["order"] is not None
    assert 0 < shown < len(ids) * len(viewers)  # some orders hidden from the staff and the shopper


async def test_refund_facts_beside_the_lines_equal_the_lazy_walk(api: Api, seed: Seed) -> None:
    store_id = await seed_order_page(seed, 4)
    ids = await _ids(api)
    viewers = (api.as_hq(), api.as_staff(store_id), api.as_role(Role.ANALYST), api.as_shopper(1))
    for viewer in viewers:
        for id_ in ids:
            for selection in (REFUNDS, ACTIONS):
                lazy = await viewer.execute(
                    f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ {selection} }} }} }}", id=id_
                )
                found = await viewer.execute(
                    f"query ($id: ID!) {{ order(id: $id) {{ {selection} }} }}", id=id_
                )
                assert found.errors == lazy.errors == []
                assert found.data["order"] == lazy.data["node"]


async def test_actions_without_lines_join_the_lines_they_read(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 3)
    id_ = (await _ids(api))[0]
    query = f"query ($id: ID!) {{ order(id: $id) {{ {ACTIONS} }} }}"
    counts = {}
    for name, viewer in (("hq", api.as_hq()), ("analyst", api.as_role(Role.ANALYST))):
        with count_statements() as counter:
            r = await viewer.execute(query, id=id_)
        assert r.errors == []
        counts[name] = counter.count
    # hq: the order; its store, lines and their after-sale lines joined. The analyst's actions read
    # no lines: the order and its store.
    assert counts == {"hq": 2, "analyst": 2}


async def test_lines_with_several_after_sales_equal_the_lazy_walk(api: Api, seed: Seed) -> None:
    """The after-sale lines joined below the lines repeat a line per after-sale: kept once."""
    store_id = await seed_order_page(seed, 2)
    async with seed.sessions() as s:
        orders = (await s.scalars(select(OrderRow).order_by(OrderRow.id))).all()
    first, second = await seed.lines_of(orders[0]), await seed.lines_of(orders[1])
    done = [await seed.after_sale(orders[0], AfterSaleStatus.REFUNDED) for _ in range(2)]
    pending = await seed.after_sale(orders[0], AfterSaleStatus.PENDING_REVIEW)
    later = await seed.after_sale(orders[1], AfterSaleStatus.REJECTED)
    async with unit_of_work(seed.sessions) as s:
        s.add_all(
            [
                AfterSaleLine(
                    after_sale_id=done[0].id, order_line_id=first[0].id, quantity=1, amount=1, is_open=False
                ),
                AfterSaleLine(
                    after_sale_id=done[1].id, order_line_id=first[0].id, quantity=1, amount=2, is_open=False
                ),
                AfterSaleLine(
                    after_sale_id=pending.id, order_line_id=first[0].id, quantity=1, amount=3, is_open=True
                ),
                AfterSaleLine(
                    after_sale_id=done[1].id, order_line_id=first[1].id, quantity=1, amount=4, is_open=False
                ),
                AfterSaleLine(
                    after_sale_id=later.id, order_line_id=second[1].id, quantity=1, amount=5, is_open=False
                ),
            ]
        )
    ids = await _ids(api)
    for viewer in (api.as_hq(), api.as_staff(store_id), api.as_shopper(orders[0].customer_id)):
        for id_ in ids:
            for selection in (DETAIL, REFUNDS):
                lazy = await viewer.execute(
                    f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ {selection} }} }} }}", id=id_
                )
                found = await viewer.execute(
                    f"query ($id: ID!) {{ order(id: $id) {{ {selection} }} }}", id=id_
                )
                assert found.errors == lazy.errors == []
                assert found.data["order"] == lazy.data["node"]
    r = await api.as_hq().execute(BY_ORDER, id=encode_id("Order", orders[0].id))
    lines = r.data["order"]["lines"]
    assert len(lines) == len(first) == 2
    assert len({line["id"] for line in lines}) == 2


async def test_aliases_answer_as_the_plain_fields(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 3)
    hq = api.as_hq()
    for id_ in await _ids(api):
        plain = await hq.execute(BY_ORDER, id=id_)
        aliased = await hq.execute(ALIASED, id=id_)
        assert aliased.errors == []
        o: dict[str, Any] = plain.data["order"]
        a: dict[str, Any] = aliased.data["o"]
        assert (a["id"], a["s"]["code"], a["c"]["nickname"]) == (
            o["id"],
            o["store"]["code"],
            o["customer"]["nickname"],
        )
        expected = [{"quantity": x["quantity"], "k": {"skuCode": x["sku"]["skuCode"]}} for x in o["lines"]]
        assert a["l"] == expected


async def test_order_detail_statements(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 3)
    id_ = (await _ids(api))[0]
    hq = api.as_hq()
    await hq.execute(BY_ORDER, id=id_)  # warm
    counts = {}
    for name, query in (("order", BY_ORDER), ("node", BY_NODE)):
        with count_statements() as counter:
            r = await hq.execute(query, id=id_)
        assert r.errors == []
        counts[name] = counter.count
    # order(id:): the order; its store, customer, lines (every column: the actions read them too)
    # with their after-sale lines, SKUs and their products joined (the lines' own products are
    # those products: none left to read); parcels; events; after-sales. node(id:) reads store,
    # customer, the shown lines, SKUs, products and the actions' lines one by one.
    assert counts == {"order": 5, "node": 11}


async def test_a_hidden_order_reads_nothing_more(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 3)
    id_ = (await _ids(api))[0]
    stranger = api.as_staff(999_999)
    with count_statements() as counter:
        r = await stranger.execute(BY_ORDER, id=id_)
    assert r.errors == []
    assert r.data["order"] is None
    assert counter.count == 1
