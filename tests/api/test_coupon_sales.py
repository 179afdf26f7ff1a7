"""卖券 end to end: on sale → buy (reserves a unit) → pay (coupon issued once, cause SALE) → refund
(coupon voided, price back exactly once); unpaid purchases expire; every refusal has its code."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.base import utcnow
from models.coupons.rows import CouponLedger, CouponTemplate, CustomerCoupon
from models.coupons.rules import CouponIssueCause
from models.coupons.sales import CouponPurchase
from models.enums import PaymentKind, PaymentStatus
from models.payments import PaymentTransaction
from services.commands import Deps
from services.orders.payments import confirm_payment
from services.sweeps import run_sweeps
from tests.api.conftest import Api
from tests.api.coupon_flow import claim, create_template, store_gid
from tests.api.coupon_ops_flow import (
    ISSUED_BY,
    PURCHASES,
    REFUND_PURCHASE,
    SET_PRICE,
    buy,
    on_sale,
    pay,
    payload,
    refund,
)
from tests.api.order_flow import PLACE, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed


async def test_buy_pay_refund_moves_the_price_exactly_once(api: Api, seed: Seed, db: Database) -> None:
    template = await on_sale(api, price=990, totalStock=5, perCustomerLimit=2)
    assert template["salePrice"] == {"cents": 990}
    shopper = (await seed.customer()).id
    bought = payload(await buy(api, shopper, template["id"]), "buyCoupon")["purchase"]
    assert bought["status"] == "UNPAID"
    assert bought["price"] == {"cents": 990}
    assert bought["template"]["reserved"] == 1
    assert bought["template"]["remaining"] == 4
    again = payload(await buy(api, shopper, template["id"]), "buyCoupon")["purchase"]
    assert again["id"] == bought["id"]  # the open purchase, not a second reservation

    paid = payload(await pay(api, shopper, bought["id"]), "payCouponPurchase")
    payment_no = paid["paymentNo"]
    mine = (await api.as_shopper(shopper).execute(PURCHASES)).data["couponPurchases"]
    assert [(p["status"], p["coupon"]["status"]) for p in mine] == [("PAID", "UNUSED")]
    assert mine[0]["template"]["reserved"] == 0
    assert mine[0]["template"]["remaining"] == 4
    # the gateway notifies again (a retry of its webhook): nothing more happens
    await confirm_payment(Deps(db.sessions, api.gateway), payment_no, "dup-notice")
    async with db.sessions() as s:
        coupons = (await s.scalars(select(CustomerCoupon))).all()
        issued = (await s.scalars(select(CouponLedger).where(CouponLedger.action == "ISSUED"))).all()
    assert len(coupons) == 1
    assert [r.coupon_id for r in issued] == [coupons[0].id]
    assert coupons[0].issue_cause is CouponIssueCause.SALE
    figures = (await api.as_hq().execute(ISSUED_BY, id=template["id"])).data["couponTemplate"]["figures"]
    assert figures == {"issued": 1, "claimed": 0, "sold": 1, "pushed": 0}

    done = payload(await refund(api, bought["id"], api.as_shopper(shopper)), "refundCouponPurchase")
    assert done["purchase"]["status"] == "REFUNDED"
    assert done["purchase"]["coupon"]["status"] == "VOIDED"
    assert done["refundNo"] == f"R{payment_no}"
    twice = await refund(api, bought["id"], api.as_hq())
    assert refused(twice, "refundCouponPurchase") == ["INVALID_TRANSITION"]
    assert api.gateway.refunded_total() == 990
    assert [c for c in api.gateway.calls if c[0] == "refund"] == [("refund", f"R{payment_no}", 990)]


async def test_a_locked_coupon_is_not_refunded(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=20)
    template = await on_sale(api, price=300)  # 满50减5
    bought = payload(await buy(api, shop.customer_id, template["id"]), "buyCoupon")["purchase"]
    coupon = payload(await pay(api, shop.customer_id, bought["id"]), "payCouponPurchase")["purchase"][
        "coupon"
    ]
    order_input = shop.order_input((shop.apple, 4))
    order_input["couponIds"] = [coupon["id"]]
    ok(await api.as_shopper(shop.customer_id).execute(PLACE, input=order_input), "placeOrder")
    r = await refund(api, bought["id"], api.as_shopper(shop.customer_id))
    assert refused(r, "refundCouponPurchase") == ["COUPON_UNAVAILABLE"]
    async with db.sessions() as s:
        purchase = (await s.scalars(select(CouponPurchase))).one()
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == "REFUND"))
        ).all()
    assert purchase.status.value == "PAID"
    assert refunds == []


async def test_unpaid_purchase_expires_and_late_money_goes_back(api: Api, seed: Seed, db: Database) -> None:
    template = await on_sale(api, price=500, totalStock=1)
    buyer, other = (await seed.customer()).id, (await seed.customer()).id
    bought = payload(await buy(api, buyer, template["id"]), "buyCoupon")["purchase"]
    # the last unit is reserved: another buyer does not get it (nor a claim: it is sold, not claimed)
    assert refused(await buy(api, other, template["id"]), "buyCoupon") == ["COUPON_OUT_OF_STOCK"]
    assert refused(await claim(api, other, template["id"]), "claimCoupon") == ["COUPON_UNAVAILABLE"]
    api.gateway.fail_next = 1  # the buyer pays, the gateway's notification is late
    payment_no = payload(await pay(api, buyer, bought["id"]), "payCouponPurchase")["paymentNo"]
    deps = Deps(db.sessions, api.gateway)
    report = await run_sweeps(deps, utcnow() + timedelta(minutes=31))
    assert report.coupon_purchases_expired == 1
    async with db.sessions() as s:
        row = (await s.scalars(select(CouponPurchase))).one()
        t = (await s.scalars(select(CouponTemplate))).one()
    assert row.status.value == "EXPIRED"
    assert t.reserved_count == 0
    assert t.issued_count == 0
    assert (await run_sweeps(deps, utcnow() + timedelta(minutes=32))).coupon_purchases_expired == 0
    await confirm_payment(deps, payment_no, "late")  # the money arrives after all: straight back
    async with db.sessions() as s:
        txs = (await s.scalars(select(PaymentTransaction).order_by(PaymentTransaction.id))).all()
        coupons = (await s.scalars(select(CustomerCoupon))).all()
    assert [(t.kind, t.status, t.amount) for t in txs] == [
        (PaymentKind.PAY, PaymentStatus.SUCCEEDED, 500),
        (PaymentKind.REFUND, PaymentStatus.SUCCEEDED, 500),
    ]
    assert coupons == []
    assert refused(await pay(api, buyer, bought["id"]), "payCouponPurchase") == ["INVALID_TRANSITION"]


async def test_sale_refusals_have_their_codes(api: Api, seed: Seed, db: Database) -> None:
    store = await seed.store("SHX")
    plain = await create_template(api, perCustomerLimit=1)
    shopper, stranger = (await seed.customer()).id, (await seed.customer()).id
    set_price = api.as_hq()
    for price, code in ((0, "BAD_USER_INPUT"), (2_000_000, "BAD_USER_INPUT")):
        r = await set_price.execute(SET_PRICE, input={"templateId": plain["id"], "priceCents": price})
        assert refused(r, "setCouponSalePrice") == [code]
    staff = api.as_staff(store.id)
    r = await staff.execute(SET_PRICE, input={"templateId": plain["id"], "priceCents": 100})
    assert refused(r, "setCouponSalePrice") == ["FORBIDDEN"]  # an HQ 全场券 is not the store's
    own = await create_template(api, type="STORE", storeIds=[store_gid(store.id)])
    r = await staff.execute(SET_PRICE, input={"templateId": own["id"], "priceCents": 290})
    assert payload(r, "setCouponSalePrice")["template"]["salePrice"] == {"cents": 290}
    assert refused(await buy(api, shopper, plain["id"]), "buyCoupon") == ["COUPON_UNAVAILABLE"]
    on = payload(
        await set_price.execute(SET_PRICE, input={"templateId": plain["id"], "priceCents": 100}),
        "setCouponSalePrice",
    )["template"]
    assert on["salePrice"] == {"cents": 100}
    bought = payload(await buy(api, shopper, plain["id"]), "buyCoupon")["purchase"]
    assert refused(await claim(api, stranger, plain["id"]), "claimCoupon") == ["COUPON_UNAVAILABLE"]
    assert refused(await pay(api, stranger, bought["id"]), "payCouponPurchase") == ["NOT_FOUND"]
    payload(await pay(api, shopper, bought["id"]), "payCouponPurchase")
    assert refused(await buy(api, shopper, plain["id"]), "buyCoupon") == ["COUPON_LIMIT_REACHED"]
    r = await refund(api, bought["id"], api.as_shopper(stranger))
    assert refused(r, "refundCouponPurchase") == ["NOT_FOUND"]
    blank = await api.as_shopper(shopper).execute(
        REFUND_PURCHASE,
        input={"purchaseId": bought["id"], "reason": "  ", "idempotencyKey": key()},
    )
    assert refused(blank, "refundCouponPurchase") == ["BAD_USER_INPUT"]
    off = await set_price.execute(SET_PRICE, input={"templateId": plain["id"], "priceCents": None})
    assert payload(off, "setCouponSalePrice")["template"]["salePrice"] is None
    assert refused(await claim(api, shopper, plain["id"]), "claimCoupon") == ["COUPON_LIMIT_REACHED"]
    async with db.sessions() as s:
        assert len((await s.scalars(select(CustomerCoupon))).all()) == 1
        assert len((await s.scalars(select(CouponPurchase))).all()) == 1
