"""Rollup-based figures equal the exact computation from raw rows, on generated data.

Property-style: for several generator seeds (and a time zone with a daylight-saving change), many
ranges drawn from the seed — presets at a mid-day `now` (to-date ranges cut mid-day), custom
ranges, several granularities and store scopes — every figure is computed twice: once with the
rollups (`ready` = every group) and once from raw rows only, and the two must agree exactly.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bench.generator import generate
from models.date_ranges import Granularity, Range, RangePreset, local_day, resolve_range
from models.metrics.rules import RankingKey, RegionLevel
from models.stores.rows import Store
from services.metrics import customers as metrics_customers
from services.metrics import products as metrics_products
from services.metrics import stores as metrics_stores
from services.metrics.engine import Engine
from services.metrics.rollups import GROUPS, refresh_rollups
from services.metrics.sections import CUSTOMERS, FUNNEL, PRODUCTS, REFUNDS, TRADE, TRAFFIC, MetricsQuery
from tests.conftest import Database

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
ORDERS = 500
SECTIONS = (TRADE, FUNNEL, REFUNDS, PRODUCTS, TRAFFIC, CUSTOMERS)


def engine(db: Database, zone: ZoneInfo, stores: frozenset[int] | None, ready: frozenset[str]) -> Engine:
    async def prepare() -> frozenset[str]:
        return ready

    return Engine(db.sessions, zone, db.dialect, stores, prepare)


def ranges(rng: random.Random, zone: ZoneInfo) -> list[Range]:
    """A to-date preset at a mid-day now (its ends are cut mid-day, its previous period too), two
    other presets, and a custom range inside the generated 90 days."""
    running = rng.choice([RangePreset.TODAY, RangePreset.THIS_WEEK, RangePreset.THIS_MONTH])
    others = rng.sample([p for p in RangePreset if p is not running], 2)
    chosen = [resolve_range(zone, NOW, preset) for preset in (running, *others)]
    first = local_day(NOW, zone) - timedelta(days=rng.randrange(1, 80))
    chosen.append(resolve_range(zone, NOW, first=first, last=first + timedelta(days=rng.randrange(0, 20))))
    return chosen


async def figures(query: MetricsQuery, granularity: Granularity) -> dict[str, Any]:
    """Every figure of every section, its series at `granularity`, and the non-sum figures."""
    out: dict[str, Any] = {}
    for section in SECTIONS:
        names = [*(n for _, ms in section.parts for n in ms), *section.derived]
        values = await asyncio.gather(*(query.figure(section, n) for n in names))
        series = await asyncio.gather(*(query.series(section, n, granularity) for n in names))
        for name, f, points in zip(names, values, series, strict=True):
            out[f"{section.name}.{name}"] = (f.value, f.previous, [p.value for p in points])
    out["movement"] = await metrics_products.movement(query)
    out["exposure"] = await metrics_products.exposure(query)
    key = RankingKey.PV if granularity is Granularity.HOUR else RankingKey.SALES_AMOUNT
    out["products"] = await metrics_products.product_ranking(query, key, 10)
    out["categories"] = await metrics_products.category_ranking(query, RankingKey.UNITS, 10, 1)
    out["stores"] = await metrics_stores.by_store(query)
    out["store_ranking"] = await metrics_stores.store_ranking(query, 3)
    assert (
        out["store_ranking"] == sorted(out["stores"].items(), key=lambda kv: (-kv[1].paid_amount, kv[0]))[:3]
    )
    asked = await metrics_stores.store_ranking(query, 3, {"aov", "reject_rate"})  # these figures only
    assert [(s, f.aov, f.reject_rate) for s, f in asked] == [
        (s, f.aov, f.reject_rate) for s, f in out["store_ranking"]
    ]
    out["regions"] = await metrics_stores.by_region(query, RegionLevel.CITY)
    out["fulfilment"] = await metrics_stores.fulfilment(query)
    out["sources"] = await metrics_customers.source_ranking(query, 10)
    return out


Compare = Callable[[Range, frozenset[int] | None, Granularity], Awaitable[None]]


def comparer(db: Database, zone: ZoneInfo) -> Compare:
    async def compare(r: Range, stores: frozenset[int] | None, granularity: Granularity) -> None:
        rolled = MetricsQuery(engine(db, zone, stores, frozenset(GROUPS)), r, True, zone)
        exact = MetricsQuery(engine(db, zone, stores, frozenset()), r, True, zone)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            got = await figures(rolled, granularity)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert any("metrics_order_" in st for st in statements), "the rollups were not read"
        want = await figures(exact, granularity)
        for key in want:
            assert got[key] == want[key], (key, r.current.first_day, r.current.last_day, stores, granularity)

    return compare


@pytest.mark.parametrize(
    ("seed", "zone"), [(1, "Asia/Shanghai"), (2, "Asia/Shanghai"), (3, "America/New_York")]
)
async def test_rollups_equal_the_exact_computation(db: Database, seed: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    await generate(db.engine, orders=ORDERS, seed=seed, now=NOW, progress=False)
    report = await refresh_rollups(db.sessions, tz, NOW)
    assert sorted(report.built) == sorted(GROUPS)
    rng = random.Random(seed)
    compare = comparer(db, tz)
    chosen = ranges(rng, tz)
    async with db.sessions() as s:
        store_ids = sorted((await s.scalars(select(Store.id))).all())
    for i, r in enumerate(chosen):
        granularity = (
            Granularity.HOUR
            if r.current.last_day == r.current.first_day
            else rng.choice([Granularity.DAY, Granularity.WEEK, Granularity.MONTH])
        )
        stores = None if i % 3 else frozenset(rng.sample(store_ids, k=min(2, len(store_ids))))
        await compare(r, stores, granularity)
