"""Shared fixtures: a migrated database per dialect (SQLite always, PostgreSQL when reachable).

Database tests take the `db` fixture and so run once on SQLite and once on PostgreSQL. In CI
(`CI=true`) an unreachable PostgreSQL or Redis is a failure, never a skip; locally those tests
skip with the reason. Under pytest-xdist each worker gets a PostgreSQL database and a Redis
database of its own (`test` → `test_gw1`, Redis db 0 → 1), since a test empties what it uses.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from services.db import WRITE_OPTION, SessionFactory, create_engine, session_factory
from services.migrations import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# "gw0", "gw1", … in a pytest-xdist worker; absent in a plain run.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BASE_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _worker_number() -> int:
    return int(XDIST_WORKER.removeprefix("gw")) if XDIST_WORKER else 0


def _worker_postgres_url(url: str) -> str:
    if not XDIST_WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{XDIST_WORKER}").render_as_string(hide_password=False)


def _worker_redis_url(url: str) -> str:
    base, _, number = url.rpartition("/")
    if not XDIST_WORKER or not number.isdigit():
        return url
    return f"{base}/{(int(number) + _worker_number()) % 16}"


POSTGRES_URL = _worker_postgres_url(BASE_POSTGRES_URL)
REDIS_URL = _worker_redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))


def unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run, not skip)")
    pytest.skip(message)


TABLES = sorted(
    (t.name for t in reversed(models.Base.metadata.sorted_tables)),
    key=lambda name: name in ("order_count_parts", "order_day_count_parts"),
)
"""Every table, children before their parents; the count parts last, since deleting orders
appends their −1 parts (the count triggers). Emptying `order_day_offsets` leaves the day parts
unbuilt: a test that wants them builds them (`services.orders.day_counts.rebuild_day_parts`)."""

# SQLite: the tables with rows, in one query.
_SQLITE_FILLED = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in TABLES)

_NAMES = ", ".join(f"'{name}'" for name in TABLES)
# One round trip: the rows of each table that has any, deleted in TABLES' order (order_count_parts
# is looked at after orders), then every used sequence of their columns restarted, as TRUNCATE …
# RESTART IDENTITY would. TRUNCATE itself gives every table and index new files, however few of
# them the test wrote.
_POSTGRES_RESET = f"""DO $$
DECLARE
    name text;
    filled boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[{_NAMES}] LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', name) INTO filled;
        IF filled THEN
            EXECUTE format('DELETE FROM %I', name);
        END IF;
    END LOOP;
    PERFORM setval(s.seqrelid, s.seqstart, false)
    FROM pg_sequence s JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
    WHERE d.refobjid = ANY (ARRAY[{_NAMES}]::regclass[]) AND d.deptype IN ('a', 'i')
        AND pg_sequence_last_value(s.seqrelid) IS NOT NULL;
END $$"""


@dataclass
class Database:
    dialect: str
    url: str
    engine: AsyncEngine
    sessions: SessionFactory

    async def reset(self) -> None:
        """Empty every table (keeping the schema) and restart its ids, so each test starts from
        nothing. Only tables with rows are touched: a test writes a handful of the ~80 tables,
        whoever wrote them (the test, the app under test, a server process of tests/live/)."""
        # On SQLite the write lock is taken at BEGIN (IMMEDIATE): a transaction that reads first
        # could not wait for a writer still finishing the last test's work.
        async with self.engine.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                if self.dialect == "postgresql":
                    await conn.execute(text(_POSTGRES_RESET))
                    return
                filled = set((await conn.scalars(text(_SQLITE_FILLED))).all())
                if "orders" in filled:
                    filled.update(("order_count_parts", "order_day_count_parts"))
                for name in TABLES:
                    if name in filled:
                        await conn.execute(text(f"DELETE FROM {name}"))


async def _create_worker_database(url: str) -> None:
    """CREATE DATABASE for this xdist worker from the configured one (a no-op when it exists)."""
    name = make_url(url).database
    admin = create_engine(BASE_POSTGRES_URL, pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            found = text("SELECT 1 FROM pg_database WHERE datname = :name")
            exists = await conn.scalar(found, {"name": name})
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def _postgres(url: str) -> AsyncEngine:
    engine = create_engine(url, pool_size=20)
    try:
        if url != BASE_POSTGRES_URL:
            await _create_worker_database(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
            # Test data need not outlive a crash of PostgreSQL: commits return without waiting for
            # the WAL flush, in every later session of this database (tests/live/ servers too).
            await conn.execute(
                text(f'ALTER DATABASE "{make_url(url).database}" SET synchronous_commit = off')
            )
        await engine.dispose()  # the pool's connections predate the setting
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
