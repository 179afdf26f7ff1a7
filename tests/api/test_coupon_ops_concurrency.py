"""Real concurrency on PostgreSQL: purchases and claims share the stock and the per-customer limit,
a payment notified many times at once issues one coupon, and two push runners never double-issue."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.base import utcnow
from models.coupons.rows import CouponTemplate, CustomerCoupon
from services.commands import Deps
from services.coupons import pushes
from services.orders.payments import confirm_payment
from tests.api.conftest import Api, Response
from tests.api.coupon_flow import claim
from tests.api.coupon_ops_flow import SET_PRICE, START_PUSH, buy, customer_gids, on_sale, pay, payload
from tests.api.order_flow import key
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(r: Response, field: str) -> str:
    errors = r.data[field]["userErrors"]
    return "OK" if not errors else str(errors[0]["code"])


async def test_buys_then_claims_share_the_stock(api: Api, seed: Seed, db: Database) -> None:
    template = await on_sale(api, price=100, totalStock=12, perCustomerLimit=2)
    customers = [(await seed.customer()).id for _ in range(15)]
    # every customer taps "buy" three times at once: 45 requests for 12 units, one purchase each
    responses = await asyncio.gather(*(buy(api, c, template["id"]) for c in customers * 3))
    outcomes = Counter(_outcome(r, "buyCoupon") for r in responses)
    assert set(outcomes) <= {"OK", "COUPON_OUT_OF_STOCK"}, outcomes
    bought = {
        r.data["buyCoupon"]["purchase"]["id"]: c
        for r, c in zip(responses, customers * 3, strict=True)
        if _outcome(r, "buyCoupon") == "OK"
    }
    assert len(bought) == 12
    assert len(set(bought.values())) == 12  # one open purchase per buyer, however many taps
    off = await api.as_hq().execute(SET_PRICE, input={"templateId": template["id"], "priceCents": None})
    payload(off, "setCouponSalePrice")
    # the buyers pay while everyone claims: the reserved units are never claimed
    requests = [pay(api, c, p) for p, c in bought.items()]
    requests += [claim(api, c, template["id"]) for c in customers]
    responses = await asyncio.gather(*requests)
    fields = ["payCouponPurchase"] * len(bought) + ["claimCoupon"] * len(customers)
    outcomes = Counter(f"{f}:{_outcome(r, f)}" for r, f in zip(responses, fields, strict=True))
    assert outcomes == Counter({"payCouponPurchase:OK": 12, "claimCoupon:COUPON_OUT_OF_STOCK": 15})
    async with db.sessions() as s:
        t = (await s.scalars(select(CouponTemplate))).one()
        held = Counter((await s.scalars(select(CustomerCoupon.customer_id))).all())
    assert (t.issued_count, t.reserved_count) == (12, 0)
    assert held == Counter(dict.fromkeys(bought.values(), 1))


async def test_one_payment_notified_ten_times_at_once(api: Api, seed: Seed, db: Database) -> None:
    template = await on_sale(api, price=700)
    shopper = (await seed.customer()).id
    bought = payload(await buy(api, shopper, template["id"]), "buyCoupon")["purchase"]
    api.gateway.fail_next = 1  # the notification comes later, ten times at once
    payment_no = payload(await pay(api, shopper, bought["id"]), "payCouponPurchase")["paymentNo"]
    deps = Deps(db.sessions, api.gateway)
    await asyncio.gather(*(confirm_payment(deps, payment_no, f"n{i}") for i in range(10)))
    async with db.sessions() as s:
        coupons = (await s.scalars(select(CustomerCoupon))).all()
        t = (await s.scalars(select(CouponTemplate))).one()
    assert len(coupons) == 1
    assert (t.issued_count, t.reserved_count) == (1, 0)


async def test_two_runners_never_issue_twice(
    api: Api, seed: Seed, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.coupons.pushes.kick", lambda deps: None)
    monkeypatch.setattr(pushes, "BATCH", 3)
    template = await on_sale(api, totalStock=100)
    customers = [(await seed.customer()).id for _ in range(30)]
    r = await api.as_hq().execute(
        START_PUSH,
        input={
            "templateId": template["id"],
            "target": {"customerIds": customer_gids(*customers)},
            "idempotencyKey": key(),
        },
    )
    payload(r, "startCouponPush")
    deps = Deps(db.sessions, api.gateway)
    first = await pushes.claim_job(db.sessions, utcnow())
    assert first is not None

    async def take_over() -> int:
        """Another process decides the first runner is dead while it is still running."""
        for _ in range(200):
            await asyncio.sleep(0.005)
            claimed = await pushes.claim_job(db.sessions, utcnow() + pushes.LEASE + timedelta(seconds=1))
            if claimed is not None:
                await pushes.run_job(deps, *claimed)
                return claimed[1]
        return 0

    _, took_over = await asyncio.gather(pushes.run_job(deps, *first), take_over())
    assert took_over in (0, 2)
    async with db.sessions() as s:
        held = Counter((await s.scalars(select(CustomerCoupon.customer_id))).all())
        issued = await s.scalar(select(func.sum(CouponTemplate.issued_count)))
    assert held == Counter(dict.fromkeys(customers, 1))
    assert issued == 30
