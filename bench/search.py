"""Order search latency per term on PostgreSQL: the admin list's page, its `totalCount`, its status tabs.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench_1m_copy .venv/bin/python -m bench.search
    … -m bench.search --scan            # the scanning compilation (indexed=False), for comparison
    … -m bench.search --explain         # also print each statement's EXPLAIN ANALYZE once
    … -m bench.search --write           # the write path instead: placing an order's rows

Runs the service calls the GraphQL resolvers make (`list_orders` for a 20-order page, newest first,
then its `count()` — what `totalCount` runs — and `count_by_status`, what `orderStatusCounts` runs)
in process, over one connection pool, sequentially, `--rounds` times per term after one warm-up
round, and prints p50/p99 in ms of: the page alone, page + totalCount, the status counts.
`--no-day-counts` counts time ranges over the orders (no zone given to the services), for comparison.
`--write` measures what the search indexes cost an order's placement: `--rounds` transactions
each inserting what `create_order` inserts (an order copied from the newest one with a new number,
its lines, its first event), p50/p99 ms, the rows deleted again afterwards. Run it with migration
0015 applied and again after `alembic downgrade 0013` to compare.
It neither migrates nor seeds: point it at a copy of a generated database (bench/README.md).
Results also go to `bench/results/search-<mode>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gql.settings import load_settings
from models.enums import Role
from models.orders.query_language import parse_query
from models.principals import Principal
from services.db import create_engine, session_factory
from services.orders import search as order_search
from services.orders.search import OrderCriteria, count_by_status, list_orders
from services.pagination import PageRequest

RESULTS = Path(__file__).resolve().parent / "results"
HQ = Principal(Role.HQ_ADMIN, "bench")
TERMS = [
    "consignee:王",
    "consignee:王芳",
    "consignee:张伟强",
    "product:车厘子",
    "product:苹果",
    "product:不存在",
    "sku:SKU1",
    "张",
    "张伟强",
    "王 status:COMPLETED",
    "phone:1234",
    "paid:>=2026-11-01",
    "paid:>=2026-06-01",
    "created:2026-11-01..2026-11-30",
    "-张",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _measure(
    url: str, terms: list[str], rounds: int, explain: bool, no_day_counts: bool = False
) -> list[dict[str, Any]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    zone = load_settings().zone
    days = None if no_day_counts else zone  # the zone turns the day count parts on
    results = []
    try:
        for term in terms:
            criteria = OrderCriteria(query=parse_query(term, zone))
            timings: dict[str, list[float]] = {"page": [], "page+count": [], "status counts": []}
            total = 0
            for n in range(rounds + 1):
                start = time.perf_counter()
                page = await list_orders(sessions, HQ, PageRequest(first=20), criteria, zone=days)
                paged = time.perf_counter()
                total = await page.count()
                counted = time.perf_counter()
                await count_by_status(sessions, HQ, criteria, zone=days)
                tabs = time.perf_counter()
                if n:  # the first round warms caches and prepares the statements
                    timings["page"].append((paged - start) * 1000)
                    timings["page+count"].append((counted - start) * 1000)
                    timings["status counts"].append((tabs - counted) * 1000)
            row: dict[str, Any] = {"term": term, "total": total}
            for name, values in timings.items():
                row[name] = {
                    "p50": round(statistics.median(values), 1),
                    "p99": round(_percentile(values, 0.99), 1),
                }
            results.append(row)
            print(
                f"{term:24} {total:>9,}  "
                + "  ".join(f"{k} {v['p50']:7.1f} / {v['p99']:7.1f}" for k, v in row.items() if k in timings),
                flush=True,
            )
            if explain:
                await _explain(engine, criteria)
    finally:
        await engine.dispose()
    return results


async def _explain(engine: Any, criteria: OrderCriteria) -> None:
    from sqlalchemy import func, select

    from models.orders.rows import Order
    from services.orders.search import order_condition
    from services.orders.sorting import order_sort
    from services.orders.text_search import sparse_terms, two_plan_terms
    from services.pagination import page_statement

    nodes = (criteria.filter, criteria.query)
    sparse = await sparse_terms(session_factory(engine), nodes, phones=True)
    condition = order_condition(HQ, criteria, sparse)  # the page's plan, as list_orders chooses it
    counted = order_condition(HQ, criteria, two_plan_terms(nodes))  # the count's
    statements = [
        page_statement(select(Order).where(condition), order_sort(()), PageRequest(first=20)),
        select(func.count()).where(counted),
    ]
    async with engine.connect() as conn:
        for stmt in statements:
            sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            for line in (await conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql))).scalars():
                print("    " + line)


async def _write(url: str, rounds: int) -> dict[str, Any]:
    from sqlalchemy import delete, select
    from sqlalchemy.orm import undefer

    from models.orders.rows import Order, OrderEvent, OrderLine
    from services.db import unit_of_work

    engine = create_engine(url)
    sessions = session_factory(engine)
    skip = {"id", "order_no"}
    made: list[int] = []
    timings: list[float] = []
    try:
        async with sessions() as session:
            template = await session.scalar(
                select(Order).options(undefer("*")).order_by(Order.id.desc()).limit(1)
            )
            assert template is not None, "the database holds no orders"
            lines = (
                await session.scalars(
                    select(OrderLine).options(undefer("*")).where(OrderLine.order_id == template.id)
                )
            ).all()
            event = await session.scalar(
                select(OrderEvent).options(undefer("*")).where(OrderEvent.order_id == template.id).limit(1)
            )
        order_fields = {
            c.key: getattr(template, c.key) for c in Order.__mapper__.column_attrs if c.key not in skip
        }
        line_fields = [
            {
                c.key: getattr(x, c.key)
                for c in OrderLine.__mapper__.column_attrs
                if c.key not in {"id", "order_id"}
            }
            for x in lines
        ]
        event_fields = (
            {}
            if event is None
            else {
                c.key: getattr(event, c.key)
                for c in OrderEvent.__mapper__.column_attrs
                if c.key not in {"id", "order_id"}
            }
        )
        for n in range(rounds + 10):
            start = time.perf_counter()
            async with unit_of_work(sessions) as session:
                order = Order(order_no=f"W{time.time_ns() % 10**15:015d}{n:05d}", **order_fields)
                session.add(order)
                await session.flush()
                session.add_all(OrderLine(order_id=order.id, **fields) for fields in line_fields)
                if event_fields:
                    session.add(OrderEvent(order_id=order.id, **event_fields))
            if n >= 10:
                timings.append((time.perf_counter() - start) * 1000)
            made.append(order.id)
    finally:
        if made:
            async with unit_of_work(sessions) as session:
                await session.execute(delete(Order).where(Order.id.in_(made)))
        await engine.dispose()
    row = {
        "lines": len(line_fields),
        "p50": round(statistics.median(timings), 2),
        "p99": round(_percentile(timings, 0.99), 2),
    }
    print(f"place an order's rows ({row['lines']} lines): p50 {row['p50']} ms, p99 {row['p99']} ms")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="measured requests per term")
    parser.add_argument("--scan", action="store_true", help="compile text terms as scans")
    parser.add_argument("--explain", action="store_true", help="print each term's plans once")
    parser.add_argument("--write", action="store_true", help="measure the write path instead")
    parser.add_argument(
        "--no-day-counts", action="store_true", help="count time ranges over orders, not day parts"
    )
    parser.add_argument("terms", nargs="*", help="query-language terms (default: a fixed list)")
    args = parser.parse_args()
    url = load_settings().database_url
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL=postgresql+asyncpg://… (a copy of a generated database)")
    if args.write:
        asyncio.run(_write(url, args.rounds))
        return
    if args.scan:
        order_search.compile_filter = partial(order_search.compile_filter, indexed=False)
    print(f"{'term':24} {'matches':>9}  p50 / p99 ms")
    results = asyncio.run(_measure(url, args.terms or TERMS, args.rounds, args.explain, args.no_day_counts))
    RESULTS.mkdir(exist_ok=True)
    days = "-no-day-counts" if args.no_day_counts else ""
    out = RESULTS / f"search-{'scan' if args.scan else 'indexed'}{days}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
