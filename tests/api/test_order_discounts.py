"""Order-level discounts end to end: 满额/满件折扣 (ORDER_DISCOUNT), 多买多折 (MULTI_BUY_DISCOUNT) and
X元Y件 (BUNDLE_PRICE) — created through GraphQL, priced in previewPricing and placeOrder, one per
order (priority, then the buyer's best), refunded pro rata, counted in the data view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gql.ids import encode_id
from models.campaigns.rows import Campaign, CampaignProduct, OrderDiscountRule, OrderDiscountTier
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, UPDATE, created, spend_input, window
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PAY, PLACE, Shop, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: SELF_PICKUP, storeId: $store) {
    discountAmount { cents } campaignId adjustments { layer text } nextTier { text } } }"""
PLACED = PLACE.replace(
    "lines {", "discountAmount { cents } pricing { layer label } lines { discountShare { cents } "
)
SETTINGS = """campaign { id priority orderDiscount { thresholdKind cap { cents } bundleQuantity
  bundlePrice { cents } tiers { threshold percentOff label } products { name } } """


def _products(shop: Shop) -> list[str]:
    return [encode_id("Product", shop.apple.product_id)]


def multi_buy_input(shop: Shop, tiers: list[tuple[int, int]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "MULTI_BUY_DISCOUNT",
        "name": "多买多折",
        **window(),
        "multiBuyDiscount": {
            "tiers": [{"quantity": q, "percentOff": p} for q, p in tiers],
            "productIds": _products(shop),
        },
        "idempotencyKey": key(),
        **extra,
    }


def order_discount_input(
    tiers: list[tuple[int, int]], kind: str = "AMOUNT", cap: int | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "ORDER_DISCOUNT",
        "name": "满额折",
        **window(),
        "orderDiscount": {
            "thresholdKind": kind,
            "tiers": [{"threshold": t, "percentOff": p} for t, p in tiers],
            "capCents": cap,
        },
        "idempotencyKey": key(),
        **extra,
    }


def bundle_input(shop: Shop, quantity: int, price: int) -> dict[str, Any]:
    return {
        "type": "BUNDLE_PRICE",
        "name": "任选",
        **window(),
        "bundlePrice": {"quantity": quantity, "priceCents": price, "productIds": _products(shop)},
        "idempotencyKey": key(),
    }


async def _preview(api: Api, shop: Shop, apples: int, pears: int = 0) -> dict[str, Any]:
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
    if pears:
        lines.append({"skuId": encode_id("Sku", shop.pear.id), "quantity": pears})
    r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def test_multi_buy_tiers_place_and_refund_in_exact_cents(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # one product: apples 15.00, pears 8.00
    r = await api.as_hq().execute(
        CREATE.replace("campaign {", SETTINGS, 1), input=multi_buy_input(shop, [(2, 10), (3, 20)])
    )
    settings = created(r)["orderDiscount"]
    assert settings["tiers"] == [
        {"threshold": 2, "percentOff": 10, "label": "9折"},
        {"threshold": 3, "percentOff": 20, "label": "8折"},
    ]
    assert settings["products"] == [{"name": "红富士苹果"}]
    one = await _preview(api, shop, 1)
    assert one["discountAmount"] == {"cents": 0}
    assert one["nextTier"] == {"text": "再买1件享9折"}
    two = await _preview(api, shop, 1, 1)  # both SKUs of the product count: 23.00 at 9折
    assert two["adjustments"] == [{"layer": "ORDER", "text": "多买多折: 满2件9折 −¥2.30"}]
    assert two["nextTier"] == {"text": "再买1件享8折"}
    shopper = api.as_shopper(shop.customer_id)
    order = ok(
        await shopper.execute(PLACED, input=shop.order_input((shop.apple, 2), (shop.pear, 1))), "placeOrder"
    )
    assert order["discountAmount"] == {"cents": 760}  # 38.00 × 20 %
    assert order["pricing"] == [{"layer": "ORDER", "label": "多买多折: 满3件8折"}]
    assert [line["discountShare"]["cents"] for line in order["lines"]] == [600, 160]
    ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")
    refund = {
        "orderId": order["id"],
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
        "reason": "缺货",
        "idempotencyKey": key(),
    }
    r2 = done(await api.as_staff(shop.a.id).execute(REFUND_LINES, input=refund), "refundLines")
    assert r2["afterSale"]["refundAmount"] == {"cents": 1200}  # (3000 − 600) / 2
    data = await api.as_hq().execute(
        "query($id: ID!) { campaign(id: $id) { data { orders discountCost { cents } } } }",
        id=r.data["createCampaign"]["campaign"]["id"],
    )
    assert data.data["campaign"]["data"] == {"orders": 1, "discountCost": {"cents": 760}}


async def test_amount_discount_cap_and_priority_against_a_spend_reward(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    r = await hq.execute(
        CREATE.replace("campaign {", SETTINGS, 1), input=order_discount_input([(5000, 50)], cap=1500)
    )
    assert created(r)["orderDiscount"]["cap"] == {"cents": 1500}
    assert (await _preview(api, shop, 4))["adjustments"] == [
        {"layer": "ORDER", "text": "满额折: 满50元5折 −¥15.00"}
    ]
    # a 满60减5 gives less: the buyer's best applies — until it is given a higher priority
    spend = spend_input([{"threshold": 6000, "reductionCents": 500}], priority=1)
    spend_id = created(await hq.execute(CREATE, input=spend))["id"]
    preview = await _preview(api, shop, 4)
    assert preview["adjustments"] == [{"layer": "ORDER", "text": "满减狂欢: 满60减5 −¥5.00"}]
    assert preview["campaignId"] == spend_id
    # priority is fixed once a campaign has started
    r3 = await hq.execute(UPDATE, input={"campaignId": spend_id, "priority": 0, "idempotencyKey": key()})
    assert [(e["code"], e["field"]) for e in r3.data["updateCampaign"]["userErrors"]] == [
        ("CAMPAIGN_NOT_EDITABLE", ["input", "priority"])
    ]


async def test_bundle_groups_repeat_and_stop_when_they_would_cost_more(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    r = await api.as_hq().execute(
        CREATE.replace("campaign {", SETTINGS, 1), input=bundle_input(shop, 2, 2000)
    )
    settings = created(r)["orderDiscount"]
    assert (settings["bundleQuantity"], settings["bundlePrice"]) == (2, {"cents": 2000})
    # apples 15, 15, 15 and pears 8, 8: groups (15, 15) → 10 off, (15, 8) → 3 off; (8) alone
    preview = await _preview(api, shop, 3, 2)
    assert preview["adjustments"] == [{"layer": "ORDER", "text": "任选: 20元2件 ×2 −¥13.00"}]
    assert (await _preview(api, shop, 0 + 1))["nextTier"] == {"text": "再买1件凑20元2件"}


async def test_bad_order_discounts_are_refused_and_write_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    cases = [
        (multi_buy_input(shop, [(1, 10)]), "BAD_USER_INPUT", "multiBuyDiscount.tiers"),
        (multi_buy_input(shop, [(2, 100)]), "BAD_USER_INPUT", "multiBuyDiscount.tiers.0.percentOff"),
        (multi_buy_input(shop, [(2, 20), (3, 10)]), "BAD_USER_INPUT", "multiBuyDiscount.tiers"),
        (multi_buy_input(shop, [(2, 10), (2, 20)]), "BAD_USER_INPUT", "multiBuyDiscount.tiers"),
        (order_discount_input([]), "BAD_USER_INPUT", "orderDiscount.tiers"),
        (order_discount_input([(0, 10)]), "BAD_USER_INPUT", "orderDiscount.tiers.0.threshold"),
        (order_discount_input([(5000, 10)], cap=0), "BAD_USER_INPUT", "orderDiscount.capCents"),
        (order_discount_input([(5000, 10)], priority=100), "BAD_USER_INPUT", "priority"),
        (bundle_input(shop, 1, 1000), "BAD_USER_INPUT", "bundlePrice.quantity"),
        (bundle_input(shop, 2, 0), "BAD_USER_INPUT", "bundlePrice.priceCents"),
        ({**bundle_input(shop, 2, 1000), "bundlePrice": None}, "BAD_USER_INPUT", "bundlePrice"),
        (
            {**bundle_input(shop, 2, 1000), "type": "MULTI_BUY_DISCOUNT"},
            "BAD_USER_INPUT",
            "multiBuyDiscount",
        ),
        (
            {
                **multi_buy_input(shop, [(2, 10)]),
                "multiBuyDiscount": {
                    "tiers": [{"quantity": 2, "percentOff": 10}],
                    "productIds": [encode_id("Product", 999)],
                },
            },
            "NOT_FOUND",
            "multiBuyDiscount.productIds",
        ),
    ]
    for bad, code, field in cases:
        r = await hq.execute(CREATE, input=bad)
        assert r.errors == [], r.errors
        errors = r.data["createCampaign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["input", *field.split(".")])], field
    async with db.sessions() as session:
        for model in (Campaign, OrderDiscountRule, OrderDiscountTier, CampaignProduct):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


async def test_stopping_ends_the_discount_and_the_audit_query_lists_it(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    multi = created(await hq.execute(CREATE, input=multi_buy_input(shop, [(2, 10)])))
    everything = created(await hq.execute(CREATE, input=order_discount_input([(1, 5)], kind="QUANTITY")))
    query = """query($p: ID!) { productPromotions(productId: $p) { campaigns { id type } } }"""
    listed = await hq.execute(query, p=encode_id("Product", shop.apple.product_id))
    assert {c["type"] for c in listed.data["productPromotions"]["campaigns"]} == {
        "MULTI_BUY_DISCOUNT",
        "ORDER_DISCOUNT",
    }
    stop = "mutation($input: StopCampaignInput!) { stopCampaign(input: $input) { userErrors { code } } }"
    for c in (multi, everything):
        r = await hq.execute(stop, input={"campaignId": c["id"], "idempotencyKey": key()})
        assert r.data["stopCampaign"]["userErrors"] == []
    assert (await _preview(api, shop, 3))["discountAmount"] == {"cents": 0}


async def test_conflicts_with_other_order_promotions_before_the_start(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    _, (yogurt,) = await seed.product("风味酸奶", prices=(600,))
    hq = api.as_hq()
    later = window(hours_before=-24)
    multi = created(await hq.execute(CREATE, input={**multi_buy_input(shop, [(2, 10)]), **later}))
    spend = created(await hq.execute(CREATE, input=spend_input([{"threshold": 3000, "reductionCents": 300}])))
    elsewhere = {"productIds": [encode_id("Product", yogurt.product_id)]}
    created(
        await hq.execute(
            CREATE,
            input={
                **bundle_input(shop, 2, 500),
                "bundlePrice": {"quantity": 2, "priceCents": 500, **elsewhere},
            },
        )
    )
    query = """query($id: ID!) { campaign(id: $id) {
      priority promotionConflicts { wins otherCampaign { id } } } }"""
    seen = (await hq.execute(query, id=multi["id"])).data["campaign"]
    assert seen["promotionConflicts"] == [{"wins": None, "otherCampaign": {"id": spend["id"]}}]
    raised = await hq.execute(
        UPDATE.replace("name endsAt", "name endsAt priority"),
        input={"campaignId": multi["id"], "priority": 5, "idempotencyKey": key()},
    )
    assert raised.data["updateCampaign"]["userErrors"] == []
    assert raised.data["updateCampaign"]["campaign"]["priority"] == 5
    seen = (await hq.execute(query, id=multi["id"])).data["campaign"]
    assert seen["promotionConflicts"] == [{"wins": True, "otherCampaign": {"id": spend["id"]}}]


async def test_store_staff_run_discounts_for_their_own_stores_only(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    staff = api.as_staff(shop.a.id)
    mine = created(
        await staff.execute(
            CREATE, input=multi_buy_input(shop, [(2, 10)], storeIds=[encode_id("Store", shop.a.id)])
        )
    )
    assert mine["allStores"] is False
    for scope in ([], [encode_id("Store", shop.b.id)]):
        r = await staff.execute(CREATE, input=multi_buy_input(shop, [(2, 10)], storeIds=scope))
        assert [e["code"] for e in r.data["createCampaign"]["userErrors"]] == ["FORBIDDEN"]
    at_b = await api.execute(
        PREVIEW.replace("SELF_PICKUP", "STORE_DELIVERY"),
        lines=[{"skuId": encode_id("Sku", shop.apple.id), "quantity": 2}],
        store=encode_id("Store", shop.b.id),
    )
    assert at_b.data["previewPricing"]["discountAmount"] == {"cents": 0}  # not a store of the campaign
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": 300}
