"""p50/p95 of the metrics dashboard on PostgreSQL, from raw rows and from the rollups.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python -m bench.metrics_dashboard

Migrates and seeds the database first if it is empty (`--orders`, default 1,000,000; ~10 minutes).
The dashboard is one GraphQL request as the HQ back office sends it — trade overview and funnel
with the previous period, a per-day series of paid amount, paying customers and visitors, and
the top-10 product, category and store rankings — over the last 7 and the last 30 complete days
of the data, through the real HTTP app with the result cache off. It runs `--runs` times per range
first with METRICS_ROLLUPS=false (every figure from raw rows), then, after building the rollups
(timed, and a sweeper's incremental refresh timed too), with them. Results also go to
`bench/results/metrics_dashboard.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from bench.prepare import seed_and_vacuum, vacuum_analyze
from gql.app import Resources, create_app
from gql.auth import mint_token
from gql.settings import Settings, load_settings
from models.date_ranges import local_day
from models.enums import Role
from models.metrics_rollups import RollupState
from models.orders import Order
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.migrations import upgrade
from services.payments import DevPaymentGateway
from services.rollups import refresh_rollups

RESULTS = Path(__file__).resolve().parent / "results" / "metrics_dashboard.json"

DASHBOARD = """
query Dashboard($range: DateRange!) {
  metrics(range: $range, compare: PREVIOUS_PERIOD) {
    tradeOverview {
      payingCustomers { value previous change series(granularity: DAY) { label value } }
      paidOrders { value previous change }
      paidAmount {
        value { cents } previous { cents } change series(granularity: DAY) { label value { cents } }
      }
      aov { value { cents } previous { cents } change }
      validOrders { value previous } invalidOrders { value previous }
      invalidOrderLoss { value { cents } } turnover { value { cents } previous { cents } }
    }
    funnel {
      visitors { value previous change series(granularity: DAY) { label value } }
      orderingCustomers { value previous } payingCustomers { value previous }
      visitToOrderRate { value } orderToPayRate { value } visitToPayRate { value }
    }
    productRanking(top: 10) { rank product { name } salesAmount { cents } unitsSold pv }
    categoryRanking(top: 10) { rank category { name } salesAmount { cents } unitsSold pv }
    stores { byStore(top: 10) { rank store { code } paidAmount { cents } payingCustomers } }
  }
}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _dashboard(settings: Settings, ranges: dict[str, dict[str, str]], runs: int) -> dict[str, Any]:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, statement_timeout_ms=0)
    resources = Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    token = mint_token(settings, Role.HQ_ADMIN, "bench")
    out: dict[str, Any] = {}
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
            ) as http,
        ):
            for name, days in ranges.items():
                timings = []
                for run in range(runs + 1):  # the first run warms caches and the pool; not counted
                    started = time.perf_counter()
                    r = await http.post(
                        "/graphql",
                        json={"query": DASHBOARD, "variables": {"range": days}},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    body = r.json()
                    if body.get("errors"):
                        raise SystemExit(f"dashboard failed: {body['errors']}")
                    if run:
                        timings.append(elapsed)
                trade = body["data"]["metrics"]["tradeOverview"]
                out[name] = {
                    "p50_ms": round(percentile(timings, 0.5), 1),
                    "p95_ms": round(percentile(timings, 0.95), 1),
                    "runs": runs,
                    "paid_orders": trade["paidOrders"]["value"],
                    "paid_amount_cents": trade["paidAmount"]["value"]["cents"],
                }
    finally:
        await engine.dispose()
    return out


async def run(url: str, orders: int, runs: int, rebuild: bool) -> dict[str, Any]:
    if not url.startswith("postgresql"):
        raise SystemExit("measured on PostgreSQL: set DATABASE_URL=postgresql+asyncpg://…")
    await asyncio.to_thread(upgrade, url)
    # Cache off: every run computes. The overlap re-read of late commits is the sweeper's job
    # (timed separately below), so requests only fold in new changes.
    base = load_settings(
        database_url=url,
        metrics_cache_seconds=0,
        sweep_interval_seconds=0,
        metrics_rollup_max_age_seconds=3600,
    )
    engine = create_engine(url, statement_timeout_ms=0)
    try:
        await seed_and_vacuum(engine, orders)
        async with engine.connect() as conn:
            newest = await conn.scalar(select(func.max(Order.created_at)))
            total = await conn.scalar(select(func.count()).select_from(Order))
        assert newest is not None, "the database holds no orders"
        last = local_day(newest, base.zone) - timedelta(days=1)
        ranges = {
            f"{n} days": {"from": (last - timedelta(days=n - 1)).isoformat(), "to": last.isoformat()}
            for n in (7, 30)
        }
        results: dict[str, Any] = {"orders": total, "ranges": ranges}
        results["raw"] = await _dashboard(base.model_copy(update={"metrics_rollups": False}), ranges, runs)
        if rebuild:  # time a build from scratch, not a catch-up of rollups built earlier
            async with engine.begin() as conn:
                await conn.execute(delete(RollupState))
        started = time.perf_counter()
        built = await refresh_rollups(session_factory(engine), base.zone)
        results["rollup_refresh_seconds"] = round(time.perf_counter() - started, 1)
        results["rollup_groups_built"] = built.built
        started = time.perf_counter()
        swept = await refresh_rollups(session_factory(engine), base.zone)
        results["sweeper_refresh_seconds"] = round(time.perf_counter() - started, 2)
        results["sweeper_refresh_partitions"] = swept.partitions
        await vacuum_analyze(engine)  # the rollup tables just written
        results["rollups"] = await _dashboard(base, ranges, runs)
        return results
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="orders to generate into an empty database"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per range and mode")
    parser.add_argument(
        "--keep-rollups", action="store_true", help="reuse rollups already built instead of rebuilding them"
    )
    args = parser.parse_args()
    results = asyncio.run(run(load_settings().database_url, args.orders, args.runs, not args.keep_rollups))
    print(
        f"{results['orders']:,} orders; rollup build {results['rollup_refresh_seconds']} s; a sweeper "
        f"refresh ({results['sweeper_refresh_partitions']} partitions) {results['sweeper_refresh_seconds']} s"
    )
    print(f"{'range':10} {'mode':8} {'p50 ms':>9} {'p95 ms':>9}")
    for mode in ("raw", "rollups"):
        for name, figures in results[mode].items():
            print(f"{name:10} {mode:8} {figures['p50_ms']:9.1f} {figures['p95_ms']:9.1f}")
        assert results["raw"].keys() == results["rollups"].keys()
    for name in results["raw"]:
        same = all(
            results["raw"][name][k] == results["rollups"][name][k]
            for k in ("paid_orders", "paid_amount_cents")
        )
        print(f"{name}: raw and rollup figures agree: {same}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
