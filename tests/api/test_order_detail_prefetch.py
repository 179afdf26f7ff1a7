"""One order by id reads its selected relations joined (gql/resolvers/order_prefetch.py
`prefetch_order`): the same answers as the lazy walk, fewer statements.

`order(id:)` prefetches; `node(id:)` walks the same fields lazily, one loader at a time. Both must
give identical JSON for every role (masked, scoped, hidden), with fragments and aliases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from gql.engine import Relation
from gql.ids import encode_id
from gql.schema.after_sales import AFTER_SALES_BY_ORDER
from gql.schema.orders import Order
from models.after_sales.rows import AfterSaleLine
from models.after_sales.states import AfterSaleStatus
from models.enums import ActorType, Role, TraceState
from models.orders.rows import Order as OrderRow
from models.orders.rows import OrderEvent, Parcel
from models.orders.states import OrderAction, OrderStatus
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


async def _as_node(viewer: Any, selection: str, id_: str) -> Any:
    """`order(id:)` with `selection`, checked equal to `node(id:)` with it; the order's JSON."""
    lazy = await viewer.execute(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on Order {{ {selection} }} }} }}", id=id_
    )
    found = await viewer.execute(f"query ($id: ID!) {{ order(id: $id) {{ {selection} }} }}", id=id_)
    assert found.errors == lazy.errors == []
    assert found.data["order"] == lazy.data["node"]
    return found.data["order"]


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
                await _as_node(viewer, selection, id_)


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
    # those products: none left to read), and its parcels, events and after-sales beside them in
    # the same statement. node(id:) reads store, customer, the shown lines, SKUs, products, the
    # actions' lines, parcels, events and after-sales one by one.
    assert counts == {"order": 2, "node": 11}


async def test_a_hidden_order_reads_nothing_more(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 3)
    id_ = (await _ids(api))[0]
    stranger = api.as_staff(999_999)
    with count_statements() as counter:
        r = await stranger.execute(BY_ORDER, id=id_)
    assert r.errors == []
    assert r.data["order"] is None
    assert counter.count == 1


LISTS = (
    "id parcels { id carrier trackingNo shippedAt latestState } events { id action fromStatus "
    "toStatus actorType actorId payload createdAt } afterSales { id afterSaleNo status type "
    "refundAmount { amount } createdAt }"
)
# every field of the lists' rows the narrowed loaders may leave out, and the resolvers reading them
WHOLE = (
    "id parcels { id carrier trackingNo shippedAt latestState traces { description } } events { id "
    "action fromStatus toStatus actorType actorId payload createdAt } afterSales { id afterSaleNo type "
    "initiator status reason evidenceUrls refundAmount { amount } rejectReason returnCarrier "
    "returnTrackingNo replacementCarrier replacementTrackingNo createdAt reviewedAt returnShippedAt "
    "replacementShippedAt refundedAt closedAt version order { id } store { code } lines { quantity } "
    "timeline { action } availableActions { action allowed reason } }"
)


async def _orders_with_lists(seed: Seed) -> tuple[list[OrderRow], int, int]:
    """Orders of two stores with parcels (two shipped at the same time, one earlier), events and
    after-sales, beside orders without any; the two stores' ids."""
    store_id = await seed_order_page(seed, 4)
    async with seed.sessions() as s:
        orders = list((await s.scalars(select(OrderRow).order_by(OrderRow.id))).all())
    north = next(o for o in orders if o.store_id == store_id)
    south = next(o for o in orders if o.store_id != store_id)
    assert south.store_id is not None
    async with unit_of_work(seed.sessions) as s:
        for order, n in ((north, 0), (south, 1)):
            shipped = order.created_at + timedelta(hours=2)
            s.add_all(
                Parcel(
                    order_id=order.id,
                    carrier="顺丰速运",
                    tracking_no=f"SF{order.id}{p}",
                    shipped_at=shipped - timedelta(hours=1) if p == 2 else shipped,
                    latest_state=TraceState.IN_TRANSIT if p else None,
                )
                for p in range(3 - n)
            )
            s.add_all(
                OrderEvent(
                    order_id=order.id,
                    store_id=order.store_id,
                    action=OrderAction.SHIP,
                    from_status=OrderStatus.PENDING_SHIPMENT,
                    to_status=OrderStatus.SHIPPED,
                    actor_type=ActorType.STAFF,
                    actor_id=str(e),
                    payload={"parcel": e, "note": "拆单"},
                    created_at=order.created_at + timedelta(minutes=e),
                )
                for e in range(2 + n)
            )
    for order in (north, north, south):
        await seed.after_sale(order, AfterSaleStatus.PENDING_REVIEW)
    return orders, store_id, south.store_id


async def test_parcels_events_and_after_sales_equal_the_lazy_walk(api: Api, seed: Seed) -> None:
    """The order's own lists, read beside its joined relations, answer as their own loaders do,
    for HQ, the staff of its store and of another store (who sees nothing of it)."""
    orders, north, south = await _orders_with_lists(seed)
    viewers = (api.as_hq(), api.as_staff(north), api.as_staff(south), api.as_shopper(orders[0].customer_id))
    seen = []
    for viewer in viewers:
        for order in orders:
            id_ = encode_id("Order", order.id)
            for selection in (DETAIL, LISTS, f"{DETAIL} {LISTS}", WHOLE):
                order_json = await _as_node(viewer, selection, id_)
            seen.append(order_json)
    shown = [o for o in seen if o is not None]
    assert 0 < len(shown) < len(seen)  # the staff of one store do not see the other's orders
    assert {len(o["parcels"]) for o in shown} == {0, 2, 3}
    assert {len(o["events"]) for o in shown} == {1, 3, 4}
    assert {len(o["afterSales"]) for o in shown} == {0, 1, 2}


async def test_the_lists_alone_take_one_statement_beside_the_order(api: Api, seed: Seed) -> None:
    orders, _, _ = await _orders_with_lists(seed)
    hq = api.as_hq()
    query = f"query ($id: ID!) {{ order(id: $id) {{ {LISTS} }} }}"
    for selection in (query, "query ($id: ID!) { order(id: $id) { id parcels { carrier } } }"):
        await hq.execute(selection, id=encode_id("Order", orders[0].id))  # warm
        with count_statements() as counter:
            r = await hq.execute(selection, id=encode_id("Order", orders[0].id))
        assert r.errors == []
        assert counter.count == 2  # the order; its lists (or its one list, by its own loader)


async def test_the_walk_reads_the_prefetched_rows_without_resolvers(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loaders the order's prefetch filled (through strawberry's own `Info`: the root field
    takes arguments) are the level-first walk's too, so it answers their relations in its fills:
    no relation resolver runs in the walk but afterSales' (a plain resolver calling its relation)."""
    orders, _, _ = await _orders_with_lists(seed)
    called: list[Relation[Any]] = []
    call = Relation.__call__

    def counted(self: Relation[Any], info: Any, key: Any) -> Any:
        if hasattr(info, "executor"):  # the level-first walk's info (graphql-core's run compares)
            called.append(self)
        return call(self, info, key)

    monkeypatch.setattr(Relation, "__call__", counted)
    r = await api.as_hq().execute(BY_ORDER, id=encode_id("Order", orders[1].id))
    assert r.errors == []
    assert r.data["order"]["parcels"]
    assert r.data["order"]["lines"]
    assert called == [AFTER_SALES_BY_ORDER]


@pytest.mark.postgres_only
async def test_the_order_and_its_relations_take_one_connection(api: Api, seed: Seed) -> None:
    """On PostgreSQL the order's statement and its relations' share one pooled connection: the
    detail checks out as many connections as an order hidden from the viewer (one statement)."""
    orders, _, _ = await _orders_with_lists(seed)
    engine = seed.sessions.kw["bind"]
    checkouts = {}
    for name, viewer in (("hidden", api.as_staff(999_999)), ("shown", api.as_hq())):
        await viewer.execute(BY_ORDER, id=encode_id("Order", orders[1].id))  # warm
        found: list[object] = []

        def checked_out(*_: object, found: list[object] = found) -> None:
            found.append(None)

        event.listen(engine.sync_engine.pool, "checkout", checked_out)
        try:
            with count_statements() as counter:
                r = await viewer.execute(BY_ORDER, id=encode_id("Order", orders[1].id))
        finally:
            event.remove(engine.sync_engine.pool, "checkout", checked_out)
        assert r.errors == []
        assert (r.data["order"] is None) == (name == "hidden")
        checkouts[name] = (counter.count, len(found))
    assert checkouts["hidden"][0] == 1
    assert checkouts["shown"] == (2, checkouts["hidden"][1])


async def test_actions_are_answered_at_once_from_the_prefetched_facts(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """availableActions reads the refund facts the prefetch loaded without awaiting anything; walked
    lazily (node(id:)) it awaits their loads, with the same answer."""
    orders, _, _ = await _orders_with_lists(seed)
    later = Order._actions_later
    awaited: list[int] = []

    async def counted(self: Order, info: Any) -> Any:
        awaited.append(self.id)
        return await later(self, info)

    monkeypatch.setattr(Order, "_actions_later", counted)
    hq = api.as_hq()
    id_ = encode_id("Order", orders[1].id)
    found = await hq.execute(BY_ORDER, id=id_)
    assert found.errors == []
    assert awaited == []
    lazy = await hq.execute(BY_NODE, id=id_)
    assert awaited
    assert found.data["order"] == lazy.data["node"]
