"""The attacks of issue 21 replayed against a live server while a normal client measures its latency.

    .venv/bin/python -m bench.hostile                      # a fresh SQLite database, 2,000 orders
    .venv/bin/python -m bench.hostile --rounds 5 --database-url postgresql+asyncpg://…/bench

Starts the server as production runs it (`bench/server.py`: uvicorn, one worker, loopback, the rate
limiter off so the refusals measured are the limits' own, not throttling). Then `--rounds` rounds
of three phases of `--seconds` each: the normal client alone (`--concurrency` keep-alive
connections sending `{ categories { name } }`), the same client while one attacker connection
replays the attacks of `tests/api/malicious_corpus_issue21.py` (`issue21_attacks`) in turn, `--rate` a
second (one client far past its rate limit, which is off here), and, as the control, while that
connection sends the normal query at the same rate. Prints, per attack, the code the server
answered with and the refusal's p50/max latency, then the normal client's req/s and p50/p99 in
each phase: an attack that costs no more than a small query slows the client no more than the
control does. Bounded in time and in requests; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson

from bench.loadgen import LoadResult, Request, _read_response, graphql, run_load
from bench.prepare import seed_and_vacuum
from bench.server import BENCH_SECRET, running_server
from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.enums import Role
from services.db import create_engine
from services.migrations import upgrade
from tests.api.malicious_corpus import Attack  # test data, read from the checkout
from tests.api.malicious_corpus_issue21 import issue21_attacks

NORMAL = "{ categories { name } }"
MAX_ATTACKS = 5_000
"""The attacker stops after this many requests even if the phase is not over."""


@dataclass
class Refusals:
    codes: set[str] = field(default_factory=set)
    statuses: set[int] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)


def _codes(body: bytes) -> list[str]:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ["(not JSON)"]
    if not isinstance(answer, dict):
        return ["(not an object)"]
    found = [str((e.get("extensions") or {}).get("code")) for e in answer.get("errors") or []]
    for payload in (answer.get("data") or {}).values():
        if isinstance(payload, dict):
            found += [str(e.get("code")) for e in payload.get("userErrors") or []]
    return found or ["(none)"]


def _request(attack: Attack, shopper: str) -> Request:
    body = attack.body if isinstance(attack.body, bytes) else orjson.dumps(attack.body)
    headers = (("Authorization", f"Bearer {shopper}"),) if attack.role is Role.SHOPPER else ()
    return Request("/graphql", body, headers)


async def attack_loop(
    host: str, port: int, attacks: list[Attack], shopper: str, seconds: float, rate: float
) -> dict[str, Refusals]:
    """One connection sending every attack in turn, `rate` a second, until `seconds` pass."""
    by_family: dict[str, Refusals] = defaultdict(Refusals)
    payloads = [(a.family, _request(a, shopper).encode(f"{host}:{port}")) for a in attacks]
    reader, writer = await asyncio.open_connection(host, port)
    began = time.perf_counter()
    deadline = began + seconds
    sent = 0
    try:
        while time.perf_counter() < deadline and sent < MAX_ATTACKS:
            await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
            family, payload = payloads[sent % len(payloads)]
            sent += 1
            started = time.perf_counter()
            writer.write(payload)
            status, body = await _read_response(reader)
            refusals = by_family[family]
            refusals.latencies.append(time.perf_counter() - started)
            refusals.statuses.add(status)
            refusals.codes.update(_codes(body))
    finally:
        writer.close()
    return by_family


async def run(
    database_url: str, seconds: float, concurrency: int, orders: int, rate: float, rounds: int
) -> None:
    await asyncio.to_thread(upgrade, database_url)
    engine = create_engine(database_url)
    await seed_and_vacuum(engine, orders)
    await engine.dispose()
    settings = load_settings(database_url=database_url, environment="prod", jwt_secret=BENCH_SECRET)
    shopper = mint_token(settings, Role.SHOPPER, "bench-shopper", customer_id=1)
    normal = [graphql(NORMAL)]
    attackers = {
        "alone": [],
        "under attack": issue21_attacks(),
        "beside as many normal queries": [Attack("normal", "", {"query": NORMAL})],
    }
    phases: dict[str, list[LoadResult]] = defaultdict(list)
    refusals: dict[str, Refusals] = defaultdict(Refusals)
    with running_server(database_url) as server:
        host, port = server.host, server.port
        await run_load(host, port, normal, concurrency=concurrency, seconds=1.0)  # warm up
        for _ in range(rounds):  # phases interleaved: other work on the machine hits each alike
            for name, attacks in attackers.items():
                client = run_load(host, port, normal, concurrency=concurrency, seconds=seconds)
                if not attacks:
                    phases[name].append(await client)
                    continue
                load, refused = await asyncio.gather(
                    client, attack_loop(host, port, attacks, shopper, seconds, rate)
                )
                phases[name].append(load)
                if name == "under attack":
                    for family, r in refused.items():
                        merged = refusals[family]
                        merged.codes |= r.codes
                        merged.statuses |= r.statuses
                        merged.latencies += r.latencies
    report(refusals, {name: _merged(loads) for name, loads in phases.items()})


def _merged(loads: list[LoadResult]) -> LoadResult:
    return LoadResult(
        sum(r.requests for r in loads),
        sum(r.seconds for r in loads),
        tuple(x for r in loads for x in r.latencies),
        sum(r.errors for r in loads),
        next((r.first_error for r in loads if r.first_error), None),
    )


def report(refusals: dict[str, Refusals], phases: dict[str, LoadResult]) -> None:
    print(f"{'attack':28} {'HTTP':>5} {'code':32} {'sent':>6} {'p50 ms':>8} {'max ms':>8}")
    for family, r in refusals.items():
        statuses = ",".join(map(str, sorted(r.statuses)))
        codes = ",".join(sorted(r.codes))
        p50, worst = statistics.median(r.latencies) * 1000, max(r.latencies) * 1000
        print(f"{family:28} {statuses:>5} {codes:32} {len(r.latencies):6} {p50:8.2f} {worst:8.2f}")
    print()
    print(f"{'normal client':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, load in phases.items():
        row = f"{load.rps:8.1f} {load.percentile(50) * 1000:8.2f} {load.percentile(99) * 1000:8.2f}"
        print(f"{name:32} {row} {load.errors:7}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="issue 21's attacks against a live server, beside a normal client"
    )
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument("--orders", type=int, default=2_000, help="seeded when the database is empty")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each phase in a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three phases")
    parser.add_argument("--concurrency", type=int, default=4, help="connections of the normal client")
    parser.add_argument("--rate", type=float, default=50.0, help="attacks a second (one connection)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mallgraph-hostile-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/hostile.db"
        asyncio.run(run(url, args.seconds, args.concurrency, args.orders, args.rate, args.rounds))


if __name__ == "__main__":
    main()
