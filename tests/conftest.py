"""Shared fixtures: a migrated database per dialect (SQLite always, PostgreSQL when reachable).

Database tests take the `db` fixture and so run once on SQLite and once on PostgreSQL. In CI
(`CI=true`) an unreachable PostgreSQL or Redis is a failure, never a skip; locally those tests
skip with the reason.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from services.db import SessionFactory, create_engine, session_factory
from services.migrations import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run, not skip)")
    pytest.skip(message)


@dataclass
class Database:
    dialect: str
    url: str
    engine: AsyncEngine
    sessions: SessionFactory

    async def reset(self) -> None:
        """Empty every table (keeping the schema), so each test starts from nothing."""
        tables = [t.name for t in reversed(models.Base.metadata.sorted_tables)]
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    await conn.execute(text(f"DELETE FROM {name}"))
                # deleting the orders appended their −1 parts (SQLite has no TRUNCATE trigger)
                await conn.execute(text("DELETE FROM order_count_parts"))


async def _postgres(url: str) -> AsyncEngine:
    engine = create_engine(url, pool_size=20)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        await engine.dispose()
        unavailable("PostgreSQL", f"{type(exc).__name__}: {exc} (set TEST_POSTGRES_URL)")
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
    else:
        url = POSTGRES_URL
        engine = await _postgres(url)
        await asyncio.to_thread(upgrade, url)
    yield Database(request.param, url, engine, session_factory(engine))
    await engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests (real row locks and concurrency) have no SQLite variant at all."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        on_sqlite = params is not None and params.params.get("database") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
async def db(database: Database) -> Database:
    await database.reset()
    return database
