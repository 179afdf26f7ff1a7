"""placeOrder and the store's delivery radius (配送范围): the distance from the consignee's map pin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from models.catalog.rows import StoreSku
from models.enums import Fulfillment
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.api.order_flow import PLACE, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

# open_shop's stores sit at 31.2 N, 121.6 E (浦东). 0.018° of latitude is about 2.0 km.
NEAR = {"latitude": 31.218, "longitude": 121.6}
FAR = {"latitude": 31.25, "longitude": 121.6}  # about 5.6 km north


async def test_delivery_beyond_the_radius_is_refused(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).values(delivery_radius_m=3000))
    shopper = api.as_shopper(shop.customer_id)

    def order(pin: dict[str, float], fulfillment: Fulfillment = Fulfillment.STORE_DELIVERY) -> dict[str, Any]:
        payload = shop.order_input(fulfillment=fulfillment)
        payload["consignee"] = {**payload["consignee"], **pin}
        return payload

    r = await shopper.execute(PLACE, input=order(FAR))
    assert refused(r, "placeOrder") == ["OUTSIDE_DELIVERY_RADIUS"]
    error = r.data["placeOrder"]["userErrors"][0]
    assert error["field"] == ["input", "consignee"]
    assert "5.6 km" in error["message"]
    async with db.sessions() as s:
        assert set((await s.scalars(select(StoreSku.stock))).all()) == {10}  # nothing reserved
    assert ok(await shopper.execute(PLACE, input=order(NEAR)), "placeOrder")["status"] == "PENDING_PAYMENT"
    # self pickup is not delivered: no radius; half a pin is a client bug
    assert ok(await shopper.execute(PLACE, input=order(FAR, Fulfillment.SELF_PICKUP)), "placeOrder")
    r = await shopper.execute(PLACE, input=order({"latitude": 31.2}))
    assert refused(r, "placeOrder") == ["BAD_USER_INPUT"]
