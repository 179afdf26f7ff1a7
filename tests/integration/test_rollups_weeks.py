"""The all-stores product week rows equal the raw rows, and so do the rankings that read them.

Generated data is rolled up; then orders with lines are paid and page views naming products
arrive at moments drawn around local week boundaries (Monday midnights, and the New York
fall-back week), with and without a store. After the incremental refresh (sales) and ingestion
(views), every week row equals the raw rows' sums per local week and product, and the product
and category rankings of ranges of whole weeks, read from the week rows, equal the raw ones.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select, update

from bench.generator import generate
from models.date_ranges import Granularity, Range, local_midnight, resolve_range
from models.enums import PageType, SourceChannel
from models.metrics.rollups import ProductSalesWeek, ProductViewWeek
from models.metrics.rules import RankingKey
from models.metrics.visits import PageView
from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.principals import Principal
from models.stores.rows import Store
from models.visits import VisitEvent
from services.commands import Deps
from services.config import RulesConfig
from services.metrics import products as metrics_products
from services.metrics.engine import Engine
from services.metrics.rollups import GROUPS, refresh_rollups
from services.metrics.sections import MetricsQuery
from services.metrics.sources import grain_floor
from services.payments import DevPaymentGateway
from services.visits import track_events
from tests.conftest import Database

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # a Monday
FALL_BACK_WEEK = date(2026, 10, 26)  # New York's week with the 25-hour Sunday


def boundary(rng: random.Random, zone: ZoneInfo) -> datetime:
    """A moment within 5 hours of a local Monday midnight of the last five weeks."""
    today = NOW.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday() + 7 * rng.randrange(0, 5))
    if rng.random() < 0.3:
        monday = FALL_BACK_WEEK + timedelta(days=7 * rng.randrange(0, 2))
    return local_midnight(monday, zone) + timedelta(minutes=rng.randrange(-300, 300))


async def pay_orders(db: Database, rng: random.Random, zone: ZoneInfo, count: int) -> None:
    """New paid orders copying a generated one's lines, and generated unpaid orders paid, at
    moments around week boundaries (updated now, as the order services do)."""
    now = datetime.now(UTC)
    async with db.sessions() as s, s.begin():
        paid = list(
            (await s.scalars(select(Order.id).where(Order.paid_at.is_not(None)).order_by(Order.id))).all()
        )
        stores = [None, *(await s.scalars(select(Store.id))).all()]
        for _ in range(count):
            source = rng.choice(paid)
            row = dict((await s.execute(select(Order.__table__).where(Order.id == source))).one()._mapping)
            row.pop("id")
            row |= {
                "order_no": f"W{uuid.uuid4().hex[:20]}",
                "paid_at": boundary(rng, zone),
                "updated_at": now,
            }
            row |= {"store_id": rng.choice(stores)}
            new_id = (await s.execute(insert(Order).values(**row).returning(Order.id))).scalar_one()
            lines = (await s.execute(select(OrderLine.__table__).where(OrderLine.order_id == source))).all()
            for line in lines:
                values = {k: v for k, v in line._mapping.items() if k != "id"} | {"order_id": new_id}
                await s.execute(insert(OrderLine).values(**values))
        unpaid = (
            await s.scalars(select(Order.id).where(Order.status == OrderStatus.PENDING_PAYMENT).limit(count))
        ).all()
        for order_id in unpaid:
            paying: dict[str, Any] = {"paid_at": boundary(rng, zone), "updated_at": now}
            paying |= {"status": OrderStatus.PENDING_ACCEPTANCE}
            await s.execute(update(Order).where(Order.id == order_id).values(**paying))


async def view_products(db: Database, rng: random.Random, zone: ZoneInfo, count: int) -> None:
    async with db.sessions() as s:
        stores = [None, *(await s.scalars(select(Store.id))).all()]
        products = list((await s.scalars(select(OrderLine.product_id).distinct().limit(6))).all())
    deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(zone=zone))
    for n in range(count):
        at = boundary(rng, zone)
        view = PageView(
            f"w-{uuid.uuid4().hex}",
            f"wx-{n % 5}",
            "s",
            PageType.PRODUCT,
            SourceChannel.SHARE,
            100,
            at,
            product_id=rng.choice(products),
            store_id=rng.choice(stores),
        )
        result = await track_events(deps, Principal(None), [view], now=at + timedelta(minutes=1))
        assert result["accepted"] == 1, result


async def raw_weeks(db: Database, zone: ZoneInfo) -> tuple[dict[Any, tuple[int, int]], dict[Any, int]]:
    """(week start, product) → (units, amount) of the paid lines, and → page views, from raw rows."""
    sales: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    views: dict[Any, int] = defaultdict(int)
    async with db.sessions() as s:
        lines = await s.execute(
            select(
                Order.paid_at,
                OrderLine.product_id,
                OrderLine.quantity,
                OrderLine.is_gift,
                OrderLine.paid_amount,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.paid_at.is_not(None))
        )
        for paid_at, product, quantity, gift, amount in lines:
            assert paid_at is not None
            into = sales[(grain_floor(paid_at, Granularity.WEEK, zone), product)]
            into[0] += 0 if gift else quantity
            into[1] += amount
        events = await s.execute(
            select(VisitEvent.occurred_at, VisitEvent.product_id).where(VisitEvent.product_id.is_not(None))
        )
        for occurred, viewed in events:
            views[(grain_floor(occurred, Granularity.WEEK, zone), viewed)] += 1
    return {k: (u, a) for k, (u, a) in sales.items()}, dict(views)


async def stored_weeks(db: Database) -> tuple[dict[Any, tuple[int, int]], dict[Any, int]]:
    async with db.sessions() as s:
        sales = (await s.execute(select(ProductSalesWeek))).scalars().all()
        views = (await s.execute(select(ProductViewWeek))).scalars().all()
    assert {r.store_id for r in sales} | {r.store_id for r in views} <= {-1}
    return (
        {(r.week_start, r.product_id): (r.units_sold, r.sales_amount) for r in sales},
        {(r.week_start, r.product_id): r.pv for r in views},
    )


def engine(db: Database, zone: ZoneInfo, ready: frozenset[str]) -> Engine:
    async def prepare() -> frozenset[str]:
        return ready

    return Engine(db.sessions, zone, db.dialect, None, prepare)


async def rankings(db: Database, zone: ZoneInfo, r: Range, ready: frozenset[str]) -> list[Any]:
    query = MetricsQuery(engine(db, zone, ready), r, True, zone)
    out: list[Any] = []
    for key in RankingKey:
        out.append(await metrics_products.product_ranking(query, key, 50))
        out.append(await metrics_products.category_ranking(query, key, 50, 2))
    return out


@pytest.mark.parametrize(("seed", "zone"), [(1, "Asia/Shanghai"), (2, "America/New_York")])
async def test_week_rows_equal_the_raw_rows_after_changes(db: Database, seed: int, zone: str) -> None:
    tz, rng = ZoneInfo(zone), random.Random(seed)
    await generate(db.engine, orders=150, seed=seed, now=NOW, progress=False)
    await refresh_rollups(db.sessions, tz, NOW)
    assert await stored_weeks(db) == await raw_weeks(db, tz)
    await pay_orders(db, rng, tz, 12)
    await view_products(db, rng, tz, 10)
    report = await refresh_rollups(db.sessions, tz, datetime.now(UTC))
    assert report.built == []
    assert report.partitions > 0
    assert await stored_weeks(db) == await raw_weeks(db, tz)

    today = NOW.astimezone(tz).date()
    for weeks in (1, 3, 5):  # whole weeks, then the same weeks with a partial day on each side
        first = today - timedelta(days=7 * weeks)
        for r in (
            resolve_range(tz, NOW, first=first, last=today - timedelta(days=1)),
            resolve_range(tz, NOW, first=first - timedelta(days=2), last=today),
        ):
            statements: list[str] = []

            def record(_c: Any, _cur: Any, statement: str, *_: Any, seen: list[str] = statements) -> None:
                seen.append(statement)

            event.listen(db.engine.sync_engine, "before_cursor_execute", record)
            try:
                got = await rankings(db, tz, r, frozenset(GROUPS))
            finally:
                event.remove(db.engine.sync_engine, "before_cursor_execute", record)
            assert any("metrics_product_sales_weeks" in st for st in statements)
            assert any("metrics_product_view_weeks" in st for st in statements)
            assert got == await rankings(db, tz, r, frozenset()), (weeks, r.current.first_day)
