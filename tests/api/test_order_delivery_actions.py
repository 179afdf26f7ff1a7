"""`availableActions` on real store-delivery orders: at every stage, each delivery step offered
goes through and each one not offered is refused with the reason shown, changing nothing."""

from __future__ import annotations

from typing import Any

from models.enums import Fulfillment
from tests.api.conftest import Api
from tests.api.delivery_flow import accepted_delivery, callback_body, post_signed
from tests.api.order_flow import ACCEPT, mutation, ok, open_shop, place_and_pay
from tests.factories import Seed

FIELDS = """id status deliveryStage version delivery { source dispatchId }
  availableActions { action allowed reason }"""
PAYLOAD = f"order {{ {FIELDS} }} userErrors {{ code field message }}"
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Order {{ {FIELDS} }} }} }}"
RIDER = {"riderName": "王师傅", "riderPhone": "13700001111"}

# command → (mutation, input type, extra input)
STEPS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "FINISH_PICKING": ("finishPicking", "DeliveryStepInput", {}),
    "REQUEST_PLATFORM_RIDER": ("requestPlatformRider", "DeliveryStepInput", {}),
    "ASSIGN_OWN_RIDER": ("assignOwnRider", "AssignOwnRiderInput", RIDER),
    "MARK_DELIVERING": ("markOrderDelivering", "DeliveryStepInput", {}),
    "MARK_DELIVERED": ("markOrderDelivered", "DeliveryStepInput", {}),
    "FOLLOW_UP_DELIVERY": ("followUpDelivery", "FollowUpDeliveryInput", {"kind": "CONTACTED_RIDER"}),
}


async def _read(client: Api, order_id: str) -> dict[str, Any]:
    r = await client.execute(READ, id=order_id)
    assert r.errors == [], r.errors
    node: dict[str, Any] = r.data["node"]
    return node


async def _run(client: Api, command: str, order_id: str) -> tuple[dict[str, Any] | None, list[str]]:
    name, input_type, extra = STEPS[command]
    r = await client.execute(mutation(name, input_type, PAYLOAD), input={"orderId": order_id, **extra})
    assert r.errors == [], r.errors
    payload = r.data[name]
    return payload["order"], [e["code"] for e in payload["userErrors"]]


async def _offered(client: Api, order_id: str) -> set[str]:
    """The delivery steps offered now, after checking that each one not offered is refused with
    its reason and leaves the order as it was (and that FOLLOW_UP_DELIVERY, when offered, works)."""
    before = await _read(client, order_id)
    shown = {a["action"]: a for a in before["availableActions"] if a["action"] in STEPS}
    for command, availability in shown.items():
        if availability["allowed"]:
            continue
        _, codes = await _run(client, command, order_id)
        assert codes == [availability["reason"]], (command, before["deliveryStage"])
    assert (await _read(client, order_id))["version"] == before["version"]
    if shown.get("FOLLOW_UP_DELIVERY", {}).get("allowed"):
        assert (await _run(client, "FOLLOW_UP_DELIVERY", order_id))[1] == []
    return {c for c, a in shown.items() if a["allowed"]}


async def _take(client: Api, order_id: str, command: str, offered: set[str] | None = None) -> dict[str, Any]:
    """Take an offered step (and check that exactly `offered` is on offer, when given)."""
    now = await _offered(client, order_id)
    assert command in now, command
    assert offered is None or now == offered
    order, codes = await _run(client, command, order_id)
    assert codes == [], (command, codes)
    assert order is not None
    return order


async def test_own_rider_path_offers_exactly_what_succeeds(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    order_id = (await accepted_delivery(api, shop))["id"]
    await _take(staff, order_id, "FINISH_PICKING", {"FINISH_PICKING", "FOLLOW_UP_DELIVERY"})
    picked = {"REQUEST_PLATFORM_RIDER", "ASSIGN_OWN_RIDER", "FOLLOW_UP_DELIVERY"}
    await _take(staff, order_id, "ASSIGN_OWN_RIDER", picked)
    await _take(staff, order_id, "ASSIGN_OWN_RIDER")  # another of the store's riders takes over
    order = await _take(api.as_hq(), order_id, "MARK_DELIVERING")
    assert (order["status"], order["deliveryStage"]) == ("SHIPPED", "DELIVERING")
    await _take(staff, order_id, "MARK_DELIVERED", {"MARK_DELIVERED", "FOLLOW_UP_DELIVERY"})
    assert await _offered(staff, order_id) == set()
    # the buyer sees none of the store's buttons, and is refused them
    buyer = api.as_shopper(shop.customer_id)
    assert not any(a["action"] in STEPS for a in (await _read(buyer, order_id))["availableActions"])
    r = await buyer.execute(
        mutation("markOrderDelivered", "DeliveryStepInput", PAYLOAD), input={"orderId": order_id}
    )
    assert r.error_codes == ["FORBIDDEN"]


async def test_platform_rider_can_be_switched_to_the_stores_own(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    order_id = (await accepted_delivery(api, shop))["id"]
    await _take(staff, order_id, "FINISH_PICKING")
    asked = await _take(staff, order_id, "REQUEST_PLATFORM_RIDER")
    assert asked["deliveryStage"] == "PICKED"
    dispatch = asked["delivery"]["dispatchId"]
    rider = {"name": "赵骑手", "phone": "13500002222"}
    assert (await post_signed(api, callback_body(dispatch, "ASSIGNED", rider=rider))).status == 200
    # a platform's rider on the order: no second request, but 自配 may take over (切换自配)
    assigned = {"ASSIGN_OWN_RIDER", "MARK_DELIVERING", "FOLLOW_UP_DELIVERY"}
    switched = await _take(staff, order_id, "ASSIGN_OWN_RIDER", assigned)
    assert (switched["deliveryStage"], switched["delivery"]["source"]) == ("RIDER_ASSIGNED", "STORE")


async def test_other_fulfilments_show_no_delivery_steps(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff = api.as_staff(shop.a.id)
    paid = await place_and_pay(api, shop, fulfillment=Fulfillment.SELF_PICKUP)
    ok(await staff.execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    assert await _offered(staff, paid["id"]) == set()
    assert (await _run(staff, "FINISH_PICKING", paid["id"]))[1] == ["INVALID_TRANSITION"]
