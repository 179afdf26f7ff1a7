"""`freshen`: one statement when nothing changed, a refresh exactly when the raw tables say so.

Built rollups are checked with one statement (the state rows with the raw tables' newest changes);
a changed order, a group never built and a visitor-set marker each lead to a refresh that folds
them in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bench.generator import generate
from models.metrics.rollups import RollupState
from models.metrics.sets import DaySetChange
from models.orders.rows import Order
from services.db import count_statements
from services.metrics.freshness import freshen, refresh_needed, snapshot
from services.metrics.rollups import GROUPS, refresh_rollups
from tests.conftest import Database

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def _seen(db: Database, group: str) -> datetime | None:
    async with db.sessions() as s:
        state = await s.get(RollupState, group)
        assert state is not None
        return state.seen_until


async def test_nothing_built_builds_every_group(db: Database) -> None:
    await generate(db.engine, orders=60, seed=3, now=NOW, progress=False)
    assert refresh_needed(await snapshot(db.sessions), ZONE, NOW, HOUR) is not None
    assert await freshen(db.sessions, ZONE, NOW, HOUR) == frozenset(GROUPS)


async def test_current_rollups_cost_one_statement(db: Database) -> None:
    await generate(db.engine, orders=60, seed=3, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    with count_statements() as counter:
        ready = await freshen(db.sessions, ZONE, NOW + timedelta(minutes=5), HOUR)
    assert ready == frozenset(GROUPS)
    assert counter.count == 1


async def test_a_newer_order_is_folded_in_before_reading(db: Database) -> None:
    await generate(db.engine, orders=60, seed=3, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    seen = await _seen(db, "orders")
    assert seen is not None
    async with db.sessions() as s, s.begin():
        first = await s.scalar(select(func.min(Order.id)))
        await s.execute(update(Order).where(Order.id == first).values(updated_at=seen + timedelta(seconds=1)))
    found = await snapshot(db.sessions)
    assert found.newest["orders"] == seen + timedelta(seconds=1)
    assert refresh_needed(found, ZONE, NOW, HOUR) == timedelta(0)
    await freshen(db.sessions, ZONE, NOW, HOUR)
    assert await _seen(db, "orders") == seen + timedelta(seconds=1)
    assert refresh_needed(await snapshot(db.sessions), ZONE, NOW, HOUR) is None


async def test_an_old_refresh_rereads_the_overlap(db: Database) -> None:
    await generate(db.engine, orders=60, seed=3, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    found = await snapshot(db.sessions)
    last = max(state.refreshed_at for state in found.states.values())
    assert refresh_needed(found, ZONE, last + HOUR / 2, HOUR) is None
    assert refresh_needed(found, ZONE, last + 2 * HOUR, HOUR) == timedelta(minutes=5)


async def test_visitor_set_markers_are_consumed(db: Database) -> None:
    await generate(db.engine, orders=60, seed=3, now=NOW, progress=False)
    await refresh_rollups(db.sessions, ZONE, NOW)
    async with db.sessions() as s, s.begin():
        s.add(DaySetChange(day_start=datetime(2026, 11, 21, 16, tzinfo=UTC), store_id=1))
    found = await snapshot(db.sessions)
    assert found.markers
    assert refresh_needed(found, ZONE, NOW, HOUR) is None  # nothing to recompute, only the sets
    await freshen(db.sessions, ZONE, NOW, HOUR)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(DaySetChange)) == 0
