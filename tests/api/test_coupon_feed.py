"""Live coupon events over graphql-transport-ws (`couponEvents`, `myCouponUpdates`): who sees what,
replay from a cursor, and the coupon notices never leaking into the order feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gql.gate.auth import mint_token
from gql.gate.permissions import ROOT_FIELD_AUDIENCE
from gql.ids import encode_id
from gql.settings import load_settings
from models.enums import Role
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.coupon_flow import claim, claimed, create_template
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import ACCEPT, PAY, PLACE, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed
from tests.ws_client import GraphQLWs

EVENTS = """subscription($storeIds: [ID!], $types: [CouponEventType!], $since: String) {
  couponEvents(storeIds: $storeIds, types: $types, since: $since) {
    cursor type issueCause orderId storeId note coupon { code status } } }"""
MINE = """subscription($since: String) {
  myCouponUpdates(since: $since) { cursor type coupon { code status } } }"""
ORDERS = """subscription { orderEvents { cursor type } }"""


@pytest.fixture
async def server(db: Database) -> AsyncIterator[LiveServer]:
    settings = load_settings(database_url=db.url, environment="test", subscription_ping_seconds=0)
    async with live_server(db, settings) as live:
        yield live


async def _ws(server: LiveServer, role: Role, **claims: Any) -> GraphQLWs:
    token = mint_token(server.api.settings, role, f"ws-{role.value}", **claims)
    return await GraphQLWs.open(server.ws_url, {"Authorization": f"Bearer {token}"})


def _types(payloads: list[dict[str, Any]], field: str) -> list[str]:
    return [p[field]["type"] for p in payloads]


async def test_shoppers_staff_and_hq_see_what_is_theirs(server: LiveServer, seed: Seed) -> None:
    api = server.api
    shop = await open_shop(seed, stock=20)
    template = await create_template(api)
    stranger = await seed.customer("13700001111")
    shopper = await _ws(server, Role.SHOPPER, customer_id=shop.customer_id)
    other = await _ws(server, Role.SHOPPER, customer_id=stranger.id)
    a_staff = await _ws(server, Role.STORE_STAFF, store_ids=[shop.a.id])
    b_staff = await _ws(server, Role.STORE_STAFF, store_ids=[shop.b.id])
    hq = await _ws(server, Role.HQ_ADMIN)
    mine, others = await shopper.subscribe(MINE), await other.subscribe(MINE)
    at_a, at_b = await a_staff.subscribe(EVENTS), await b_staff.subscribe(EVENTS)
    hq_used = await hq.subscribe(EVENTS, types=["USED", "RESTORED"])
    orders = await hq.subscribe(ORDERS)
    await asyncio.sleep(0.2)

    coupon = claimed(await claim(api, shop.customer_id, template["id"]))
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    payload = shop.order_input((shop.apple, 4))
    payload["couponIds"] = [coupon["id"]]
    order = ok(await buyer.execute(PLACE, input=payload), "placeOrder")
    ok(
        await buyer.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    ok(await staff.execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")
    line = {"lineId": order["lines"][0]["id"], "quantity": 4}
    refund = {"orderId": order["id"], "lines": [line], "reason": "缺货", "idempotencyKey": key()}
    done(await staff.execute(REFUND_LINES, input=refund), "refundLines")

    seen = await shopper.payloads(mine, 4)
    assert _types(seen, "myCouponUpdates") == ["ISSUED", "LOCKED", "USED", "RESTORED"]
    assert seen[-1]["myCouponUpdates"]["coupon"] == {"code": coupon["code"], "status": "UNUSED"}
    # The store sees what happened at it (the coupon is not a store's own: its claim is HQ's alone).
    store_events = [p["couponEvents"] for p in await a_staff.payloads(at_a, 3)]
    assert [e["type"] for e in store_events] == ["LOCKED", "USED", "RESTORED"]
    assert {(e["orderId"], e["storeId"]) for e in store_events} == {
        (order["id"], encode_id("Store", shop.a.id))
    }
    assert store_events[-1]["note"] == "order refunded in full"
    used = [p["couponEvents"] for p in await hq.payloads(hq_used, 2)]
    assert [(e["type"], e["issueCause"]) for e in used] == [("USED", "CLAIM"), ("RESTORED", "CLAIM")]
    # The order feed carries the order's own events only (ids of the two timelines overlap).
    order_types = _types(await hq.payloads(orders, 4), "orderEvents")
    assert order_types == ["PLACED", "NEW_ORDER", "ACCEPTED", "CLOSED"]
    assert await hq.nothing_within(orders, 0.3)
    assert await b_staff.nothing_within(at_b, 0.2)
    assert await other.nothing_within(others, 0.2)

    # Replay from a cursor: the events after the first one, then live.
    replay = await shopper.subscribe(MINE, since=seen[0]["myCouponUpdates"]["cursor"])
    assert _types(await shopper.payloads(replay, 3), "myCouponUpdates") == ["LOCKED", "USED", "RESTORED"]
    for ws in (shopper, other, a_staff, b_staff, hq):
        await ws.close()


async def test_a_store_coupon_is_its_stores_from_the_claim(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    template = await create_template(server.api, type="STORE", storeIds=[encode_id("Store", shop.a.id)])
    a_staff = await _ws(server, Role.STORE_STAFF, store_ids=[shop.a.id])
    at_a = await a_staff.subscribe(EVENTS, types=["ISSUED"])
    await asyncio.sleep(0.2)
    coupon = claimed(await claim(server.api, shop.customer_id, template["id"]))
    (issued,) = await a_staff.payloads(at_a, 1)
    assert issued["couponEvents"]["coupon"]["code"] == coupon["code"]
    assert issued["couponEvents"]["storeId"] == encode_id("Store", shop.a.id)
    # asking for another store's events is refused, not silently empty
    bad = await a_staff.subscribe(EVENTS, storeIds=[encode_id("Store", shop.b.id)])
    message = await a_staff.receive(bad)
    assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await a_staff.close()


ROLES: dict[Role, dict[str, Any]] = {
    Role.HQ_ADMIN: {},
    Role.STORE_STAFF: {"store_ids": [1]},
    Role.ANALYST: {},
    Role.SHOPPER: {"customer_id": 1},
}


@pytest.mark.parametrize("field", ["couponEvents", "myCouponUpdates"])
async def test_coupon_subscription_role_matrix(server: LiveServer, field: str) -> None:
    audience = ROOT_FIELD_AUDIENCE[f"Subscription.{field}"]
    document = EVENTS if field == "couponEvents" else MINE
    for role, claims in ROLES.items():
        ws = await _ws(server, role, **claims)
        op = await ws.subscribe(document)
        if role in audience:
            assert await ws.nothing_within(op, 0.3), (field, role)
        else:
            message = await ws.receive(op)
            codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
            assert codes == ["FORBIDDEN"], (field, role, message)
        await ws.close()
