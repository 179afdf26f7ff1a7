"""An exchange's replacement parcel and an escalation's steps reach the store's live feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.enums import Role
from tests.api.after_sale_flow import (
    DECIDE,
    ESCALATE,
    SHIP_REPLACEMENT,
    after_sale_in,
    done,
    exchange_in_reship,
    shipped_order,
)
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import key, open_shop
from tests.conftest import Database
from tests.factories import Seed
from tests.ws_client import GraphQLWs

EVENTS = """subscription($types: [OrderEventType!]) { orderEvents(types: $types) {
    type event { action payload } order { orderNo status } } }"""


@pytest.fixture
async def server(db: Database) -> AsyncIterator[LiveServer]:
    settings = load_settings(database_url=db.url, environment="test", subscription_ping_seconds=0.2)
    async with live_server(db, settings) as live:
        yield live


async def test_replacements_and_escalations_are_announced(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    token = mint_token(server.api.settings, Role.STORE_STAFF, "ws-staff", store_ids=[shop.a.id])
    staff_ws = await GraphQLWs.open(server.ws_url, {"Authorization": f"Bearer {token}"})
    types = ["REPLACEMENT_SHIPPED", "AFTER_SALE_ESCALATED", "ESCALATION_DECIDED"]
    sub = await staff_ws.subscribe(EVENTS, types=types)
    await asyncio.sleep(0.2)

    api = server.api
    order = await shipped_order(api, shop)
    exchange = await exchange_in_reship(api, shop, order)
    staff = api.as_staff(shop.a.id)
    ship = {
        "afterSaleId": exchange["id"],
        "carrier": "门店配送",
        "trackingNo": "EX-F",
        "idempotencyKey": key(),
    }
    done(await staff.execute(SHIP_REPLACEMENT, input=ship), "shipReplacement")
    _, pending = await after_sale_in(api, shop, "PENDING_REVIEW")
    asked = {"afterSaleId": pending["id"], "reason": "请总部裁定", "idempotencyKey": key()}
    e = done(await staff.execute(ESCALATE, input=asked), "escalateAfterSale")["escalation"]
    verdict = {"escalationId": e["id"], "verdict": "SUPPORT_STORE", "note": "支持门店"}
    done(await api.as_hq().execute(DECIDE, input=verdict), "decideEscalation")

    events = [p["orderEvents"] for p in await staff_ws.payloads(sub, 3)]
    assert [(x["type"], x["event"]["payload"].get("state")) for x in events] == [
        ("REPLACEMENT_SHIPPED", None),
        ("AFTER_SALE_ESCALATED", "PENDING"),
        ("ESCALATION_DECIDED", "STORE_SUPPORTED"),
    ]
    assert events[0]["event"]["payload"]["trackingNo"] == "EX-F"
    await staff_ws.close()
