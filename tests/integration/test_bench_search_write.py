"""`python -m bench.search --write` places copies of the newest order and removes them again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bench.generator import generate
from bench.search import _write
from models.orders.rows import Order
from services.db import create_engine, session_factory
from services.migrations import upgrade
from tests.integration.generated_shop import NOW


async def test_the_write_path_bench_times_placements_and_leaves_no_order(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        await generate(engine, orders=20, seed=3, now=NOW, progress=False)
        async with session_factory(engine)() as s:
            before = await s.scalar(select(func.count()).select_from(Order))
        row = await _write(url, rounds=3)
        async with session_factory(engine)() as s:
            after = await s.scalar(select(func.count()).select_from(Order))
    finally:
        await engine.dispose()
    assert row["lines"] >= 1
    assert 0 < row["p50"] <= row["p99"]
    assert after == before
