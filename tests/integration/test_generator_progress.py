"""The generator reports its orders as it generates them, not once at the end (the seed's progress bar)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bench.generator import generate
from bench.generator.coupon_orders import COUPON_ORDERS
from services.db import create_engine
from services.migrations import upgrade

ORDERS = 300


async def test_orders_are_reported_as_they_are_generated(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    heard: list[int] = []
    try:
        report = await generate(
            engine,
            orders=ORDERS,
            seed=3,
            now=datetime(2026, 11, 23, tzinfo=UTC),
            progress=False,
            on_orders=heard.append,
        )
    finally:
        await engine.dispose()
    assert len(heard) >= 50  # about every 1 % of the orders
    assert heard == sorted(set(heard))
    assert 0 < heard[0] <= ORDERS // 50
    assert heard[-1] == ORDERS
    assert report.rows["orders"] == ORDERS + len(COUPON_ORDERS)  # the demo's coupon orders come on top
