"""Batch price/stock sync of 5,000 rows in one GraphQL call: wall time and SQL statement count.

    createdb -h 127.0.0.1 -U postgres bench_sync
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench_sync .venv/bin/python -m bench.sync_store_skus

Needs an empty database (it migrates it, then writes one store and `--rows` SKUs; `--reset` empties
the tables it wrote first). The call goes through the whole stack — HTTP (in process), auth,
GraphQL, idempotency, the unit of work, the action log — as a store's POS would make it. It runs:

1. a sync where 80 % of the rows update listed SKUs (price and stock) and 20 % list new ones;
2. the same rows again with new values (all updates);
3. the same rows with one unknown barcode at the last index: refused as a whole, nothing applied.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.app import Resources, create_app
from gql.gate.auth import mint_token
from gql.ids import encode_id
from gql.settings import load_settings
from models.action_log import ActionLog
from models.catalog.rows import Category, Product, Sku, StoreSku
from models.enums import Role
from models.stores.rows import Store
from services.cache import MemoryCache
from services.db import count_statements, create_engine, session_factory
from services.migrations import upgrade

SYNC = """mutation($input: SyncStoreSkusInput!) { syncStoreSkus(input: $input) {
  received updated created unchanged rowErrors { index code } userErrors { code field } } }"""
BARCODE_BASE = 6_970_000_000_000


async def _seed(engine: AsyncEngine, rows: int, reset: bool) -> tuple[int, list[str]]:
    async with engine.begin() as conn:
        if reset:
            for table in (ActionLog, StoreSku, Sku, Product, Category, Store):
                await conn.execute(delete(table))
            await conn.execute(text("DELETE FROM idempotency_records"))
        if await conn.scalar(select(func.count()).select_from(Sku)):
            raise SystemExit("the database already holds SKUs: use an empty database or --reset")
        store_id = (
            await conn.execute(
                insert(Store)
                .values(
                    code="BENCH01",
                    name="压测门店",
                    province="上海市",
                    city="上海市",
                    district="浦东新区",
                    address="张江路1号",
                    latitude=31.2,
                    longitude=121.6,
                    business_hours=[],
                    delivery_fee_slots=[],
                )
                .returning(Store.id)
            )
        ).scalar_one()
        top = (
            await conn.execute(insert(Category).values(name="压测", level=1).returning(Category.id))
        ).scalar_one()
        leaf = (
            await conn.execute(
                insert(Category).values(name="压测商品", level=2, parent_id=top).returning(Category.id)
            )
        ).scalar_one()
        product_ids = (
            (
                await conn.execute(
                    insert(Product).returning(Product.id, sort_by_parameter_order=True),
                    [{"category_id": leaf, "name": f"商品{i}", "image_urls": []} for i in range(rows)],
                )
            )
            .scalars()
            .all()
        )
        barcodes = [str(BARCODE_BASE + i) for i in range(rows)]
        sku_ids = (
            (
                await conn.execute(
                    insert(Sku).returning(Sku.id, sort_by_parameter_order=True),
                    [
                        {
                            "product_id": pid,
                            "sku_code": f"BENCH-{i}",
                            "barcode": barcodes[i],
                            "spec": "1件",
                            "price": 1000,
                            "original_price": 1200,
                        }
                        for i, pid in enumerate(product_ids)
                    ],
                )
            )
            .scalars()
            .all()
        )
        listed = sku_ids[: rows * 4 // 5]
        await conn.execute(
            insert(StoreSku),
            [{"store_id": store_id, "sku_id": sid, "stock": 10, "on_shelf": True} for sid in listed],
        )
    return int(store_id), barcodes


async def _call(
    http: httpx.AsyncClient, token: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], float, int]:
    with count_statements() as counter:
        started = time.perf_counter()
        r = await http.post(
            "/graphql",
            json={"query": SYNC, "variables": {"input": payload}},
            headers={"authorization": f"Bearer {token}"},
        )
        seconds = time.perf_counter() - started
    body = r.json()
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    return body["data"]["syncStoreSkus"], seconds, counter.count


async def run(url: str, rows: int, reset: bool) -> None:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url, pool_size=5)
    try:
        store_id, barcodes = await _seed(engine, rows, reset)
        settings = load_settings(database_url=url, environment="test", sweep_interval_seconds=0)
        resources = Resources(settings, engine, session_factory(engine), MemoryCache())
        app = create_app(resources=resources)
        token = mint_token(settings, Role.STORE_STAFF, "bench_pos", store_ids=[store_id])
        store = encode_id("Store", store_id)
        runs = [
            (
                "80% update + 20% new listing",
                [{"barcode": b, "priceCents": 900, "stock": 7} for b in barcodes],
            ),
            ("all rows update again", [{"barcode": b, "priceCents": 950, "stock": 8} for b in barcodes]),
            (
                "one unknown barcode at the end",
                [{"barcode": b, "stock": 1} for b in barcodes[:-1]]
                + [{"barcode": "0000000000000", "stock": 1}],
            ),
        ]
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        ):
            print(f"{engine.dialect.name}, {rows:,} rows a call")
            for name, items in runs:
                result, seconds, statements = await _call(http, token, {"storeId": store, "items": items})
                refused = result["userErrors"][:1]
                print(
                    f"  {name:32} {seconds * 1000:8.0f} ms  {statements:3d} statements  "
                    f"updated={result['updated']} created={result['created']} unchanged={result['unchanged']}"
                    + (
                        f"  refused: {refused[0]['code']} at {'.'.join(refused[0]['field'][1:])}"
                        if refused
                        else ""
                    )
                )
        async with engine.connect() as conn:
            stocks = set((await conn.scalars(select(StoreSku.stock))).all())
            logs = await conn.scalar(select(func.count()).select_from(ActionLog))
        print(f"  after the refused call: listing stocks {sorted(stocks)}, {logs:,} action-log entries")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000, help="rows a call (at most 5,000)")
    parser.add_argument("--reset", action="store_true", help="empty the tables this benchmark writes first")
    args = parser.parse_args()
    asyncio.run(run(load_settings().database_url, args.rows, args.reset))


if __name__ == "__main__":
    main()
