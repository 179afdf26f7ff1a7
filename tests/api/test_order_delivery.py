"""Store delivery (O2O) as the store and the courier platform meet it: stages, riders, the signed webhook."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from gql.ids import encode_id
from models.deliveries.rows import WebhookNonce
from models.enums import Fulfillment, Role
from models.orders.rows import OrderEvent
from models.orders.states import OrderAction
from tests.api.conftest import Api
from tests.api.delivery_flow import (
    ASSIGN_OWN,
    DELIVERED,
    DELIVERING,
    FINISH_PICKING,
    REQUEST_PLATFORM,
    accepted_delivery,
    callback_body,
    picked,
    post_signed,
    read,
)
from tests.api.order_flow import ACCEPT, CONFIRM, key, ok, open_shop, place_and_pay, refused
from tests.conftest import Database
from tests.factories import Seed


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_own_rider_walks_every_stage_then_the_buyer_completes(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    order = await accepted_delivery(api, shop)
    assert (order["status"], order["deliveryStage"]) == ("PENDING_SHIPMENT", "PICKING")
    assert _at(order["promisedAt"]) == _at(order["paidAt"]) + timedelta(minutes=45)

    order = ok(await staff.execute(FINISH_PICKING, input={"orderId": order["id"]}), "finishPicking")
    assert (order["status"], order["deliveryStage"]) == ("PENDING_SHIPMENT", "PICKED")
    assert order["pickedAt"] is not None
    order = ok(
        await staff.execute(
            ASSIGN_OWN,
            input={
                "orderId": order["id"],
                "riderName": "王师傅",
                "riderPhone": "13700001111",
                "expectedVersion": order["version"],
            },
        ),
        "assignOwnRider",
    )
    assert (order["status"], order["deliveryStage"]) == ("PENDING_SHIPMENT", "RIDER_ASSIGNED")
    assert order["delivery"]["source"] == "STORE"
    assert order["delivery"]["riderName"] == "王师傅"
    assert order["delivery"]["riderPhone"] == "13700001111"
    order = ok(await staff.execute(DELIVERING, input={"orderId": order["id"]}), "markOrderDelivering")
    assert (order["status"], order["deliveryStage"]) == ("SHIPPED", "DELIVERING")
    assert order["shippedAt"] is not None
    order = ok(await staff.execute(DELIVERED, input={"orderId": order["id"]}), "markOrderDelivered")
    assert (order["status"], order["deliveryStage"]) == ("SHIPPED", "DELIVERED")
    assert order["deliveredAt"] is not None

    done = ok(
        await api.as_shopper(shop.customer_id).execute(CONFIRM, input={"orderId": order["id"]}),
        "confirmReceipt",
    )
    assert done["status"] == "COMPLETED"
    final = await read(api, order["id"])
    assert final["deliveryStage"] == "DELIVERED"
    assert [e["action"] for e in final["events"]] == [
        None,
        "PAY",
        "ACCEPT_SHIP",
        "FINISH_PICKING",
        "ASSIGN_RIDER",
        "RIDER_PICKUP",
        "DELIVER",
        "CONFIRM_RECEIPT",
    ]


async def test_promise_follows_the_store_setting(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    r = await api.as_hq().execute(
        """mutation($input: UpdateStoreInput!) { updateStore(input: $input) {
          store { deliveryMinutes } userErrors { code field } } }""",
        input={"storeId": encode_id("Store", shop.a.id), "deliveryMinutes": 30},
    )
    assert r.data["updateStore"] == {"store": {"deliveryMinutes": 30}, "userErrors": []}
    bad = await api.as_hq().execute(
        "mutation($input: UpdateStoreInput!) { updateStore(input: $input) { userErrors { code field } } }",
        input={"storeId": encode_id("Store", shop.a.id), "deliveryMinutes": 0},
    )
    assert bad.data["updateStore"]["userErrors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "deliveryMinutes"]}
    ]
    order = await accepted_delivery(api, shop)
    assert _at(order["promisedAt"]) == _at(order["paidAt"]) + timedelta(minutes=30)
    pickup = await place_and_pay(api, shop, fulfillment=Fulfillment.SELF_PICKUP)
    assert (await read(api, pickup["id"]))["promisedAt"] is None


async def test_wrong_steps_are_refused_and_change_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    order = await accepted_delivery(api, shop)
    oid = order["id"]
    assert refused(await staff.execute(DELIVERED, input={"orderId": oid}), "markOrderDelivered") == [
        "INVALID_TRANSITION"
    ]
    assert refused(
        await staff.execute(
            ASSIGN_OWN, input={"orderId": oid, "riderName": "李", "riderPhone": "13700001111"}
        ),
        "assignOwnRider",
    ) == ["INVALID_TRANSITION"]
    assert refused(
        await staff.execute(FINISH_PICKING, input={"orderId": oid, "expectedVersion": order["version"] - 1}),
        "finishPicking",
    ) == ["VERSION_CONFLICT"]
    assert refused(
        await api.as_staff(shop.b.id).execute(FINISH_PICKING, input={"orderId": oid}), "finishPicking"
    ) == ["NOT_FOUND"]
    shopper = await api.as_shopper(shop.customer_id).execute(FINISH_PICKING, input={"orderId": oid})
    assert shopper.error_codes == ["FORBIDDEN"]
    after = await read(api, oid)
    assert (after["deliveryStage"], after["version"]) == ("PICKING", order["version"])

    ok(await staff.execute(FINISH_PICKING, input={"orderId": oid}), "finishPicking")
    bad_rider = await staff.execute(ASSIGN_OWN, input={"orderId": oid, "riderName": " ", "riderPhone": "1"})
    assert [e["field"] for e in bad_rider.data["assignOwnRider"]["userErrors"]] == [["input", "riderName"]]

    pickup = await place_and_pay(api, shop, fulfillment=Fulfillment.SELF_PICKUP)
    ok(await staff.execute(ACCEPT, input={"orderId": pickup["id"]}), "acceptOrder")
    assert refused(await staff.execute(FINISH_PICKING, input={"orderId": pickup["id"]}), "finishPicking") == [
        "INVALID_TRANSITION"
    ]


async def test_rider_details_are_masked_outside_the_store(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await picked(api, shop)
    ok(
        await api.as_staff(shop.a.id).execute(
            ASSIGN_OWN, input={"orderId": order["id"], "riderName": "王师傅", "riderPhone": "13700001111"}
        ),
        "assignOwnRider",
    )
    query = "query($id: ID!) { node(id: $id) { ... on Order { delivery { riderName riderPhone } } } }"
    analyst = await api.as_role(Role.ANALYST).execute(query, id=order["id"])
    assert analyst.data["node"]["delivery"] == {"riderName": "王**", "riderPhone": "137****1111"}
    buyer = await api.as_shopper(shop.customer_id).execute(query, id=order["id"])
    assert buyer.data["node"]["delivery"] == {"riderName": "王师傅", "riderPhone": "13700001111"}


async def test_platform_rider_moves_the_order_through_signed_callbacks(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await picked(api, shop)
    asked = ok(
        await api.as_staff(shop.a.id).execute(REQUEST_PLATFORM, input={"orderId": order["id"]}),
        "requestPlatformRider",
    )
    assert asked["deliveryStage"] == "PICKED"
    dispatch = asked["delivery"]["dispatchId"]
    assert asked["delivery"]["source"] == "PLATFORM"
    assert asked["delivery"]["platform"] == "fake"

    rider = {"name": "赵骑手", "phone": "13500002222"}
    r = await post_signed(api, callback_body(dispatch, "ASSIGNED", rider=rider))
    assert (r.status, r.body) == (200, {"ok": True, "applied": ["ASSIGN_RIDER"]})
    r = await post_signed(api, callback_body(dispatch, "PROGRESS", latitude=31.2, longitude=121.5))
    assert r.body["applied"] == ["DELIVERY_PROGRESS"]
    # a pickup callback that arrives after delivery's is applied in order: both steps happen once
    r = await post_signed(api, callback_body(dispatch, "DELIVERED"))
    assert r.body["applied"] == ["RIDER_PICKUP", "DELIVER"]
    r = await post_signed(api, callback_body(dispatch, "PICKED_UP"))
    assert (r.status, r.body["applied"]) == (200, [])

    final = await read(api, order["id"])
    assert (final["status"], final["deliveryStage"]) == ("SHIPPED", "DELIVERED")
    assert final["delivery"]["riderName"] == "赵骑手"
    assert (final["delivery"]["latitude"], final["delivery"]["longitude"]) == (31.2, 121.5)
    assert [e["action"] for e in final["events"]][-5:] == [
        "FINISH_PICKING",
        "ASSIGN_RIDER",
        None,
        "RIDER_PICKUP",
        "DELIVER",
    ]


async def test_rider_gives_up_then_the_store_switches_to_its_own(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    order = await picked(api, shop)
    asked = ok(await staff.execute(REQUEST_PLATFORM, input={"orderId": order["id"]}), "requestPlatformRider")
    dispatch = asked["delivery"]["dispatchId"]
    rider = {"name": "赵骑手", "phone": "13500002222"}
    assert (await post_signed(api, callback_body(dispatch, "ASSIGNED", rider=rider))).status == 200
    r = await post_signed(api, callback_body(dispatch, "CANCELLED"))
    assert r.body["applied"] == ["UNASSIGN_RIDER"]
    assert (await read(api, order["id"]))["deliveryStage"] == "PICKED"

    again = ok(await staff.execute(REQUEST_PLATFORM, input={"orderId": order["id"]}), "requestPlatformRider")
    second = again["delivery"]["dispatchId"]
    assert second != dispatch
    own = ok(
        await staff.execute(
            ASSIGN_OWN, input={"orderId": order["id"], "riderName": "王师傅", "riderPhone": "13700001111"}
        ),
        "assignOwnRider",
    )
    assert own["deliveryStage"] == "RIDER_ASSIGNED"
    assert own["delivery"]["source"] == "STORE"
    assert own["delivery"]["dispatchId"] is None
    late = await post_signed(api, callback_body(second, "ASSIGNED", rider=rider))
    assert (late.status, late.body["code"]) == (404, "NOT_FOUND")
    assert (await read(api, order["id"]))["delivery"]["riderName"] == "王师傅"


async def test_webhook_refuses_forged_stale_and_replayed_calls(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await picked(api, shop)
    asked = ok(
        await api.as_staff(shop.a.id).execute(REQUEST_PLATFORM, input={"orderId": order["id"]}),
        "requestPlatformRider",
    )
    dispatch = asked["delivery"]["dispatchId"]
    body = callback_body(dispatch, "ASSIGNED", rider={"name": "赵骑手", "phone": "13500002222"})

    forged = await post_signed(api, body, secret="x" * 40)
    assert (forged.status, forged.body["code"]) == (401, "BAD_SIGNATURE")
    tampered = await post_signed(api, body, tamper=True)
    assert (tampered.status, tampered.body["code"]) == (401, "BAD_SIGNATURE")
    stale = await post_signed(api, body, timestamp=int(time.time()) - 3600)
    assert (stale.status, stale.body["code"]) == (401, "STALE_TIMESTAMP")
    unsigned = await api.http.post("/webhooks/courier", content=body)
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "BAD_SIGNATURE")
    assert (await read(api, order["id"]))["deliveryStage"] == "PICKED"

    first = await post_signed(api, body, nonce="replay-nonce-0001")
    assert first.status == 200
    replay = await post_signed(api, body, nonce="replay-nonce-0001")
    assert (replay.status, replay.body["code"]) == (409, "REPLAYED")
    malformed = await post_signed(api, b'{"event": "ASSIGNED"}')
    assert (malformed.status, malformed.body["code"]) == (400, "BAD_REQUEST")
    unknown = await post_signed(api, callback_body("NOPE-1", "DELIVERED"))
    assert (unknown.status, unknown.body["code"]) == (404, "NOT_FOUND")

    async with db.sessions() as s:
        assigned = await s.scalar(select(func.count()).where(OrderEvent.action == OrderAction.ASSIGN_RIDER))
        nonces = await s.scalar(select(func.count()).select_from(WebhookNonce))
    assert assigned == 1
    assert (
        nonces == 3
    )  # the applied call, the malformed and the unknown one; refusals before the nonce leave none


async def test_idempotent_staff_step(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await accepted_delivery(api, shop)
    staff = api.as_staff(shop.a.id)
    k = key()
    one = ok(
        await staff.execute(FINISH_PICKING, input={"orderId": order["id"], "idempotencyKey": k}),
        "finishPicking",
    )
    two = ok(
        await staff.execute(FINISH_PICKING, input={"orderId": order["id"], "idempotencyKey": k}),
        "finishPicking",
    )
    assert one["version"] == two["version"]
