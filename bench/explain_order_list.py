"""EXPLAIN ANALYZE of the admin order list on PostgreSQL: does every filter of the SPA use an index?

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python -m bench.explain_order_list

Migrates and seeds the database first if it is empty (`--orders`, default 100,000). For each case it
EXPLAINs exactly the statement a first page of 50 runs (`services.pagination.page_statement`) and the
status-tab counts, and prints the execution time and which scans the plan uses. Results also go to
`bench/results/explain_order_list.json` so runs can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ClauseElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.prepare import seed_and_vacuum
from gql.settings import load_settings
from models.enums import Role
from models.orders.query_language import parse_query
from models.orders.rows import Order
from models.principals import Principal
from models.stores.rows import Store
from services.db import create_engine
from services.migrations import upgrade
from services.orders.search import OrderCriteria, order_condition
from services.orders.sorting import order_sort
from services.pagination import PageRequest, page_statement

RESULTS = Path(__file__).resolve().parent / "results" / "explain_order_list.json"
HQ = Principal(Role.HQ_ADMIN, "bench")


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


def _scans(plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    indexed, sequential = [], []
    for node in _walk(plan):
        kind = node["Node Type"]
        if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            indexed.append(node["Index Name"])
        elif kind == "Seq Scan":
            sequential.append(node["Relation Name"])
    return sorted(set(indexed)), sorted(set(sequential))


async def _explain(engine: AsyncEngine, stmt: ClauseElement) -> dict[str, Any]:
    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as conn:
        raw = await conn.scalar(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql))
    report = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    indexed, sequential = _scans(report["Plan"])
    return {
        "ms": round(report["Execution Time"], 2),
        "rows": report["Plan"].get("Actual Rows"),
        "index_scans": indexed,
        "seq_scans": sequential,
    }


async def _cases(engine: AsyncEngine) -> list[tuple[str, str]]:
    """Queries built from the data itself, so they select real orders whatever the seed."""
    async with engine.connect() as conn:
        code = await conn.scalar(select(Store.code).order_by(Store.code).limit(1))
        sample = (await conn.execute(select(Order.order_no, Order.consignee_phone_last4).limit(1))).one()
        newest = await conn.scalar(select(func.max(Order.created_at)))
    assert newest is not None, "the database holds no orders"
    week_ago = (newest - timedelta(days=7)).date().isoformat()
    day = sample.order_no[:8]
    return [
        ("tab: one status, newest first", "status:PENDING_SHIPMENT"),
        ("tab at one store", f"status:PENDING_SHIPMENT store:{code}"),
        ("one store, last 7 days", f"store:{code} created:>={week_ago}"),
        ("paid in the last 7 days, total > 100", f"paid:>={week_ago} total:>100"),
        ("phone last four digits", f"phone:{sample.consignee_phone_last4}"),
        ("order number prefix", f"no:{day}*"),
        ("exact order number", f"no:{sample.order_no}"),
        ("consignee name", "consignee:张"),
        ("product name contains", "product:苹果"),
        (
            "all filters at once",
            f"status:PENDING_SHIPMENT,SHIPPED,COMPLETED store:{code} paid:>={week_ago} total:>10 "
            "payment:WECHAT_PAY,ALIPAY fulfillment:STORE_DELIVERY,SELF_PICKUP channel:MINI_PROGRAM "
            "-type:PRE_ORDER",
        ),
    ]


async def run(url: str, orders: int) -> list[dict[str, Any]]:
    if not url.startswith("postgresql"):
        raise SystemExit("EXPLAIN plans are measured on PostgreSQL: set DATABASE_URL=postgresql+asyncpg://…")
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    zone = load_settings().zone
    try:
        await seed_and_vacuum(engine, orders)
        results = []
        for name, query in await _cases(engine):
            criteria = OrderCriteria(query=parse_query(query, zone))
            base = select(Order).where(order_condition(HQ, criteria))
            page = await _explain(engine, page_statement(base, order_sort(()), PageRequest(first=50)))
            tabs = await _explain(
                engine,
                select(Order.status, func.count())
                .where(order_condition(HQ, criteria))
                .group_by(Order.status),
            )
            results.append({"case": name, "query": query, "page": page, "tab_counts": tabs})
        return results
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--orders", type=int, default=100_000, help="orders to generate into an empty database"
    )
    args = parser.parse_args()
    results = asyncio.run(run(load_settings().database_url, args.orders))
    print(f"{'case':38} {'page ms':>8} {'tabs ms':>8}  index scans (page) / sequential scans (page)")
    for r in results:
        page = r["page"]
        seq = ", ".join(page["seq_scans"]) or "-"
        print(
            f"{r['case']:38} {page['ms']:8.2f} {r['tab_counts']['ms']:8.2f}  "
            f"{', '.join(page['index_scans']) or '-'} / {seq}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
