"""单品直降 / 爆品价 (PRICE_CUT campaigns): created through GraphQL, priced at the item level of the one
pricing function, shown in the breakdown, kept per line on the order, refunded exactly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from gql.ids import encode_id
from models.campaigns.rows import Campaign, ItemPriceSku
from models.catalog.rows import StoreSku
from models.coupons.rows import OrderAdjustment
from tests.api.after_sale_flow import REFUND_LINES, done
from tests.api.campaign_flow import CREATE, STOP, created, spend_input, window
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PLACE, Shop, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: STORE_DELIVERY, storeId: $store) {
    goodsAmount { cents } discountAmount { cents } payableAmount { cents }
    lines { quantity discount { cents } }
    adjustments { layer label amount { cents } text } } }"""
PLACED = PLACE.replace(
    "lines {",
    "discountAmount { cents } pricing { layer label amount { cents } } lines { paidAmount { cents } ",
)


def cut_input(
    shop: Shop, price: int, *, stores: list[int] | None = None, name: str = "爆品价"
) -> dict[str, Any]:
    return {
        "type": "PRICE_CUT",
        "name": name,
        **window(),
        "storeIds": [encode_id("Store", s) for s in stores or []],
        "priceCut": {"skus": [{"skuId": encode_id("Sku", shop.apple.id), "itemPriceCents": price}]},
        "idempotencyKey": key(),
    }


async def _preview(api: Api, shop: Shop, apples: int, store_id: int | None = None) -> dict[str, Any]:
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
    r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", store_id or shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def test_a_price_cut_prices_the_item_level_at_its_stores_only(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00
    r = await api.as_staff(shop.a.id).execute(
        CREATE.replace("campaign {", "campaign { priceCut { skus { itemPrice { cents } } } ", 1),
        input=cut_input(shop, 1200, stores=[shop.a.id]),
    )
    campaign = created(r)
    assert campaign["type"] == "PRICE_CUT"
    assert campaign["priceCut"] == {"skus": [{"itemPrice": {"cents": 1200}}]}
    at_a = await _preview(api, shop, 2)
    assert at_a["discountAmount"] == {"cents": 600}
    assert at_a["adjustments"] == [
        {"layer": "ITEM", "label": "单品直降", "amount": {"cents": 600}, "text": "单品直降 −¥6.00"}
    ]
    at_b = await _preview(api, shop, 2, shop.b.id)  # store B is not in the campaign
    assert at_b["discountAmount"] == {"cents": 0}
    assert at_b["adjustments"] == []


async def test_the_lowest_item_price_wins_and_never_stacks(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    created(await hq.execute(CREATE, input=cut_input(shop, 1300, name="单品直降")))
    created(await hq.execute(CREATE, input=cut_input(shop, 1100, name="爆品价")))
    preview = await _preview(api, shop, 1)
    assert preview["discountAmount"] == {"cents": 400}  # 15.00 → 11.00, not 15 − 2 − 4
    assert [a["amount"]["cents"] for a in preview["adjustments"]] == [400]
    async with db.sessions() as session, session.begin():  # a store price below every cut wins
        await session.execute(
            update(StoreSku)
            .where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.apple.id)
            .values(price_override=1000)
        )
    cheaper = await _preview(api, shop, 1)
    assert cheaper["goodsAmount"] == {"cents": 1000}
    assert cheaper["discountAmount"] == {"cents": 0}


async def test_the_order_promotion_works_on_the_cut_price(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    created(await hq.execute(CREATE, input=cut_input(shop, 1200)))
    created(await hq.execute(CREATE, input=spend_input([{"threshold": 3000, "reductionCents": 500}])))
    below = await _preview(api, shop, 2)  # 24.00 after the cut: 满30 is not reached
    assert below["discountAmount"] == {"cents": 600}
    reached = await _preview(api, shop, 3)  # 36.00 after the cut
    assert [(a["layer"], a["amount"]["cents"]) for a in reached["adjustments"]] == [
        ("ITEM", 900),
        ("ORDER", 500),
    ]
    assert reached["discountAmount"] == {"cents": 900 + 500}


async def test_the_order_keeps_the_cut_per_line_and_refunds_exactly(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=50)
    campaign = created(await api.as_hq().execute(CREATE, input=cut_input(shop, 1234)))
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input((shop.apple, 3), (shop.pear, 1))
    order = ok(await shopper.execute(PLACED, input=payload), "placeOrder")
    assert order["discountAmount"] == {"cents": 3 * 266}
    assert order["pricing"] == [{"layer": "ITEM", "label": "单品直降", "amount": {"cents": 798}}]
    assert [line["paidAmount"]["cents"] for line in order["lines"]] == [3702, 800]
    async with db.sessions() as session:
        rows = (await session.scalars(select(OrderAdjustment))).all()
    assert [(r.layer.value, r.amount, r.line_shares) for r in rows] == [("ITEM", 798, [798, 0])]
    assert rows[0].source_id is not None
    assert encode_id("Campaign", rows[0].source_id) == campaign["id"]
    await shopper.execute(
        "mutation($input: PayOrderInput!) { payOrder(input: $input) { userErrors { code } } }",
        input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()},
    )
    staff = api.as_staff(shop.a.id)
    ok(await staff.execute(ACCEPT, input={"orderId": order["id"]}), "acceptOrder")
    refund = {
        "orderId": order["id"],
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
        "reason": "缺货",
        "idempotencyKey": key(),
    }
    figures = """query($id: ID!) { campaign(id: $id) { stats { participants orders sales { cents } }
      data { orders discountCost { cents } } } }"""
    seen = (await api.as_hq().execute(figures, id=campaign["id"])).data["campaign"]
    assert seen["stats"] == {"participants": 1, "orders": 1, "sales": {"cents": 3702 + 800 + _fee(order)}}
    assert seen["data"] == {"orders": 1, "discountCost": {"cents": 798}}
    r = done(await staff.execute(REFUND_LINES, input=refund), "refundLines")
    assert r["afterSale"]["refundAmount"] == {"cents": 1234}


def _fee(order: dict[str, Any]) -> int:
    return int(order["payableAmount"]["cents"]) - 3702 - 800


async def test_bad_input_is_refused_and_writes_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    for bad, code, field in [
        (cut_input(shop, 1500), "BAD_USER_INPUT", "priceCut.skus.0.itemPrice"),
        (cut_input(shop, 0), "BAD_USER_INPUT", "priceCut.skus.0.itemPrice"),
        ({**cut_input(shop, 1200), "priceCut": {"skus": []}}, "BAD_USER_INPUT", "priceCut.skus"),
        ({**cut_input(shop, 1200), "priceCut": None}, "BAD_USER_INPUT", "priceCut"),
    ]:
        r = await hq.execute(CREATE, input=bad)
        assert r.errors == [], r.errors
        errors = r.data["createCampaign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["input", *field.split(".")])]
    r = await api.as_staff(shop.a.id).execute(CREATE, input=cut_input(shop, 1200))  # every store: HQ only
    assert [e["code"] for e in r.data["createCampaign"]["userErrors"]] == ["FORBIDDEN"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
        assert await session.scalar(select(func.count()).select_from(ItemPriceSku)) == 0


async def test_stopping_ends_the_price_and_product_promotions_lists_it(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)
    hq = api.as_hq()
    campaign = created(await hq.execute(CREATE, input=cut_input(shop, 1200)))
    query = """query($p: ID!, $s: ID) { productPromotions(productId: $p, storeId: $s) {
      campaigns { name type } } }"""
    product = encode_id("Product", shop.apple.product_id)
    listed = await hq.execute(query, p=product, s=encode_id("Store", shop.a.id))
    assert listed.data["productPromotions"]["campaigns"] == [{"name": "爆品价", "type": "PRICE_CUT"}]
    stopped = await hq.execute(STOP, input={"campaignId": campaign["id"], "idempotencyKey": key()})
    assert stopped.data["stopCampaign"]["campaign"]["status"] == "STOPPED"
    assert (await _preview(api, shop, 1))["discountAmount"] == {"cents": 0}
    assert (await hq.execute(query, p=product)).data["productPromotions"]["campaigns"] == []


async def test_conflicts_show_which_price_wins(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apple 15.00, pear 8.00 (one product)
    hq = api.as_hq()
    mine = created(await hq.execute(CREATE, input=cut_input(shop, 1300, stores=[shop.a.id], name="A")))
    created(await hq.execute(CREATE, input=cut_input(shop, 1100, name="B")))
    created(await hq.execute(CREATE, input=cut_input(shop, 1000, stores=[shop.b.id], name="elsewhere")))
    discount = {
        "type": "PRODUCT_DISCOUNT",
        "name": "9折",
        **window(),
        "productDiscount": {"percentOff": 10, "productIds": [encode_id("Product", shop.apple.product_id)]},
        "idempotencyKey": key(),
    }
    created(await hq.execute(CREATE, input=discount))
    query = """query($id: ID!) { campaign(id: $id) { priceConflicts {
      sku { skuCode } otherCampaign { name } price { cents } otherPrice { cents } wins } } }"""
    r = await hq.execute(query, id=mine["id"])
    assert r.errors == [], r.errors
    rows = r.data["campaign"]["priceConflicts"]
    assert [(c["otherCampaign"]["name"], c["otherPrice"]["cents"], c["wins"]) for c in rows] == [
        ("B", 1100, False),
        ("9折", 1350, True),  # the store-B-only campaign never meets store A's
    ]
    assert {c["sku"]["skuCode"] for c in rows} == {shop.apple.sku_code}
    assert (await api.execute(query, id=mine["id"])).error_codes  # back office only
