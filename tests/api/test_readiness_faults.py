"""`/readyz` answers within a second and tells a saturated pool from a database that is down."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.app import Resources, create_app
from gql.http.health import ANSWER_WITHIN
from gql.settings import load_settings
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from tests.api.live_server import free_port
from tests.conftest import Database


@asynccontextmanager
async def ready_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(database_url=str(engine.url.render_as_string(False)), environment="test")
    app = create_app(resources=Resources(settings, engine, session_factory(engine), MemoryCache()))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


async def _timed_readyz(http: httpx.AsyncClient) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    r = await http.get("/readyz")
    return r, time.perf_counter() - started


@pytest.mark.postgres_only
async def test_an_exhausted_pool_is_saturated_not_down(db: Database) -> None:
    engine = create_engine(db.url, pool_size=2)
    try:
        async with ready_client(engine) as http:
            async with AsyncExitStack() as held:
                for _ in range(2):  # every connection of the pool checked out, as under a burst
                    await held.enter_async_context(engine.connect())
                r, elapsed = await _timed_readyz(http)
                assert elapsed < ANSWER_WITHIN
                assert r.status_code == 503
                body = r.json()
                assert body["status"] == "unavailable"
                assert body["reason"] == "database saturated"
                assert body["checks"]["database"] == {
                    "status": "saturated",
                    "dialect": "postgresql",
                    "pool": {"size": 2, "checkedOut": 2},
                }
            r, _ = await _timed_readyz(http)  # connections back: ready again
            assert r.status_code == 200
            assert r.json()["status"] == "ok"
    finally:
        await engine.dispose()


async def test_a_database_that_is_not_there_is_down_within_a_second() -> None:
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing", pool_size=2)
    try:
        async with ready_client(engine) as http:
            r, elapsed = await _timed_readyz(http)
    finally:
        await engine.dispose()
    assert elapsed < ANSWER_WITHIN
    assert r.status_code == 503
    assert r.json()["reason"] == "database down"
    assert r.json()["checks"]["database"] == {"status": "down", "dialect": "postgresql"}
