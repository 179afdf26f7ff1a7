"""Real concurrent requests on PostgreSQL: claims never pass the stock or the per-customer limit,
and one coupon is never held by two orders."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from models.coupons.rows import CouponLedger, CouponTemplate, CustomerCoupon
from models.orders.rows import Order
from tests.api.after_sale_flow import REFUND_LINES
from tests.api.conftest import Api
from tests.api.coupon_flow import claim, claimed, create_template
from tests.api.order_flow import CANCEL, PAY, PLACE, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(body: dict[str, object], field: str) -> str:
    errors = body["data"][field]["userErrors"]  # type: ignore[index]
    return "OK" if not errors else str(errors[0]["code"])


async def test_a_hundred_claims_issue_exactly_the_stock(api: Api, seed: Seed, db: Database) -> None:
    template = await create_template(api, totalStock=30, perCustomerLimit=2)
    customers = [(await seed.customer()).id for _ in range(50)]
    # every customer claims twice at once: 100 claims for 30 coupons, at most 2 each
    responses = await asyncio.gather(*(claim(api, c, template["id"]) for c in customers + customers))
    outcomes = Counter(_outcome(r.body, "claimCoupon") for r in responses)
    assert outcomes["OK"] == 30, outcomes
    assert set(outcomes) <= {"OK", "COUPON_OUT_OF_STOCK", "COUPON_LIMIT_REACHED"}
    async with db.sessions() as s:
        issued = await s.scalar(select(CouponTemplate.issued_count))
        held = (
            await s.execute(
                select(CustomerCoupon.customer_id, func.count()).group_by(CustomerCoupon.customer_id)
            )
        ).all()
    assert issued == 30
    assert sum(n for _, n in held) == 30
    assert max(n for _, n in held) <= 2


async def test_one_coupon_two_concurrent_orders(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    template = await create_template(api)
    coupon = claimed(await claim(api, shop.customer_id, template["id"]))
    shopper = api.as_shopper(shop.customer_id)
    place = (
        "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } "
        "userErrors { code field } } }"
    )
    inputs = []
    for _ in range(10):
        payload = shop.order_input((shop.apple, 4))
        payload["couponIds"] = [coupon["id"]]
        payload["idempotencyKey"] = key()
        inputs.append(payload)
    responses = await asyncio.gather(*(shopper.execute(place, input=i) for i in inputs))
    outcomes = Counter(_outcome(r.body, "placeOrder") for r in responses)
    assert outcomes == Counter({"OK": 1, "COUPON_UNAVAILABLE": 9}), outcomes
    async with db.sessions() as s:
        orders = (await s.scalars(select(Order))).all()
        row = (await s.scalars(select(CustomerCoupon))).one()
    assert len(orders) == 1
    assert row.status.value == "LOCKED"
    assert row.locked_order_id == orders[0].id


async def test_concurrent_full_refunds_restore_the_coupon_once(api: Api, seed: Seed, db: Database) -> None:
    """Eight full refunds of one paid order at once (the staff's refundLines and the buyer's
    cancellation): one pays out, the coupon comes back once, the money goes back once."""
    shop = await open_shop(seed, stock=100)
    coupon = claimed(await claim(api, shop.customer_id, (await create_template(api))["id"]))
    shopper, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    payload = shop.order_input((shop.apple, 4))
    payload["couponIds"] = [coupon["id"]]
    order = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    pay = {"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    line = {"lineId": order["lines"][0]["id"], "quantity": 4}
    refunds = [
        staff.execute(
            REFUND_LINES,
            input={"orderId": order["id"], "lines": [line], "reason": "缺货", "idempotencyKey": key()},
        )
        for _ in range(6)
    ]
    cancels = [
        shopper.execute(CANCEL, input={"orderId": order["id"], "reason": "不要了", "idempotencyKey": key()})
        for _ in range(2)
    ]
    responses = await asyncio.gather(*refunds, *cancels)
    fields = ["refundLines"] * 6 + ["cancelOrder"] * 2
    outcomes = Counter(_outcome(r.body, f) for r, f in zip(responses, fields, strict=True))
    assert outcomes["OK"] == 1, outcomes
    async with db.sessions() as s:
        row = (await s.scalars(select(CustomerCoupon).where(CustomerCoupon.code == coupon["code"]))).one()
        restored = await s.scalar(
            select(func.count()).where(CouponLedger.coupon_id == row.id, CouponLedger.action == "RESTORED")
        )
        paid = (await s.scalars(select(Order).where(Order.order_no == order["orderNo"]))).one()
    assert row.status.value == "UNUSED"
    assert restored == 1
    assert paid.refunded_amount == paid.paid_amount
