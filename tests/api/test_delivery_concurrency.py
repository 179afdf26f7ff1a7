"""Courier callbacks and staff steps racing on one order, as real concurrent requests on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from models.orders.rows import Order, OrderEvent
from models.orders.states import OrderAction
from tests.api.conftest import Api, Response
from tests.api.delivery_flow import (
    DELIVERED,
    REQUEST_PLATFORM,
    callback_body,
    picked,
    post_signed,
    read,
)
from tests.api.order_flow import ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _staff_outcome(r: Response) -> str:
    errors = r.data["markOrderDelivered"]["userErrors"]
    return "OK" if not errors else str(errors[0]["code"])


async def _platform_order(api: Api, seed: Seed) -> tuple[dict[str, Any], str, Any]:
    shop = await open_shop(seed)
    order = await picked(api, shop)
    asked = ok(
        await api.as_staff(shop.a.id).execute(REQUEST_PLATFORM, input={"orderId": order["id"]}),
        "requestPlatformRider",
    )
    return order, asked["delivery"]["dispatchId"], shop


async def test_callbacks_and_staff_race_to_deliver_once(api: Api, seed: Seed, db: Database) -> None:
    order, dispatch, shop = await _platform_order(api, seed)
    rider = {"name": "赵骑手", "phone": "13500002222"}
    assert (await post_signed(api, callback_body(dispatch, "ASSIGNED", rider=rider))).status == 200
    staff = api.as_staff(shop.a.id)
    calls: list[Any] = []
    for i in range(24):
        if i % 3 == 0:
            calls.append(staff.execute(DELIVERED, input={"orderId": order["id"]}))
        else:
            kind = "PICKED_UP" if i % 3 == 1 else "DELIVERED"
            calls.append(post_signed(api, callback_body(dispatch, kind)))
    responses = await asyncio.gather(*calls)
    staff_outcomes = Counter(_staff_outcome(r) for i, r in enumerate(responses) if i % 3 == 0)
    hooks = [r for i, r in enumerate(responses) if i % 3]
    assert {r.status for r in hooks} == {200}, [r.body for r in hooks]
    assert set(staff_outcomes) <= {"OK", "INVALID_TRANSITION", "VERSION_CONFLICT"}

    async with db.sessions() as s:
        row = (await s.scalars(select(Order))).one()
        actions = Counter(
            (await s.scalars(select(OrderEvent.action).where(OrderEvent.order_id == row.id))).all()
        )
    assert (row.status.value, row.delivery_stage.value if row.delivery_stage else None) == (
        "SHIPPED",
        "DELIVERED",
    )
    assert actions[OrderAction.RIDER_PICKUP] == 1
    assert actions[OrderAction.DELIVER] == 1
    applied = [a for r in hooks for a in r.body["applied"]] + ["DELIVER"] * staff_outcomes["OK"]
    assert sorted(applied) == ["DELIVER", "RIDER_PICKUP"]
    final = await read(api, order["id"])
    assert final["deliveredAt"] is not None


async def test_switch_to_own_rider_races_the_platforms_assignment(api: Api, seed: Seed, db: Database) -> None:
    order, dispatch, shop = await _platform_order(api, seed)
    staff = api.as_staff(shop.a.id)
    assign_own = """mutation($input: AssignOwnRiderInput!) { assignOwnRider(input: $input) {
      order { deliveryStage } userErrors { code } } }"""
    rider = {"name": "赵骑手", "phone": "13500002222"}
    responses = await asyncio.gather(
        staff.execute(
            assign_own, input={"orderId": order["id"], "riderName": "王师傅", "riderPhone": "13700001111"}
        ),
        *(post_signed(api, callback_body(dispatch, "ASSIGNED", rider=rider)) for _ in range(6)),
    )
    own = responses[0]
    assert own.data["assignOwnRider"]["userErrors"] == []
    statuses = Counter(r.status for r in responses[1:])
    # a callback before the switch applies (then the switch replaces the rider); after it, the
    # dispatch id is gone (404). Never a half-written order.
    assert set(statuses) <= {200, 404}
    final = await read(api, order["id"])
    assert final["deliveryStage"] == "RIDER_ASSIGNED"
    assert final["delivery"] == {
        **final["delivery"],
        "source": "STORE",
        "riderName": "王师傅",
        "dispatchId": None,
    }
