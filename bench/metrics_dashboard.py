"""p50/p95 of the metrics dashboard on PostgreSQL, from raw rows and from the rollups.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python -m bench.metrics_dashboard

Migrates and seeds the database first if it is empty (`--orders`, default 1,000,000; ~10 minutes).
The dashboard is one GraphQL request as the back office sends it — trade overview and funnel
with the previous period, a per-day series of paid amount, paying customers and visitors, and
the top-10 product, category and store rankings — over the last 7 and the last 30 complete days
of the data, as HQ and as the staff of the busiest store, through the real HTTP app with the
result cache off. It runs `--runs` times per range first with METRICS_ROLLUPS=false (every figure
from raw rows; `--no-raw` skips it), then, after building the rollups (timed; `--keep-rollups`
reuses them), with them. `--sections` also times each section of the dashboard alone
(p50), to show where the time goes. It also times the sweeper's refresh after 200 orders of the last day
changed, and the visitor-set refresh after 500 page views posted through `trackEvents` (whose
batch latency it prints). Results also go to `bench/results/metrics_dashboard.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.prepare import seed_and_vacuum, vacuum_analyze
from gql.app import Resources, create_app
from gql.gate.auth import mint_token
from gql.ids import encode_id
from gql.settings import Settings, load_settings
from models.base import utcnow
from models.date_ranges import day_starts, local_day
from models.enums import Role
from models.metrics.rollups import RollupState
from models.orders.rows import Order
from models.stores.rows import Store
from services.cache import MemoryCache
from services.db import SessionFactory, create_engine, session_factory
from services.metrics.rollups import refresh_rollups
from services.metrics.sets import refresh_visitor_sets
from services.migrations import upgrade
from services.payments import DevPaymentGateway

RESULTS = Path(__file__).resolve().parent / "results" / "metrics_dashboard.json"

SECTIONS = {
    "tradeOverview": """
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
""",
    "funnel": """
    funnel {
      visitors { value previous change series(granularity: DAY) { label value } }
      orderingCustomers { value previous } payingCustomers { value previous }
      visitToOrderRate { value } orderToPayRate { value } visitToPayRate { value }
    }
""",
    "productRanking": """
    productRanking(top: 10) { rank product { name } salesAmount { cents } unitsSold pv }
""",
    "categoryRanking": """
    categoryRanking(top: 10) { rank category { name } salesAmount { cents } unitsSold pv }
""",
    "stores": """
    stores { byStore(top: 10) { rank store { code } paidAmount { cents } payingCustomers } }
""",
}
"""The dashboard's sections (top-level fields of `metrics`), each also timed alone (`--sections`)."""


def dashboard_query(*sections: str) -> str:
    """The dashboard request with the given sections (all of them when none is named)."""
    fields = "".join(SECTIONS[name].lstrip("\n") for name in sections or SECTIONS)
    return f"""
query Dashboard($range: DateRange!) {{
  metrics(range: $range, compare: PREVIOUS_PERIOD) {{
{fields}  }}
}}
"""


DASHBOARD = dashboard_query()


TRACK = """
mutation Track($events: [VisitEventInput!]!) { trackEvents(events: $events) { accepted rejected { index } } }
"""
TOUCHED = 200
EVENTS = 500


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _dashboard(
    settings: Settings, ranges: dict[str, dict[str, str]], runs: int, store: int, sections: bool = False
) -> dict[str, Any]:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, statement_timeout_ms=0)
    resources = Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    tokens = {
        "HQ": mint_token(settings, Role.HQ_ADMIN, "bench"),
        "store": mint_token(settings, Role.STORE_STAFF, "bench-staff", store_ids=[store]),
    }
    questions = [(who, name, days) for who in tokens for name, days in ranges.items()]
    out: dict[str, Any] = {}
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
            ) as http,
        ):
            for who, name, days in questions:

                async def timed(query: str, who: str = who, days: dict[str, str] = days) -> Any:
                    started = time.perf_counter()
                    r = await http.post(
                        "/graphql",
                        json={"query": query, "variables": {"range": days}},
                        headers={"authorization": f"Bearer {tokens[who]}"},
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    body = r.json()
                    if body.get("errors"):
                        raise SystemExit(f"dashboard failed: {body['errors']}")
                    return elapsed, body

                timings = []
                for run in range(runs + 1):  # the first run warms caches and the pool; not counted
                    elapsed, body = await timed(DASHBOARD)
                    if run:
                        timings.append(elapsed)
                parts = {}
                for section in SECTIONS if sections else ():
                    alone = [(await timed(dashboard_query(section)))[0] for _ in range(runs + 1)][1:]
                    parts[section] = round(percentile(alone, 0.5), 1)
                trade = body["data"]["metrics"]["tradeOverview"]
                funnel = body["data"]["metrics"]["funnel"]
                out[f"{who} {name}"] = {
                    "p50_ms": round(percentile(timings, 0.5), 1),
                    "p95_ms": round(percentile(timings, 0.95), 1),
                    "runs": runs,
                    "section_p50_ms": parts,
                    "paid_orders": trade["paidOrders"]["value"],
                    "paid_amount_cents": trade["paidAmount"]["value"]["cents"],
                    "paying_customers": [trade["payingCustomers"][k] for k in ("value", "previous")]
                    + [p["value"] for p in trade["payingCustomers"]["series"]],
                    "visitors": [funnel["visitors"][k] for k in ("value", "previous")]
                    + [p["value"] for p in funnel["visitors"]["series"]],
                }
    finally:
        await engine.dispose()
    return out


async def run(
    url: str, orders: int, runs: int, rebuild: bool, raw: bool, sections: bool = False
) -> dict[str, Any]:
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
        rate_limit_enabled=False,  # it times the dashboard, not one caller's budget
    )
    engine = create_engine(url, statement_timeout_ms=0)
    sessions = session_factory(engine)
    try:
        await seed_and_vacuum(engine, orders)
        async with engine.connect() as conn:
            newest = await conn.scalar(select(func.max(Order.created_at)))
            total = await conn.scalar(select(func.count()).select_from(Order))
            busiest = await conn.scalar(
                select(Order.store_id)
                .where(Order.store_id.is_not(None))
                .group_by(Order.store_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        if newest is None or busiest is None:
            raise SystemExit("the database holds no store orders")
        last = local_day(newest, base.zone) - timedelta(days=1)
        ranges = {
            f"{n} days": {"from": (last - timedelta(days=n - 1)).isoformat(), "to": last.isoformat()}
            for n in (7, 30)
        }
        results: dict[str, Any] = {"orders": total, "ranges": ranges, "store": busiest}
        if raw:
            no_rollups = base.model_copy(update={"metrics_rollups": False})
            results["raw"] = await _dashboard(no_rollups, ranges, runs, busiest)
        if rebuild:  # time a build from scratch, not a catch-up of rollups built earlier
            async with engine.begin() as conn:
                await conn.execute(delete(RollupState))
        started = time.perf_counter()
        built = await refresh_rollups(sessions, base.zone)
        results["rollup_refresh_seconds"] = round(time.perf_counter() - started, 1)
        results["rollup_groups_built"] = built.built
        await vacuum_analyze(engine)  # the rollup tables just written
        results["refresh"] = await _refresh_costs(engine, sessions, base, last)
        results["rollups"] = await _dashboard(base, ranges, runs, busiest, sections)
        return results
    finally:
        await engine.dispose()


async def _refresh_costs(engine: AsyncEngine, sessions: SessionFactory, base: Settings, last: date) -> Any:
    """The sweeper's incremental refresh after a typical burst of writes: `TOUCHED` orders of the
    last day changed (as payments and shipments change them), then `EVENTS` page views ingested
    through `trackEvents` (their visitor sets are rebuilt from ingestion's markers)."""
    costs: dict[str, Any] = {}
    day_start, day_end = day_starts(last, last, base.zone)
    async with engine.begin() as conn:
        ids = (
            await conn.scalars(
                select(Order.id)
                .where(Order.created_at >= day_start, Order.created_at < day_end)
                .order_by(Order.id)
                .limit(TOUCHED)
            )
        ).all()
        await conn.execute(update(Order).where(Order.id.in_(ids)).values(updated_at=utcnow()))
    started = time.perf_counter()
    swept = await refresh_rollups(sessions, base.zone)
    costs["orders_touched"] = len(ids)
    costs["orders_refresh_seconds"] = round(time.perf_counter() - started, 3)
    costs["orders_refresh_partitions"] = swept.partitions
    costs.update(await _ingest(sessions, base))
    started = time.perf_counter()
    sets = await refresh_visitor_sets(sessions, base.zone)
    costs["visits_refresh_seconds"] = round(time.perf_counter() - started, 3)
    costs["visits_refresh_sets"] = sets.partitions
    return costs


async def _ingest(sessions: SessionFactory, base: Settings) -> dict[str, Any]:
    """Post `EVENTS` page views of now (one batch per store of 10 stores) through the HTTP app."""
    async with sessions() as session:
        stores = (await session.scalars(select(Store.id).order_by(Store.id).limit(10))).all()
    engine = create_engine(base.database_url, statement_timeout_ms=0)
    resources = Resources(base, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    moment = utcnow().isoformat()
    timings = []
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
        ):
            for n, store in enumerate(stores):
                events = [
                    {
                        "eventId": f"bench-{uuid.uuid4().hex}",
                        "visitorId": f"bench-visitor-{n}-{i % 20}",
                        "sessionId": f"bench-session-{n}",
                        "pageType": "HOME",
                        "storeId": encode_id("Store", store),
                        "occurredAt": moment,
                        "dwellMs": 1000,
                    }
                    for i in range(EVENTS // len(stores))
                ]
                started = time.perf_counter()
                r = await http.post("/graphql", json={"query": TRACK, "variables": {"events": events}})
                timings.append((time.perf_counter() - started) * 1000)
                body = r.json()
                if body.get("errors") or body["data"]["trackEvents"]["rejected"]:
                    raise SystemExit(f"trackEvents failed: {body}")
    finally:
        await engine.dispose()
    return {"events": EVENTS, "track_events_batch_p50_ms": round(percentile(timings, 0.5), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="orders to generate into an empty database"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per range and mode")
    parser.add_argument(
        "--keep-rollups", action="store_true", help="reuse rollups already built instead of rebuilding them"
    )
    parser.add_argument("--no-raw", action="store_true", help="skip the (slow) raw-rows baseline")
    parser.add_argument(
        "--sections", action="store_true", help="also time each section alone (from the rollups)"
    )
    args = parser.parse_args()
    url = load_settings().database_url
    results = asyncio.run(
        run(url, args.orders, args.runs, not args.keep_rollups, not args.no_raw, args.sections)
    )
    refresh = results["refresh"]
    print(
        f"{results['orders']:,} orders; rollup build {results['rollup_refresh_seconds']} s; sweeper refresh "
        f"after {refresh['orders_touched']} orders changed: {refresh['orders_refresh_seconds']} s "
        f"({refresh['orders_refresh_partitions']} partitions); after {refresh['events']} page views "
        f"(trackEvents p50 {refresh['track_events_batch_p50_ms']} ms a batch): "
        f"{refresh['visits_refresh_seconds']} s ({refresh['visits_refresh_sets']} visitor sets)"
    )
    modes = [m for m in ("raw", "rollups") if m in results]
    print(f"{'dashboard':16} {'mode':8} {'p50 ms':>9} {'p95 ms':>9}")
    for mode in modes:
        for name, figures in results[mode].items():
            print(f"{name:16} {mode:8} {figures['p50_ms']:9.1f} {figures['p95_ms']:9.1f}")
            for section, p50 in figures["section_p50_ms"].items():
                print(f"    {section:20} alone p50 {p50:9.1f} ms")
    if "raw" in results:
        for name in results["raw"]:
            same = all(
                results["raw"][name][k] == results["rollups"][name][k]
                for k in ("paid_orders", "paid_amount_cents", "visitors", "paying_customers")
            )
            print(f"{name}: raw and rollup figures agree: {same}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
