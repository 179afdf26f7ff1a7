"""订单看板: today's figures and the queues, as the caller's scope sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from models.stores.rows import Store
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PLACE, key, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

BOARD = """query { orderBoard { placed paid turnover { cents } refunded { cents } income { cents }
  campaignOrders watched queues { status label count } afterSalesInReview returnsArrived
  bookings { state count } deliveries { queue count } } }"""
WATCH = """mutation($input: WatchOrderInput!) { watchOrder(input: $input) { watched userErrors { code } } }"""


def _queues(board: dict[str, Any]) -> dict[str, int]:
    return {q["status"]: q["count"] for q in board["queues"]}


async def test_the_board_counts_today_and_the_queues(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    shopper, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")  # unpaid
    waiting = await place_and_pay(api, shop)  # 3600 each
    accepted = ok(
        await staff.execute(ACCEPT, input={"orderId": (await place_and_pay(api, shop))["id"]}), "acceptOrder"
    )
    assert (await staff.execute(WATCH, input={"orderId": waiting["id"]})).data["watchOrder"]["watched"]
    refund = {
        "orderId": accepted["id"],
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 1}],
        "reason": "缺货",
        "idempotencyKey": key(),
    }
    done(await staff.execute(REFUND_LINES, input=refund), "refundLines")
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(takes_pre_orders=True))

    board = (await staff.execute(BOARD)).data["orderBoard"]
    assert (board["placed"], board["paid"], board["campaignOrders"], board["watched"]) == (3, 2, 0, 1)
    assert (board["turnover"], board["refunded"], board["income"]) == (
        {"cents": 7200},
        {"cents": 1500},
        {"cents": 5700},
    )
    assert _queues(board) == {
        "PENDING_ACCEPTANCE": 1,
        "PENDING_ALLOCATION": 0,
        "PENDING_SHIPMENT": 1,
        "PENDING_PICKUP": 0,
    }
    assert [q["label"] for q in board["queues"]] == ["待接单", "待分配", "待发货", "待提货"]
    assert (board["afterSalesInReview"], board["returnsArrived"]) == (0, 0)
    assert [b["state"] for b in board["bookings"]] == ["NOT_YET", "SOON", "OVERDUE"]
    assert board["deliveries"] == [{"queue": "OVERDUE", "count": 0}, {"queue": "NO_RIDER", "count": 0}]

    # HQ sees the same orders but has its own (empty) watch list; another store sees nothing
    hq = (await api.as_hq().execute(BOARD)).data["orderBoard"]
    assert (hq["placed"], hq["watched"], hq["income"]) == (3, 0, {"cents": 5700})
    other = (await api.as_staff(shop.b.id).execute(BOARD)).data["orderBoard"]
    assert (other["placed"], other["paid"], other["income"], sum(_queues(other).values())) == (
        0,
        0,
        {"cents": 0},
        0,
    )
    assert (await shopper.execute(BOARD)).error_codes == ["FORBIDDEN"]
