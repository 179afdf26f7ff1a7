"""p50/p95 and SQL statements of the analysts' aggregate queries (issue 22), uncached, on PostgreSQL.

    .venv/bin/python -m bench.aggregates \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_export_1m --runs 20

Three documents, sent as an ANALYST through the real app in process (httpx's ASGITransport: gate,
validation, resolvers, loaders and the analytics service, no socket), each over the 30 local days
ending on the day of the data set's newest order (the generator's `now`), given as the aggregate's
`range`:

- `store_day_channel` — `orderAggregate` of paid amount and paying customers by STORE × DAY ×
  CHANNEL of the payment time, the first 1,000 groups by day;
- `category_hour` — `orderLineAggregate` of units and paid amount by CATEGORY_L1 × HOUR_OF_DAY of
  the order's creation (the lines' copy of it), the top 1,000 by paid amount;
- `refund_reason_store` — `afterSaleAggregate` of refunded after-sale lines (status REFUNDED) by
  REASON × STORE of the refund time, count and refunded amount, the top 1,000 by amount;
- `store_day_rollup` — `orderAggregate` of paid amount and paid orders by STORE × DAY of the
  payment time, the first 1,000 groups by day: a question the metrics rollups cover
  (`source: ROLLUP`).

The start-up heap is frozen before the first request, as a served process freezes it
(gql/engine/heap.py; `--no-freeze` leaves it to the collector, whose full collections then walk it during
requests). The metrics cache, the public response cache and the rate limiter are off; aggregates have no
cache of their own, so every run computes its answer (from the raw rows, or from the rollups).
The rollups are built (or caught up) before the first request, timed, and the database vacuumed
after a build; the requests still check that they are fresh (`services.metrics.freshness.freshen`). The
database is migrated (which adds tables and indexes) but not seeded: point it at a generated
one. Each document is sent once to warm the pool, the document cache and PostgreSQL's buffers,
then once more inside `count_statements`, then `--runs` times timed: the request, the database
(its statements' execution and fetch) and the analytics service (`answer`: the database plus the
Python that builds and reads the statements; the rest of the request is GraphQL). `--only NAME`
measures the named documents alone. Results also go to `bench/results/aggregates.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.prepare import vacuum_analyze
from bench.server import BENCH_SECRET
from gql.app import Resources, create_app
from gql.engine import freeze_startup_heap
from gql.gate.auth import mint_token
from gql.settings import Settings, load_settings
from models.date_ranges import local_day
from models.enums import Role
from models.orders.rows import Order
from services.cache import MemoryCache
from services.db import count_statements, create_engine, session_factory
from services.metrics.rollups import refresh_rollups
from services.migrations import upgrade
from services.payments import DevPaymentGateway

RESULTS = Path(__file__).resolve().parent / "results" / "aggregates.json"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_export"


@dataclass(frozen=True)
class Document:
    """One aggregate as an analyst sends it; `$range` is the measured window."""

    name: str
    root: str
    query: str


DOCUMENTS = (
    Document(
        "store_day_channel",
        "orderAggregate",
        """
query StoreDayChannel($range: DateRange!) {
  orderAggregate(
    range: $range
    timeField: PAID_AT
    groupBy: [STORE, DAY, CHANNEL]
    measures: [PAID_AMOUNT_SUM, PAYING_CUSTOMERS]
    top: 1000
    sort: [{ dimension: DAY, descending: false }]
  ) {
    source groupCount
    rows {
      keys { dimension value label store { code name } }
      values { measure value money { amount } }
    }
    totals { measure value money { amount } }
  }
}
""",
    ),
    Document(
        "category_hour",
        "orderLineAggregate",
        """
query CategoryHour($range: DateRange!) {
  orderLineAggregate(
    range: $range
    groupBy: [CATEGORY_L1, HOUR_OF_DAY]
    measures: [UNITS, PAID_AMOUNT_SUM]
    top: 1000
    sort: [{ measure: PAID_AMOUNT_SUM }]
  ) {
    source groupCount
    rows {
      keys { dimension value label category { name } }
      values { measure value money { amount } }
    }
    totals { measure value money { amount } }
  }
}
""",
    ),
    Document(
        "refund_reason_store",
        "afterSaleAggregate",
        """
query RefundReasonStore($range: DateRange!) {
  afterSaleAggregate(
    filter: { status: [REFUNDED] }
    range: $range
    timeField: REFUNDED_AT
    groupBy: [REASON, STORE]
    measures: [COUNT, REFUND_AMOUNT_SUM]
    top: 1000
    sort: [{ measure: REFUND_AMOUNT_SUM }]
  ) {
    source groupCount
    rows {
      keys { dimension value label store { code name } }
      values { measure value money { amount } }
    }
    totals { measure value money { amount } }
  }
}
""",
    ),
    Document(
        "store_day_rollup",
        "orderAggregate",
        """
query StoreDay($range: DateRange!) {
  orderAggregate(
    range: $range
    timeField: PAID_AT
    groupBy: [STORE, DAY]
    measures: [PAID_AMOUNT_SUM, PAID_ORDERS]
    top: 1000
    sort: [{ dimension: DAY, descending: false }]
  ) {
    source groupCount
    rows {
      keys { dimension value label store { code name } }
      values { measure value money { amount } }
    }
    totals { measure value money { amount } }
  }
}
""",
    ),
)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile of `values` (non-empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _statement_clock(engine: AsyncEngine) -> list[float]:
    """Seconds each statement on `engine` took (execution and fetch), appended as they finish."""
    spent: list[float] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        spent.append(time.perf_counter() - conn.info.pop("bench_started"))

    return spent


def bench_settings(url: str) -> Settings:
    """Production settings with every cache that could answer an aggregate off and no rate limit."""
    return load_settings(
        database_url=url,
        environment="prod",
        jwt_secret=BENCH_SECRET,
        metrics_cache_seconds=0,
        public_cache_seconds=0,
        group_buy_page_cache_seconds=0,
        rate_limit_enabled=False,
        sweep_interval_seconds=0,
        metrics_rollup_max_age_seconds=3600,  # the sweeper's catch-up is not measured here
    )


async def window(settings: Settings) -> dict[str, str]:
    """The 30 local days ending on the day of the newest order, as a `DateRange`."""
    engine = create_engine(settings.database_url, statement_timeout_ms=0)
    try:
        async with engine.connect() as conn:
            newest = await conn.scalar(select(func.max(Order.created_at)))
    finally:
        await engine.dispose()
    if newest is None:
        raise SystemExit("the database holds no orders: generate one first (bench/README.md)")
    last: date = local_day(newest, settings.zone)
    return {"from": (last - timedelta(days=29)).isoformat(), "to": last.isoformat()}


@asynccontextmanager
async def _service_clock() -> AsyncIterator[list[float]]:
    """Seconds each call of the analytics service (`answer`: its SQL and the Python around it, not
    the GraphQL that shapes the answer) took, appended as they finish."""
    from gql.resolvers import analytics as analytics_resolvers  # after gql.app: import cycle

    spent: list[float] = []
    original = vars(analytics_resolvers)["answer"]

    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    with patch.object(analytics_resolvers, "answer", timed):
        yield spent


async def measure(
    settings: Settings,
    days: dict[str, str],
    runs: int,
    *,
    freeze: bool = True,
    only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """p50/p95 ms over `runs` timed requests and the statements of one request, per document
    (those named in `only`, or all); `freeze`: exempt the start-up heap from collection first, as a
    served process does."""
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, statement_timeout_ms=0)
    in_database = _statement_clock(engine)
    resources = Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    headers = {"authorization": f"Bearer {mint_token(settings, Role.ANALYST, 'bench-analyst')}"}
    out: dict[str, Any] = {}
    try:
        async with (
            app.router.lifespan_context(app),
            _service_clock() as in_service,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
            ) as http,
        ):

            async def send(doc: Document) -> dict[str, Any]:
                r = await http.post(
                    "/graphql", json={"query": doc.query, "variables": {"range": days}}, headers=headers
                )
                body: dict[str, Any] = r.json()
                if r.status_code != 200 or body.get("errors"):
                    raise SystemExit(f"{doc.name} failed: {r.text[:500]}")
                answer: dict[str, Any] = body["data"][doc.root]
                return answer

            if freeze:
                freeze_startup_heap()  # as a served process does at start-up (gql/engine/heap.py)
            for doc in DOCUMENTS:
                if only and doc.name not in only:
                    continue
                await send(doc)  # warm-up: pool, document cache, PostgreSQL's buffers
                with count_statements() as counter:
                    answer = await send(doc)
                timings, database, service = [], [], []
                for _ in range(runs):
                    in_database.clear()
                    in_service.clear()
                    started = time.perf_counter()
                    await send(doc)
                    timings.append((time.perf_counter() - started) * 1000)
                    database.append(sum(in_database) * 1000)
                    service.append(sum(in_service) * 1000)
                out[doc.name] = {
                    "p50_ms": round(percentile(timings, 0.5), 1),
                    "p95_ms": round(percentile(timings, 0.95), 1),
                    "database_p50_ms": round(percentile(database, 0.5), 1),
                    "service_p50_ms": round(percentile(service, 0.5), 1),
                    "runs": runs,
                    "statements": counter.count,
                    "source": answer["source"],
                    "group_count": answer["groupCount"],
                    "rows": len(answer["rows"]),
                }
    finally:
        await engine.dispose()
    return out


async def run(
    url: str, runs: int, *, freeze: bool = True, only: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Migrate `url`, then measure every document over its 30-day window."""
    if not url.startswith("postgresql"):
        raise SystemExit("measured on PostgreSQL: --database-url postgresql+asyncpg://…")
    await asyncio.to_thread(upgrade, url)
    settings = bench_settings(url)
    engine = create_engine(url, statement_timeout_ms=0)
    try:
        async with engine.connect() as conn:
            orders = await conn.scalar(select(func.count()).select_from(Order))
    finally:
        await engine.dispose()
    days = await window(settings)
    engine = create_engine(url, statement_timeout_ms=0)
    try:  # the rollups the ROLLUP document reads, built (or caught up) before any request
        started = time.perf_counter()
        refreshed = await refresh_rollups(session_factory(engine), settings.zone)
        rollup_seconds = round(time.perf_counter() - started, 1)
        if refreshed.built:
            await vacuum_analyze(engine)  # the rollup tables just written
    finally:
        await engine.dispose()
    load_before = os.getloadavg()[0]
    results = await measure(settings, days, runs, freeze=freeze, only=only)
    return {
        "database": url.rsplit("/", 1)[-1],
        "orders": orders,
        "range": days,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "frozen_heap": freeze,
        "rollups": {"seconds": rollup_seconds, "built": list(refreshed.built)},
        "documents": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=20, help="timed runs per document")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the start-up heap to the collector (a served process freezes it, gql/engine/heap.py)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[d.name for d in DOCUMENTS],
        help="measure this document",
    )
    args = parser.parse_args()
    results = asyncio.run(
        run(args.database_url, args.runs, freeze=not args.no_freeze, only=frozenset(args.only))
    )
    print(
        f"{results['orders']:,} orders; range {results['range']['from']} … {results['range']['to']}; "
        f"load average {results['load_average'][0]} → {results['load_average'][1]}; rollups "
        f"{results['rollups']['built'] or 'already built'} in {results['rollups']['seconds']} s"
    )
    header = (
        f"{'p50 ms':>9} {'p95 ms':>9} {'db p50':>8} {'svc p50':>8} {'stmts':>6} {'groups':>7} {'rows':>5}"
    )
    print(f"{'document':22} {header} source")
    for name, f in results["documents"].items():
        print(
            f"{name:22} {f['p50_ms']:9.1f} {f['p95_ms']:9.1f} {f['database_p50_ms']:8.1f} "
            f"{f['service_p50_ms']:8.1f} "
            f"{f['statements']:6d} "
            f"{f['group_count']:7d} {f['rows']:5d} {f['source']}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    existing: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    existing[results["database"]] = results
    RESULTS.write_text(json.dumps(existing, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
