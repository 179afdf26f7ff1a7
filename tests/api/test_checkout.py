"""Placing orders: prices and fees from the store, and a clear code for every way it can go wrong."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from gql.ids import encode_id
from models.base import utcnow
from models.catalog.rows import StoreSku
from models.enums import Fulfillment, StoreStatus
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.api.order_flow import PLACE, Shop, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed


async def test_prices_fees_and_snapshot(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(
            update(StoreSku)
            .where(StoreSku.sku_id == shop.pear.id, StoreSku.store_id == shop.a.id)
            .values(price_override=750)
        )
    r = await api.as_shopper(shop.customer_id).execute(
        PLACE.replace(
            "lines {",
            "goodsAmount { cents } goodsOriginalAmount { cents } deliveryFee { cents } "
            "packagingFee { cents } paymentDeadline createdAt "
            "lines { unitPrice { cents } paidAmount { cents }",
        ),
        input=shop.order_input((shop.apple, 2), (shop.pear, 4)),
    )
    order = ok(r, "placeOrder")
    assert order["goodsAmount"] == {"cents": 2 * 1500 + 4 * 750}
    assert order["goodsOriginalAmount"] == {"cents": 2 * 1700 + 4 * 1000}
    assert order["deliveryFee"] == {"cents": 500}
    assert order["packagingFee"] == {"cents": 100}
    assert order["payableAmount"] == {"cents": 6000 + 600}
    assert [line["unitPrice"]["cents"] for line in order["lines"]] == [1500, 750]
    assert order["orderNo"].isdigit()
    assert len(order["orderNo"]) == 16


async def _refusal(api: Api, shop: Shop, payload: dict[str, Any]) -> tuple[str, list[str] | None]:
    r = await api.as_shopper(shop.customer_id).execute(PLACE, input=payload)
    codes = refused(r, "placeOrder")
    assert len(codes) == 1
    assert r.data["placeOrder"]["order"] is None
    return codes[0], r.data["placeOrder"]["userErrors"][0]["field"]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda p: {**p, "lines": []}, "BAD_USER_INPUT", ["input", "lines"]),
        (
            lambda p: {**p, "lines": [{**p["lines"][0], "quantity": 0}]},
            "BAD_USER_INPUT",
            ["input", "lines", "0", "quantity"],
        ),
        (
            lambda p: {**p, "consignee": {**p["consignee"], "phone": "12345"}},
            "BAD_USER_INPUT",
            ["input", "consignee", "phone"],
        ),
        (
            lambda p: {**p, "consignee": {"name": "张三", "phone": "13800138000"}},
            "BAD_USER_INPUT",
            ["input", "consignee", "address"],
        ),
        (
            lambda p: {**p, "lines": [{**p["lines"][0], "skuId": encode_id("Sku", 999)}]},
            "NOT_FOUND",
            ["input", "lines", "0", "skuId"],
        ),
        (
            lambda p: {**p, "lines": [{**p["lines"][0], "skuId": "garbage"}]},
            "BAD_USER_INPUT",
            ["input", "lines", "0", "skuId"],
        ),
        (lambda p: {**p, "lines": [{**p["lines"][0], "quantity": 11}]}, "OUT_OF_STOCK", ["input", "lines"]),
        (lambda p: {**p, "fulfillment": "EXPRESS"}, "FULFILLMENT_NOT_OFFERED", ["input", "fulfillment"]),
        (lambda p: {**p, "storeId": None}, "BAD_USER_INPUT", ["input", "storeId"]),
    ],
)
async def test_bad_orders_are_refused_and_change_nothing(
    api: Api, seed: Seed, db: Database, change: Any, code: str, field: list[str]
) -> None:
    shop = await open_shop(seed)
    assert await _refusal(api, shop, change(shop.order_input())) == (code, field)
    async with db.sessions() as s:
        assert set((await s.scalars(select(StoreSku.stock))).all()) == {10}


async def test_store_and_shelf_rules(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(StoreSku).where(StoreSku.sku_id == shop.pear.id).values(on_shelf=False))
        await s.execute(update(StoreSku).where(StoreSku.sku_id == shop.apple.id).values(purchase_limit=1))
        await s.execute(update(Store).where(Store.id == shop.a.id).values(min_order_amount=5000))
        await s.execute(update(Store).where(Store.id == shop.b.id).values(status=StoreStatus.PAUSED))
    assert (await _refusal(api, shop, shop.order_input((shop.pear, 1))))[0] == "NOT_ON_SHELF"
    assert (await _refusal(api, shop, shop.order_input((shop.apple, 2))))[0] == "PURCHASE_LIMIT_EXCEEDED"
    assert (await _refusal(api, shop, shop.order_input((shop.apple, 1))))[0] == "MIN_ORDER_NOT_MET"
    assert (await _refusal(api, shop, shop.order_input(store=shop.b)))[0] == "STORE_NOT_OPEN"
    # self pickup has no minimum and no delivery fee
    pickup = ok(
        await api.as_shopper(shop.customer_id).execute(
            PLACE, input=shop.order_input((shop.apple, 1), fulfillment=Fulfillment.SELF_PICKUP)
        ),
        "placeOrder",
    )
    assert pickup["payableAmount"] == {"cents": 1500 + 100}
    assert pickup["pickupCode"] is not None
    assert len(pickup["pickupCode"]) == 6


async def test_time_slot_delivery_fee_and_radius_apply_to_every_order(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    hour = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).hour
    slot = [{"start": f"{hour:02d}:00", "end": f"{(hour + 2) % 24:02d}:00", "fee": 900}]
    async with db.sessions() as s, s.begin():
        await s.execute(
            update(Store).where(Store.id == shop.a.id).values(delivery_fee_slots=slot, delivery_radius_m=1000)
        )
    near = {"latitude": 31.2, "longitude": 121.6}
    order = ok(
        await api.as_shopper(shop.customer_id).execute(
            PLACE.replace("lines {", "deliveryFee { cents } lines {"),
            input={**shop.order_input(), "consignee": {**shop.order_input()["consignee"], **near}},
        ),
        "placeOrder",
    )
    assert order["deliveryFee"] == {"cents": 900}  # the slot's fee, not the base 500
    far = {
        **shop.order_input(),
        "consignee": {**shop.order_input()["consignee"], "latitude": 31.3, "longitude": 121.6},
    }
    code, _ = await _refusal(api, shop, far)
    assert code == "OUTSIDE_DELIVERY_RADIUS"
