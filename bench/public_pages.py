"""The group-buy page over GET by hash: computed, cached, 304, and the bare-ASGI ceiling, in one run.

    .venv/bin/python -m bench.public_pages --database-url postgresql+asyncpg://postgres@127.0.0.1/bench_pp

Seeds the database if it is empty (`--orders`), picks a forming team of the generated group-buy
campaigns, then starts three servers in turn, each as production runs it (`bench/server.py`:
uvicorn, one worker, uvloop and httptools, rate limiter off):

* `computed`: PUBLIC_CACHE_SECONDS=0 and GROUP_BUY_PAGE_CACHE_SECONDS=0 — every request gated,
  executed and its page built from the database;
* `executed, page cache`: PUBLIC_CACHE_SECONDS=0 — gated and executed, the page from the group-buy
  page cache, without the whole-response cache;
* `cached`: the defaults — hits answered from the whole-response cache before strawberry; also
  under `--crowd` (500) keep-alive connections for p99, and with `If-None-Match` (the 304 path);
* `ceiling`: a bare ASGI app under the same uvicorn returning the cached answer's bytes.

Load comes from `wrk` (one thread) when it is on PATH, else from `bench/loadgen.py`'s asyncio
client (which cannot drive the 304 row). Every phase is bounded by `--seconds`; every answer's
status is checked by the client (wrk counts non-2xx/3xx). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import select

from bench.loadgen import Request, run_load
from bench.prepare import seed_and_vacuum
from bench.server import Server, free_port, running_server
from gql.ids import encode_id
from models.campaigns.rows import GroupBuyTeam
from models.enums import TeamStatus
from services.db import create_engine, session_factory
from services.migrations import upgrade

PAGE = """query Page($c: ID!, $t: ID) { groupBuyPage(campaignId: $c, teamId: $t) {
  name kind status teamSize endsAt serverTime shareUrl qrCodeUrl
  skus { skuId productName imageUrl groupPrice { cents } price { cents } }
  team { id status teamSize memberCount slotsLeft expiresAt members { nickname avatarUrl isLeader paid } }
  openTeams { id memberCount slotsLeft expiresAt } } }"""
SHA = hashlib.sha256(PAGE.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


class Get(Request):
    """A GET of `bench/loadgen.py` (which posts by default)."""

    def encode(self, host: str) -> bytes:
        head = [f"GET {self.path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in self.headers)]
        return ("\r\n".join(head) + "\r\n\r\n").encode()


def page_path(variables: dict[str, str]) -> str:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": SHA}}
    query = urllib.parse.urlencode(
        {"extensions": orjson.dumps(extensions).decode(), "variables": orjson.dumps(variables).decode()}
    )
    return f"/graphql?{query}"


async def pick_team(url: str, orders: int) -> dict[str, str]:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        await seed_and_vacuum(engine, orders)
        async with session_factory(engine)() as session:
            team = (
                await session.scalars(
                    select(GroupBuyTeam)
                    .where(GroupBuyTeam.status == TeamStatus.FORMING)
                    .order_by(GroupBuyTeam.id)
                    .limit(1)
                )
            ).first() or (await session.scalars(select(GroupBuyTeam).order_by(GroupBuyTeam.id))).first()
    finally:
        await engine.dispose()
    if team is None:
        raise SystemExit("no group-buy team in the data set")
    return {"c": encode_id("Campaign", team.campaign_id), "t": encode_id("GroupBuyTeam", team.id)}


def register(server: Server, path: str) -> tuple[bytes, dict[str, str]]:
    """Store the document (APQ over POST), then GET the page once: its body and headers."""
    body = orjson.dumps({"query": PAGE, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": SHA}}})
    base = f"http://{server.host}:{server.port}"
    post = urllib.request.Request(f"{base}/graphql", body, {"content-type": "application/json"})
    with urllib.request.urlopen(post, timeout=10) as answer:
        answer.read()
    get = urllib.request.Request(f"{base}{path}", headers={"accept": "application/json"})
    with urllib.request.urlopen(get, timeout=10) as answer:
        page = answer.read()
        headers = {k.lower(): v for k, v in answer.headers.items()}
    if b'"errors"' in page or b'"groupBuyPage":{' not in page:
        raise RuntimeError(f"unexpected page: {page[:300]!r}")
    return page, headers


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(server: Server, path: str, connections: int, seconds: float, headers: dict[str, str]) -> Row:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*cmd, f"http://{server.host}:{server.port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    latency = {p: float(v) * UNITS[u] for p, v, u in WRK_LATENCY.findall(out)}
    rps = WRK_RPS.search(out)
    bad = WRK_BAD.search(out)
    if rps is None or "50" not in latency:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return Row(
        "",
        connections,
        float(rps.group(1)),
        latency["50"],
        latency.get("99", float("nan")),
        int(bad.group(1)) if bad else 0,
    )


def load(server: Server, path: str, connections: int, seconds: float, headers: dict[str, str]) -> Row:
    if shutil.which("wrk"):
        return wrk(server, path, connections, seconds, headers)
    request = Get(path, b"", tuple(headers.items()))
    result = asyncio.run(
        run_load(server.host, server.port, [request], concurrency=connections, seconds=seconds)
    )
    return Row(
        "", connections, result.rps, result.percentile(50) * 1000, result.percentile(99) * 1000, result.errors
    )


def bare_app_source(body_file: Path) -> str:
    return f"""
import pathlib
BODY = pathlib.Path({str(body_file)!r}).read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": HEADERS}})
    await send({{"type": "http.response.body", "body": BODY}})
"""


@contextmanager
def bare_server(body: bytes) -> Iterator[Server]:
    """uvicorn (same options as bench/server.py) serving `body` from a three-line ASGI app."""
    with tempfile.TemporaryDirectory(prefix="mallgraph-bare-") as tmp:
        (Path(tmp) / "bare_body.json").write_bytes(body)
        (Path(tmp) / "bare_app.py").write_text(bare_app_source(Path(tmp) / "bare_body.json"))
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ]
        process = subprocess.Popen(cmd, cwd=tmp, env=os.environ.copy())
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the bare server did not start") from None
                    time.sleep(0.1)
            yield Server("127.0.0.1", port, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)


def run(url: str, orders: int, seconds: float, connections: int, crowd: int) -> list[Row]:
    variables = asyncio.run(pick_team(url, orders))
    path = page_path(variables)
    accept = {"Accept": "application/json"}
    rows: list[Row] = []
    warm = max(1.0, seconds / 5)
    for name, env in (
        ("computed", {"PUBLIC_CACHE_SECONDS": "0", "GROUP_BUY_PAGE_CACHE_SECONDS": "0"}),
        ("executed, page cache", {"PUBLIC_CACHE_SECONDS": "0"}),
    ):
        with running_server(url, env) as server:
            register(server, path)
            load(server, path, connections, warm, accept)
            rows.append(_named(name, load(server, path, connections, seconds, accept)))
    # long enough that the cached page does not expire during a phase
    with running_server(url, {"PUBLIC_CACHE_SECONDS": "3600"}) as server:
        body, headers = register(server, path)
        load(server, path, connections, warm, accept)
        rows.append(_named("cached", load(server, path, connections, seconds, accept)))
        rows.append(_named("cached, crowd", load(server, path, crowd, seconds, accept)))
        if shutil.which("wrk"):
            revalidate = {**accept, "If-None-Match": headers["etag"]}
            rows.append(_named("304 Not Modified", load(server, path, connections, seconds, revalidate)))
    with bare_server(body) as server:
        load(server, path, connections, warm, accept)
        rows.append(_named("ceiling (bare ASGI)", load(server, path, connections, seconds, accept)))
        rows.append(_named("ceiling, crowd", load(server, path, crowd, seconds, accept)))
    return rows


def _named(name: str, row: Row) -> Row:
    return Row(name, row.connections, row.rps, row.p50_ms, row.p99_ms, row.errors)


def print_table(rows: list[Row]) -> None:
    computed = rows[0].rps
    print(f"{'':22} {'conns':>6} {'req/s':>9} {'× computed':>11} {'p50 ms':>8} {'p99 ms':>8} {'bad':>5}")
    for r in rows:
        ratio = r.rps / computed if computed else float("nan")
        figures = f"{r.rps:9.0f} {ratio:11.1f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:5}"
        print(f"{r.name:22} {r.connections:6} {figures}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the group-buy page: computed vs cached vs 304 vs ceiling")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--orders", type=int, default=2_000, help="seeded when the database is empty")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--crowd", type=int, default=500, help="keep-alive connections for the p99 rows")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mallgraph-pp-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/public_pages.db"
        print_table(run(url, args.orders, args.seconds, args.connections, args.crowd))


if __name__ == "__main__":
    main()
