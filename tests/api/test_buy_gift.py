"""单品买赠 (BUY_GIFT campaigns): buy N of a listed product, get M of a gift SKU free, from the
campaign's own gift stock — taken atomically at placeOrder, given back on cancellation."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from gql.ids import encode_id
from models.campaigns.rows import BuyGiftRule, Campaign, FlashSaleTake
from models.catalog.rows import Sku
from models.orders.rows import Order
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.api.order_flow import CANCEL, PAY, PLACE, Shop, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: SELF_PICKUP, storeId: $store) {
    discountAmount { cents } lines { productName quantity isGift } } }"""
SETTINGS = """campaign { id buyGift { buyQuantity giftQuantity giftStock giftsGiven giftSku { skuCode }
  products { name } } """
PLACED = PLACE.replace("lines {", "discountAmount { cents } lines { isGift ")
GIVEN = "query($id: ID!) { campaign(id: $id) { buyGift { giftsGiven } } }"


async def _gift_shop(seed: Seed, stock: int = 50) -> tuple[Shop, Sku]:
    shop = await open_shop(seed, stock=stock)  # apples 15.00, pears 8.00 (one product)
    _, (yogurt,) = await seed.product("风味酸奶", prices=(600,))
    await seed.listing(shop.a, yogurt, stock=stock)
    return shop, yogurt


def gift_input(shop: Shop, gift: Sku, stock: int, buy: int = 2, give: int = 1, **over: Any) -> dict[str, Any]:
    return {
        "type": "BUY_GIFT",
        "name": "买二赠一",
        **window(),
        "buyGift": {
            "productIds": [encode_id("Product", shop.apple.product_id)],
            "buyQuantity": buy,
            "giftSkuId": encode_id("Sku", gift.id),
            "giftQuantity": give,
            "giftStock": stock,
            **over,
        },
        "idempotencyKey": key(),
    }


async def _preview(api: Api, shop: Shop, apples: int) -> dict[str, Any]:
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
    r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def _given(api: Api, campaign_id: str) -> int:
    r = await api.as_hq().execute(GIVEN, id=campaign_id)
    return int(r.data["campaign"]["buyGift"]["giftsGiven"])


async def test_gifts_per_units_bought_within_the_stock(api: Api, seed: Seed) -> None:
    shop, yogurt = await _gift_shop(seed)
    r = await api.as_hq().execute(
        CREATE.replace("campaign {", SETTINGS, 1), input=gift_input(shop, yogurt, 3)
    )
    campaign = created(r)
    assert campaign["buyGift"] == {
        "buyQuantity": 2,
        "giftQuantity": 1,
        "giftStock": 3,
        "giftsGiven": 0,
        "giftSku": {"skuCode": yogurt.sku_code},
        "products": [{"name": "红富士苹果"}],
    }
    five = await _preview(api, shop, 5)
    assert five["discountAmount"] == {"cents": 0}
    assert [(x["productName"], x["quantity"], x["isGift"]) for x in five["lines"]] == [
        ("红富士苹果", 5, False),
        ("风味酸奶", 2, True),
    ]
    assert [x["quantity"] for x in (await _preview(api, shop, 9))["lines"]] == [9, 3]  # the stock
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACED, input=shop.order_input((shop.apple, 4))), "placeOrder")
    assert [(x["quantity"], x["isGift"]) for x in order["lines"]] == [(4, False), (2, True)]
    assert await _given(api, campaign["id"]) == 2
    assert [x["quantity"] for x in (await _preview(api, shop, 4))["lines"]] == [4, 1]
    cancel = {"orderId": order["id"], "reason": "不要了", "idempotencyKey": key()}
    ok(await shopper.execute(CANCEL, input=cancel), "cancelOrder")
    assert await _given(api, campaign["id"]) == 0
    paid = ok(await shopper.execute(PLACED, input=shop.order_input((shop.apple, 2))), "placeOrder")
    pay = {"orderId": paid["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    data = await api.as_hq().execute(
        "query($id: ID!) { campaign(id: $id) { data { orders discountCost { cents } } } }", id=campaign["id"]
    )
    assert data.data["campaign"]["data"] == {"orders": 1, "discountCost": {"cents": 600}}
    query = """query($p: ID!) { productPromotions(productId: $p) { campaigns { type } } }"""
    listed = await api.as_hq().execute(query, p=encode_id("Product", shop.apple.product_id))
    assert listed.data["productPromotions"]["campaigns"] == [{"type": "BUY_GIFT"}]


async def test_bad_buy_gifts_are_refused_and_write_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop, yogurt = await _gift_shop(seed)
    hq = api.as_hq()
    for bad, code, field in [
        (gift_input(shop, yogurt, 0), "BAD_USER_INPUT", "buyGift.giftStock"),
        (gift_input(shop, yogurt, 5, buy=0), "BAD_USER_INPUT", "buyGift.buyQuantity"),
        (gift_input(shop, yogurt, 5, give=0), "BAD_USER_INPUT", "buyGift.giftQuantity"),
        (gift_input(shop, yogurt, 5, productIds=[]), "BAD_USER_INPUT", "buyGift.productIds"),
        (gift_input(shop, yogurt, 5, giftSkuId=encode_id("Sku", 999)), "NOT_FOUND", "buyGift.giftSkuId"),
    ]:
        r = await hq.execute(CREATE, input=bad)
        assert r.errors == [], r.errors
        errors = r.data["createCampaign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["input", *field.split(".")])], field
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
        assert await session.scalar(select(func.count()).select_from(BuyGiftRule)) == 0


@pytest.mark.postgres_only
async def test_concurrent_orders_never_give_more_gifts_than_the_stock(
    api: Api, seed: Seed, db: Database
) -> None:
    shop, yogurt = await _gift_shop(seed, stock=100)
    created(await api.as_hq().execute(CREATE, input=gift_input(shop, yogurt, 5)))
    customers = [(await seed.customer()).id for _ in range(12)]
    place = (
        "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } "
        "userErrors { code } } }"
    )
    responses = await asyncio.gather(
        *(api.as_shopper(c).execute(place, input=shop.order_input((shop.apple, 2))) for c in customers)
    )
    outcomes = Counter(
        "OK" if not r.data["placeOrder"]["userErrors"] else refused(r, "placeOrder")[0] for r in responses
    )
    assert set(outcomes) <= {"OK", "GIFT_SOLD_OUT"}, outcomes
    async with db.sessions() as session:
        given = int(await session.scalar(select(BuyGiftRule.given)) or 0)
        held = int(await session.scalar(select(func.coalesce(func.sum(FlashSaleTake.quantity), 0))) or 0)
        orders = await session.scalar(select(func.count()).select_from(Order))
    assert 1 <= given == held <= 5
    assert orders == outcomes["OK"]
