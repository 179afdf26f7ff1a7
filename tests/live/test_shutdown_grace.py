"""SIGTERM ends `mallgraph serve` within SHUTDOWN_GRACE_SECONDS, even while a request is stuck.

The stuck request waits on a table lock the test holds, with neither a statement timeout nor a
request deadline that would end it first: only the shutdown grace can.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.api.live_server import free_port
from tests.conftest import Database
from tests.factories import Seed
from tests.live.cluster import Server, server_env

pytestmark = pytest.mark.postgres_only

GRACE = 2
STORES = "{ stores(first: 5) { edges { node { name } } } }"


async def _waiting_on_the_lock(db: Database) -> int:
    async with db.engine.connect() as conn:
        found = await conn.scalar(
            text(  # the lock not granted, not the query's text: pg_stat_activity cuts long queries
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'stores'::regclass"
                " AND pid <> pg_backend_pid()"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return int(found or 0)


async def test_sigterm_ends_a_busy_server_within_the_grace(db: Database, seed: Seed, tmp_path: Path) -> None:
    await seed.store("SH001")
    env = server_env(db.url, "")
    env.update(
        SHUTDOWN_GRACE_SECONDS=str(GRACE),
        REQUEST_TIMEOUT_SECONDS="300",
        DB_STATEMENT_TIMEOUT_MS="0",
        SWEEP_INTERVAL_SECONDS="0",
    )
    server = Server("busy", free_port(), tmp_path / "busy.log")
    server.start(env)
    try:
        await server.wait_ready()
        async with db.engine.connect() as locker:
            await locker.execute(text("LOCK TABLE stores IN ACCESS EXCLUSIVE MODE"))
            stuck = asyncio.create_task(server.http.post("/graphql", json={"query": STORES}))
            for _ in range(100):
                if await _waiting_on_the_lock(db):
                    break
                await asyncio.sleep(0.05)
            assert await _waiting_on_the_lock(db) == 1
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(server.process.wait, GRACE + 10)
            took = time.monotonic() - started
            assert server.process.poll() is not None, f"still running {took:.1f} s after SIGTERM"
            assert took < GRACE + 1.5, f"exited {took:.1f} s after SIGTERM (grace {GRACE} s)"
            with contextlib.suppress(httpx.HTTPError):
                await stuck  # the connection was closed under it: what a client sees of a hard stop
            for _ in range(60):  # PostgreSQL noticed the client had gone: not left waiting on the lock
                if not await _waiting_on_the_lock(db):
                    break
                await asyncio.sleep(0.05)
            assert await _waiting_on_the_lock(db) == 0
            await locker.rollback()
    finally:
        server.terminate()
        await server.http.aclose()
