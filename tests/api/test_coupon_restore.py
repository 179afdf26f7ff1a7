"""The restore-on-refund policy of a coupon template: NEVER, FULL_REFUND_BEFORE_COMPLETION (the
default) and FULL_REFUND, through GraphQL from the template to the refund that gives a coupon back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.coupons.rows import CouponLedger, CustomerCoupon
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.conftest import Api
from tests.api.coupon_flow import (
    FIGURES,
    UPDATE_TEMPLATE,
    claim,
    claimed,
    create_template,
    template_input,
)
from tests.api.order_flow import ACCEPT, CONFIRM, PAY, PLACE, SHIP, Shop, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

MINE = "query { myCoupons { code status restoreOnRefund } }"


async def _paid_order(api: Api, shop: Shop, *coupon_ids: str) -> dict[str, Any]:
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input((shop.apple, 4))
    payload["couponIds"] = list(coupon_ids)
    order = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    pay = {"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    return ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")


async def _complete(api: Api, shop: Shop, order: dict[str, Any]) -> None:
    parcel = {
        "carrier": "门店配送",
        "trackingNo": f"D{key()}",
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": 4}],
    }
    ok(
        await api.as_staff(shop.a.id).execute(SHIP, input={"orderId": order["id"], "parcels": [parcel]}),
        "shipOrder",
    )
    done_order = ok(
        await api.as_shopper(shop.customer_id).execute(CONFIRM, input={"orderId": order["id"]}),
        "confirmReceipt",
    )
    assert done_order["status"] == "COMPLETED"


async def _refund_all(api: Api, shop: Shop, order: dict[str, Any]) -> None:
    line = {"lineId": order["lines"][0]["id"], "quantity": 4}
    refund = {"orderId": order["id"], "lines": [line], "reason": "缺货", "idempotencyKey": key()}
    done(await api.as_staff(shop.a.id).execute(REFUND_LINES, input=refund), "refundLines")


async def _coupon(db: Database, code: str) -> tuple[str, list[tuple[str, str | None]]]:
    async with db.sessions() as s:
        coupon = await s.scalar(select(CustomerCoupon).where(CustomerCoupon.code == code))
        assert coupon is not None
        rows = (
            await s.scalars(
                select(CouponLedger).where(CouponLedger.coupon_id == coupon.id).order_by(CouponLedger.id)
            )
        ).all()
    return coupon.status.value, [(r.action.value, r.note) for r in rows]


async def test_never_keeps_a_coupon_used_after_a_full_refund(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    goods = await create_template(api, restoreOnRefund="NEVER")
    shipping = await create_template(
        api, name="免运费", type="SHIPPING", amountOffCents=300, threshold=0, restoreOnRefund="NEVER"
    )
    held = [claimed(await claim(api, shop.customer_id, t["id"])) for t in (goods, shipping)]
    mine = (await api.as_shopper(shop.customer_id).execute(MINE)).data["myCoupons"]
    assert {c["restoreOnRefund"] for c in mine} == {"NEVER"}
    order = await _paid_order(api, shop, *(c["id"] for c in held))
    await _refund_all(api, shop, order)
    for coupon in held:
        status, ledger = await _coupon(db, coupon["code"])
        assert status == "USED"
        assert [a for a, _ in ledger] == ["ISSUED", "LOCKED", "USED"]
    # every unit and the fees went back: neither coupon cost anything, and the order drove no sales
    for t in (goods, shipping):
        figures = (await api.as_hq().execute(FIGURES, id=t["id"])).data["couponTemplate"]["figures"]
        assert (figures["used"], figures["orders"], figures["discountGiven"]) == (1, 1, {"cents": 0})


async def test_the_default_restores_only_before_completion(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    template = await create_template(api, perCustomerLimit=2)
    assert template["restoreOnRefund"] == "FULL_REFUND_BEFORE_COMPLETION"
    before = claimed(await claim(api, shop.customer_id, template["id"]))
    after = claimed(await claim(api, shop.customer_id, template["id"]))
    early = await _paid_order(api, shop, before["id"])
    await _refund_all(api, shop, early)
    assert (await _coupon(db, before["code"]))[0] == "UNUSED"
    late = await _paid_order(api, shop, after["id"])
    await _complete(api, shop, late)
    await _refund_all(api, shop, late)
    status, ledger = await _coupon(db, after["code"])
    assert status == "USED"
    assert ledger[-1][0] == "USED"
    figures = (await api.as_hq().execute(FIGURES, id=template["id"])).data["couponTemplate"]["figures"]
    assert (figures["used"], figures["unused"], figures["discountGiven"]) == (1, 1, {"cents": 0})


async def test_full_refund_restores_after_completion_too(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    template = await create_template(api, restoreOnRefund="FULL_REFUND")
    coupon = claimed(await claim(api, shop.customer_id, template["id"]))
    order = await _paid_order(api, shop, coupon["id"])
    await _complete(api, shop, order)
    await _refund_all(api, shop, order)
    status, ledger = await _coupon(db, coupon["code"])
    assert status == "UNUSED"
    assert ledger[-1] == ("RESTORED", "order refunded in full after completion")
    figures = (await api.as_hq().execute(FIGURES, id=template["id"])).data["couponTemplate"]["figures"]
    assert (figures["used"], figures["unused"], figures["orders"]) == (0, 1, 0)


async def test_the_policy_is_frozen_once_coupons_are_issued(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    template = await create_template(api)
    update = {"templateId": template["id"], "idempotencyKey": key()}
    changed = await api.as_hq().execute(
        UPDATE_TEMPLATE, input={**update, "template": template_input(restoreOnRefund="FULL_REFUND")}
    )
    assert changed.data["updateCouponTemplate"]["userErrors"] == []
    assert changed.data["updateCouponTemplate"]["template"]["restoreOnRefund"] == "FULL_REFUND"
    claimed(await claim(api, shop.customer_id, template["id"]))
    r = await api.as_hq().execute(
        UPDATE_TEMPLATE,
        input={**update, "idempotencyKey": key(), "template": template_input(restoreOnRefund="NEVER")},
    )
    assert [(e["code"], e["field"]) for e in r.data["updateCouponTemplate"]["userErrors"]] == [
        ("COUPON_NOT_EDITABLE", ["input", "template", "restoreOnRefund"])
    ]
