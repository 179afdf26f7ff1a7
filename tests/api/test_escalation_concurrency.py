"""Concurrent verdicts on one escalation (客服介入), as real requests on PostgreSQL: exactly one wins."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models.after_sales.rows import AfterSale, AfterSaleEscalation
from models.enums import PaymentKind
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import DECIDE, ESCALATE, after_sale_in, done
from tests.api.conftest import Api, Response
from tests.api.order_flow import key, open_shop
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(r: Response) -> str:
    assert r.errors == [], r.errors
    errors = r.data["decideEscalation"]["userErrors"]
    return "OK" if not errors else str(errors[0]["code"])


async def test_of_concurrent_verdicts_exactly_one_wins_and_pays_once(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    async with db.sessions() as s, s.begin():  # unanswered for three days: past the review SLA
        row = await s.scalar(select(AfterSale))
        assert row is not None
        row.created_at -= timedelta(days=3)
    buyer = api.as_shopper(shop.customer_id)
    asked = {"afterSaleId": a["id"], "reason": "三天无人处理", "idempotencyKey": key()}
    e = done(await buyer.execute(ESCALATE, input=asked), "escalateAfterSale")["escalation"]
    hq = api.as_hq()
    calls: list[Any] = []
    for i in range(12):
        verdict = "SUPPORT_STORE" if i % 2 else "SUPPORT_BUYER"
        calls.append(
            hq.execute(DECIDE, input={"escalationId": e["id"], "verdict": verdict, "note": f"裁定 {i}"})
        )
    outcomes = Counter(_outcome(r) for r in await asyncio.gather(*calls))
    assert outcomes == {"OK": 1, "INVALID_TRANSITION": 11}
    async with db.sessions() as s:
        escalation = await s.scalar(select(AfterSaleEscalation))
        after_sale = await s.scalar(select(AfterSale))
        refunds = await s.scalar(
            select(func.count())
            .select_from(PaymentTransaction)
            .where(PaymentTransaction.kind == PaymentKind.REFUND)
        )
    assert escalation is not None
    assert after_sale is not None
    assert escalation.version == 2
    supported_buyer = escalation.state.value == "BUYER_SUPPORTED"
    assert after_sale.status.value == ("REFUNDED" if supported_buyer else "CLOSED")
    assert refunds == (1 if supported_buyer else 0)
