"""How many statements a dashboard costs once the rollups are built: a round of resolvers reads
its day sets in one statement, and the rankings need no statement besides the two product totals.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from bench.generator import generate
from models.date_ranges import Granularity, RangePreset, resolve_range
from models.metrics.rules import RankingKey
from models.orders.rows import Order
from services.metrics import products as metrics_products
from services.metrics.engine import Engine
from services.metrics.rollups import GROUPS, refresh_rollups
from services.metrics.sections import FUNNEL, TRADE, MetricsQuery
from tests.conftest import Database

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


async def _dashboard(query: MetricsQuery) -> list[Any]:
    """The figures of a dashboard request, asked in one resolver round as GraphQL asks them."""
    return list(
        await asyncio.gather(
            *(query.figure(TRADE, n) for n in ("paying_customers", "paid_orders", "paid_amount", "aov")),
            *(query.figure(TRADE, n) for n in ("valid_orders", "invalid_orders", "turnover")),
            *(query.series(TRADE, n, Granularity.DAY) for n in ("paying_customers", "paid_amount")),
            *(query.figure(FUNNEL, n) for n in ("visitors", "ordering_customers", "paying_customers")),
            query.figure(FUNNEL, "visit_to_pay"),
            query.series(FUNNEL, "visitors", Granularity.DAY),
            metrics_products.product_ranking(query, RankingKey.SALES_AMOUNT, 10),
            metrics_products.category_ranking(query, RankingKey.SALES_AMOUNT, 10, 1),
        )
    )


async def test_a_store_dashboard_reads_its_day_sets_together(db: Database) -> None:
    await generate(db.engine, orders=300, seed=5, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    async with db.sessions() as s:
        store = await s.scalar(
            select(Order.store_id)
            .where(Order.store_id.is_not(None))
            .group_by(Order.store_id)
            .order_by(func.count().desc(), Order.store_id)
            .limit(1)
        )
    assert store is not None
    r = resolve_range(ZONE, NOW, RangePreset.LAST_7_DAYS)

    def query(ready: frozenset[str]) -> MetricsQuery:
        async def prepare() -> frozenset[str]:
            return ready

        return MetricsQuery(Engine(db.sessions, ZONE, db.dialect, frozenset([store]), prepare), r, True, ZONE)

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        got = await _dashboard(query(frozenset(GROUPS)))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert await _dashboard(query(frozenset())) == got  # the same figures from raw rows
    day_sets = [st for st in statements if "metrics_day_sets" in st]
    # Values and series are two loader rounds: at most two reads of the day sets, not one per figure.
    assert 1 <= len(day_sets) <= 2, day_sets
    # Paid sums, paid series, placed sums, the day sets, product sales and product views.
    assert len(statements) <= 7, statements
    assert not any("FROM products JOIN categories" in st for st in statements)
