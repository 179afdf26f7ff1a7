"""Group-buy page throughput, cached vs uncached, through the real ASGI app (in process).

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python -m bench.group_buy_page

Seeds an empty database first (`--orders`, default 20,000). Picks a forming team of the generated
group-buy campaigns and requests its page anonymously with `--concurrency` clients for `--seconds`,
once with the normal cache and once with a cache that never hits; prints req/s, p50/p95 latency
and SQL statements per request. It isolates what the page cache buys; `make bench` runs the same
page against a real uvicorn worker.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from sqlalchemy import select

from bench.prepare import seed_and_vacuum
from gql.app import Resources, create_app
from gql.ids import encode_id
from gql.settings import load_settings
from models.campaigns.rows import GroupBuyTeam
from models.enums import TeamStatus
from services.cache import Cache, MemoryCache
from services.db import count_statements, create_engine, session_factory
from services.migrations import upgrade

QUERY = """query($c: ID!, $t: ID) { groupBuyPage(campaignId: $c, teamId: $t) {
  name status teamSize serverTime skus { productName groupPrice { amount } price { amount } }
  team { status memberCount slotsLeft expiresAt members { nickname avatarUrl isLeader } } } }"""


class NeverCache(MemoryCache):
    """A cache that forgets at once: every page is built from the database."""

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        return None


async def _load(
    http: httpx.AsyncClient, variables: dict[str, Any], seconds: float, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    with count_statements() as counter:

        async def client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await http.post("/graphql", json={"query": QUERY, "variables": variables})
                if r.status_code != 200 or "errors" in r.json():
                    raise RuntimeError(f"unexpected answer: {r.text[:300]}")
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "req_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "sql_per_request": counter.count / len(latencies),
    }


async def run(url: str, orders: int, seconds: float, concurrency: int) -> dict[str, dict[str, float]]:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    await seed_and_vacuum(engine, orders)
    async with sessions() as session:
        team = (
            await session.scalars(
                select(GroupBuyTeam)
                .where(GroupBuyTeam.status == TeamStatus.FORMING)
                .order_by(GroupBuyTeam.id)
                .limit(1)
            )
        ).first() or (await session.scalars(select(GroupBuyTeam).order_by(GroupBuyTeam.id).limit(1))).first()
    if team is None:
        raise SystemExit("no group-buy team in the data set")
    variables = {"c": encode_id("Campaign", team.campaign_id), "t": encode_id("GroupBuyTeam", team.id)}
    settings = load_settings(database_url=url)
    results = {}
    caches: dict[str, Cache] = {"cached": MemoryCache(), "uncached": NeverCache()}
    for name, cache in caches.items():
        app = create_app(resources=Resources(settings, engine, sessions, cache))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://b") as http,
        ):
            await _load(http, variables, 1.0, concurrency)  # warm up
            results[name] = await _load(http, variables, seconds, concurrency)
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="group-buy page req/s, cached vs uncached")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results = asyncio.run(run(load_settings().database_url, args.orders, args.seconds, args.concurrency))
    print(f"{'':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL/req':>8}")
    for name, r in results.items():
        row = (r["req_per_s"], r["p50_ms"], r["p95_ms"], r["sql_per_request"])
        print(f"{name:10} {row[0]:8.1f} {row[1]:8.2f} {row[2]:8.2f} {row[3]:8.2f}")


if __name__ == "__main__":
    main()
