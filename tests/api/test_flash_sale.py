"""限时抢 (FLASH_SALE campaigns): a time-boxed item price with its own stock and per-customer limit,
taken at placeOrder and given back on cancellation or payment timeout."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gql.ids import encode_id
from models.base import utcnow
from models.campaigns.rows import FlashSaleTake, ItemPriceSku
from models.coupons.rows import OrderAdjustment
from models.orders.rows import Order
from services.commands import Deps
from services.sweeps import run_sweeps
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.api.order_flow import CANCEL, PLACE, Shop, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

PREVIEW = """query($lines: [CartLineInput!]!, $store: ID) {
  previewPricing(lines: $lines, fulfillment: STORE_DELIVERY, storeId: $store) {
    discountAmount { cents } adjustments { layer label text } } }"""
FLASH = "campaign { flashSale { perCustomerLimit skus { itemPrice { cents } stock sold } } "
PLACED = PLACE.replace("lines {", "discountAmount { cents } pricing { layer label amount { cents } } lines {")


def flash_input(shop: Shop, stock: int, limit: int | None = None, price: int = 1200) -> dict[str, Any]:
    return {
        "type": "FLASH_SALE",
        "name": "午间限时抢",
        **window(),
        "flashSale": {
            "skus": [{"skuId": encode_id("Sku", shop.apple.id), "itemPriceCents": price, "stock": stock}],
            "perCustomerLimit": limit,
        },
        "idempotencyKey": key(),
    }


async def _discount(api: Api, shop: Shop, apples: int) -> dict[str, Any]:
    lines = [{"skuId": encode_id("Sku", shop.apple.id), "quantity": apples}]
    r = await api.execute(PREVIEW, lines=lines, store=encode_id("Store", shop.a.id))
    assert r.errors == [], r.errors
    preview: dict[str, Any] = r.data["previewPricing"]
    return preview


async def _held(db: Database) -> tuple[int, int]:
    """(units sold on the campaign row, units of unreleased takes)."""
    async with db.sessions() as session:
        sold = await session.scalar(select(ItemPriceSku.sold))
        held = await session.scalar(
            select(func.coalesce(func.sum(FlashSaleTake.quantity), 0)).where(
                FlashSaleTake.released_at.is_(None)
            )
        )
    return int(sold or 0), int(held or 0)


async def test_flash_price_within_its_stock_and_the_limit(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00
    r = await api.as_hq().execute(CREATE.replace("campaign {", FLASH, 1), input=flash_input(shop, 3, 2))
    assert created(r)["flashSale"] == {
        "perCustomerLimit": 2,
        "skus": [{"itemPrice": {"cents": 1200}, "stock": 3, "sold": 0}],
    }
    two = await _discount(api, shop, 2)
    assert two["adjustments"] == [{"layer": "ITEM", "label": "限时抢", "text": "限时抢 −¥6.00"}]
    assert (await _discount(api, shop, 4))["discountAmount"] == {"cents": 0}  # more than the stock
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACED, input=shop.order_input((shop.apple, 2))), "placeOrder")
    assert order["pricing"] == [{"layer": "ITEM", "label": "限时抢", "amount": {"cents": 600}}]
    assert await _held(db) == (2, 2)
    # the same shopper again: the limit (2 per customer) refuses, and nothing is written
    again = await shopper.execute(PLACED, input=shop.order_input((shop.apple, 1)))
    assert refused(again, "placeOrder") == ["PURCHASE_LIMIT_EXCEEDED"]
    assert await _held(db) == (2, 2)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    # another shopper wanting 2 of the 1 left pays the store price; 1 gets the flash price
    other = (await seed.customer("13911113333")).id
    buyer = api.as_shopper(other)
    full = ok(await buyer.execute(PLACED, input=shop.order_input((shop.apple, 2))), "placeOrder")
    assert full["pricing"] == []
    last = ok(await buyer.execute(PLACED, input=shop.order_input((shop.apple, 1))), "placeOrder")
    assert last["discountAmount"] == {"cents": 300}
    assert await _held(db) == (3, 3)
    # cancelling gives the units back (once); the freed stock prices the next cart again
    cancel = {"orderId": order["id"], "reason": "不要了", "idempotencyKey": key()}
    ok(await shopper.execute(CANCEL, input=cancel), "cancelOrder")
    assert await _held(db) == (1, 1)
    assert (await _discount(api, shop, 2))["discountAmount"] == {"cents": 600}


async def test_payment_timeout_gives_the_units_back(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    created(await api.as_hq().execute(CREATE, input=flash_input(shop, 5)))
    shopper = api.as_shopper(shop.customer_id)
    ok(await shopper.execute(PLACED, input=shop.order_input((shop.apple, 4))), "placeOrder")
    assert await _held(db) == (4, 4)
    report = await run_sweeps(Deps(db.sessions, api.gateway), utcnow() + timedelta(minutes=31))
    assert report.payment_timeouts == 1
    assert await _held(db) == (0, 0)
    await run_sweeps(Deps(db.sessions, api.gateway), utcnow() + timedelta(minutes=32))
    assert await _held(db) == (0, 0)


async def test_bad_flash_sale_input_is_refused(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    for bad, field in [
        (flash_input(shop, 0), "flashSale.skus.0.stock"),
        (flash_input(shop, 5, 0), "flashSale.perCustomerLimit"),
        (flash_input(shop, 5, price=1500), "flashSale.skus.0.itemPrice"),
        ({**flash_input(shop, 5), "flashSale": None}, "flashSale"),
    ]:
        r = await hq.execute(CREATE, input=bad)
        assert r.errors == [], r.errors
        errors = r.data["createCampaign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("BAD_USER_INPUT", ["input", *field.split(".")])]


@pytest.mark.postgres_only
async def test_concurrent_orders_never_oversell_the_flash_stock(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    created(await api.as_hq().execute(CREATE, input=flash_input(shop, 5, 1)))
    customers = [(await seed.customer()).id for _ in range(12)]
    place = (
        "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } "
        "userErrors { code } } }"
    )
    responses = await asyncio.gather(
        *(
            api.as_shopper(c).execute(place, input=shop.order_input((shop.apple, 1)))
            for c in customers + customers[:3]  # three shoppers try twice: the limit is 1
        )
    )
    outcomes = Counter(
        "OK" if not r.data["placeOrder"]["userErrors"] else r.data["placeOrder"]["userErrors"][0]["code"]
        for r in responses
    )
    assert set(outcomes) <= {"OK", "FLASH_SALE_SOLD_OUT", "PURCHASE_LIMIT_EXCEEDED"}, outcomes
    sold, held = await _held(db)
    async with db.sessions() as session:
        takes = (await session.scalars(select(FlashSaleTake))).all()
        orders = await session.scalar(select(func.count()).select_from(Order))
        flash_priced = await session.scalar(
            select(func.count()).select_from(OrderAdjustment).where(OrderAdjustment.label == "限时抢")
        )
    assert 1 <= sold == held == len(takes) <= 5
    assert len({t.customer_id for t in takes}) == len(takes)  # nobody past the limit of 1
    assert orders == outcomes["OK"]
    assert flash_priced == len(takes)  # every order priced at the flash price holds its unit
