"""Documents and steps for 卖券 (coupon sale) and 发券 (push) tests."""

from __future__ import annotations

from typing import Any

from gql.ids import encode_id
from tests.api.conftest import Api, Response
from tests.api.coupon_flow import create_template
from tests.api.order_flow import key

SET_PRICE = """mutation($input: SetCouponSalePriceInput!) { setCouponSalePrice(input: $input) {
  template { id salePrice { cents } reserved remaining } userErrors { code field message } } }"""
PURCHASE_FIELDS = """id purchaseNo status price { cents } paidAt refundedAt expiredAt
  coupon { id code status } template { id name reserved remaining }"""
BUY = f"""mutation($input: CouponTemplateIdInput!) {{ buyCoupon(input: $input) {{
  purchase {{ {PURCHASE_FIELDS} }} userErrors {{ code field message }} }} }}"""
PAY_PURCHASE = f"""mutation($input: PayCouponPurchaseInput!) {{ payCouponPurchase(input: $input) {{
  paymentNo purchase {{ {PURCHASE_FIELDS} }} userErrors {{ code field message }} }} }}"""
REFUND_PURCHASE = f"""mutation($input: RefundCouponPurchaseInput!) {{ refundCouponPurchase(input: $input) {{
  refundNo purchase {{ {PURCHASE_FIELDS} }} userErrors {{ code field message }} }} }}"""
PURCHASES = (
    f"""query($status: [PurchaseStatus!]) {{ couponPurchases(status: $status) {{ {PURCHASE_FIELDS} }} }}"""
)
JOB_FIELDS = """id state targetKind targeted issued done error
  skipped { alreadyHas limit stock } template { id name }"""
START_PUSH = f"""mutation($input: StartCouponPushInput!) {{ startCouponPush(input: $input) {{
  job {{ {JOB_FIELDS} }} userErrors {{ code field message }} }} }}"""
JOB = f"""query($id: ID!) {{ couponPushJob(id: $id) {{ {JOB_FIELDS} }} }}"""
ISSUED_BY = """query($id: ID!) { couponTemplate(id: $id) { figures { issued claimed sold pushed } } }"""
CLAIM_LINK = """query($t: ID!, $s: ID!) { couponClaimLink(templateId: $t, storeId: $s) {
  templateId storeId signature url qrUrl } }"""
CLAIM_BY_LINK = """mutation($input: ClaimCouponByLinkInput!) { claimCouponByLink(input: $input) {
  coupon { id code status } userErrors { code field message } } }"""


def payload(r: Response, field: str) -> dict[str, Any]:
    assert r.errors == [], r.errors
    body: dict[str, Any] = r.data[field]
    assert body["userErrors"] == [], body["userErrors"]
    return body


async def on_sale(api: Api, price: int = 990, **template: Any) -> dict[str, Any]:
    """A template created by HQ and put on sale at `price` cents."""
    t = await create_template(api, **template)
    r = await api.as_hq().execute(SET_PRICE, input={"templateId": t["id"], "priceCents": price})
    return dict(payload(r, "setCouponSalePrice")["template"])


async def buy(api: Api, customer_id: int, template_id: str) -> Response:
    return await api.as_shopper(customer_id).execute(
        BUY, input={"templateId": template_id, "idempotencyKey": key()}
    )


async def pay(api: Api, customer_id: int, purchase_id: str) -> Response:
    return await api.as_shopper(customer_id).execute(
        PAY_PURCHASE, input={"purchaseId": purchase_id, "method": "WECHAT_PAY", "idempotencyKey": key()}
    )


async def refund(api: Api, purchase_id: str, who: Api) -> Response:
    return await who.execute(
        REFUND_PURCHASE, input={"purchaseId": purchase_id, "reason": "不想要了", "idempotencyKey": key()}
    )


def customer_gids(*ids: int) -> list[str]:
    return [encode_id("Customer", i) for i in ids]
