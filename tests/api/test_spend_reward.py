"""满减赠 at checkout: tier boundaries, quantity tiers, gifts, scope, the preview hint, exact refunds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from gql.ids import encode_id
from models.catalog.rows import StoreSku
from models.enums import Fulfillment
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, created, spend_input
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PLACE, Shop, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: SELF_PICKUP, storeId: $store) {
    goodsAmount { cents } discountAmount { cents } payableAmount { cents } giftUnavailable
    lines { productName quantity discount { cents } isGift }
    nextTier { missing byQuantity reduction { cents } text } } }"""
PLACED = PLACE.replace(
    "lines {",
    "discountAmount { cents } goodsAmount { cents } "
    "lines { isGift discountShare { cents } paidAmount { cents } ",
)


def _cart(shop: Shop, apples: int, pears: int = 0) -> list[dict[str, Any]]:
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
    if pears:
        lines.append({"skuId": encode_id("Sku", shop.pear.id), "quantity": pears})
    return lines


async def _preview(api: Api, shop: Shop, apples: int, pears: int = 0) -> dict[str, Any]:
    r = await api.execute(PREVIEW, lines=_cart(shop, apples, pears), store=encode_id("Store", shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def test_amount_tiers_at_and_around_the_threshold(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00, pears 8.00
    tiers = [{"threshold": 3000, "reductionCents": 300}, {"threshold": 6000, "reductionCents": 1000}]
    created(await api.as_hq().execute(CREATE, input=spend_input(tiers)))
    below = await _preview(api, shop, 1, 1)  # 23.00: no tier yet
    assert below["discountAmount"] == {"cents": 0}
    assert below["nextTier"] == {
        "missing": 700,
        "byQuantity": False,
        "reduction": {"cents": 300},
        "text": "再买¥7.00减¥3.00",
    }
    exactly = await _preview(api, shop, 2)  # 30.00: exactly the first threshold
    assert exactly["discountAmount"] == {"cents": 300}
    assert exactly["nextTier"]["text"] == "再买¥30.00减¥10.00"
    highest = await _preview(api, shop, 4)  # 60.00: the highest reached tier only
    assert highest["discountAmount"] == {"cents": 1000}
    assert highest["nextTier"] is None


async def test_quantity_tiers_gifts_and_pro_rata_lines(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    gift = {"giftSkuId": encode_id("Sku", shop.pear.id), "giftQuantity": 1}
    tiers = [{"threshold": 3, "reductionCents": 200, **gift}]
    created(await api.as_hq().execute(CREATE, input=spend_input(tiers, kind="QUANTITY")))
    assert (await _preview(api, shop, 1, 1))["nextTier"]["text"] == "再买1件减¥2.00"
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input((shop.apple, 2), (shop.pear, 1), fulfillment=Fulfillment.SELF_PICKUP)
    order = ok(await shopper.execute(PLACED, input=payload), "placeOrder")
    assert order["goodsAmount"] == {"cents": 3800}
    assert order["discountAmount"] == {"cents": 200}
    paid_lines = [
        (line["discountShare"]["cents"], line["paidAmount"]["cents"], line["isGift"])
        for line in order["lines"]
    ]
    # 200 off spread pro rata over 3000 and 800 (158 + 42), then the free pear
    assert paid_lines == [(158, 2842, False), (42, 758, False), (0, 0, True)]
    assert order["payableAmount"] == {"cents": 3800 - 200 + 100}
    # a refund of one apple returns its share of what was paid, exactly
    await shopper.execute(
        "mutation($input: PayOrderInput!) { payOrder(input: $input) { userErrors { code } } }",
        input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()},
    )
    ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")
    refund = {
        "orderId": order["id"],
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
        "reason": "缺货",
        "idempotencyKey": key(),
    }
    r = done(await api.as_staff(shop.a.id).execute(REFUND_LINES, input=refund), "refundLines")
    assert r["afterSale"]["refundAmount"] == {"cents": 1421}


async def test_product_scope_and_the_best_of_two_campaigns(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00 (one product, two SKUs)
    _, (yogurt,) = await seed.product("风味酸奶", prices=(1000,))
    await seed.listing(shop.a, yogurt, stock=50)
    hq = api.as_hq()
    yogurt_only = {"productIds": [encode_id("Product", yogurt.product_id)]}
    created(
        await hq.execute(
            CREATE, input=spend_input([{"threshold": 2000, "reductionCents": 600}], spend=yogurt_only)
        )
    )
    created(await hq.execute(CREATE, input=spend_input([{"threshold": 3000, "reductionCents": 500}])))

    async def preview(apples: int, yogurts: int) -> dict[str, Any]:
        lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
        lines += [{"skuId": encode_id("Sku", yogurt.id), "quantity": yogurts}] if yogurts else []
        r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", shop.a.id))
        result: dict[str, Any] = r.data["previewPricing"]
        return result

    apples = await preview(2, 0)  # 30.00 of apples: only the store-wide campaign counts them
    assert apples["discountAmount"] == {"cents": 500}
    both = await preview(1, 2)  # 15 + 20: store-wide gives 5.00 on 35, yogurt 6.00 on 20: the larger wins
    assert both["discountAmount"] == {"cents": 600}
    assert [line["discount"]["cents"] for line in both["lines"]] == [0, 600]  # only yogurt lines share it
    assert (await preview(1, 0))["discountAmount"] == {"cents": 0}


async def test_gift_out_of_stock_keeps_the_reduction(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    async with db.sessions() as session, session.begin():
        await session.execute(update(StoreSku).where(StoreSku.sku_id == shop.pear.id).values(stock=0))
    gift = {"giftSkuId": encode_id("Sku", shop.pear.id), "giftQuantity": 1}
    created(
        await api.as_hq().execute(
            CREATE, input=spend_input([{"threshold": 3000, "reductionCents": 300, **gift}])
        )
    )
    preview = await _preview(api, shop, 2)
    assert preview["discountAmount"] == {"cents": 300}
    assert preview["giftUnavailable"] is True
    assert [line["isGift"] for line in preview["lines"]] == [False]
