"""Delivery figures measured at the door (DELIVERED), never at the buyer's confirmation; 超时配送."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.deliveries.queues import DeliveryQueue
from models.deliveries.rows import DeliveryAlert
from models.deliveries.stages import DeliveryStage
from models.orders.rows import Order
from models.orders.states import OrderStatus
from services.db import unit_of_work
from tests.api.conftest import Api
from tests.factories import Seed

FULFILMENT = """
query ($range: DateRange!) { metrics(range: $range) { stores(regionLevel: CITY) {
  byStore { store { code } averagePickSeconds averageDeliverySeconds deliveryTimeouts
            overdueOrders noRiderOrders }
  fulfilment { averageDeliverySeconds { value } deliveryTimeouts { value } overdueOrders { value }
               noRiderOrders { value } } } } }
"""
MIN = timedelta(minutes=1)


async def test_delivery_time_ends_at_the_door_and_late_ones_count(api: Api, seed: Seed) -> None:
    store = await seed.store("SHD")
    customer = await seed.customer()
    _, skus = await seed.product(prices=(1000,))
    accepted = datetime(2026, 11, 3, 2, tzinfo=UTC)

    async def delivered(trip: int, promised: int, confirmed_days: float | None) -> None:
        shipped = accepted + 20 * MIN
        done = accepted + timedelta(days=confirmed_days) if confirmed_days is not None else None
        await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=OrderStatus.COMPLETED if done else OrderStatus.SHIPPED,
            created_at=accepted - 5 * MIN,
            paid_at=accepted - 4 * MIN,
            accepted_at=accepted,
            picked_at=accepted + 10 * MIN,
            shipped_at=shipped,
            delivered_at=shipped + trip * MIN,
            promised_at=accepted + promised * MIN,
            completed_at=done,
            delivery_stage=DeliveryStage.DELIVERED,
        )

    await delivered(20, 60, 2.5)  # confirmed days later: still a 20-minute delivery
    await delivered(40, 45, None)  # at the door after the promise: a timeout
    async with unit_of_work(seed.sessions) as session:  # the sweeper raised the late one's 催单 alert
        late = await session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
        assert late is not None
        session.add(DeliveryAlert(order_id=late, queue=DeliveryQueue.OVERDUE, raised_at=accepted + 46 * MIN))
    r = await api.as_hq().execute(FULFILMENT, range={"from": "2026-11-02", "to": "2026-11-08"})
    assert r.errors == [], r.errors
    stores = r.data["metrics"]["stores"]
    assert stores["byStore"] == [
        {
            "store": {"code": "SHD"},
            "averagePickSeconds": 600.0,
            "averageDeliverySeconds": 1800.0,
            "deliveryTimeouts": 1,
            "overdueOrders": 1,
            "noRiderOrders": 0,
        }
    ]
    assert stores["fulfilment"] == {
        "averageDeliverySeconds": {"value": 1800.0},
        "deliveryTimeouts": {"value": 1},
        "overdueOrders": {"value": 1},
        "noRiderOrders": {"value": 0},
    }
