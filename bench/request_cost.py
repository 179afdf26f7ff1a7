"""What one request of a scenario costs in process: CPU milliseconds, or instructions (callgrind).

    .venv/bin/python -m bench.request_cost [--scenario order_list] [--requests 40] [--rounds 7]
    .venv/bin/python -m bench.request_cost --instructions      # needs valgrind; about a minute

The HTTP benchmark (`bench/run.py`) measures a real server under load, where a 2-core machine
shared with PostgreSQL and the load generator moves req/s by ±30 %. This drives the same app
in process (httpx's ASGI transport, production settings, the start-up heap frozen as a served
process freezes it) one request after another on the benchmark database:

- by default it prints the CPU time per request, the minimum and the median over `--rounds`;
- `--instructions` runs it twice under valgrind's callgrind with instrumentation switched on
  only after the warm-up, with 10 and with 30 requests, and prints the difference ÷ 20:
  instructions per request, exact whatever else runs on the machine, one-time costs cancelled.
  (Instructions understate work that waits on memory, such as the collector's full passes.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.run import bench_settings, token_for, uncounted
from bench.scenarios import build_scenarios
from gql.app import Resources, create_app
from gql.engine import freeze_startup_heap
from services.cache import MemoryCache
from services.db import count_statements, create_engine, session_factory
from services.payments import DevPaymentGateway

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"


async def drive(
    url: str, scenario: str, requests: int, rounds: int, instrument: bool, counted: bool = True
) -> None:
    engine = create_engine(url, statement_timeout_ms=0)
    settings = bench_settings(url)
    chosen = [s for s in await build_scenarios(engine, settings.timezone) if s.name == scenario]
    if not chosen:
        raise SystemExit(f"no scenario {scenario!r}")
    s = chosen[0]
    app = create_app(
        resources=Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    )
    token = token_for(settings, s.role)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"query": s.query if counted else uncounted(s.query), "variables": s.variables[0]}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
    ):
        for _ in range(5):
            answer = await http.post("/graphql", json=body, headers=headers)
        if answer.status_code != 200 or answer.json().get("errors"):
            raise SystemExit(f"{scenario} failed: {answer.text[:500]}")
        with count_statements() as counter:
            await http.post("/graphql", json=body, headers=headers)
        freeze_startup_heap()
        if instrument:
            await _instrumentation_on()
            for _ in range(requests):
                await http.post("/graphql", json=body, headers=headers)
            return
        per_request: list[float] = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(requests):
                await http.post("/graphql", json=body, headers=headers)
            per_request.append(1000 * (time.process_time() - started) / requests)
    await engine.dispose()
    per_request.sort()
    print(
        f"{scenario}: CPU per request min {per_request[0]:.2f} ms, median "
        f"{per_request[len(per_request) // 2]:.2f} ms over {rounds} rounds of {requests}; "
        f"{counter.count} SQL statements, {len(answer.content):,} response bytes"
    )


async def _instrumentation_on() -> None:
    """Ask callgrind to start counting now (it polls for the command while this process runs)."""
    control = await asyncio.create_subprocess_exec(
        "callgrind_control", "-i", "on", str(os.getpid()), stdout=subprocess.DEVNULL
    )
    await control.wait()


def instructions(url: str, scenario: str, counted: bool = True, keep: Path | None = None) -> float:
    """Instructions per request: (30 requests − 10 requests) ÷ 20, both runs under callgrind
    (`keep`: a folder to keep both callgrind files in, for `callgrind_annotate`)."""
    totals: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = keep or Path(temporary)
        runs = {}
        for n in (10, 30):
            out = Path(folder) / f"callgrind.{n}"
            cmd = [
                "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                sys.executable, "-m", "bench.request_cost", "--database-url", url,
                "--scenario", scenario, "--requests", str(n), "--instrumented",
                *([] if counted else ["--uncounted"]),
            ]  # fmt: skip
            runs[n] = (out, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for n, (out, process) in runs.items():
            if process.wait() != 0:
                raise SystemExit(f"the callgrind run with {n} requests failed")
            found = re.search(r"^(?:totals|summary): (\d+)", out.read_text(), re.MULTILINE)
            if found is None:
                raise SystemExit(f"no totals in {out}")
            totals[n] = int(found.group(1))
    return (totals[30] - totals[10]) / 20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--scenario", default="order_list")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--uncounted", action="store_true", help="the order list without totalCount")
    parser.add_argument("--keep", type=Path, help="--instructions: keep the callgrind files in this folder")
    parser.add_argument("--instrumented", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.instructions:
        count = instructions(args.database_url, args.scenario, not args.uncounted, args.keep)
        print(f"{args.scenario}: {count / 1e6:.2f} M instructions/request")
        return
    asyncio.run(
        drive(
            args.database_url,
            args.scenario,
            args.requests,
            args.rounds,
            args.instrumented,
            not args.uncounted,
        )
    )


if __name__ == "__main__":
    main()
