"""The 催单 / 配送异常 queues: lists with counts in scope, alerts raised once on a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gql.ids import encode_id
from models.base import utcnow
from models.deliveries.rows import Delivery, DeliveryAlert
from models.deliveries.stages import DeliveryStage, RiderSource
from models.orders.rows import Order, OrderEvent
from models.orders.states import OrderStatus
from services.commands import Deps
from services.config import RulesConfig
from services.db import unit_of_work
from services.deliveries.queues import raise_alerts
from services.sweeps import run_sweeps
from tests.api.conftest import Api
from tests.api.delivery_flow import accepted_delivery, picked
from tests.api.order_flow import open_shop
from tests.conftest import Database
from tests.factories import Seed

QUEUES = """
query ($storeIds: [ID!]) {
  overdue: deliveryQueue(queue: OVERDUE, storeIds: $storeIds) { totalCount nodes { orderNo deliveryStage } }
  noRider: deliveryQueue(queue: NO_RIDER, storeIds: $storeIds) { totalCount nodes { orderNo } }
  deliveryQueueCounts(storeIds: $storeIds) { queue count }
}
"""
MIN = timedelta(minutes=1)


async def _world(seed: Seed, now: datetime) -> tuple[int, int]:
    """Store A: one overdue order on its way, one picked order waiting 15 min for a rider, one picked
    2 min ago, one delivered late (in no queue any more), one picked 20 min ago whose platform rider
    was asked for 3 min ago. Store B: one overdue order with a rider."""
    a, b = await seed.store("SQA"), await seed.store("SQB")
    customer = await seed.customer()
    _, skus = await seed.product(prices=(1000,))

    async def order(
        store_id: int, no: str, stage: DeliveryStage, status: OrderStatus, promised: int, **kw: Any
    ) -> Order:
        store = a if store_id == a.id else b
        return await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=status,
            order_no=no,
            created_at=now - 60 * MIN,
            accepted_at=now - 55 * MIN,
            promised_at=now + promised * MIN,
            delivery_stage=stage,
            **kw,
        )

    await order(a.id, "2026120600000001", DeliveryStage.DELIVERING, OrderStatus.SHIPPED, -5)
    await order(
        a.id,
        "2026120600000002",
        DeliveryStage.PICKED,
        OrderStatus.PENDING_SHIPMENT,
        30,
        picked_at=now - 15 * MIN,
    )
    await order(
        a.id,
        "2026120600000003",
        DeliveryStage.PICKED,
        OrderStatus.PENDING_SHIPMENT,
        30,
        picked_at=now - 2 * MIN,
    )
    await order(a.id, "2026120600000004", DeliveryStage.DELIVERED, OrderStatus.SHIPPED, -20)
    await order(b.id, "2026120600000005", DeliveryStage.RIDER_ASSIGNED, OrderStatus.PENDING_SHIPMENT, -1)
    asked = await order(
        a.id,
        "2026120600000006",
        DeliveryStage.PICKED,
        OrderStatus.PENDING_SHIPMENT,
        30,
        picked_at=now - 20 * MIN,
    )
    async with unit_of_work(seed.sessions) as session:
        # a platform was asked 3 minutes ago: the wait for a rider restarts from the request
        session.add(
            Delivery(
                order_id=asked.id,
                source=RiderSource.PLATFORM,
                platform="fake",
                external_id="x-1",
                requested_at=now - 3 * MIN,
                updated_at=now,
            )
        )
    return a.id, b.id


async def test_queues_list_and_count_in_scope(api: Api, seed: Seed) -> None:
    a, b = await _world(seed, utcnow())
    hq = await api.as_hq().execute(QUEUES)
    assert hq.errors == [], hq.errors
    assert hq.data["overdue"]["totalCount"] == 2
    assert [n["orderNo"] for n in hq.data["overdue"]["nodes"]] == ["2026120600000001", "2026120600000005"]
    assert hq.data["noRider"] == {"totalCount": 1, "nodes": [{"orderNo": "2026120600000002"}]}
    assert hq.data["deliveryQueueCounts"] == [
        {"queue": "OVERDUE", "count": 2},
        {"queue": "NO_RIDER", "count": 1},
    ]

    staff_b = await api.as_staff(b).execute(QUEUES)
    assert staff_b.data["deliveryQueueCounts"] == [
        {"queue": "OVERDUE", "count": 1},
        {"queue": "NO_RIDER", "count": 0},
    ]
    only_a = await api.as_hq().execute(QUEUES, storeIds=[encode_id("Store", a)])
    assert only_a.data["overdue"]["totalCount"] == 1
    staged = await api.as_hq().execute(
        "{ deliveryQueue(queue: OVERDUE, stages: [RIDER_ASSIGNED]) { totalCount } }"
    )
    assert staged.data["deliveryQueue"]["totalCount"] == 1
    bad = await api.as_hq().execute("{ deliveryQueue(queue: OVERDUE, first: -1) { totalCount } }")
    assert bad.error_codes == ["BAD_USER_INPUT"]
    shopper = await api.as_shopper(1).execute("{ deliveryQueueCounts { count } }")
    assert shopper.error_codes == ["FORBIDDEN"]


PAGE = """
query ($queue: DeliveryQueue!, $first: Int, $after: String, $last: Int, $before: String) {
  deliveryQueue(queue: $queue, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { orderNo } edges { cursor node { orderNo } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_a_queue_pages_by_cursor_most_urgent_first(api: Api, seed: Seed) -> None:
    now = utcnow()
    store, customer = await seed.store("SQP"), await seed.customer()
    _, skus = await seed.product(prices=(1000,))
    promised = [-30, -5, -20, -5, -1, -12, -5]  # three share a promised time: the id breaks the tie
    for i, minutes in enumerate(promised, start=1):
        await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=OrderStatus.PENDING_SHIPMENT,
            order_no=f"20261206000001{i:02d}",
            created_at=now - 60 * MIN,
            accepted_at=now - 55 * MIN,
            promised_at=now + minutes * MIN,
            delivery_stage=DeliveryStage.PICKING,
        )
    expected = [
        f"20261206000001{i:02d}" for i, _ in sorted(enumerate(promised, start=1), key=lambda p: (p[1], p[0]))
    ]
    hq = api.as_hq()
    walked: list[str] = []
    after: str | None = None
    while True:
        page = await hq.execute(PAGE, queue="OVERDUE", first=3, after=after)
        assert page.errors == [], page.errors
        body = page.data["deliveryQueue"]
        assert body["totalCount"] == len(promised)
        assert body["nodes"] == [e["node"] for e in body["edges"]]
        walked += [n["orderNo"] for n in body["nodes"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
    assert walked == expected

    back = await hq.execute(PAGE, queue="OVERDUE", last=2, before=after)  # the two before the last page
    assert [n["orderNo"] for n in back.data["deliveryQueue"]["nodes"]] == expected[3:5]
    assert back.data["deliveryQueue"]["pageInfo"]["hasPreviousPage"] is True

    other_queue = await hq.execute(PAGE, queue="NO_RIDER", first=3, after=after)
    assert other_queue.error_codes == ["INVALID_CURSOR"]
    garbage = await hq.execute(PAGE, queue="OVERDUE", first=3, after="not-a-cursor")
    assert garbage.error_codes == ["INVALID_CURSOR"]
    too_big = await hq.execute(PAGE, queue="OVERDUE", first=101)
    assert too_big.error_codes == ["PAGE_SIZE_EXCEEDED"]


async def test_alerts_are_raised_once_on_a_fixed_clock(api: Api, seed: Seed, db: Database) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    await _world(seed, now)
    deps = Deps(db.sessions, api.gateway, RulesConfig(no_rider_after=timedelta(minutes=10)))
    assert await raise_alerts(deps, now - 30 * MIN) == 0  # nothing late half an hour earlier
    assert await raise_alerts(deps, now) == 3
    assert await raise_alerts(deps, now) == 0
    report = await run_sweeps(deps, now + 20 * MIN)  # both recent waits are now too long
    assert report.delivery_alerts == 2
    async with db.sessions() as s:
        alerts = sorted(
            (o, q.value)
            for o, q in (await s.execute(select(DeliveryAlert.order_id, DeliveryAlert.queue))).all()
        )
        events = (
            await s.scalars(
                select(OrderEvent.payload).where(
                    OrderEvent.action.is_(None), OrderEvent.from_status.is_not(None)
                )
            )
        ).all()
    assert len(alerts) == 5
    assert sorted(e["queue"] for e in events) == ["NO_RIDER", "NO_RIDER", "NO_RIDER", "OVERDUE", "OVERDUE"]


@pytest.mark.postgres_only
async def test_many_sweepers_raise_each_alert_once(api: Api, seed: Seed, db: Database) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    await _world(seed, now)
    deps = Deps(db.sessions, api.gateway, RulesConfig(no_rider_after=timedelta(minutes=10)))
    raised = await asyncio.gather(*(raise_alerts(deps, now) for _ in range(6)))
    assert sum(raised) == 3
    async with db.sessions() as s:
        alerts = await s.scalar(select(func.count()).select_from(DeliveryAlert))
        events = await s.scalar(
            select(func.count()).where(OrderEvent.action.is_(None), OrderEvent.from_status.is_not(None))
        )
    assert (alerts, events) == (3, 3)


FOLLOW_UP = """mutation($input: FollowUpDeliveryInput!) { followUpDelivery(input: $input) {
  order { events { action } } userErrors { code field } } }"""
BATCH = """mutation($input: BatchDeliveryInput!) { batchDeliveryAction(input: $input) {
  results { orderId order { deliveryStage delivery { source riderName } } userErrors { code } }
  userErrors { code field } } }"""


async def test_follow_ups_and_batch_actions(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    first, second = await picked(api, shop), await picked(api, shop)
    still_picking = await accepted_delivery(api, shop)

    r = await staff.execute(
        FOLLOW_UP, input={"orderId": first["id"], "kind": "SENT_PROGRESS", "note": "骑手已在路上"}
    )
    assert r.data["followUpDelivery"]["userErrors"] == []
    async with db.sessions() as s:
        payloads = (await s.scalars(select(OrderEvent.payload).where(OrderEvent.action.is_(None)))).all()
    assert {"event": "DELIVERY_FOLLOW_UP", "kind": "SENT_PROGRESS", "note": "骑手已在路上"} in payloads
    long_note = await staff.execute(
        FOLLOW_UP, input={"orderId": first["id"], "kind": "CONTACTED_RIDER", "note": "x" * 201}
    )
    assert long_note.data["followUpDelivery"]["userErrors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "note"]}
    ]
    buyer = await api.as_shopper(shop.customer_id).execute(
        FOLLOW_UP, input={"orderId": first["id"], "kind": "CONTACTED_RIDER"}
    )
    assert buyer.error_codes == ["FORBIDDEN"]

    missing = await staff.execute(BATCH, input={"orderIds": [first["id"]], "action": "ASSIGN_OWN_RIDER"})
    assert missing.data["batchDeliveryAction"]["userErrors"][0]["code"] == "BAD_USER_INPUT"
    other_store = await api.as_staff(shop.b.id).execute(
        BATCH, input={"orderIds": [first["id"]], "action": "REQUEST_PLATFORM_RIDER"}
    )
    assert other_store.data["batchDeliveryAction"]["results"][0]["userErrors"] == [{"code": "NOT_FOUND"}]
    r = await staff.execute(
        BATCH,
        input={
            "orderIds": [first["id"], second["id"], still_picking["id"]],
            "action": "ASSIGN_OWN_RIDER",
            "riderName": "王师傅",
            "riderPhone": "13700001111",
        },
    )
    results = r.data["batchDeliveryAction"]["results"]
    assert [x["userErrors"] for x in results] == [[], [], [{"code": "INVALID_TRANSITION"}]]
    assert results[0]["order"]["deliveryStage"] == "RIDER_ASSIGNED"
    assert results[1]["order"]["delivery"] == {"source": "STORE", "riderName": "王师傅"}
    assert results[2]["order"] is None
