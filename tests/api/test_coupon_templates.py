"""Coupon templates end to end: stock, per-customer limits, editing once issued, stop and delete,
staff scope, and which promotions a product is in."""

from __future__ import annotations

from gql.ids import encode_id
from tests.api.campaign_flow import CREATE, created, spend_input
from tests.api.conftest import Api
from tests.api.coupon_flow import (
    AVAILABLE,
    DELETE_TEMPLATE,
    STOP_TEMPLATE,
    UPDATE_TEMPLATE,
    claim,
    claimed,
    create_template,
    made,
    store_gid,
    template_input,
)
from tests.api.order_flow import key, open_shop, refused
from tests.factories import Seed

CREATE_ERRORS = (
    "mutation($input: CreateCouponTemplateInput!) {"
    " createCouponTemplate(input: $input) { userErrors { code } } }"
)


async def test_template_rules_stock_limit_stop_delete(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    t = await create_template(api, totalStock=2, perCustomerLimit=1)
    claimed(await claim(api, shop.customer_id, t["id"]))
    assert refused(await claim(api, shop.customer_id, t["id"]), "claimCoupon") == ["COUPON_LIMIT_REACHED"]
    other = await seed.customer()
    claimed(await claim(api, other.id, t["id"]))
    third = await seed.customer()
    assert refused(await claim(api, third.id, t["id"]), "claimCoupon") == ["COUPON_OUT_OF_STOCK"]
    # once issued: the value is frozen, the stock may grow, never below what was issued
    change = {"templateId": t["id"], "idempotencyKey": key()}
    r = await hq.execute(
        UPDATE_TEMPLATE, input={**change, "template": template_input(amountOffCents=900, totalStock=2)}
    )
    assert refused(r, "updateCouponTemplate") == ["COUPON_NOT_EDITABLE"]
    r = await hq.execute(
        UPDATE_TEMPLATE, input={**change, "idempotencyKey": key(), "template": template_input(totalStock=1)}
    )
    assert refused(r, "updateCouponTemplate") == ["COUPON_NOT_EDITABLE"]
    grown = made(
        await hq.execute(
            UPDATE_TEMPLATE,
            input={
                **change,
                "idempotencyKey": key(),
                "template": template_input(name="满50减5 加量", totalStock=5),
            },
        ),
        "updateCouponTemplate",
    )
    assert (grown["name"], grown["remaining"]) == ("满50减5 加量", 3)
    assert refused(
        await hq.execute(DELETE_TEMPLATE, input={"templateId": t["id"]}), "deleteCouponTemplate"
    ) == ["COUPON_NOT_EDITABLE"]
    stopped = await hq.execute(STOP_TEMPLATE, input={"templateId": t["id"]})
    assert stopped.data["stopCouponTemplate"]["template"]["stoppedAt"] is not None
    assert refused(await claim(api, third.id, t["id"]), "claimCoupon") == ["COUPON_UNAVAILABLE"]
    unused = await create_template(api, name="没人领")
    assert (
        refused(await hq.execute(DELETE_TEMPLATE, input={"templateId": unused["id"]}), "deleteCouponTemplate")
        == []
    )
    # bad shapes and staff scope
    bad = await hq.execute(
        CREATE_ERRORS.replace("code }", "code field }"),
        input={"template": template_input(amountOffCents=6000)},
    )
    assert bad.data["createCouponTemplate"]["userErrors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "template", "amountOff"]}
    ]
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(
        CREATE_ERRORS,
        input={"template": template_input(type="ALL")},
    )
    assert r.data["createCouponTemplate"]["userErrors"] == [{"code": "FORBIDDEN"}]
    own = await staff.execute(
        CREATE_ERRORS.replace("userErrors", "template { type } userErrors"),
        input={"template": template_input(type="STORE", storeIds=[store_gid(shop.a.id)])},
    )
    assert own.data["createCouponTemplate"] == {"template": {"type": "STORE"}, "userErrors": []}
    listed = await hq.execute('{ couponTemplates(query: "加量") { totalCount edges { node { name } } } }')
    assert listed.errors == [], listed.errors
    assert listed.data["couponTemplates"] == {"totalCount": 1, "edges": [{"node": {"name": "满50减5 加量"}}]}


async def test_which_promotions_a_product_is_in(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    _, (yogurt,) = await seed.product("风味酸奶", prices=(1000,))
    apple_gid = encode_id("Product", shop.apple.product_id)
    yogurt_only = {"productIds": [encode_id("Product", yogurt.product_id)]}
    hq = api.as_hq()
    created(await hq.execute(CREATE, input=spend_input([{"threshold": 3000, "reductionCents": 300}])))
    created(
        await hq.execute(
            CREATE, input=spend_input([{"threshold": 2000, "reductionCents": 200}], spend=yogurt_only)
        )
    )
    await create_template(
        api, name="苹果券", type="PRODUCT", productIds=[apple_gid], amountOffCents=100, threshold=0
    )
    await create_template(api, name="酸奶券", type="PRODUCT", **yogurt_only, amountOffCents=100, threshold=0)
    query = """query($p: ID!, $s: ID) { productPromotions(productId: $p, storeId: $s) {
      campaigns { name type } coupons { name } } }"""
    r = await hq.execute(query, p=apple_gid, s=store_gid(shop.a.id))
    assert r.errors == [], r.errors
    assert r.data["productPromotions"] == {
        "campaigns": [{"name": "满减狂欢", "type": "SPEND_REWARD"}],
        "coupons": [{"name": "苹果券"}],
    }
    shopper = api.as_shopper(shop.customer_id)
    listed = (await shopper.execute(AVAILABLE, product=apple_gid)).data["availableCoupons"]
    assert [c["template"]["name"] for c in listed] == ["苹果券"]
    assert (await shopper.execute(query, p=apple_gid)).error_codes == ["FORBIDDEN"]
