"""Documents and steps for coupon tests: templates through GraphQL, claims, orders with coupons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.base import utcnow
from tests.api.conftest import Api, Response
from tests.api.order_flow import key

TEMPLATE_FIELDS = """id code name type amountOff { cents } percentOff cap { cents } thresholdKind threshold
  totalStock issuedCount remaining perCustomerLimit validUntil validDays storeIds stoppedAt"""
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
