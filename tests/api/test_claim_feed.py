"""A claim raised and decided reaches the store's live feed (CLAIM_RAISED, CLAIM_DECIDED)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.enums import Role
from tests.api.after_sale_flow import done, shipped_order
from tests.api.claim_flow import APPROVE, PAY, RAISE, raise_input
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import open_shop
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


async def test_claim_steps_are_announced_to_the_store(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    token = mint_token(server.api.settings, Role.STORE_STAFF, "ws-staff", store_ids=[shop.a.id])
    staff = await GraphQLWs.open(server.ws_url, {"Authorization": f"Bearer {token}"})
    sub = await staff.subscribe(EVENTS, types=["CLAIM_RAISED", "CLAIM_DECIDED"])
    await asyncio.sleep(0.2)

    order = await shipped_order(server.api, shop)
    raised = done(
        await server.api.as_shopper(shop.customer_id).execute(
            RAISE, input=raise_input(order["id"], "RIDER_LATE")
        ),
        "raiseClaim",
    )
    claim_id = raised["claim"]["id"]
    hq = server.api.as_hq()
    done(await hq.execute(APPROVE, input={"claimId": claim_id, "amountCents": 250}), "approveClaim")
    done(await hq.execute(PAY, input={"claimId": claim_id}), "payClaim")

    events = [p["orderEvents"] for p in await staff.payloads(sub, 3)]
    assert [(e["type"], e["event"]["payload"]["state"]) for e in events] == [
        ("CLAIM_RAISED", "PENDING"),
        ("CLAIM_DECIDED", "APPROVED"),
        ("CLAIM_DECIDED", "PAID"),
    ]
    assert {e["event"]["action"] for e in events} == {None}
    assert events[0]["event"]["payload"]["cause"] == "RIDER_LATE"
    assert events[2]["event"]["payload"]["amount"] == 250
    assert {e["order"]["status"] for e in events} == {"SHIPPED"}
    await staff.close()
