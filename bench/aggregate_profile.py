"""Where one aggregate request spends its time, in process: its statements and a cProfile.

    .venv/bin/python -m bench.aggregate_profile --database-url postgresql+asyncpg://…/bench_100k_copy \\
        --only store_day_rollup --runs 20

Sends a document of `bench/aggregates.py` as an ANALYST through the real app (httpx's
ASGITransport, production settings, caches off, the start-up heap frozen) over the same 30-day
window, once to warm up, then prints each statement of one request with its milliseconds, the
median request (wall and this process's CPU), analytics service (`answer`) and shaping
(`shaped`) times of `--runs` requests, then `--runs` requests under cProfile: the functions by
own time and by cumulative time. The database must be migrated and its rollups built (run
`bench.aggregates` on it first).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import Iterator
from contextlib import contextmanager
from statistics import median
from typing import Any
from unittest.mock import patch

import httpx
from sqlalchemy import event

from bench.aggregates import DEFAULT_URL, DOCUMENTS, bench_settings, window
from gql.app import Resources, create_app
from gql.engine import freeze_startup_heap
from gql.gate.auth import mint_token
from models.enums import Role
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.payments import DevPaymentGateway


async def profile(url: str, name: str, runs: int, top: int) -> None:
    settings = bench_settings(url)
    days = await window(settings)
    doc = next(d for d in DOCUMENTS if d.name == name)
    engine = create_engine(url, pool_size=settings.db_pool_size, statement_timeout_ms=0)
    log: list[tuple[str, float]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["profile_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        log.append(
            (" ".join(statement.split())[:110], time.perf_counter() - conn.info.pop("profile_started"))
        )

    resources = Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    headers = {"authorization": f"Bearer {mint_token(settings, Role.ANALYST, 'bench-analyst')}"}
    body = {"query": doc.query, "variables": {"range": days}}
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
        ):
            freeze_startup_heap()
            for _ in range(3):
                r = await http.post("/graphql", json=body, headers=headers)
                if r.status_code != 200 or r.json().get("errors"):
                    raise SystemExit(f"{name} failed: {r.text[:300]}")
            log.clear()
            started = time.perf_counter()
            await http.post("/graphql", json=body, headers=headers)
            print(f"one request: {(time.perf_counter() - started) * 1000:.1f} ms")
            for statement, seconds in log:
                print(f"  {seconds * 1000:7.1f} ms  {statement}")
            with _clocks() as clocks:
                totals: list[float] = []
                cpu: list[float] = []
                for _ in range(runs):
                    started, used = time.perf_counter(), time.process_time()
                    await http.post("/graphql", json=body, headers=headers)
                    totals.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - used)
            print(f"median of {runs} requests (no profiler), ms:")
            print(f"  request {median(totals) * 1000:7.1f}  (CPU of this process {median(cpu) * 1000:.1f})")
            for name, spent in clocks.items():
                print(f"  {name:10} {median(spent) * 1000:7.1f}")
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(runs):
                await http.post("/graphql", json=body, headers=headers)
            profiler.disable()
    finally:
        await engine.dispose()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


@contextmanager
def _clocks() -> Iterator[dict[str, list[float]]]:
    """Seconds per call of the analytics service (`answer`) and of the shaping (`shaped`), wall
    and CPU (the process's, so another request's work in between would count too: one at a time)."""
    from gql.resolvers import analytics as resolvers  # after gql.app: import cycle

    clocks: dict[str, list[float]] = {"answer": [], "shaped": [], "answer CPU": [], "shaped CPU": []}

    def timed(name: str) -> Any:
        original = vars(resolvers)[name]

        async def call(*args: Any, **kwargs: Any) -> Any:
            started, used = time.perf_counter(), time.process_time()
            try:
                return await original(*args, **kwargs)
            finally:
                clocks[name].append(time.perf_counter() - started)
                clocks[f"{name} CPU"].append(time.process_time() - used)

        return call

    with (
        patch.object(resolvers, "answer", timed("answer")),
        patch.object(resolvers, "shaped", timed("shaped")),
    ):
        yield clocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--only", choices=[d.name for d in DOCUMENTS], default="store_day_rollup")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    asyncio.run(profile(args.database_url, args.only, args.runs, args.top))


if __name__ == "__main__":
    main()
