"""Verdicts and pay-outs racing on claims, as real concurrent requests on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from models.claims.rows import CompensationClaim
from models.enums import PaymentKind
from models.orders.rows import Order, OrderLine
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import done, shipped_order
from tests.api.claim_flow import APPROVE, PAY, RAISE, REJECT, raise_input
from tests.api.conftest import Api, Response
from tests.api.order_flow import open_shop
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(r: Response, field: str) -> str:
    assert r.errors == [], r.errors
    errors = r.data[field]["userErrors"]
    return "OK" if not errors else str(errors[0]["code"])


async def test_of_concurrent_verdicts_on_one_claim_exactly_one_wins(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    claim = done(await api.as_staff(shop.a.id).execute(RAISE, input=raise_input(order["id"])), "raiseClaim")
    claim_id = claim["claim"]["id"]
    hq = api.as_hq()
    calls: list[Any] = []
    for i in range(12):
        if i % 2:
            calls.append(hq.execute(REJECT, input={"claimId": claim_id, "note": f"no {i}"}))
        else:
            calls.append(hq.execute(APPROVE, input={"claimId": claim_id, "amountCents": 100 + i}))
    responses = await asyncio.gather(*calls)
    outcomes = Counter(
        _outcome(r, "rejectClaim" if i % 2 else "approveClaim") for i, r in enumerate(responses)
    )
    assert outcomes == {"OK": 1, "INVALID_TRANSITION": 11}
    async with db.sessions() as s:
        row = await s.scalar(select(CompensationClaim))
    assert row is not None
    assert row.version == 2


async def test_concurrent_pay_outs_never_pass_what_was_paid(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)  # the line holds 3000
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    ids = []
    for _ in range(6):
        claim = done(await staff.execute(RAISE, input=raise_input(order["id"], amount=900)), "raiseClaim")
        ids.append(claim["claim"]["id"])
        done(await hq.execute(APPROVE, input={"claimId": ids[-1], "amountCents": 900}), "approveClaim")
    responses = await asyncio.gather(*(hq.execute(PAY, input={"claimId": i}) for i in ids))
    outcomes = Counter(_outcome(r, "payClaim") for r in responses)
    assert outcomes == {"OK": 3, "REFUND_EXCEEDS_PAID": 3}  # 3 × 900 fit in 3000, a fourth does not
    async with db.sessions() as s:
        refunded = await s.scalar(select(Order.refunded_amount))
        line = await s.scalar(select(OrderLine.refunded_amount))
        moved = await s.scalar(
            select(func.sum(PaymentTransaction.amount)).where(PaymentTransaction.kind == PaymentKind.REFUND)
        )
        states = Counter((await s.scalars(select(CompensationClaim.state))).all())
    assert refunded == line == moved == 2700
    assert {k.value: v for k, v in states.items()} == {"PAID": 3, "APPROVED": 3}
