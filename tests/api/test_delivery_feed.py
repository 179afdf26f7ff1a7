"""Store delivery on the store's live feed: stage steps, the rider's position, the queue alerts
(配送异常, 催单) the sweeper raises, and the store's follow-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.base import utcnow
from models.enums import Role
from services.deliveries.queues import raise_alerts
from tests.api.delivery_flow import (
    FINISH_PICKING,
    REQUEST_PLATFORM,
    accepted_delivery,
    callback_body,
    post_signed,
)
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import mutation, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed
from tests.ws_client import GraphQLWs

EVENTS = """subscription($types: [OrderEventType!]) { orderEvents(types: $types) {
    type event { payload } order { orderNo deliveryStage } } }"""
TYPES = [
    "PICKED",
    "RIDER_ASSIGNED",
    "DELIVERY_PROGRESS",
    "NO_RIDER",
    "DELIVERY_OVERDUE",
    "DELIVERY_FOLLOW_UP",
]
FOLLOW_UP = mutation(
    "followUpDelivery", "FollowUpDeliveryInput", "order { deliveryStage } userErrors { code field message }"
)


@pytest.fixture
async def server(db: Database) -> AsyncIterator[LiveServer]:
    settings = load_settings(database_url=db.url, environment="test", subscription_ping_seconds=0.2)
    async with live_server(db, settings) as live:
        yield live


async def test_delivery_steps_and_queue_alerts_reach_the_store(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    token = mint_token(server.api.settings, Role.STORE_STAFF, "ws-staff", store_ids=[shop.a.id])
    feed = await GraphQLWs.open(server.ws_url, {"Authorization": f"Bearer {token}"})
    sub = await feed.subscribe(EVENTS, types=TYPES)
    await asyncio.sleep(0.2)

    staff = server.api.as_staff(shop.a.id)
    order = await accepted_delivery(server.api, shop)
    ok(await staff.execute(FINISH_PICKING, input={"orderId": order["id"]}), "finishPicking")
    # an hour later nobody has taken it, and it is past its promised time: both queues
    assert await raise_alerts(server.resources.deps, utcnow() + timedelta(hours=1)) == 2
    note = {"orderId": order["id"], "kind": "CONTACTED_BUYER", "note": "骑手稍后到店"}
    assert (await staff.execute(FOLLOW_UP, input=note)).data["followUpDelivery"]["userErrors"] == []
    asked = ok(await staff.execute(REQUEST_PLATFORM, input={"orderId": order["id"]}), "requestPlatformRider")
    dispatch = asked["delivery"]["dispatchId"]
    rider = {"name": "赵骑手", "phone": "13500002222"}
    assert (await post_signed(server.api, callback_body(dispatch, "ASSIGNED", rider=rider))).status == 200
    moved = callback_body(dispatch, "PROGRESS", latitude=31.2, longitude=121.5)
    assert (await post_signed(server.api, moved)).status == 200

    events = [p["orderEvents"] for p in await feed.payloads(sub, 6)]
    assert [e["type"] for e in events] == [
        "PICKED",
        "DELIVERY_OVERDUE",
        "NO_RIDER",
        "DELIVERY_FOLLOW_UP",
        "RIDER_ASSIGNED",
        "DELIVERY_PROGRESS",
    ]
    assert events[3]["event"]["payload"]["note"] == "骑手稍后到店"
    assert events[5]["event"]["payload"]["latitude"] == 31.2
    assert events[5]["order"]["deliveryStage"] == "RIDER_ASSIGNED"
    await feed.close()
