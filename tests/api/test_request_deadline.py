"""A request can never hold a worker: past REQUEST_TIMEOUT_SECONDS it answers REQUEST_TIMEOUT.

The deadline covers admission (parse, validation, cost, rate limit) and execution together, and
the statements the request was waiting on are cancelled in the database, not left running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.app import Resources, create_app
from gql.gate.admission import Gate
from gql.settings import load_settings
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from tests.api.gated_app import gated_api
from tests.conftest import Database
from tests.factories import Seed

STORES = "{ stores(first: 5) { edges { node { name } } } }"


@pytest.fixture(autouse=True)
def executors_agree() -> None:
    """Not compared here: a timed-out request has no second answer to compare."""


@pytest.fixture
async def engine(db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db.url, pool_size=2, statement_timeout_ms=0)  # only the deadline stops it
    yield engine
    await engine.dispose()


async def _app_statements_on_stores(db: Database) -> int:
    async with db.engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()"
                " AND datname = current_database()"
                " AND query LIKE '%FROM stores%' AND query NOT LIKE '%pg_stat_activity%'"
            )
        )
    return int(found or 0)


@pytest.mark.postgres_only
async def test_a_request_past_its_deadline_answers_and_cancels_its_statement(
    db: Database, seed: Seed, engine: AsyncEngine
) -> None:
    await seed.store("SH001", name="徐汇店")
    settings = load_settings(database_url=db.url, environment="test", request_timeout_seconds=0.5)
    app = create_app(resources=Resources(settings, engine, session_factory(engine), MemoryCache()))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        db.engine.connect() as locker,
    ):
        await locker.execute(text("LOCK TABLE stores IN ACCESS EXCLUSIVE MODE"))
        started = time.perf_counter()
        r = await http.post("/graphql", json={"query": STORES})
        elapsed = time.perf_counter() - started
        body = r.json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["REQUEST_TIMEOUT"]
        assert body["errors"][0]["extensions"]["timeoutSeconds"] == 0.5
        assert 0.5 <= elapsed < 1.5
        for _ in range(20):  # the cancel request reaches PostgreSQL a moment later
            if await _app_statements_on_stores(db) == 0:
                break
            await asyncio.sleep(0.05)
        assert await _app_statements_on_stores(db) == 0  # not waiting on the lock any more
        await locker.rollback()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # the connection came back
        again = (await http.post("/graphql", json={"query": STORES})).json()
    assert again["data"]["stores"]["edges"] == [{"node": {"name": "徐汇店"}}]


async def test_the_deadline_covers_admission(monkeypatch: pytest.MonkeyPatch) -> None:
    admit = Gate.admit

    async def slow_admit(self: Gate, *args: object) -> object:
        await asyncio.sleep(1)  # a validation or a rate-limit call that takes too long
        return await admit(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Gate, "admit", slow_admit)
    async with gated_api(request_timeout_seconds=0.2) as api:
        r = await api.execute("{ __typename }")
    assert r.error_codes == ["REQUEST_TIMEOUT"]
