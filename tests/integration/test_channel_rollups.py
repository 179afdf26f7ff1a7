"""Aggregates by channel or of paying customers read from the channel days equal the raw rows' answer.

Property-style on generated orders: random questions the channel days cover (STORE, CHANNEL and
whole-day buckets; paid orders, paid amount, paying customers; sorts, `having`, `top`) over spans
that start and end mid-day or at local midnights are answered twice — from the rollups and from
the raw rows only — and must agree in groups, values, totals and group counts. The same holds
after orders move through the real use cases (rejections, reallocations across stores,
cancellations with refunds), unpaid orders are paid around local midnights, and an incremental
refresh runs.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.generator import generate
from models.date_ranges import local_day, local_midnight
from models.enums import Role
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import Principal
from services.analytics import channel_source
from services.analytics.dimensions import Dimension
from services.analytics.measures import OrderMeasure
from services.analytics.queries import Answer, Source, answer
from services.analytics.questions import Comparison, Fact, Having, Question, SortTerm, TimeField
from services.commands import Deps
from services.config import RulesConfig
from services.metrics.rollups import catch_up, refresh_rollups
from services.orders.search import OrderCriteria
from services.payments import DevPaymentGateway
from tests.conftest import Database
from tests.integration.test_rollups_refresh import change_everything

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
HQ = Principal(Role.HQ_ADMIN, "hq-test")
DIMENSIONS = (
    Dimension.STORE,
    Dimension.CHANNEL,
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.DAY_OF_WEEK,
)
MEASURES = (
    OrderMeasure.COUNT,
    OrderMeasure.PAID_ORDERS,
    OrderMeasure.PAID_AMOUNT_SUM,
    OrderMeasure.PAYING_CUSTOMERS,
)


def question(rng: random.Random, now: datetime) -> Question:
    if rng.random() < 0.35:  # every group one (store, day, channel)
        group_by = [Dimension.STORE, Dimension.DAY, Dimension.CHANNEL]
        rng.shuffle(group_by)
    else:
        group_by = rng.sample(DIMENSIONS, rng.randint(0, 3))
    measures = rng.sample(MEASURES, rng.randint(1, 3))
    if Dimension.CHANNEL not in group_by and OrderMeasure.PAYING_CUSTOMERS not in measures:
        measures.append(OrderMeasure.PAYING_CUSTOMERS)
    start = now - timedelta(days=rng.uniform(0.2, 40))
    if rng.random() < 0.5:
        start = local_midnight(local_day(start, ZONE), ZONE)
    end = min(now, start + timedelta(days=rng.uniform(0.1, 25)))
    sort: list[SortTerm] = []
    if rng.random() < 0.6:
        if group_by and rng.random() < 0.5:
            sort.append(SortTerm(None, rng.choice(group_by), rng.random() < 0.5))
        else:
            sort.append(SortTerm(rng.choice(measures), None, rng.random() < 0.5))
    having: tuple[Having, ...] = ()
    if group_by and rng.random() < 0.4:
        having = (Having(rng.choice(measures), rng.choice(list(Comparison)), rng.randint(0, 3)),)
    return Question(
        fact=Fact.ORDERS,
        criteria=OrderCriteria(),
        group_by=tuple(group_by),
        measures=tuple(measures),
        having=having,
        sort=tuple(sort),
        top=rng.choice([3, 40, 1000]),
        time=TimeField.PAID_AT,
        span=(start, end),
    )


async def ask(db: Database, q: Question, *, rollups: bool) -> Answer:
    async def ready() -> frozenset[str]:
        return frozenset({"orders"})

    return await answer(
        q,
        HQ,
        sessions=db.sessions,
        dialect=db.dialect,
        zone=ZONE,
        analyst_timeout_ms=0,
        rollups=ready if rollups else None,
    )


async def assert_equal_answers(db: Database, rng: random.Random, now: datetime, examples: int) -> None:
    for _ in range(examples):
        q = question(rng, now)
        assert channel_source.covered("PAID_AT", q.group_by, q.measures, plain=True, principal=HQ)
        summed, raw = await ask(db, q, rollups=True), await ask(db, q, rollups=False)
        assert (summed.source, raw.source) == (Source.ROLLUP, Source.RAW)
        assert summed.group_count == raw.group_count, q
        assert summed.rows == raw.rows, q
        assert summed.totals == raw.totals, q


async def pay_some(db: Database, now: datetime) -> int:
    """Unpaid orders paid (as the gateway's confirmation leaves them), some a second before or at
    a local midnight."""
    async with db.sessions() as s, s.begin():
        unpaid = select(Order).where(Order.paid_at.is_(None), Order.status == OrderStatus.PENDING_PAYMENT)
        orders = list((await s.scalars(unpaid.order_by(Order.id).limit(8))).all())
        midnight = local_midnight(local_day(now, ZONE), ZONE)
        for i, order in enumerate(orders):
            order.paid_at = midnight - timedelta(seconds=i % 2, days=i % 3)
            order.paid_amount = order.payable_amount
            order.status = OrderStatus.PENDING_ACCEPTANCE
            order.updated_at = now
    return len(orders)


async def test_channel_answers_equal_raw_answers_before_and_after_changes(db: Database) -> None:
    await generate(db.engine, orders=400, seed=11, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    rng = random.Random(22)
    await assert_equal_answers(db, rng, NOW, 30)
    deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(zone=ZONE))
    assert await change_everything(db, deps, NOW + timedelta(hours=4)) >= 8
    assert await pay_some(db, NOW + timedelta(hours=4)) > 0
    assert await catch_up(db.sessions, "orders", ZONE, datetime.now(UTC)) != 0
    await assert_equal_answers(db, rng, NOW + timedelta(hours=5), 30)


def test_hourly_or_other_questions_are_not_covered() -> None:
    paying = [OrderMeasure.PAYING_CUSTOMERS]
    assert not channel_source.covered("PAID_AT", (Dimension.HOUR,), paying, plain=True, principal=HQ)
    assert not channel_source.covered("CREATED_AT", (Dimension.DAY,), paying, plain=True, principal=HQ)
    assert not channel_source.covered("PAID_AT", (Dimension.DAY,), paying, plain=False, principal=HQ)
    sums = [OrderMeasure.PAID_AMOUNT_SUM]
    assert not channel_source.covered("PAID_AT", (Dimension.DAY,), sums, plain=True, principal=HQ)
    assert channel_source.covered("PAID_AT", (Dimension.CHANNEL,), sums, plain=True, principal=HQ)
    staff = Principal(Role.STORE_STAFF, "s", store_ids=frozenset({1}))
    assert not channel_source.covered("PAID_AT", (Dimension.CHANNEL,), sums, plain=True, principal=staff)
