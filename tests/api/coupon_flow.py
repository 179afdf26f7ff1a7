"""Documents and steps for coupon tests: templates through GraphQL, claims, orders with coupons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.base import utcnow
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, created, spend_input
from tests.api.conftest import Api, Response
from tests.api.order_flow import ACCEPT, PAY, PLACE, Shop, key, ok, open_shop
from tests.factories import Seed

TEMPLATE_FIELDS = """id code name type amountOff { cents } percentOff cap { cents } thresholdKind threshold
  totalStock issuedCount remaining perCustomerLimit validUntil validDays storeIds stoppedAt
  restoreOnRefund claimPath fulfillments"""
CREATE_TEMPLATE = f"""mutation($input: CreateCouponTemplateInput!) {{ createCouponTemplate(input: $input) {{
  template {{ {TEMPLATE_FIELDS} }} userErrors {{ code field message }} }} }}"""
UPDATE_TEMPLATE = f"""mutation($input: UpdateCouponTemplateInput!) {{ updateCouponTemplate(input: $input) {{
  template {{ {TEMPLATE_FIELDS} }} userErrors {{ code field message }} }} }}"""
STOP_TEMPLATE = """mutation($input: CouponTemplateIdInput!) { stopCouponTemplate(input: $input) {
  template { stoppedAt } userErrors { code field message } } }"""
DELETE_TEMPLATE = """mutation($input: CouponTemplateIdInput!) { deleteCouponTemplate(input: $input) {
  userErrors { code field message } } }"""
CLAIM = """mutation($input: CouponTemplateIdInput!) { claimCoupon(input: $input) {
  coupon { id code status type amount { cents } expiresAt } userErrors { code field message } } }"""
MY = """query($status: [CouponStatus!]) { myCoupons(status: $status) {
  id code title status type amount { cents } minSpend { cents } } }"""
AVAILABLE = """query($store: ID, $product: ID) { availableCoupons(storeId: $store, productId: $product) {
  claimed canClaim template { id name type remaining } } }"""
FIGURES = """query($id: ID!) { couponTemplate(id: $id) { issuedCount figures {
  issued claimed unused locked used expired voided discountGiven { cents } orders } } }"""
PREVIEW = """query($lines: [CartLineInput!]!, $store: ID, $coupons: [ID!], $f: Fulfillment!) {
  previewPricing(lines: $lines, fulfillment: $f, storeId: $store, couponIds: $coupons) {
    goodsAmount { cents } discountAmount { cents } deliveryFee { cents } payableAmount { cents }
    couponDiscount { cents } shippingDiscount { cents }
    adjustments { layer label amount { cents } text }
    bestCoupon { id title } bestCouponSaving { cents } } }"""


def template_input(**overrides: Any) -> dict[str, Any]:
    t: dict[str, Any] = {
        "name": "满50减5",
        "type": "ALL",
        "totalStock": 100,
        "amountOffCents": 500,
        "threshold": 5000,
        "perCustomerLimit": 1,
        "validUntil": (utcnow() + timedelta(days=7)).isoformat(),
    }
    t.update(overrides)
    return t


def made(r: Response, field: str = "createCouponTemplate") -> dict[str, Any]:
    assert r.errors == [], r.errors
    payload = r.data[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    template: dict[str, Any] = payload["template"]
    return template


async def create_template(api: Api, **overrides: Any) -> dict[str, Any]:
    return made(
        await api.as_hq().execute(
            CREATE_TEMPLATE, input={"template": template_input(**overrides), "idempotencyKey": key()}
        )
    )


async def claim(api: Api, customer_id: int, template_id: str) -> Response:
    return await api.as_shopper(customer_id).execute(
        CLAIM, input={"templateId": template_id, "idempotencyKey": key()}
    )


def claimed(r: Response) -> dict[str, Any]:
    assert r.errors == [], r.errors
    payload = r.data["claimCoupon"]
    assert payload["userErrors"] == [], payload["userErrors"]
    coupon: dict[str, Any] = payload["coupon"]
    return coupon


def store_gid(store_id: int) -> str:
    return encode_id("Store", store_id)


REFUND_LAYERS = """query($id: ID!) { afterSale(id: $id) { refundAmount { cents } refundLayers {
  goods { cents } itemPromotion { cents } orderPromotion { cents } goodsCoupon { cents } lowered { cents }
  priceDifference { cents } deliveryFee { cents } shippingCoupon { cents } packagingFee { cents }
  heldBack { cents } amount { cents } } } }"""


def cents(layers: dict[str, Any]) -> dict[str, int]:
    return {name: value["cents"] for name, value in layers.items() if value["cents"]}


@dataclass(frozen=True, slots=True)
class CouponOrders:
    """Two paid orders of 4 apples (¥15.00) at store A with 满60减6, a 满50减5 and a free-delivery
    coupon: `kept` refunded 1 unit (coupons stay USED), `returned` refunded 1 unit lowered to ¥10.00
    then the rest before completion (its coupons come back UNUSED, the fees are refunded)."""

    shop: Shop
    goods: dict[str, Any]
    shipping: dict[str, Any]
    kept: dict[str, Any]
    returned: dict[str, Any]
    refunds: tuple[str, str, str]
    """After-sale ids: kept's 1 unit, returned's 1 unit (lowered), returned's last 3."""


async def coupon_orders(api: Api, seed: Seed) -> CouponOrders:
    shop = await open_shop(seed, stock=50)  # apples 15.00; delivery 5.00, packaging 1.00
    created(
        await api.as_hq().execute(CREATE, input=spend_input([{"threshold": 6000, "reductionCents": 600}]))
    )
    goods = await create_template(api, perCustomerLimit=3)  # 满50减5
    shipping = await create_template(
        api, name="免运费", type="SHIPPING", amountOffCents=800, threshold=0, perCustomerLimit=3
    )
    shopper, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    orders, refunds = [], []
    for lowered in (None, 1000):
        held = [claimed(await claim(api, shop.customer_id, t["id"]))["id"] for t in (goods, shipping)]
        payload = shop.order_input((shop.apple, 4))
        payload["couponIds"] = held
        order = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
        pay = {"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ok(await shopper.execute(PAY, input=pay), "payOrder")
        ok(await staff.execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")
        orders.append(order)
        steps = [(1, lowered)] if lowered is None else [(1, lowered), (3, None)]
        for quantity, amount in steps:
            line: dict[str, Any] = {"lineId": order["lines"][0]["id"], "quantity": quantity}
            if amount is not None:
                line["amountCents"] = amount
            refund = {"orderId": order["id"], "lines": [line], "reason": "缺货", "idempotencyKey": key()}
            refunds.append(
                done(await staff.execute(REFUND_LINES, input=refund), "refundLines")["afterSale"]["id"]
            )
    # a third claim of the goods template stays UNUSED
    claimed(await claim(api, shop.customer_id, goods["id"]))
    return CouponOrders(shop, goods, shipping, orders[0], orders[1], (refunds[0], refunds[1], refunds[2]))
