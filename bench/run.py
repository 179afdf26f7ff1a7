"""`make bench`: the HTTP benchmark suite against a real uvicorn worker on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench make bench
    .venv/bin/python -m bench.run --seconds 10 --only order_list --compare-postgraphile

Migrates the database and, if it is empty, generates `--orders` orders (100,000 by default, about
a minute). Then for each scenario of `bench/scenarios.py`: counts the SQL statements one request
runs (in process, same code path), starts the server as production runs it (uvicorn, one worker,
uvloop + httptools, ENVIRONMENT=prod), warms it up, drives it with `--concurrency` keep-alive
connections for `--seconds`, and prints req/s, p50/p95/p99 latency, SQL per request and the
server's peak RSS. `--compare-postgraphile` also installs PostGraphile v5 into a temp dir, runs
the same order-list shape against it and prints the ratio. Everything goes to
`bench/results/<timestamp>.json` as well, so runs can be compared.

`--workers N` runs both servers at machine saturation: uvicorn `--workers N`, and N PostGraphile
processes sharing one port through Node's cluster module (`bench/postgraphile.py`). CPU and RSS
are summed over the workers; the supervisor's (cluster primary's) CPU is reported apart, `front`,
so it can be added or not. Concurrency defaults to 8 per worker; the load generator's own CPU
(share of one core) is reported too: near 1.0 it, not the servers, is the limit.

The load generator shares the machine: on 2 cores it takes one, the server and PostgreSQL the
other. Numbers compare runs on the same machine kind, not absolute capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import postgraphile
from bench.loadgen import LoadResult, Request, graphql, run_load
from bench.prepare import seed_and_vacuum
from bench.scenarios import Scenario, build_scenarios
from bench.server import (
    BENCH_SECRET,
    Server,
    database_cpu_seconds,
    process_cpu_seconds,
    process_rss_mb,
    running_server,
)
from gql.app import Resources, create_app
from gql.gate.auth import mint_token
from gql.ids import decode_id
from gql.settings import Settings, load_settings
from models.enums import Role
from services.cache import MemoryCache
from services.db import count_statements, create_engine, session_factory
from services.migrations import upgrade
from services.payments import DevPaymentGateway

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
SERVER_ENV: dict[str, dict[str, str]] = {
    "default": {},
    "nocache": {"GROUP_BUY_PAGE_CACHE_SECONDS": "0"},
}


def bench_settings(url: str, server: str = "default") -> Settings:
    overrides: dict[str, Any] = {"rate_limit_enabled": False}
    if server == "nocache":
        overrides["group_buy_page_cache_seconds"] = 0
    # Only settings this version has: the runner also measures older checkouts (bench/README.md).
    known = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    return load_settings(database_url=url, jwt_secret=BENCH_SECRET, environment="prod", **known)


def token_for(settings: Settings, role: str) -> str | None:
    return mint_token(settings, Role.HQ_ADMIN, "bench-hq") if role == "hq" else None


async def prepare(url: str, orders: int) -> None:
    """Migrate, seed if empty, and VACUUM ANALYZE so plans are the ones production would get."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url, statement_timeout_ms=0)
    try:
        await seed_and_vacuum(engine, orders)
    finally:
        await engine.dispose()


async def statements_per_request(url: str, scenarios: list[Scenario]) -> dict[str, int]:
    """SQL statements of one warmed-up request per scenario, counted in process on the same code path."""
    counts: dict[str, int] = {}
    engine = create_engine(url, statement_timeout_ms=0)
    try:
        for server in SERVER_ENV:
            settings = bench_settings(url, server)
            resources = Resources(
                settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway()
            )
            app = create_app(resources=resources)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
            ):
                for s in (s for s in scenarios if s.server == server):
                    token = token_for(settings, s.role)
                    headers = {"authorization": f"Bearer {token}"} if token else {}
                    body = {"query": s.query, "variables": s.variables[0]}
                    await http.post("/graphql", json=body, headers=headers, timeout=120)  # warm
                    with count_statements() as counter:
                        answer = await http.post("/graphql", json=body, headers=headers, timeout=120)
                    if answer.status_code != 200 or answer.json().get("errors"):
                        raise SystemExit(f"{s.name} failed: {answer.text[:500]}")
                    counts[s.name] = counter.count
    finally:
        await engine.dispose()
    return counts


def own_cpu_seconds() -> float:
    """User + system CPU of this process (the load generator) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    server: Server, requests: list[Request], seconds: float, concurrency: int
) -> dict[str, Any]:
    """Warm up, then load for `seconds` while sampling the server's RSS; the figures of one scenario.

    CPU per request (the serving processes' user + system time over the measured requests, summed
    over the workers) is the figure that stays comparable when other work shares the machine;
    req/s is what a client sees. DB CPU per request is PostgreSQL's share (all its processes on
    this machine); `front` is the supervisor's or cluster primary's, with several workers.
    """
    host, port, pids = server.host, server.port, server.serving_pids
    warm = await run_load(host, port, requests, concurrency=concurrency, seconds=max(1.0, seconds / 5))
    if warm.errors:
        raise SystemExit(f"{warm.errors} failed requests while warming up; first: {warm.first_error}")

    def rss() -> float:
        return sum(process_rss_mb(pid) for pid in pids)

    def cpu_now() -> float:
        return sum(process_cpu_seconds(pid) for pid in pids)

    front = server.front_pid
    peak = rss()
    cpu_before = cpu_now()
    front_before = process_cpu_seconds(front) if front else 0.0
    own_before = own_cpu_seconds()
    db_before = database_cpu_seconds()
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss())
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    result: LoadResult = await run_load(host, port, requests, concurrency=concurrency, seconds=seconds)
    cpu = cpu_now() - cpu_before
    front_cpu = process_cpu_seconds(front) - front_before if front else 0.0
    own_cpu = own_cpu_seconds() - own_before
    db_cpu = database_cpu_seconds() - db_before
    stop.set()
    await sampler
    if result.errors:
        raise SystemExit(f"{result.errors} failed requests; first: {result.first_error}")
    per_request = 1000 / max(1, result.requests)
    return {
        "requests": result.requests,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.percentile(50) * 1000, 1),
        "p95_ms": round(result.percentile(95) * 1000, 1),
        "p99_ms": round(result.percentile(99) * 1000, 1),
        "cpu_ms_per_request": round(cpu * per_request, 2),
        "db_cpu_ms_per_request": round(db_cpu * per_request, 2),
        "peak_rss_mb": round(peak, 1),
        "workers": len(pids),
        "front_cpu_ms_per_request": round(front_cpu * per_request, 3),
        "server_cores_busy": round(cpu / result.seconds, 2),
        "loadgen_core_share": round(own_cpu / result.seconds, 2),
    }


def requests_of(s: Scenario, settings: Settings) -> list[Request]:
    token = token_for(settings, s.role)
    return [graphql(s.query, v, token) for v in s.variables]


async def run_scenarios(
    url: str, scenarios: list[Scenario], seconds: float, concurrency: int, workers: int = 1
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for server, extra in SERVER_ENV.items():
        chosen = [s for s in scenarios if s.server == server]
        if not chosen:
            continue
        settings = bench_settings(url, server)
        with running_server(url, extra, workers=workers) as srv:
            for s in chosen:
                print(f"  {s.name} …", flush=True)
                out[s.name] = await measure(
                    srv, requests_of(s, settings), seconds * s.seconds_factor, concurrency
                )
    return out


def uncounted(document: str) -> str:
    """The order-list document without its `totalCount` (`--uncounted`)."""
    if "    totalCount\n" not in document:
        raise SystemExit("--uncounted: the order-list document no longer has a `totalCount` line")
    return document.replace("    totalCount\n", "", 1)


async def compare_postgraphile(
    url: str,
    seconds: float,
    concurrency: int,
    page_size: int,
    counted: bool = True,
    detail_ids: list[int] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """PostGraphile's order list (or, given `detail_ids`, its order detail of those orders, in turn)."""
    if detail_ids:
        requests = [graphql(postgraphile.ORDER_DETAIL, {"id": str(i)}) for i in detail_ids]
    else:
        document = postgraphile.ORDER_LIST if counted else uncounted(postgraphile.ORDER_LIST)
        requests = [graphql(document, {"first": page_size})]
    with postgraphile.running_postgraphile(url, workers=workers) as server:
        return await measure(server, requests, seconds, concurrency)


def print_table(results: dict[str, Any]) -> None:
    heads = ("req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms", "DB ms", "SQL/req", "RSS MB")
    print(f"\n{'scenario':26} " + " ".join(f"{h:>8}" for h in heads))

    for name, r in results["scenarios"].items():
        print(
            f"{name:26} {r['rps']:8.1f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['cpu_ms_per_request']:8.1f} {r['db_cpu_ms_per_request']:8.1f} "
            f"{r.get('sql_per_request', '-'):>8} {r['peak_rss_mb']:8.1f}"
        )
    pgl = results.get("postgraphile")
    if pgl:
        print(
            f"{'postgraphile ' + pgl.get('document', 'order_list'):26} {pgl['rps']:8.1f} "
            f"{pgl['p50_ms']:8.1f} {pgl['p95_ms']:8.1f} "
            f"{pgl['p99_ms']:8.1f} {pgl['cpu_ms_per_request']:8.1f} {pgl['db_cpu_ms_per_request']:8.1f} "
            f"{'-':>8} {pgl['peak_rss_mb']:8.1f}"
        )
        document = pgl.get("document", "order_list")
        if "postgraphile_ratio" in results:
            print(
                f"\n{document} mallgraph / PostGraphile: req/s {results['postgraphile_ratio']:.2f}, "
                f"server CPU per request (its ÷ ours) {results['postgraphile_cpu_ratio']:.2f}"
            )
    if results.get("workers", 1) > 1:
        print_saturation(results)


def print_saturation(results: dict[str, Any]) -> None:
    """With several workers: how busy the workers were, the front process and the load generator."""
    heads = ("workers", "cores", "front ms", "loadgen")
    print(f"\n{'saturation':26} " + " ".join(f"{h:>8}" for h in heads))
    rows = dict(results["scenarios"])
    if results.get("postgraphile"):
        rows["postgraphile " + results["postgraphile"].get("document", "order_list")] = results[
            "postgraphile"
        ]
    for name, r in rows.items():
        print(
            f"{name:26} {r['workers']:8d} {r['server_cores_busy']:8.2f} "
            f"{r['front_cpu_ms_per_request']:8.3f} {r['loadgen_core_share']:8.2f}"
        )
    if "postgraphile_cpu_ratio_with_front" in results:
        print(
            "server CPU per request with the front process (its ÷ ours) "
            f"{results['postgraphile_cpu_ratio_with_front']:.2f}"
        )
    print(
        "cores: worker CPU seconds per second; front: supervisor / cluster primary CPU per request; "
        "loadgen: the load generator's share of one core (near 1.00 it is the limit)"
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    url: str = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("the bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgresql+asyncpg://…")
    await prepare(url, args.orders)
    engine = create_engine(url, statement_timeout_ms=0)
    try:
        scenarios = await build_scenarios(engine, bench_settings(url).timezone, args.page_size)
    finally:
        await engine.dispose()
    if args.only:
        wanted = set(args.only.split(","))
        scenarios = [s for s in scenarios if s.name in wanted]
    if args.uncounted:
        scenarios = [replace(s, query=uncounted(s.query)) if s.name == "order_list" else s for s in scenarios]
    print("counting SQL statements per request …", flush=True)
    sql = await statements_per_request(url, scenarios)
    workers: int = args.workers
    concurrency: int = args.concurrency or 8 * workers
    print(
        f"load: {concurrency} connections, {args.seconds:g} s per scenario, {workers} worker(s)", flush=True
    )
    measured = await run_scenarios(url, scenarios, args.seconds, concurrency, workers)
    results: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "concurrency": concurrency,
        "workers": workers,
        "seconds": args.seconds,
        "page_size": args.page_size,
        "uncounted": args.uncounted,
        "scenarios": {name: {**r, "sql_per_request": sql.get(name)} for name, r in measured.items()},
    }
    if args.compare_postgraphile:
        # The order detail when it is the only scenario (`--only order_detail`), else the list.
        detail = [s for s in scenarios if s.name == "order_detail"] if len(scenarios) == 1 else []
        ids = [decode_id(v["id"], "Order") for v in detail[0].variables] if detail else None
        pgl = await compare_postgraphile(
            url, args.seconds, concurrency, args.page_size, not args.uncounted, ids, workers
        )
        results["postgraphile"] = {**pgl, "document": "order_detail" if detail else "order_list"}
        ours = results["scenarios"].get("order_detail" if detail else "order_list")
        if ours:
            results["postgraphile_ratio"] = round(ours["rps"] / pgl["rps"], 3)
            cpu = pgl["cpu_ms_per_request"] / ours["cpu_ms_per_request"]
            results["postgraphile_cpu_ratio"] = round(cpu, 3)
            if workers > 1:  # the same ratio with each side's supervisor / cluster primary added
                theirs = pgl["cpu_ms_per_request"] + pgl["front_cpu_ms_per_request"]
                mine = ours["cpu_ms_per_request"] + ours["front_cpu_ms_per_request"]
                results["postgraphile_cpu_ratio_with_front"] = round(theirs / mine, 3)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--orders", type=int, default=100_000, help="orders to generate into an empty database"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--concurrency", type=int, help="keep-alive connections (default 8 per worker)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes: uvicorn --workers N, and N PostGraphile processes (cluster)",
    )
    parser.add_argument("--page-size", type=int, default=50, help="orders per page of the order list")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--compare-postgraphile", action="store_true", help="also run PostGraphile v5")
    parser.add_argument(
        "--uncounted",
        action="store_true",
        help="leave totalCount out of both order-list documents (execution without counting)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    results = asyncio.run(main_async(args))
    print_table(results)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
