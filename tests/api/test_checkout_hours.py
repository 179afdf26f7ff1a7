"""placeOrder, group-buy orders and reallocation respect the store's business hours (营业时间).

Hours are built around the real clock (placeOrder reads it), so each test holds at any time of day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from gql.ids import encode_id
from models.catalog.rows import StoreSku
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.api.order_flow import PAY, PLACE, REALLOCATE, REJECT, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

SH = ZoneInfo("Asia/Shanghai")
ERRORS = "userErrors { code field message extensions }"
PLACE_ERRORS = f"mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ {ERRORS} }} }}"
REALLOCATE_ERRORS = (
    f"mutation($input: ReallocateOrderInput!) {{ reallocateOrder(input: $input) {{ {ERRORS} }} }}"
)


def _hours_opening_in(delta: timedelta) -> tuple[list[dict[str, Any]], datetime]:
    """One hour a week, starting `delta` from now (to the minute): closed now; and that opening."""
    opens = (datetime.now(UTC) + delta).astimezone(SH).replace(second=0, microsecond=0)
    close = opens + timedelta(hours=1)
    hours = [{"weekday": opens.isoweekday(), "open": f"{opens:%H:%M}", "close": f"{close:%H:%M}"}]
    return hours, opens.astimezone(UTC)


async def _set_hours(db: Database, store: Store, hours: list[dict[str, Any]]) -> None:
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == store.id).values(business_hours=hours))


async def test_a_closed_store_refuses_orders_and_says_when_it_opens(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    hours, opens = _hours_opening_in(timedelta(hours=3))
    await _set_hours(db, shop.a, hours)
    shopper = api.as_shopper(shop.customer_id)

    r = await shopper.execute(PLACE_ERRORS, input=shop.order_input())
    [error] = r.data["placeOrder"]["userErrors"]
    assert (error["code"], error["field"]) == ("STORE_CLOSED", ["input", "storeId"])
    assert error["extensions"] == {"nextOpeningAt": opens.isoformat(), "takesPreOrders": False}
    assert f"opens at {opens.astimezone(SH):%Y-%m-%d %H:%M}" in error["message"]
    async with db.sessions() as s:
        assert set((await s.scalars(select(StoreSku.stock))).all()) == {10}  # nothing reserved

    # a store with no hours never opens by the clock
    await _set_hours(db, shop.a, [])
    r = await shopper.execute(PLACE_ERRORS, input=shop.order_input())
    [error] = r.data["placeOrder"]["userErrors"]
    assert (error["code"], error["extensions"]) == (
        "STORE_CLOSED",
        {"nextOpeningAt": None, "takesPreOrders": False},
    )

    # inside its hours (this minute is in the range) the same order goes through
    hours, _ = _hours_opening_in(timedelta(minutes=-1))
    await _set_hours(db, shop.a, hours)
    assert (
        ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")["status"]
        == "PENDING_PAYMENT"
    )


async def test_reallocation_to_a_closed_store_is_refused(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")
    pay = {"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": order["id"], "reason": "缺货"}),
        "rejectOrder",
    )
    hours, opens = _hours_opening_in(timedelta(hours=5))
    await _set_hours(db, shop.b, hours)

    move = {"orderId": order["id"], "toStoreId": encode_id("Store", shop.b.id)}
    r = await api.as_hq().execute(REALLOCATE_ERRORS, input=move)
    [error] = r.data["reallocateOrder"]["userErrors"]
    assert (error["code"], error["field"]) == ("STORE_CLOSED", ["input", "toStoreId"])
    assert error["extensions"] == {"nextOpeningAt": opens.isoformat(), "takesPreOrders": False}
    await _set_hours(db, shop.b, _hours_opening_in(timedelta(minutes=-1))[0])
    assert ok(await api.as_hq().execute(REALLOCATE, input=move), "reallocateOrder")["store"] == {
        "code": "SHB"
    }
