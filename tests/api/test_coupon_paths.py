"""A template's claim path (领券中心, only a store's link, never) and scenes (适用场景: the fulfilments
its coupons may be used with), through GraphQL."""

from __future__ import annotations

from sqlalchemy import select

from models.coupons.rows import CustomerCoupon
from models.enums import Fulfillment
from tests.api.conftest import Api
from tests.api.coupon_flow import (
    AVAILABLE,
    UPDATE_TEMPLATE,
    claim,
    claimed,
    create_template,
    store_gid,
    template_input,
)
from tests.api.order_flow import PLACE, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

LINK = """query($t: ID!, $s: ID!) { couponClaimLink(templateId: $t, storeId: $s) { signature } }"""
BY_LINK = """mutation($input: ClaimCouponByLinkInput!) { claimCouponByLink(input: $input) {
  coupon { code status } userErrors { code field message } } }"""


def _codes(r: object, field: str) -> list[str]:
    data = r.data[field]  # type: ignore[attr-defined]
    return [e["code"] for e in data["userErrors"]]


async def test_claim_paths(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    center = await create_template(api)
    by_link = await create_template(api, name="扫码满50减5", claimPath="LINK")
    never = await create_template(api, name="发券专享", claimPath="ISSUE_ONLY")
    assert (center["claimPath"], by_link["claimPath"], never["claimPath"]) == ("CENTER", "LINK", "ISSUE_ONLY")
    listed = (await api.as_shopper(shop.customer_id).execute(AVAILABLE, store=store_gid(shop.a.id))).data
    assert [c["template"]["id"] for c in listed["availableCoupons"]] == [center["id"]]
    for template in (by_link, never):
        assert _codes(await claim(api, shop.customer_id, template["id"]), "claimCoupon") == [
            "COUPON_UNAVAILABLE"
        ]
    # a LINK template is claimed through a store's signed link; an ISSUE_ONLY one has no link
    signed = await api.as_hq().execute(LINK, t=by_link["id"], s=store_gid(shop.a.id))
    link = {
        "templateId": by_link["id"],
        "storeId": store_gid(shop.a.id),
        "signature": signed.data["couponClaimLink"]["signature"],
    }
    got = await api.as_shopper(shop.customer_id).execute(BY_LINK, input=link)
    assert got.data["claimCouponByLink"]["coupon"]["status"] == "UNUSED"
    none = await api.as_hq().execute(LINK, t=never["id"], s=store_gid(shop.a.id))
    assert none.errors[0]["extensions"]["code"] == "COUPON_UNAVAILABLE"
    # the path may change at any time (it is no part of the coupons' promise)
    moved = await api.as_hq().execute(
        UPDATE_TEMPLATE,
        input={
            "templateId": by_link["id"],
            "idempotencyKey": key(),
            "template": template_input(name="扫码满50减5"),
        },
    )
    assert moved.data["updateCouponTemplate"]["template"]["claimPath"] == "CENTER"


async def test_scenes_limit_the_fulfilments_a_coupon_is_used_with(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=20)
    pickup_only = await create_template(
        api, name="自提满50减5", fulfillments=["SELF_PICKUP"], perCustomerLimit=2
    )
    assert pickup_only["fulfillments"] == ["SELF_PICKUP"]
    coupon = claimed(await claim(api, shop.customer_id, pickup_only["id"]))
    shopper = api.as_shopper(shop.customer_id)
    delivered = shop.order_input((shop.apple, 4), fulfillment=Fulfillment.STORE_DELIVERY)
    delivered["couponIds"] = [coupon["id"]]
    assert refused(await shopper.execute(PLACE, input=delivered), "placeOrder") == ["COUPON_NOT_APPLICABLE"]
    async with db.sessions() as s:
        row = (await s.scalars(select(CustomerCoupon).where(CustomerCoupon.code == coupon["code"]))).one()
    assert (row.status.value, row.fulfillments) == ("UNUSED", ["SELF_PICKUP"])
    picked = shop.order_input((shop.apple, 4), fulfillment=Fulfillment.SELF_PICKUP)
    picked["couponIds"] = [coupon["id"]]
    ok(await shopper.execute(PLACE, input=picked), "placeOrder")
    # once coupons are issued, the scenes are part of their promise
    r = await api.as_hq().execute(
        UPDATE_TEMPLATE,
        input={
            "templateId": pickup_only["id"],
            "idempotencyKey": key(),
            "template": template_input(name="自提满50减5", perCustomerLimit=2),
        },
    )
    errors = r.data["updateCouponTemplate"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("COUPON_NOT_EDITABLE", ["input", "template", "fulfillments"])
    ]
