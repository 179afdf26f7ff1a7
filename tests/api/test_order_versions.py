"""A stale `expectedVersion` is `VERSION_CONFLICT` in every order mutation that takes one, whatever
else is wrong: the version is checked as soon as the order is locked, before the state table, the
caller's right to the action or the action's own checks (README, "Rules every state-changing
mutation follows")."""

from __future__ import annotations

from typing import Any

import pytest

from gql.ids import encode_id
from tests.api.campaign_flow import CANCEL_AWAITING_GROUP
from tests.api.conftest import Api
from tests.api.order_flow import (
    ACCEPT,
    CANCEL,
    CANCEL_ALLOCATED,
    CONFIRM,
    REALLOCATE,
    REJECT,
    SHIP,
    VERIFY,
    Shop,
    key,
    ok,
    open_shop,
    place_and_pay,
    refused,
)
from tests.factories import Seed

MUTATIONS = {
    "cancelOrder": CANCEL,
    "cancelAllocatedOrder": CANCEL_ALLOCATED,
    "cancelAwaitingGroupOrder": CANCEL_AWAITING_GROUP,
    "acceptOrder": ACCEPT,
    "rejectOrder": REJECT,
    "reallocateOrder": REALLOCATE,
    "shipOrder": SHIP,
    "verifyPickup": VERIFY,
    "confirmReceipt": CONFIRM,
}


def _input(name: str, shop: Shop, order: dict[str, Any]) -> dict[str, Any]:
    """The mutation's input for `order`, otherwise well formed."""
    base: dict[str, Any] = {"orderId": order["id"]}
    extra: dict[str, dict[str, Any]] = {
        "cancelOrder": {"reason": "不想要了", "idempotencyKey": key()},
        "cancelAllocatedOrder": {"reason": "缺货", "idempotencyKey": key()},
        "cancelAwaitingGroupOrder": {"reason": "不拼了", "idempotencyKey": key()},
        "rejectOrder": {"reason": "OUT_OF_STOCK"},
        "reallocateOrder": {"toStoreId": encode_id("Store", shop.b.id), "note": "近"},
        "shipOrder": {
            "parcels": [
                {
                    "carrier": "SF",
                    "trackingNo": "SF1",
                    "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
                }
            ]
        },
        "verifyPickup": {"code": "000000"},
    }
    return {**base, **extra.get(name, {})}


def _caller(api: Api, name: str, shop: Shop) -> Api:
    if name in ("cancelOrder", "cancelAwaitingGroupOrder", "confirmReceipt"):
        return api.as_shopper(shop.customer_id)
    if name in ("cancelAllocatedOrder", "reallocateOrder"):
        return api.as_hq()
    return api.as_staff(shop.a.id)


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_a_stale_version_is_a_conflict_even_when_the_action_is_not_allowed(
    api: Api, seed: Seed, name: str
) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    shopper = api.as_shopper(shop.customer_id)
    cancelled = ok(
        await shopper.execute(
            CANCEL, input={"orderId": paid["id"], "reason": "不想要了", "idempotencyKey": key()}
        ),
        "cancelOrder",
    )
    assert cancelled["status"] == "CANCELLED"  # no action of the list is allowed any more
    order = cancelled
    caller = _caller(api, name, shop)
    document = MUTATIONS[name]

    current = await caller.execute(
        document, input={**_input(name, shop, order), "expectedVersion": order["version"]}
    )
    assert refused(current, name) in (["INVALID_TRANSITION"], ["FORBIDDEN"])

    stale = await caller.execute(
        document, input={**_input(name, shop, order), "expectedVersion": order["version"] - 1}
    )
    assert refused(stale, name) == ["VERSION_CONFLICT"]
    fields = [e["field"] for e in stale.data[name]["userErrors"]]
    assert fields == [["input", "expectedVersion"]]
