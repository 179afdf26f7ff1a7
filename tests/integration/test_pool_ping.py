"""Pooled PostgreSQL connections are pinged only after sitting idle, and a dead one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services import db as db_module
from services.db import create_engine
from tests.conftest import Database

pytestmark = pytest.mark.postgres_only


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(db.url, pool_size=1)
    try:
        first = await _backend_pid(engine)
        async with db.engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # the connection counts as idle
        second = await _backend_pid(engine)  # the ping fails, the pool connects anew: no error
        assert second != first
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("idle_ping_seconds", "pings"), [(2.0, 0), (0.0, 20)])
async def test_only_connections_idle_past_the_window_are_pinged(
    db: Database, monkeypatch: pytest.MonkeyPatch, idle_ping_seconds: float, pings: int
) -> None:
    """Back to back, a pooled connection goes straight to its statement (asyncpg's ping is three
    round trips: BEGIN, `;`, ROLLBACK); past the window every checkout pings first."""
    pinged: list[object] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counting_ping(self: AsyncAdapt_asyncpg_connection) -> None:
        pinged.append(self)
        ping(self)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counting_ping)
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", idle_ping_seconds)
    engine = create_engine(db.url, pool_size=1)
    try:
        pids = {await _backend_pid(engine) for _ in range(20)}
    finally:
        await engine.dispose()
    assert len(pids) == 1
    assert len(pinged) == pings
