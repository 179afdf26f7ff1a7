"""Refunds under real concurrency on PostgreSQL: never more than paid, one refund per idempotency key."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from models.enums import PaymentKind
from models.orders.rows import Order, OrderLine
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import REFUND_LINES
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, key, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(body: dict[str, object]) -> str:
    errors = body["data"]["refundLines"]["userErrors"]  # type: ignore[index]
    return "OK" if not errors else str(errors[0]["code"])


async def _accepted_order(api: Api, seed: Seed) -> tuple[dict[str, Any], str]:
    """An accepted delivery order of two apples (line paid 3000, fees 600)."""
    shop = await open_shop(seed, stock=100)
    paid = await place_and_pay(api, shop)
    accepted = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    return accepted, str(accepted["lines"][0]["id"])


async def test_fifty_concurrent_refunds_of_one_line(api: Api, seed: Seed, db: Database) -> None:
    order, line_id = await _accepted_order(api, seed)
    hq = api.as_hq()
    requests = [
        hq.execute(
            REFUND_LINES,
            input={
                "orderId": order["id"],
                "lines": [{"lineId": line_id, "quantity": 1}],
                "reason": f"并发退款{i}",
                "idempotencyKey": key(),
            },
        )
        for i in range(50)
    ]
    outcomes = Counter(_outcome(r.body) for r in await asyncio.gather(*requests))
    assert outcomes["OK"] == 2, outcomes  # two units, two refunds
    assert set(outcomes) <= {"OK", "REFUND_EXCEEDS_QUANTITY", "INVALID_TRANSITION"}
    async with db.sessions() as s:
        stored = (await s.scalars(select(Order))).one()
        line = (await s.scalars(select(OrderLine))).one()
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert line.refunded_quantity == 2
    assert line.refunded_amount == line.paid_amount
    assert stored.refunded_amount == stored.paid_amount  # the last refund also returned the fees
    assert stored.status.value == "CLOSED"
    assert api.gateway.refunded_total() == sum(r.amount for r in refunds) == stored.refunded_amount


async def test_fifty_requests_with_one_key_refund_once(api: Api, seed: Seed, db: Database) -> None:
    order, line_id = await _accepted_order(api, seed)
    same = {
        "orderId": order["id"],
        "lines": [{"lineId": line_id, "quantity": 1}],
        "reason": "重复提交",
        "idempotencyKey": key(),
    }
    hq = api.as_hq()
    responses = await asyncio.gather(*(hq.execute(REFUND_LINES, input=same) for _ in range(50)))
    assert {_outcome(r.body) for r in responses} <= {"OK", "IDEMPOTENCY_IN_PROGRESS"}
    async with db.sessions() as s:
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert [r.amount for r in refunds] == [1500]
    assert api.gateway.refunded_total() == 1500
