"""The generated shop test_generator*.py check: ORDERS orders of SEED at NOW in a migrated SQLite
file, generated once per process (the checks only read it), and raw-SQL helpers over it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generator import GenerationReport, database_is_empty, generate
from services.db import create_engine
from services.migrations import upgrade

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
ORDERS = 300
SEED = 7


async def generate_into(path: Path) -> tuple[AsyncEngine, GenerationReport]:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    assert await database_is_empty(engine)
    report = await generate(engine, orders=ORDERS, seed=SEED, now=NOW, progress=False)
    return engine, report


_FILE: dict[str, tuple[Path, GenerationReport]] = {}


async def shared_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[AsyncEngine, GenerationReport]:
    """An engine over this process's generated file (made on first use) and its report."""
    if "shop" not in _FILE:
        path = tmp_path_factory.mktemp("gen") / "a.db"
        engine, report = await generate_into(path)
        await engine.dispose()
        _FILE["shop"] = (path, report)
    path, report = _FILE["shop"]
    return create_engine(f"sqlite+aiosqlite:///{path}"), report


async def rows(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql))).all())


def when(value: str | datetime) -> datetime:
    """SQLite hands raw-SQL timestamps back as the naive UTC text SQLAlchemy stored."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if isinstance(value, str) else value
