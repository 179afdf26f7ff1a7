"""Refund policy codes, exact money per line and order, closing, restocking, and the 待分配 partial refund."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from gql.ids import decode_id, encode_id
from models.base import utcnow
from models.catalog.rows import StoreSku
from models.enums import PaymentKind, PaymentStatus
from models.orders.rows import Order
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import (
    APPROVE,
    CONFIRM_RETURN,
    REFUND_LINES,
    REQUEST,
    SUBMIT_RETURN,
    ask,
    codes,
    done,
    shipped_order,
)
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PLACE, REALLOCATE, REJECT, key, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

ORDER = """query($id: ID!) { node(id: $id) { ... on Order { status refundedAmount { cents }
  availableActions { action allowed reason }
  refundableLines { refundableQuantity maxAmount { cents } openAfterSale }
  afterSales { afterSaleNo status refundAmount { cents } } } } }"""


async def test_policy_violations_have_their_own_codes(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    buyer = api.as_shopper(shop.customer_id)
    unpaid = ok(await buyer.execute(PLACE, input=shop.order_input()), "placeOrder")
    assert codes(await buyer.execute(REQUEST, input=ask(unpaid, "REFUND_ONLY")), "requestAfterSale") == [
        "INVALID_TRANSITION"
    ]

    paid = await place_and_pay(api, shop)
    accepted = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    r = await buyer.execute(REQUEST, input=ask(accepted, "RETURN_AND_REFUND"))
    assert codes(r, "requestAfterSale") == ["BAD_USER_INPUT"]  # nothing shipped: nothing to send back

    order = await shipped_order(api, shop)
    assert codes(await buyer.execute(REQUEST, input=ask(order, quantity=3)), "requestAfterSale") == [
        "REFUND_EXCEEDS_QUANTITY"
    ]
    r = await buyer.execute(REQUEST, input=ask(order, quantity=1, amountCents=1501))
    assert codes(r, "requestAfterSale") == ["REFUND_EXCEEDS_PAID"]
    assert r.data["requestAfterSale"]["userErrors"][0]["field"] == ["input", "lines", "0", "amount"]
    done(await buyer.execute(REQUEST, input=ask(order, quantity=1, amountCents=1000)), "requestAfterSale")
    r = await buyer.execute(REQUEST, input=ask(order, quantity=1))
    assert codes(r, "requestAfterSale") == ["LINE_HAS_OPEN_AFTER_SALE"]

    # completed 16 days ago: the window (15 days) is closed; 14 days ago it is open
    completed = await shipped_order(api, shop)
    for days, expected, button in (
        (16, ["REFUND_WINDOW_CLOSED"], (False, "REFUND_WINDOW_CLOSED")),
        (14, [], (True, None)),
    ):
        async with db.sessions() as s, s.begin():
            await s.execute(
                update(Order)
                .where(Order.id == decode_id(completed["id"], "Order"))
                .values(status="COMPLETED", completed_at=utcnow() - timedelta(days=days))
            )
        actions = (await buyer.execute(ORDER, id=completed["id"])).data["node"]["availableActions"]
        refund_button = next(a for a in actions if a["action"] == "REQUEST_AFTER_SALE")
        assert (refund_button["allowed"], refund_button["reason"]) == button
        assert (
            codes(await buyer.execute(REQUEST, input=ask(completed, "REFUND_ONLY")), "requestAfterSale")
            == expected
        )


async def test_refund_only_pays_the_pro_rata_share_and_the_rest_later(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)  # 2 apples, line paid 3000; fees 600
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    first = done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY")), "requestAfterSale")[
        "afterSale"
    ]
    assert first["refundAmount"] == {"cents": 1500}
    paid = done(
        await staff.execute(APPROVE, input={"afterSaleId": first["id"], "idempotencyKey": key()}),
        "approveAfterSale",
    )
    assert paid["afterSale"]["status"] == "REFUNDED"
    assert paid["order"]["refundedAmount"] == {"cents": 1500}
    assert paid["order"]["lines"][0]["refundedQuantity"] == 1
    assert paid["order"]["status"] == "SHIPPED"
    view = (await buyer.execute(ORDER, id=order["id"])).data["node"]
    assert view["refundableLines"] == [
        {"refundableQuantity": 1, "maxAmount": {"cents": 1500}, "openAfterSale": False}
    ]

    # the last unit comes back by return: every unit refunded → the order closes, fees go back too
    second = done(await buyer.execute(REQUEST, input=ask(order)), "requestAfterSale")["afterSale"]
    await staff.execute(APPROVE, input={"afterSaleId": second["id"], "idempotencyKey": key()})
    await buyer.execute(
        SUBMIT_RETURN,
        input={
            "afterSaleId": second["id"],
            "carrier": "顺丰速运",
            "trackingNo": "SF1",
            "idempotencyKey": key(),
        },
    )
    closed = done(
        await staff.execute(CONFIRM_RETURN, input={"afterSaleId": second["id"], "idempotencyKey": key()}),
        "confirmReturnReceived",
    )
    assert closed["afterSale"]["refundAmount"] == {"cents": 1500 + 600}
    assert closed["order"]["status"] == "CLOSED"
    assert closed["order"]["refundedAmount"] == closed["order"]["paidAmount"] == {"cents": 3600}
    async with db.sessions() as s:
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert sorted((r.amount, r.status) for r in refunds) == [
        (1500, PaymentStatus.SUCCEEDED),
        (2100, PaymentStatus.SUCCEEDED),
    ]
    assert api.gateway.refunded_total() == 3600


async def test_partial_refund_on_allocation_then_reallocate(api: Api, seed: Seed, db: Database) -> None:
    """待分配 → contact the buyer → refund some goods → allocate to another store (seed flow 3)."""
    shop = await open_shop(seed)
    buyer = api.as_shopper(shop.customer_id)
    order = ok(
        await buyer.execute(PLACE, input=shop.order_input((shop.apple, 2), (shop.pear, 3))), "placeOrder"
    )
    await buyer.execute(
        "mutation($input: PayOrderInput!) { payOrder(input: $input) { userErrors { code } } }",
        input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()},
    )
    ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": order["id"], "reason": "梨缺货"}),
        "rejectOrder",
    )
    hq = api.as_hq()
    pear_line = order["lines"][1]["id"]
    refund = {
        "orderId": order["id"],
        "lines": [{"lineId": pear_line, "quantity": 3}],
        "reason": "梨缺货，部分退款",
        "idempotencyKey": key(),
    }
    r = done(await hq.execute(REFUND_LINES, input=refund), "refundLines")
    assert r["afterSale"]["initiator"] == "MERCHANT"
    assert r["afterSale"]["refundAmount"] == {"cents": 2400}
    assert r["order"]["status"] == "PENDING_ALLOCATION"
    async with db.sessions() as s:
        pears = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.pear.id)
        )
    assert pears == 10  # the refunded pears never left store A: back on its shelf
    moved = ok(
        await hq.execute(
            REALLOCATE, input={"orderId": order["id"], "toStoreId": encode_id("Store", shop.b.id)}
        ),
        "reallocateOrder",
    )
    assert moved["status"] == "PENDING_ACCEPTANCE"
    async with db.sessions() as s:
        b_pears = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.b.id, StoreSku.sku_id == shop.pear.id)
        )
        b_apples = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.b.id, StoreSku.sku_id == shop.apple.id)
        )
    assert (b_apples, b_pears) == (8, 10)  # only the apples move to store B


async def test_refunding_every_unit_before_shipping_closes_the_order(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    accepted = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    refund = {
        "orderId": paid["id"],
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 2}],
        "reason": "缺货",
        "idempotencyKey": key(),
    }
    r = done(await api.as_staff(shop.a.id).execute(REFUND_LINES, input=refund), "refundLines")
    assert r["order"]["status"] == "CLOSED"
    assert r["order"]["refundedAmount"] == r["order"]["paidAmount"]
