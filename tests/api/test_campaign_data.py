"""The campaign data view, computed by hand: participants, sales kept, new customers, cost, turnover, ROI."""

from __future__ import annotations

from datetime import timedelta

from models.base import utcnow
from models.enums import Fulfillment
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, created, pay, spend_input
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, CANCEL, PLACE, key, ok, open_shop
from tests.factories import Seed

DATA = """query($id: ID!) { campaign(id: $id) {
  stats { participants orders sales { cents } }
  data { participants orders sales { cents } newCustomers discountCost { cents } cost { cents }
         turnover { cents } roi teamsOpened invites } } }"""


async def test_figures_by_hand(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00 (original 17.00), packaging 1.00
    tiers = [{"threshold": 3000, "reductionCents": 300}, {"threshold": 6000, "reductionCents": 1000}]
    campaign = created(await api.as_hq().execute(CREATE, input=spend_input(tiers)))
    newcomer = shop.customer_id
    regular = (await seed.customer("13600001234", first_paid_at=utcnow() - timedelta(days=60))).id

    async def buy(customer: int, apples: int) -> dict[str, object]:
        order = ok(
            await api.as_shopper(customer).execute(
                PLACE, input=shop.order_input((shop.apple, apples), fulfillment=Fulfillment.SELF_PICKUP)
            ),
            "placeOrder",
        )
        await pay(api, customer, str(order["id"]))
        return order

    a = await buy(newcomer, 2)  # 30.00 - 3.00 + 1.00 = 28.00
    b = await buy(regular, 4)  # 60.00 - 10.00 + 1.00 = 51.00
    abandoned = ok(
        await api.as_shopper(newcomer).execute(PLACE, input=shop.order_input((shop.apple, 2))), "placeOrder"
    )
    await api.as_shopper(newcomer).execute(
        CANCEL, input={"orderId": abandoned["id"], "reason": "不要了", "idempotencyKey": key()}
    )
    staff = api.as_staff(shop.a.id)
    accepted = ok(await staff.execute(ACCEPT, input={"orderId": b["id"]}), "acceptOrder")
    refund = {
        "orderId": b["id"],
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 1}],
        "reason": "少货",
        "idempotencyKey": key(),
    }
    done(
        await staff.execute(REFUND_LINES, input=refund), "refundLines"
    )  # 1 of 4 units of a 50.00 line: 12.50
    assert a["id"] != b["id"]

    r = await api.as_hq().execute(DATA, id=campaign["id"])
    assert r.errors == []
    data = r.data["campaign"]["data"]
    assert data == {
        "participants": 2,
        "orders": 2,
        "sales": {"cents": 2800 + 5100 - 1250},
        "newCustomers": 1,
        "discountCost": {"cents": 300 + 1000},
        "cost": {"cents": 1300},
        "turnover": {"cents": (2 * 1700 + 100) + (4 * 1700 + 100)},
        "roi": 1300 / 10400,
        "teamsOpened": 0,
        "invites": 0,
    }
    assert r.data["campaign"]["stats"] == {"participants": 2, "orders": 2, "sales": {"cents": 6650}}
    # figures are for the back office only
    r = await api.as_shopper(newcomer).execute(DATA, id=campaign["id"])
    assert r.error_codes == ["FORBIDDEN"]
