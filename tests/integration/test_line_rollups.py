"""Order-line aggregates from the category line hours equal the raw rows' answer, at all times.

hypothesis draws a covered question — order lines by CREATED_AT or PAID_AT over a span that may
start and end mid-hour, grouped by categories and time buckets, measuring the rollup's sums — for
HQ, and answers it twice: with the rollups (`source`
ROLLUP) and from the raw rows only. Then orders change (refunds, cancellations, payments and
reallocations across local days) and a product moves to another category: before the refresh
the answer comes from the raw rows, after it from the rollup again, equal to the raw one each
time. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bench.generator import generate
from models.catalog.rows import Category, Product
from models.enums import ActorType, Role
from models.orders.rows import AllocationRecord, Order, OrderLine
from models.orders.states import OrderStatus
from models.principals import Principal
from services.analytics.dimensions import Dimension
from services.analytics.measures import LineMeasure
from services.analytics.queries import Answer, Source, answer
from services.analytics.questions import Fact, Question, SortTerm, TimeField
from services.metrics.rollups import GROUPS, refresh_rollups
from services.orders.search import OrderCriteria
from tests.conftest import Database

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
ORDERS = 300
MEASURES = (
    LineMeasure.COUNT,
    LineMeasure.UNITS,
    LineMeasure.REFUNDED_UNITS,
    LineMeasure.UNIT_PRICE_SUM,
    LineMeasure.GOODS_AMOUNT_SUM,
    LineMeasure.DISCOUNT_SHARE_SUM,
    LineMeasure.PAID_AMOUNT_SUM,
    LineMeasure.REFUNDED_AMOUNT_SUM,
)
DIMENSIONS = (
    Dimension.CATEGORY_L1,
    Dimension.CATEGORY_L2,
    Dimension.HOUR_OF_DAY,
    Dimension.DAY_OF_WEEK,
    Dimension.DAY,
    Dimension.HOUR,
    Dimension.WEEK,
    Dimension.MONTH,
)
HQ = Principal(role=Role.HQ_ADMIN, subject="hq")


async def _ask(db: Database, question: Question, principal: Principal, rolled: bool) -> Answer:
    async def ready() -> frozenset[str]:
        return frozenset(GROUPS)

    return await answer(
        question,
        principal,
        sessions=db.sessions,
        dialect=db.dialect,
        zone=ZONE,
        analyst_timeout_ms=0,
        rollups=ready if rolled else None,
    )


async def _compare(db: Database, question: Question, principal: Principal, source: Source) -> None:
    rolled = await _ask(db, question, principal, rolled=True)
    raw = await _ask(db, question, principal, rolled=False)
    assert (rolled.source, raw.source) == (source, Source.RAW), question
    assert rolled.group_count == raw.group_count, question
    assert rolled.rows == raw.rows, question
    assert rolled.totals == raw.totals, question


def _question(
    measures: Sequence[StrEnum], group_by: list[Dimension], time: TimeField, start: datetime, end: datetime
) -> Question:
    return Question(
        fact=Fact.ORDER_LINES,
        criteria=OrderCriteria(),
        group_by=tuple(group_by),
        measures=tuple(measures),
        sort=(SortTerm(measures[-1], None, True),),
        top=1000,
        time=time,
        span=(start, end),
    )


async def _shop(db: Database) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is not None:
            return  # hypothesis examples share one shop
    await generate(db.engine, orders=ORDERS, seed=5, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)


async def _staff(db: Database) -> Principal:
    async with db.sessions() as session:
        found = (await session.scalars(select(Order.store_id).where(Order.store_id.is_not(None)))).all()
    stores = sorted({s for s in found if s is not None})
    return Principal(role=Role.STORE_STAFF, subject="staff", store_ids=frozenset(stores[:2]))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_line_rollup_answers_equal_raw_answers(db: Database, data: st.DataObject) -> None:
    await _shop(db)
    measures = data.draw(st.lists(st.sampled_from(MEASURES), min_size=1, max_size=3, unique=True))
    group_by = data.draw(st.lists(st.sampled_from(DIMENSIONS), max_size=3, unique=True))
    time = data.draw(st.sampled_from([TimeField.CREATED_AT, TimeField.PAID_AT]))
    start = NOW - timedelta(minutes=data.draw(st.integers(0, 80 * 24 * 60)))
    end = start + timedelta(minutes=data.draw(st.integers(1, 40 * 24 * 60)))
    await _compare(db, _question(measures, group_by, time, start, end), HQ, Source.ROLLUP)


def _questions(rng: random.Random) -> list[Question]:
    found = []
    for time in (TimeField.CREATED_AT, TimeField.PAID_AT):
        for group_by in (
            [Dimension.CATEGORY_L1, Dimension.HOUR_OF_DAY],
            [Dimension.CATEGORY_L2, Dimension.DAY],
        ):
            start = NOW - timedelta(days=rng.randint(5, 40), minutes=rng.randint(0, 1439))
            end = NOW + timedelta(minutes=rng.randint(0, 600))
            found.append(_question(rng.sample(MEASURES, 3), group_by, time, start, end))
    return found


async def test_line_rollups_follow_order_and_catalogue_changes(db: Database) -> None:
    await generate(db.engine, orders=ORDERS, seed=6, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    rng = random.Random(22)
    questions = _questions(rng)
    later = NOW + timedelta(minutes=10)
    async with db.sessions() as session, session.begin():
        orders = list((await session.scalars(select(Order).order_by(Order.id))).all())
        stores = sorted({o.store_id for o in orders if o.store_id is not None})
        for order in rng.sample(orders, 40):
            change = rng.choice(["refund", "cancel", "pay", "reallocate"])
            if change == "refund":
                await session.execute(
                    update(OrderLine)
                    .where(OrderLine.order_id == order.id)
                    .values(refunded_quantity=OrderLine.quantity, refunded_amount=OrderLine.paid_amount)
                )
            elif change == "cancel":
                order.status = OrderStatus.CANCELLED
            elif change == "pay":  # paid, or paid again, on another local day
                order.paid_at = order.created_at + timedelta(hours=rng.choice([9, 20, 30]))
            else:
                target = rng.choice([s for s in stores if s != order.store_id] + [None])
                session.add(
                    AllocationRecord(
                        order_id=order.id,
                        from_store_id=order.store_id,
                        to_store_id=target,
                        reason="test",
                        actor_type=ActorType.HQ,
                        created_at=order.created_at + timedelta(hours=rng.choice([1, 23])),
                    )
                )
                order.store_id = target
            order.updated_at = later
    await refresh_rollups(db.sessions, ZONE, later)
    for question in questions:
        await _compare(db, question, HQ, Source.ROLLUP)

    async with db.sessions() as session, session.begin():  # a catalogue edit: a product moves
        sold = await session.scalar(select(OrderLine.product_id).limit(1))
        product = await session.get(Product, sold)
        assert product is not None
        others = (await session.scalars(select(Category.id).where(Category.id != product.category_id))).all()
        product.category_id = rng.choice(list(others))
    for question in questions:
        await _compare(db, question, HQ, Source.RAW)  # the rollup no longer follows the catalogue
    await refresh_rollups(db.sessions, ZONE, later + timedelta(minutes=10))
    for question in questions:
        await _compare(db, question, HQ, Source.ROLLUP)


async def test_uncovered_line_questions_read_raw_rows(db: Database) -> None:
    await _shop(db)
    start, end = NOW - timedelta(days=20), NOW
    units = [LineMeasure.UNITS]
    cases = [
        (_question(units, [Dimension.PRODUCT], TimeField.CREATED_AT, start, end), HQ),  # a dimension
        (_question([LineMeasure.PAID_AMOUNT_AVG], [], TimeField.CREATED_AT, start, end), HQ),  # a measure
        (_question([LineMeasure.SHIPPED_UNITS], [], TimeField.PAID_AT, start, end), HQ),  # not summed
        (_question([LineMeasure.DISTINCT_ORDERS], [Dimension.DAY], TimeField.PAID_AT, start, end), HQ),
        (_question(units, [Dimension.STORE], TimeField.CREATED_AT, start, end), HQ),
        (_question(units, [Dimension.DAY], TimeField.CREATED_AT, start, end), await _staff(db)),  # a scope
        (_question(units, [], TimeField.CREATED_AT, start, end), Principal(role=Role.SHOPPER, customer_id=1)),
    ]
    for question, principal in cases:
        assert (await _ask(db, question, principal, rolled=True)).source is Source.RAW, question
    for question, principal in cases:  # and equal the raw answer (the same path)
        await _compare(db, question, principal, Source.RAW)
