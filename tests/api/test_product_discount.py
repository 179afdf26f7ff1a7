"""商品折扣 (PRODUCT_DISCOUNT campaigns): a percentage off every SKU of chosen products, on each
store's own price, rounded down to the cent, losing to a lower item price."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from gql.ids import encode_id
from models.campaigns.rows import Campaign, ProductDiscountRule
from models.catalog.rows import StoreSku
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.api.order_flow import PLACE, Shop, key, ok, open_shop
from tests.api.test_price_cut import cut_input
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: STORE_DELIVERY, storeId: $store) {
    discountAmount { cents } lines { discount { cents } } adjustments { layer label text } } }"""
SETTINGS = "campaign { productDiscount { percentOff products { name } } "


def discount_input(shop: Shop, percent: int, products: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "PRODUCT_DISCOUNT",
        "name": "全场85折",
        **window(),
        "productDiscount": {
            "percentOff": percent,
            "productIds": products if products is not None else [encode_id("Product", shop.apple.product_id)],
        },
        "idempotencyKey": key(),
    }


async def _preview(api: Api, shop: Shop, apples: int, pears: int) -> dict[str, Any]:
    lines = [
        {"skuId": encode_id("Sku", shop.apple.id), "quantity": apples},
        {"skuId": encode_id("Sku", shop.pear.id), "quantity": pears},
    ]
    r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def test_percent_off_each_sku_in_exact_cents(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)  # one product: SKUs at 15.00 and 8.00
    r = await api.as_hq().execute(CREATE.replace("campaign {", SETTINGS, 1), input=discount_input(shop, 15))
    assert created(r)["productDiscount"] == {"percentOff": 15, "products": [{"name": "红富士苹果"}]}
    preview = await _preview(api, shop, 2, 1)  # 2 × 2.25 off and 1 × 1.20 off
    assert [line["discount"]["cents"] for line in preview["lines"]] == [450, 120]
    assert [a["text"] for a in preview["adjustments"]] == ["商品折扣 −¥4.50", "商品折扣 −¥1.20"]
    async with db.sessions() as session, session.begin():  # the store's own price 9.99: 149.85 → 149 off
        await session.execute(
            update(StoreSku)
            .where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.apple.id)
            .values(price_override=999)
        )
    assert [x["discount"]["cents"] for x in (await _preview(api, shop, 3, 1))["lines"]] == [3 * 149, 120]
    shopper = api.as_shopper(shop.customer_id)
    placed = PLACE.replace("lines {", "discountAmount { cents } lines { paidAmount { cents } ")
    order = ok(await shopper.execute(placed, input=shop.order_input((shop.apple, 3))), "placeOrder")
    assert order["discountAmount"] == {"cents": 447}
    assert order["lines"][0]["paidAmount"] == {"cents": 3 * 850}


async def test_a_lower_item_price_wins_over_the_discount(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    created(await hq.execute(CREATE, input=discount_input(shop, 10)))  # apple 13.50
    created(await hq.execute(CREATE, input=cut_input(shop, 1200)))  # apple 12.00
    preview = await _preview(api, shop, 1, 1)
    assert [a["text"] for a in preview["adjustments"]] == ["单品直降 −¥3.00", "商品折扣 −¥0.80"]


async def test_bad_discounts_are_refused_and_write_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    for bad, code, field in [
        (discount_input(shop, 0), "BAD_USER_INPUT", "productDiscount.percentOff"),
        (discount_input(shop, 100), "BAD_USER_INPUT", "productDiscount.percentOff"),
        (discount_input(shop, 10, []), "BAD_USER_INPUT", "productDiscount.productIds"),
        (discount_input(shop, 10, [encode_id("Product", 999)]), "NOT_FOUND", "productDiscount.productIds"),
    ]:
        r = await hq.execute(CREATE, input=bad)
        assert r.errors == [], r.errors
        errors = r.data["createCampaign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["input", *field.split(".")])]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
        assert await session.scalar(select(func.count()).select_from(ProductDiscountRule)) == 0
    created(await hq.execute(CREATE, input=discount_input(shop, 10)))
    query = """query($p: ID!) { productPromotions(productId: $p) { campaigns { type } } }"""
    listed = await hq.execute(query, p=encode_id("Product", shop.apple.product_id))
    assert listed.data["productPromotions"]["campaigns"] == [{"type": "PRODUCT_DISCOUNT"}]
