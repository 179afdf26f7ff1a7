"""GraphQL documents and steps shared by the order-handling tests (a shopper, a store, HQ)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.catalog.rows import Sku
from models.enums import Fulfillment
from models.orders.states import OrderStatus
from models.stores.rows import Store
from tests.api.conftest import Api, Response
from tests.factories import T0, Seed

ORDER_FIELDS = """
  id orderNo status version fulfillment pickupCode
  payableAmount { cents } paidAmount { cents } refundedAmount { cents }
  lines { id quantity shippedQuantity refundedQuantity refundedAmount { cents } }
  store { code }
  availableActions { action allowed reason }
"""

PAYLOAD = f"order {{ {ORDER_FIELDS} }} userErrors {{ code field message }}"


def mutation(name: str, input_type: str, payload: str = PAYLOAD) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {payload} }} }}"


PLACE = mutation("placeOrder", "PlaceOrderInput")
PAY = mutation("payOrder", "PayOrderInput")
CANCEL = mutation("cancelOrder", "CancelOrderInput")
CANCEL_ALLOCATED = mutation("cancelAllocatedOrder", "CancelAllocatedOrderInput")
ACCEPT = mutation("acceptOrder", "AcceptOrderInput")
REJECT = mutation("rejectOrder", "RejectOrderInput")
REALLOCATE = mutation("reallocateOrder", "ReallocateOrderInput")
SHIP = mutation("shipOrder", "ShipOrderInput")
VERIFY = mutation("verifyPickup", "VerifyPickupInput")
CONFIRM = mutation("confirmReceipt", "ConfirmReceiptInput")
TRACE = """mutation($input: AddParcelTraceInput!) { addParcelTrace(input: $input) {
  parcel { id latestState traces { description state } } order { status }
  userErrors { code field message } } }"""
TIMELINE = """query($id: ID!) { node(id: $id) { ... on Order {
  events { action fromStatus toStatus actorType }
  allocationRecords { reason fromStore { code } toStore { code } }
  parcels { id trackingNo lines { quantity line { id } } traces { state } } } } }"""

_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys)}"


def ok(r: Response, field: str) -> dict[str, Any]:
    """The order of a successful mutation payload (fails the test with the errors otherwise)."""
    assert r.errors == [], r.errors
    payload = r.data[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    order: dict[str, Any] = payload["order"]
    return order


def refused(r: Response, field: str) -> list[str]:
    assert r.errors == [], r.errors
    return [e["code"] for e in r.data[field]["userErrors"]]


@dataclass
class Shop:
    """Two stores (A does pickup and delivery, B delivery and express), one shopper, two SKUs."""

    a: Store
    b: Store
    apple: Sku
    pear: Sku
    customer_id: int

    def order_input(
        self,
        *lines: tuple[Sku, int],
        fulfillment: Fulfillment = Fulfillment.STORE_DELIVERY,
        store: Store | None = None,
    ) -> dict[str, Any]:
        return {
            "storeId": encode_id("Store", (store or self.a).id),
            "fulfillment": fulfillment.value,
            "lines": [
                {"skuId": encode_id("Sku", sku.id), "quantity": q} for sku, q in lines or ((self.apple, 2),)
            ],
            "consignee": {"name": "张三", "phone": "13800138000", "city": "上海市", "address": "张江路1号"},
            "idempotencyKey": key(),
        }


async def open_shop(seed: Seed, stock: int = 10) -> Shop:
    a = await seed.store("SHA", supports_express=False)
    b = await seed.store("SHB", supports_self_pickup=False, supports_express=True)
    customer = await seed.customer("13911112222")
    _, skus = await seed.product("红富士苹果", prices=(1500, 800))
    for store in (a, b):
        for sku in skus:
            await seed.listing(store, sku, stock=stock)
    return Shop(a, b, skus[0], skus[1], customer.id)


async def place_and_pay(api: Api, shop: Shop, **kw: Any) -> dict[str, Any]:
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACE, input=shop.order_input(**kw)), "placeOrder")
    return ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )


async def seed_order_page(seed: Seed, count: int) -> int:
    """`count` shipped orders of two customers at two stores, two lines each over three SKUs, a
    minute apart from T0 (a page for the list tests); the first store's id."""
    north, south = await seed.store("SH001"), await seed.store("SH002")
    alice, bob = await seed.customer(), await seed.customer()
    _, skus = await seed.product(prices=(1299, 2599, 399))
    for i in range(count):
        await seed.order(
            north if i % 3 else south,
            alice if i % 2 else bob,
            [(skus[i % 3], 1 + i % 2), (skus[(i + 1) % 3], 1)],
            status=OrderStatus.SHIPPED,
            created_at=T0 + timedelta(minutes=i),
        )
    return north.id
