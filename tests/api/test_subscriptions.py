"""Live order events over graphql-transport-ws, with a real client against a real uvicorn server.

One process here (in-process bus); the cross-process tests are in tests/live/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from gql.gate.auth import mint_token
from gql.gate.permissions import ROOT_FIELD_AUDIENCE
from gql.ids import encode_id
from gql.settings import load_settings
from models.enums import Role
from models.orders.rows import OrderEvent
from services.event_bus import EventNotice
from tests.api.after_sale_flow import REQUEST, ask, done, shipped_order
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import ACCEPT, REALLOCATE, REJECT, Shop, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed
from tests.ws_client import Closed, GraphQLWs

EVENTS = """subscription($storeIds: [ID!], $types: [OrderEventType!], $since: String) {
  orderEvents(storeIds: $storeIds, types: $types, since: $since) {
    cursor type event { action fromStatus toStatus payload } order { orderNo status store { code } } } }"""
MINE = """subscription($since: String) { myOrderUpdates(since: $since) { cursor type order { status } } }"""


@pytest.fixture
async def server(db: Database) -> AsyncIterator[LiveServer]:
    settings = load_settings(
        database_url=db.url, environment="test", subscription_ping_seconds=0.2, subscription_queue_size=3
    )
    async with live_server(db, settings) as live:
        yield live


def bearer(server: LiveServer, role: Role, **claims: Any) -> dict[str, str]:
    token = mint_token(server.api.settings, role, f"ws-{role.value}", **claims)
    return {"Authorization": f"Bearer {token}"}


async def staff_ws(server: LiveServer, *store_ids: int) -> GraphQLWs:
    return await GraphQLWs.open(server.ws_url, bearer(server, Role.STORE_STAFF, store_ids=list(store_ids)))


async def test_a_bad_or_missing_token_is_refused_with_4403(server: LiveServer) -> None:
    for payload in ({"Authorization": "Bearer not-a-jwt"}, {"token": "x.y.z"}, {}):
        with pytest.raises(Closed) as refused:
            await GraphQLWs.open(server.ws_url, payload)
        assert refused.value.code == 4403
    expired = mint_token(server.api.settings, Role.HQ_ADMIN, "hq", ttl_seconds=-10)
    with pytest.raises(Closed) as refused:
        await GraphQLWs.open(server.ws_url, {"token": expired})
    assert refused.value.code == 4403


async def test_ping_pong_both_ways(server: LiveServer) -> None:
    ws = await GraphQLWs.open(server.ws_url, bearer(server, Role.HQ_ADMIN))
    await ws.ping()
    for _ in range(100):
        if ws.pongs_seen and ws.pings_seen >= 2:
            break
        await asyncio.sleep(0.05)
    assert ws.pongs_seen == 1  # our ping answered
    assert ws.pings_seen >= 2  # the server's heartbeat (every 0.2 s here), answered by the client
    assert ws.closed is None
    await ws.close()


async def test_staff_see_their_stores_new_orders_and_only_theirs(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    a_staff, b_staff = await staff_ws(server, shop.a.id), await staff_ws(server, shop.b.id)
    a_sub = await a_staff.subscribe(EVENTS, types=["NEW_ORDER", "ACCEPTED", "CANCELLED"])
    b_sub = await b_staff.subscribe(EVENTS)
    await asyncio.sleep(0.2)  # let both subscriptions reach the bus

    paid = await place_and_pay(server.api, shop)
    (new,) = await a_staff.payloads(a_sub, 1)
    assert new["orderEvents"]["type"] == "NEW_ORDER"
    assert new["orderEvents"]["order"] == {
        "orderNo": paid["orderNo"],
        "status": "PENDING_ACCEPTANCE",
        "store": {"code": "SHA"},
    }
    ok(await server.api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    (accepted,) = await a_staff.payloads(a_sub, 1)
    assert accepted["orderEvents"]["type"] == "ACCEPTED"
    assert accepted["orderEvents"]["event"]["fromStatus"] == "PENDING_ACCEPTANCE"
    assert int(accepted["orderEvents"]["cursor"]) > int(new["orderEvents"]["cursor"])
    assert await b_staff.nothing_within(b_sub, 0.3)

    # Asking for another store's events is refused, not silently empty.
    bad = await b_staff.subscribe(EVENTS, storeIds=[encode_id("Store", shop.a.id)])
    message = await b_staff.receive(bad)
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for ws in (a_staff, b_staff):
        await ws.close()


async def _all_event_ids(db: Database, store_id: int) -> list[int]:
    async with db.sessions() as s:
        return list(
            (
                await s.scalars(
                    select(OrderEvent.id).where(OrderEvent.store_id == store_id).order_by(OrderEvent.id)
                )
            ).all()
        )


async def test_since_replays_then_goes_live_without_gaps_or_duplicates(
    server: LiveServer, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=50)
    for _ in range(3):
        await place_and_pay(server.api, shop)
    before = await _all_event_ids(db, shop.a.id)
    assert len(before) == 6  # placed + paid, three times
    cursor = before[1]

    ws = await staff_ws(server, shop.a.id)
    sub = await ws.subscribe(EVENTS, since=str(cursor))
    replayed = [p["orderEvents"] for p in await ws.payloads(sub, 4)]
    assert [int(e["cursor"]) for e in replayed] == before[2:]
    assert [e["type"] for e in replayed] == ["PLACED", "NEW_ORDER"] * 2

    # Live, right after the replay, while more orders arrive concurrently.
    await asyncio.gather(*(place_and_pay(server.api, shop) for _ in range(3)))
    live = [p["orderEvents"] for p in await ws.payloads(sub, 6)]
    after = await _all_event_ids(db, shop.a.id)
    delivered = [int(e["cursor"]) for e in replayed + live]
    assert sorted(delivered) == after[2:]  # every event once: no gap, no duplicate
    assert await ws.nothing_within(sub, 0.3)

    # A time works as `since` too (ISO 8601 with offset): here, from before everything.
    sub2 = await ws.subscribe(EVENTS, since="2000-01-01T00:00:00+00:00", types=["NEW_ORDER"])
    assert len(await ws.payloads(sub2, 6)) == 6
    await ws.close()


async def test_shopper_updates_and_refund_requests_reach_the_store(server: LiveServer, seed: Seed) -> None:
    shop: Shop = await open_shop(seed)
    shopper = await GraphQLWs.open(server.ws_url, bearer(server, Role.SHOPPER, customer_id=shop.customer_id))
    mine = await shopper.subscribe(MINE)
    staff = await staff_ws(server, shop.a.id)
    refunds = await staff.subscribe(EVENTS, types=["REFUND_REQUESTED"])
    await asyncio.sleep(0.2)

    order = await shipped_order(server.api, shop)
    types = [p["myOrderUpdates"]["type"] for p in await shopper.payloads(mine, 4)]
    assert types == ["PLACED", "NEW_ORDER", "ACCEPTED", "SHIPPED"]
    done(await server.api.as_shopper(shop.customer_id).execute(REQUEST, input=ask(order)), "requestAfterSale")
    (request,) = await staff.payloads(refunds, 1)
    event = request["orderEvents"]
    assert event["type"] == "REFUND_REQUESTED"
    assert event["event"]["action"] is None
    assert event["event"]["payload"]["type"] == "RETURN_AND_REFUND"
    assert event["order"]["status"] == "SHIPPED"
    # Another shopper's subscription never sees this order.
    other = await seed.customer("13700001111")
    stranger = await GraphQLWs.open(server.ws_url, bearer(server, Role.SHOPPER, customer_id=other.id))
    s = await stranger.subscribe(MINE, since="0")
    assert await stranger.nothing_within(s, 0.3)
    for ws in (shopper, staff, stranger):
        await ws.close()


async def test_a_slow_consumer_is_dropped_with_4413(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    ws = await staff_ws(server, shop.a.id)
    sub = await ws.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    assert server.resources.bus.subscriber_count == 1
    # A burst larger than the queue (3 here) arrives before the subscriber can take any.
    burst = [EventNotice(10_000 + i, 1, shop.a.id, None, "NEW_ORDER") for i in range(10)]
    await server.resources.bus.publish(burst)
    with pytest.raises(Closed) as dropped:
        await ws.receive(sub)
    assert dropped.value.code == 4413
    assert "slow consumer" in dropped.value.reason
    await asyncio.sleep(0.1)
    assert server.resources.bus.subscriber_count == 0  # nothing left behind


async def test_a_since_too_far_back_is_refused_up_front(db: Database, seed: Seed) -> None:
    settings = load_settings(database_url=db.url, environment="test", subscription_replay_limit=3)
    async with live_server(db, settings) as server:
        shop = await open_shop(seed)
        for _ in range(2):
            await place_and_pay(server.api, shop)  # four events
        ws = await GraphQLWs.open(server.ws_url, bearer(server, Role.HQ_ADMIN))
        sub = await ws.subscribe(EVENTS, since="0")
        message = await ws.receive(sub)
        error = message["payload"]["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "since"}
        ok_sub = await ws.subscribe(EVENTS, since="1")  # three events: fine
        assert len(await ws.payloads(ok_sub, 3)) == 3
        bad = await ws.subscribe(EVENTS, since="yesterday")
        assert (await ws.receive(bad))["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.close()


async def test_hostile_subscription_arguments_get_coded_errors(server: LiveServer) -> None:
    """The HTTP gate's input checks do not see WebSocket operations: these must still be refused."""
    ws = await GraphQLWs.open(server.ws_url, bearer(server, Role.HQ_ADMIN))
    attacks: list[dict[str, Any]] = [
        {"since": "1\u0000"},
        {"since": "2026-01-01T00:00:00\u0000"},
        {"storeIds": [encode_id("Store", 2**63)]},
        {"storeIds": ["not-an-id"]},
        {"storeIds": [encode_id("Store", n) for n in range(1, 5001)]},
    ]
    for variables in attacks:
        sub = await ws.subscribe(EVENTS, **variables)
        message = await ws.receive(sub)
        payload = message["payload"]
        errors = payload if message["type"] == "error" else payload.get("errors", [])
        codes = [e["extensions"]["code"] for e in errors]
        assert codes, (variables, message)
        assert "INTERNAL_SERVER_ERROR" not in codes, (variables, message)
        await ws.complete(sub)
    await ws.close()


async def test_a_reallocated_order_is_a_new_order_for_its_new_store(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    a_staff, b_staff = await staff_ws(server, shop.a.id), await staff_ws(server, shop.b.id)
    a_sub = await a_staff.subscribe(EVENTS, types=["NEW_ORDER", "REJECTED"])
    b_sub = await b_staff.subscribe(EVENTS, types=["NEW_ORDER"])
    await asyncio.sleep(0.2)
    paid = await place_and_pay(server.api, shop)
    r = await server.api.as_staff(shop.a.id).execute(REJECT, input={"orderId": paid["id"], "reason": "缺货"})
    ok(r, "rejectOrder")
    r = await server.api.as_hq().execute(
        REALLOCATE, input={"orderId": paid["id"], "toStoreId": encode_id("Store", shop.b.id), "note": "改派"}
    )
    ok(r, "reallocateOrder")
    assert [p["orderEvents"]["type"] for p in await a_staff.payloads(a_sub, 2)] == ["NEW_ORDER", "REJECTED"]
    (moved,) = await b_staff.payloads(b_sub, 1)
    assert moved["orderEvents"]["event"]["action"] == "REALLOCATE"
    assert moved["orderEvents"]["order"]["store"] == {"code": "SHB"}
    assert await a_staff.nothing_within(a_sub, 0.3)  # store A does not hear of it any more
    for ws in (a_staff, b_staff):
        await ws.close()


async def test_an_unexpected_failure_is_masked_with_the_connection_id(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object, **_kw: object) -> AsyncIterator[object]:
        raise RuntimeError("password=hunter2 leaked from a driver")
        yield  # an async generator

    monkeypatch.setattr(server.resources.feed, "stream", broken)
    ws = await GraphQLWs.open(server.ws_url, bearer(server, Role.HQ_ADMIN))
    sub = await ws.subscribe(EVENTS)
    error = (await ws.receive(sub))["payload"]["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(error)
    assert any(r.getMessage() == "subscription Subscription.orderEvents failed" for r in caplog.records)
    await ws.close()


SUBSCRIPTION_ROLES: dict[Role, dict[str, Any]] = {
    Role.HQ_ADMIN: {},
    Role.STORE_STAFF: {"store_ids": [1]},
    Role.ANALYST: {},
    Role.SHOPPER: {"customer_id": 1},
}


@pytest.mark.parametrize("field", ["orderEvents", "myOrderUpdates"])
async def test_subscription_role_matrix(server: LiveServer, field: str) -> None:
    """Every subscription field × role, from ROOT_FIELD_AUDIENCE: allowed roles get a live stream
    (nothing but events), the others a FORBIDDEN error; anonymous callers cannot connect (4403)."""
    audience = ROOT_FIELD_AUDIENCE[f"Subscription.{field}"]
    document = EVENTS if field == "orderEvents" else MINE
    for role, claims in SUBSCRIPTION_ROLES.items():
        ws = await GraphQLWs.open(server.ws_url, bearer(server, role, **claims))
        op = await ws.subscribe(document)
        if role in audience:
            assert await ws.nothing_within(op, 0.3), (field, role)
        else:
            message = await ws.receive(op)
            assert message["type"] == "next", (field, role, message)
            codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
            assert codes == ["FORBIDDEN"], (field, role, message)
        await ws.close()
    with pytest.raises(Closed) as refused:
        await GraphQLWs.open(server.ws_url, {})
    assert refused.value.code == 4403
