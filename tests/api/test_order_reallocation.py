"""HQ's reallocation (重新分配门店) asks the new store what `placeOrder` asks (issue 25, items 6 and 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from gql.ids import encode_id
from models.catalog.rows import StoreSku
from models.enums import Fulfillment, StoreStatus
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.api.order_flow import PAY, PLACE, REALLOCATE, REJECT, Shop, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

PUDONG_PIN = {"latitude": 31.218, "longitude": 121.6}
BEIJING = {"latitude": 39.9042, "longitude": 116.4074}


async def _rejected(api: Api, shop: Shop, **consignee: Any) -> dict[str, Any]:
    """An order placed and paid at store A with the given pin, rejected by A: 待分配."""
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input()
    payload["consignee"] = {**payload["consignee"], **consignee}
    order = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    return ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": order["id"], "reason": "缺货"}),
        "rejectOrder",
    )


def _to(order: dict[str, Any], store: Store) -> dict[str, Any]:
    return {"orderId": order["id"], "toStoreId": encode_id("Store", store.id), "note": "改派"}


async def test_reallocation_keeps_the_delivery_radius(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.b.id).values(**BEIJING))
    order = await _rejected(api, shop, **PUDONG_PIN)
    hq = api.as_hq()

    r = await hq.execute(REALLOCATE, input=_to(order, shop.b))
    assert refused(r, "reallocateOrder") == ["OUTSIDE_DELIVERY_RADIUS"]
    error = r.data["reallocateOrder"]["userErrors"][0]
    assert error["field"] == ["input", "toStoreId"]
    assert "1073.5 km away" in error["message"], error["message"]
    async with db.sessions() as s:
        row = await s.scalar(select(Order).where(Order.order_no == order["orderNo"]))
        b_stock = set((await s.scalars(select(StoreSku.stock).where(StoreSku.store_id == shop.b.id))).all())
    assert row is not None
    assert (row.status, row.store_id) == (OrderStatus.PENDING_ALLOCATION, shop.a.id)
    assert b_stock == {10}  # nothing reserved at the far store

    # within reach again: the same order moves
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.b.id).values(latitude=31.21, longitude=121.6))
    moved = ok(await hq.execute(REALLOCATE, input=_to(order, shop.b)), "reallocateOrder")
    assert (moved["status"], moved["store"]) == ("PENDING_ACCEPTANCE", {"code": "SHB"})


async def test_reallocation_keeps_the_minimum_and_skips_radius_for_pickup(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.b.id).values(min_order_amount=100_00))
    order = await _rejected(api, shop, **PUDONG_PIN)  # two apples: 30 yuan of goods
    r = await api.as_hq().execute(REALLOCATE, input=_to(order, shop.b))
    assert refused(r, "reallocateOrder") == ["MIN_ORDER_NOT_MET"]

    # a pickup order far from the other store is not delivered: no radius, no minimum
    third = await seed.store("BJ1", supports_express=False, min_order_amount=100_00)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == third.id).values(**BEIJING))
    await seed.listing(third, shop.apple)
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input(fulfillment=Fulfillment.SELF_PICKUP)
    payload["consignee"] = {**payload["consignee"], **PUDONG_PIN}
    placed = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    pay = {"orderId": placed["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": placed["id"], "reason": "x"}),
        "rejectOrder",
    )
    moved = ok(await api.as_hq().execute(REALLOCATE, input=_to(placed, third)), "reallocateOrder")
    assert moved["store"] == {"code": "BJ1"}


async def test_reallocating_an_order_not_pending_allocation_is_an_invalid_transition(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    order = await _rejected(api, shop)
    hq = api.as_hq()
    ok(await hq.execute(REALLOCATE, input=_to(order, shop.b)), "reallocateOrder")  # now 待接单 at B
    async with db.sessions() as s, s.begin():
        await s.execute(update(StoreSku).where(StoreSku.store_id == shop.a.id).values(stock=0))
        await s.execute(update(Store).where(Store.id == shop.a.id).values(status=StoreStatus.PAUSED))
    # A has no stock and is paused, but the order is not 待分配: that is what is wrong with the request
    r = await hq.execute(REALLOCATE, input=_to(order, shop.a))
    assert refused(r, "reallocateOrder") == ["INVALID_TRANSITION"]
    r = await hq.execute(REALLOCATE, input=_to(order, shop.b))
    assert refused(r, "reallocateOrder") == ["INVALID_TRANSITION"]
