"""Real concurrent requests on PostgreSQL: one winner per order, no overselling, one effect per key."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from models.catalog.rows import StoreSku
from models.enums import PaymentKind
from models.orders.rows import Order, OrderEvent
from models.payments import PaymentTransaction
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, CANCEL, PLACE, key, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(body: dict[str, object], field: str) -> str:
    payload = body["data"][field]  # type: ignore[index]
    errors = payload["userErrors"]
    return "OK" if not errors else str(errors[0]["code"])


async def test_accept_and_cancel_race_has_exactly_one_winner(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    staff, shopper = api.as_staff(shop.a.id), api.as_shopper(shop.customer_id)
    requests = []
    for i in range(20):
        if i % 2:
            requests.append(staff.execute(ACCEPT, input={"orderId": paid["id"]}))
        else:
            requests.append(
                shopper.execute(
                    CANCEL, input={"orderId": paid["id"], "reason": "race", "idempotencyKey": key()}
                )
            )
    responses = await asyncio.gather(*requests)
    outcomes = Counter(
        _outcome(r.body, "acceptOrder" if i % 2 else "cancelOrder") for i, r in enumerate(responses)
    )
    assert outcomes["OK"] == 1, outcomes
    assert set(outcomes) <= {"OK", "INVALID_TRANSITION", "VERSION_CONFLICT"}
    async with db.sessions() as s:
        order = (await s.scalars(select(Order))).one()
        events = await s.scalar(select(func.count()).select_from(OrderEvent))
        refunds = await s.scalar(select(func.count()).where(PaymentTransaction.kind == PaymentKind.REFUND))
    assert events == 3  # placed, paid, and the one winner
    assert refunds == (1 if order.status.value == "CANCELLED" else 0)


async def test_fifty_shoppers_ten_units(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=10)
    shoppers = [api.as_shopper((await seed.customer(f"1390000{i:04d}")).id) for i in range(50)]
    responses = await asyncio.gather(
        *(s.execute(PLACE, input=shop.order_input((shop.apple, 1))) for s in shoppers)
    )
    outcomes = Counter(_outcome(r.body, "placeOrder") for r in responses)
    assert outcomes == {"OK": 10, "OUT_OF_STOCK": 40}
    async with db.sessions() as s:
        stock = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.apple.id)
        )
        orders = await s.scalar(select(func.count()).select_from(Order))
    assert stock == 0
    assert orders == 10


async def test_one_idempotency_key_twenty_times_at_once(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input((shop.apple, 1))
    responses = await asyncio.gather(*(shopper.execute(PLACE, input=payload) for _ in range(20)))
    outcomes = Counter(_outcome(r.body, "placeOrder") for r in responses)
    assert set(outcomes) <= {"OK", "IDEMPOTENCY_IN_PROGRESS"}
    winners = {
        r.data["placeOrder"]["order"]["id"] for r in responses if _outcome(r.body, "placeOrder") == "OK"
    }
    assert len(winners) == 1
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 1
        stock = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.apple.id)
        )
    assert stock == 99
    # once finished, every retry replays the one result
    again = await shopper.execute(PLACE, input=payload)
    assert again.data["placeOrder"]["order"]["id"] in winners


async def test_one_cancel_key_twenty_times_refunds_once(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    cancel = {"orderId": paid["id"], "reason": "重复点击", "idempotencyKey": key()}
    shopper = api.as_shopper(shop.customer_id)
    responses = await asyncio.gather(*(shopper.execute(CANCEL, input=cancel) for _ in range(20)))
    assert {_outcome(r.body, "cancelOrder") for r in responses} <= {"OK", "IDEMPOTENCY_IN_PROGRESS"}
    async with db.sessions() as s:
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert len(refunds) == 1
    assert api.gateway.refunded_total() == paid["paidAmount"]["cents"]
