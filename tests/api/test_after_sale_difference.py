"""退差价 (PRICE_DIFFERENCE): money back on units the buyer keeps, never more than the line holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from models.catalog.rows import StoreSku
from models.enums import PaymentKind
from models.orders.rows import Order, OrderLine
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import APPROVE, REFUND_LINES, REQUEST, ask, codes, done, shipped_order
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, key, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed


def _difference(order: dict[str, Any], amount: int | None, quantity: int = 2) -> dict[str, Any]:
    line: dict[str, Any] = {"lineId": order["lines"][0]["id"], "quantity": quantity}
    if amount is not None:
        line["amountCents"] = amount
    return {
        "orderId": order["id"],
        "type": "PRICE_DIFFERENCE",
        "lines": [line],
        "reason": "称重差价",
        "idempotencyKey": key(),
    }


async def _stock(db: Database) -> list[int]:
    async with db.sessions() as s:
        return list((await s.scalars(select(StoreSku.stock).order_by(StoreSku.id))).all())


async def test_a_store_gives_a_difference_back_and_the_units_stay(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)  # 2 apples, line paid 3000, fees 600
    staff = api.as_staff(shop.a.id)
    stock = await _stock(db)

    p = done(await staff.execute(REFUND_LINES, input=_difference(order, 700)), "refundLines")
    assert (p["afterSale"]["type"], p["afterSale"]["status"]) == ("PRICE_DIFFERENCE", "REFUNDED")
    assert p["afterSale"]["refundAmount"] == {"cents": 700}
    assert p["order"]["lines"][0] == {
        "id": order["lines"][0]["id"],
        "quantity": 2,
        "refundedQuantity": 0,
        "refundedAmount": {"cents": 700},
    }
    assert (p["order"]["status"], p["order"]["refundedAmount"]) == ("SHIPPED", {"cents": 700})
    assert await _stock(db) == stock

    # bad amounts: none, zero, more than the two units still hold (3000 - 700)
    for amount, code in ((None, "BAD_USER_INPUT"), (0, "BAD_USER_INPUT"), (2301, "REFUND_EXCEEDS_PAID")):
        assert codes(await staff.execute(REFUND_LINES, input=_difference(order, amount)), "refundLines") == [
            code
        ]
    # one unit's share is 1500: a difference on it alone is bounded by that
    assert codes(
        await staff.execute(REFUND_LINES, input=_difference(order, 1501, quantity=1)), "refundLines"
    ) == ["REFUND_EXCEEDS_PAID"]
    wrong = {**_difference(order, 100), "type": "RETURN_AND_REFUND"}
    assert codes(await staff.execute(REFUND_LINES, input=wrong), "refundLines") == ["BAD_USER_INPUT"]

    # refunding both units afterwards gives back what the line still holds (and the fees: nothing
    # of the order is kept), and the order closes
    buyer = api.as_shopper(shop.customer_id)
    p = done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY", 2)), "requestAfterSale")
    assert p["afterSale"]["refundAmount"] == {"cents": 2300}
    p = done(
        await staff.execute(APPROVE, input={"afterSaleId": p["afterSale"]["id"], "idempotencyKey": key()}),
        "approveAfterSale",
    )
    assert (p["afterSale"]["refundAmount"], p["order"]["status"]) == ({"cents": 2900}, "CLOSED")
    async with db.sessions() as s:
        line = (await s.scalars(select(OrderLine))).one()
        stored = (await s.scalars(select(Order))).one()
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert (line.refunded_quantity, line.refunded_amount) == (2, 3000)
    assert stored.refunded_amount == stored.paid_amount == 3600
    assert sorted(r.amount for r in refunds) == [700, 2900]


async def test_a_buyer_asks_for_a_difference_and_the_store_approves(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    request = {**_difference(order, 450, quantity=1), "evidenceUrls": []}
    no_amount = {**request, "lines": [{**request["lines"][0], "amountCents": None}], "idempotencyKey": key()}
    assert codes(await buyer.execute(REQUEST, input=no_amount), "requestAfterSale") == ["BAD_USER_INPUT"]
    p = done(await buyer.execute(REQUEST, input=request), "requestAfterSale")
    assert (p["afterSale"]["status"], p["afterSale"]["refundAmount"]) == ("PENDING_REVIEW", {"cents": 450})
    p = done(
        await staff.execute(APPROVE, input={"afterSaleId": p["afterSale"]["id"], "idempotencyKey": key()}),
        "approveAfterSale",
    )
    assert p["afterSale"]["status"] == "REFUNDED"
    assert p["order"]["lines"][0]["refundedQuantity"] == 0
    assert p["order"]["lines"][0]["refundedAmount"] == {"cents": 450}


@pytest.mark.postgres_only
async def test_concurrent_differences_never_exceed_the_line(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    paid = await place_and_pay(api, shop)
    order = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    hq = api.as_hq()
    # each asks for 1100 of the 3000 the line holds: at most two fit
    responses = await asyncio.gather(
        *(hq.execute(REFUND_LINES, input=_difference(order, 1100)) for _ in range(12))
    )
    outcomes = Counter(
        "OK" if not r.data["refundLines"]["userErrors"] else r.data["refundLines"]["userErrors"][0]["code"]
        for r in responses
    )
    assert outcomes["OK"] == 2, outcomes
    assert set(outcomes) <= {"OK", "REFUND_EXCEEDS_PAID"}
    async with db.sessions() as s:
        line = (await s.scalars(select(OrderLine))).one()
        stored = (await s.scalars(select(Order))).one()
    assert (line.refunded_quantity, line.refunded_amount) == (0, 2200)
    assert stored.refunded_amount == 2200
    assert api.gateway.refunded_total() == 2200
