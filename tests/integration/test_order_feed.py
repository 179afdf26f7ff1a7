"""The feed against real PostgreSQL transactions that commit out of id order.

Ids come from one sequence, but a transaction that drew a smaller id may commit after one that
drew a larger id. A feed that skipped "ids ≤ the last one delivered" would lose that event when
its notice is lost; ours de-duplicates by the set of delivered ids and re-reads from the settled
floor, so it arrives (once) at the next catch-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from models.base import utcnow
from models.enums import ActorType
from models.orders.rows import OrderEvent
from models.orders.states import OrderAction, OrderStatus
from services.event_bus import EventNotice, MemoryBus
from services.orders.feed import FeedEvent, FeedScope, OrderFeed
from services.timeline_feed import FeedConfig
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _event(order_id: int, store_id: int) -> OrderEvent:
    return OrderEvent(
        order_id=order_id,
        store_id=store_id,
        action=OrderAction.ACCEPT_SHIP,
        from_status=OrderStatus.PENDING_ACCEPTANCE,
        to_status=OrderStatus.PENDING_SHIPMENT,
        actor_type=ActorType.STAFF,
        actor_id="t",
        payload={},
        created_at=utcnow(),
    )


async def _collect(stream: AsyncIterator[FeedEvent], into: list[int]) -> None:
    async for item in stream:
        into.append(item.event.id)


async def test_a_late_commit_with_a_smaller_id_is_delivered_once(db: Database) -> None:
    seed = Seed(db.sessions)
    store = await seed.store("SH1")
    customer = await seed.customer()
    order = await seed.order(store, customer, [])
    bus = MemoryBus()
    feed = OrderFeed(db.sessions, bus, FeedConfig(catchup_interval=60))
    delivered: list[int] = []
    scope = FeedScope(store_ids=frozenset({store.id}))
    task = asyncio.create_task(_collect(feed.stream(scope, None), delivered))
    await asyncio.sleep(0.2)  # subscribed, floor read

    async with db.sessions() as slow, db.sessions() as fast:
        late = _event(order.id, store.id)
        slow.add(late)
        await slow.flush()  # draws the smaller id, not committed yet
        early = _event(order.id, store.id)
        fast.add(early)
        await fast.commit()
        assert early.id > late.id
        await bus.publish([EventNotice(early.id, order.id, store.id, customer.id, "ACCEPTED")])
        for _ in range(50):
            if delivered:
                break
            await asyncio.sleep(0.02)
        assert delivered == [early.id]
        await slow.commit()  # now the smaller id becomes visible — and its notice is lost

    bus.resync_all()  # what a Redis reconnect (or the periodic catch-up) does
    for _ in range(50):
        if len(delivered) == 2:
            break
        await asyncio.sleep(0.02)
    assert delivered == [early.id, late.id]
    bus.resync_all()
    await bus.publish([EventNotice(early.id, order.id, store.id, customer.id, "ACCEPTED")])  # a duplicate
    await asyncio.sleep(0.2)
    assert delivered == [early.id, late.id]  # each exactly once
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
