"""Coupons end to end: 领券, 我的券, pricing with coupons, lock → use / unlock / restore (templates:
test_coupon_templates.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from gql.ids import encode_id
from models.base import utcnow
from models.coupons.rows import CouponLedger, CustomerCoupon, OrderAdjustment
from models.enums import Fulfillment
from services.commands import Deps
from services.sweeps import run_sweeps
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, created, spend_input
from tests.api.conftest import Api
from tests.api.coupon_flow import (
    AVAILABLE,
    FIGURES,
    MY,
    PREVIEW,
    claim,
    claimed,
    create_template,
    store_gid,
)
from tests.api.order_flow import ACCEPT, CANCEL, PAY, PLACE, Shop, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

PLACED = PLACE.replace(
    "lines {",
    "discountAmount { cents } deliveryFee { cents } "
    "pricing { layer text lineShares { cents } } lines { discountShare { cents } paidAmount { cents } ",
)


def _with(
    shop: Shop, *coupon_ids: str, apples: int = 4, fulfillment: Fulfillment = Fulfillment.STORE_DELIVERY
) -> dict[str, Any]:
    payload = shop.order_input((shop.apple, apples), fulfillment=fulfillment)
    payload["couponIds"] = list(coupon_ids)
    return payload


async def _states(db: Database) -> dict[str, str]:
    async with db.sessions() as s:
        return {c.code: c.status.value for c in (await s.scalars(select(CustomerCoupon))).all()}


async def test_claim_preview_place_pay_and_explain(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00; delivery 5.00, packaging 1.00
    created(
        await api.as_hq().execute(CREATE, input=spend_input([{"threshold": 6000, "reductionCents": 600}]))
    )
    goods = await create_template(api)  # 满50减5
    ship = await create_template(api, name="免运费", type="SHIPPING", amountOffCents=800, threshold=0)
    shopper = api.as_shopper(shop.customer_id)
    listed = (await shopper.execute(AVAILABLE, store=store_gid(shop.a.id))).data["availableCoupons"]
    assert {c["template"]["name"]: c["canClaim"] for c in listed} == {"满50减5": True, "免运费": True}
    mine = claimed(await claim(api, shop.customer_id, goods["id"]))
    free = claimed(await claim(api, shop.customer_id, ship["id"]))
    assert mine["status"] == "UNUSED"
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": 4}]
    preview = (
        await shopper.execute(
            PREVIEW,
            lines=lines,
            store=store_gid(shop.a.id),
            coupons=[mine["id"], free["id"]],
            f="STORE_DELIVERY",
        )
    ).data["previewPricing"]
    assert [a["text"] for a in preview["adjustments"]] == [
        "满减狂欢: 满60减6 −¥6.00",
        "券 满50减5 −¥5.00",
        "运费券 免运费 −¥5.00",
    ]
    assert preview["discountAmount"] == {"cents": 1100}
    assert preview["deliveryFee"] == {"cents": 0}
    assert preview["payableAmount"] == {"cents": 6000 - 1100 + 0 + 100}
    plain = (
        await shopper.execute(PREVIEW, lines=lines, store=store_gid(shop.a.id), f="STORE_DELIVERY")
    ).data["previewPricing"]
    assert plain["bestCoupon"] == {"id": mine["id"], "title": "满50减5"}
    assert plain["bestCouponSaving"] == {"cents": 500}

    order = ok(await shopper.execute(PLACED, input=_with(shop, mine["id"], free["id"])), "placeOrder")
    assert order["payableAmount"] == {"cents": 4900 + 100}
    assert [p["text"] for p in order["pricing"]] == [a["text"] for a in preview["adjustments"]]
    assert await _states(db) == {mine["code"]: "LOCKED", free["code"]: "LOCKED"}
    ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    assert await _states(db) == {mine["code"]: "USED", free["code"]: "USED"}
    campaign_id = (await api.as_hq().execute("{ campaigns(first: 1) { edges { node { id } } } }")).data[
        "campaigns"
    ]["edges"][0]["node"]["id"]
    cost = await api.as_hq().execute(
        "query($id: ID!) { campaign(id: $id) { data { discountCost { cents } } } }", id=campaign_id
    )
    assert cost.data["campaign"]["data"]["discountCost"] == {"cents": 600}  # the coupon is not its cost
    figures = (await api.as_hq().execute(FIGURES, id=goods["id"])).data["couponTemplate"]["figures"]
    assert figures == {
        "issued": 1,
        "claimed": 1,
        "unused": 0,
        "locked": 0,
        "used": 1,
        "expired": 0,
        "voided": 0,
        "discountGiven": {"cents": 500},
        "orders": 1,
    }
    used = (await shopper.execute(MY, status=["USED"])).data["myCoupons"]
    assert {c["code"] for c in used} == {mine["code"], free["code"]}
    async with db.sessions() as s:
        ledger = [
            (r.coupon_id, r.action.value)
            for r in (await s.scalars(select(CouponLedger).order_by(CouponLedger.id))).all()
        ]
        layers = [(a.layer.value, a.amount) for a in (await s.scalars(select(OrderAdjustment))).all()]
    assert [a for _, a in ledger] == ["ISSUED", "ISSUED", "LOCKED", "LOCKED", "USED", "USED"]
    assert layers == [("ORDER", 600), ("COUPON", 500), ("SHIPPING_COUPON", 500)]


async def test_refusals_have_their_codes_and_lock_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    other = await seed.store("SHX")
    shopper = api.as_shopper(shop.customer_id)
    big = claimed(
        await claim(
            api,
            shop.customer_id,
            (await create_template(api, name="满200减20", amountOffCents=2000, threshold=20000))["id"],
        )
    )
    foreign = claimed(
        await claim(
            api,
            shop.customer_id,
            (await create_template(api, name="别店券", type="STORE", storeIds=[store_gid(other.id)]))["id"],
        )
    )
    good = claimed(await claim(api, shop.customer_id, (await create_template(api, name="好券"))["id"]))
    cases = [
        ((big["id"],), "COUPON_BELOW_THRESHOLD"),
        ((foreign["id"],), "COUPON_NOT_APPLICABLE"),
        ((good["id"], big["id"]), "COUPON_NOT_APPLICABLE"),  # two goods coupons
        ((encode_id("Coupon", 99999),), "COUPON_UNAVAILABLE"),
    ]
    for ids, code in cases:
        assert refused(await shopper.execute(PLACE, input=_with(shop, *ids)), "placeOrder") == [code], ids
    stranger = await seed.customer()
    assert refused(
        await api.as_shopper(stranger.id).execute(PLACE, input=_with(shop, good["id"])), "placeOrder"
    ) == ["COUPON_UNAVAILABLE"]
    async with db.sessions() as s:
        coupon = await s.get(CustomerCoupon, int(_pk(good["id"])))
        assert coupon is not None
        coupon.expires_at = utcnow() - timedelta(minutes=1)
        await s.commit()
    assert refused(await shopper.execute(PLACE, input=_with(shop, good["id"])), "placeOrder") == [
        "COUPON_EXPIRED"
    ]
    assert set((await _states(db)).values()) == {"UNUSED"}
    async with db.sessions() as s:
        assert (await s.scalars(select(OrderAdjustment))).all() == []


def _pk(gid: str) -> str:
    from gql.ids import parse_global_id

    return parse_global_id(gid).node_id


async def test_cancel_and_timeout_unlock_full_refund_restores(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    t = await create_template(api, perCustomerLimit=3, totalStock=3)
    shopper = api.as_shopper(shop.customer_id)
    c1 = claimed(await claim(api, shop.customer_id, t["id"]))
    first = ok(await shopper.execute(PLACE, input=_with(shop, c1["id"])), "placeOrder")
    # a second order cannot take the locked coupon
    assert refused(await shopper.execute(PLACE, input=_with(shop, c1["id"])), "placeOrder") == [
        "COUPON_UNAVAILABLE"
    ]
    ok(
        await shopper.execute(
            CANCEL, input={"orderId": first["id"], "reason": "不要了", "idempotencyKey": key()}
        ),
        "cancelOrder",
    )
    assert (await _states(db))[c1["code"]] == "UNUSED"
    # payment timeout unlocks too
    ok(await shopper.execute(PLACE, input=_with(shop, c1["id"])), "placeOrder")
    assert (await _states(db))[c1["code"]] == "LOCKED"
    await run_sweeps(Deps(db.sessions, api.gateway), utcnow() + timedelta(minutes=31))
    assert (await _states(db))[c1["code"]] == "UNUSED"
    # paid, then a partial refund keeps it used; the rest refunded before completion restores it
    paid = ok(await shopper.execute(PLACED, input=_with(shop, c1["id"], apples=4)), "placeOrder")
    ok(
        await shopper.execute(
            PAY, input={"orderId": paid["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    line = paid["lines"][0]
    assert line["discountShare"] == {"cents": 500}
    assert [p["lineShares"] for p in paid["pricing"]] == [[{"cents": 500}]]
    staff = api.as_staff(shop.a.id)
    one = done(
        await staff.execute(
            REFUND_LINES,
            input={
                "orderId": paid["id"],
                "lines": [{"lineId": line["id"], "quantity": 1}],
                "reason": "缺货",
                "idempotencyKey": key(),
            },
        ),
        "refundLines",
    )
    assert one["afterSale"]["refundAmount"] == {"cents": (6000 - 500) // 4}
    assert (await _states(db))[c1["code"]] == "USED"
    done(
        await staff.execute(
            REFUND_LINES,
            input={
                "orderId": paid["id"],
                "lines": [{"lineId": line["id"], "quantity": 3}],
                "reason": "缺货",
                "idempotencyKey": key(),
            },
        ),
        "refundLines",
    )
    assert (await _states(db))[c1["code"]] == "UNUSED"
    async with db.sessions() as s:
        actions = [
            r.action.value for r in (await s.scalars(select(CouponLedger).order_by(CouponLedger.id))).all()
        ]
    assert actions == ["ISSUED", "LOCKED", "UNLOCKED", "LOCKED", "UNLOCKED", "LOCKED", "USED", "RESTORED"]


async def test_invite_coupons_are_usable(api: Api, seed: Seed, db: Database) -> None:
    from models.coupons.rows import CouponStatus
    from models.coupons.rules import CouponIssueCause, CouponThreshold, CouponType

    shop = await open_shop(seed, stock=50)
    async with db.sessions() as s, s.begin():
        s.add(
            CustomerCoupon(
                code="INV1",
                customer_id=shop.customer_id,
                type=CouponType.CAMPAIGN,
                amount=300,
                threshold_kind=CouponThreshold.AMOUNT,
                min_spend=0,
                title="邀请有礼优惠券",
                issue_cause=CouponIssueCause.INVITE,
                status=CouponStatus.UNUSED,
                issued_at=utcnow(),
                expires_at=utcnow() + timedelta(days=30),
            )
        )
    shopper = api.as_shopper(shop.customer_id)
    (coupon,) = (await shopper.execute(MY)).data["myCoupons"]
    assert coupon["type"] == "CAMPAIGN"
    order = ok(await shopper.execute(PLACED, input=_with(shop, coupon["id"], apples=1)), "placeOrder")
    assert [p["text"] for p in order["pricing"]] == ["券 邀请有礼优惠券 −¥3.00"]


async def test_the_sweeper_expires_and_hq_voids(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    t = await create_template(api, validDays=1, validUntil=None, perCustomerLimit=2)
    old = claimed(await claim(api, shop.customer_id, t["id"]))
    keep = claimed(await claim(api, shop.customer_id, t["id"]))
    void = """mutation($input: VoidCouponInput!) { voidCoupon(input: $input) {
      coupon { status } userErrors { code field } } }"""
    r = await api.as_hq().execute(void, input={"couponId": keep["id"], "reason": "发错了"})
    assert r.data["voidCoupon"] == {"coupon": {"status": "VOIDED"}, "userErrors": []}
    r = await api.as_hq().execute(void, input={"couponId": keep["id"], "reason": "again"})
    assert r.data["voidCoupon"]["userErrors"] == [
        {"code": "INVALID_TRANSITION", "field": ["input", "couponId"]}
    ]
    shopper = api.as_shopper(shop.customer_id)
    r = await shopper.execute(void, input={"couponId": keep["id"], "reason": "x"})
    assert r.error_codes == ["FORBIDDEN"]
    deps = Deps(db.sessions, api.gateway)
    assert (await run_sweeps(deps, utcnow() + timedelta(hours=23))).coupons_expired == 0
    assert (await run_sweeps(deps, utcnow() + timedelta(days=2))).coupons_expired == 1
    assert (await run_sweeps(deps, utcnow() + timedelta(days=3))).coupons_expired == 0
    assert await _states(db) == {old["code"]: "EXPIRED", keep["code"]: "VOIDED"}
    async with db.sessions() as s:
        actions = [
            r.action.value for r in (await s.scalars(select(CouponLedger).order_by(CouponLedger.id))).all()
        ]
    assert actions == ["ISSUED", "ISSUED", "VOIDED", "EXPIRED"]
