"""Real concurrency on PostgreSQL: two sweepers at once issue a rule's coupons once; 20 concurrent
joins of an assist needing 5 count exactly 5 helpers and give the starter exactly one coupon."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.base import utcnow
from models.coupons.issues import CouponAssist, CouponAssistHelper, CouponIssue
from models.coupons.rows import CouponTemplate, CustomerCoupon
from tests.api.conftest import Api
from tests.api.coupon_flow import create_template
from tests.api.coupon_issue_flow import codes, create_rule, held, join, start, sweep
from tests.conftest import Database
from tests.factories import T0, Seed

pytestmark = pytest.mark.postgres_only


async def test_two_sweepers_at_once_issue_once(api: Api, seed: Seed, db: Database) -> None:
    template = await create_template(api, totalStock=100)
    await create_rule(api, "ON_REGISTRATION", template["id"])
    customers = [await seed.customer(registered_at=T0 - timedelta(minutes=i + 1)) for i in range(30)]
    now = T0 + timedelta(hours=1)
    reports = await asyncio.gather(*(sweep(api, db, now) for _ in range(3)))
    assert sum(r.coupons_issued_by_rules for r in reports) == 30
    assert sorted(c for c, _ in await held(db)) == sorted(c.id for c in customers)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CouponIssue)) == 30
        assert await s.scalar(select(CouponTemplate.issued_count)) == 30


async def test_twenty_joins_of_an_assist_needing_five(api: Api, seed: Seed, db: Database) -> None:
    template = await create_template(api, name="助力券", totalStock=10)
    rule = await create_rule(
        api,
        "ASSIST",
        template["id"],
        helpersNeeded=5,
        assistHours=24,
        startsAt=(utcnow() - timedelta(hours=1)).isoformat(),
    )
    starter = await seed.customer()
    helpers = [await seed.customer() for _ in range(20)]
    assist = (await start(api, starter.id, rule["id"]))["assist"]
    bodies = await asyncio.gather(*(join(api, h.id, assist["id"]) for h in helpers))
    outcomes = Counter(tuple(codes(b)) or "OK" for b in bodies)
    assert outcomes == Counter({"OK": 5, ("ASSIST_COMPLETED",): 15}), outcomes
    async with db.sessions() as s:
        row = (await s.scalars(select(CouponAssist))).one()
        counted = await s.scalar(select(func.count()).select_from(CouponAssistHelper))
        coupons = (await s.scalars(select(CustomerCoupon))).all()
    assert (row.status.value, row.helper_count, counted) == ("COMPLETED", 5, 5)
    assert [(c.customer_id, c.title) for c in coupons] == [(starter.id, "助力券")]
