"""The day count parts merge reads only the keys of the parts added since its last run, and stays
exact with concurrent writers and merges (services/orders/day_counts.merge_day_parts)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from models.orders.counts import CountScope
from models.orders.day_counts import DayBasis, DayCountScope, OrderDayCountMerge, OrderDayCountPart
from models.orders.rows import Order
from models.orders.states import OrderStatus
from services.db import unit_of_work
from services.orders import day_counts
from tests.conftest import Database
from tests.factories import Seed

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, tzinfo=UTC)
STATUSES = [OrderStatus.PENDING_PAYMENT, OrderStatus.PENDING_SHIPMENT, OrderStatus.COMPLETED]
WHOLE = DayCountScope(
    CountScope(), DayBasis.CREATED, datetime(2026, 10, 20, tzinfo=UTC), START + timedelta(days=20)
)

Key = tuple[str, str, int | None, str]


async def _shop(db: Database, orders: int) -> tuple[list[Any], list[int]]:
    await day_counts.rebuild_day_parts(db.sessions, ZONE)
    seed = Seed(db.sessions)
    stores = [await seed.store(f"M{i:03d}") for i in range(3)]
    customer = await seed.customer()
    sku = (await seed.product())[1][0]
    ids = []
    for i in range(orders):
        at = START + timedelta(hours=7 * i)
        paid = at + timedelta(minutes=5) if i % 2 else None
        placed = await seed.order(
            stores[i % 3], customer, [(sku, 1)], status=STATUSES[i % 3], created_at=at, paid_at=paid
        )
        ids.append(placed.id)
    return stores, ids


async def _parts(db: Database) -> dict[int, tuple[Key, int]]:
    p = OrderDayCountPart
    async with db.sessions() as s:
        rows = (await s.execute(select(p.id, p.basis, p.day, p.store_id, p.status, p.n))).all()
    return {i: ((b, str(d), st, status), n) for i, b, d, st, status, n in rows}


def _keys(parts: dict[int, tuple[Key, int]]) -> Counter[Key]:
    return Counter(key for key, _ in parts.values())


async def _assert_merged_and_exact(db: Database) -> None:
    parts = await _parts(db)
    assert max(_keys(parts).values(), default=1) == 1  # one part per key
    assert await day_counts.day_mismatches(db.sessions, ZONE) == []
    async with db.sessions() as s:
        assert await s.scalar(select(OrderDayCountMerge.through_id)) == max(parts, default=0)


async def test_a_merge_rewrites_only_the_keys_that_changed(db: Database) -> None:
    stores, ids = await _shop(db, 30)
    await day_counts.merge_day_parts(db.sessions)
    await _assert_merged_and_exact(db)
    before = await _parts(db)
    assert await day_counts.merge_day_parts(db.sessions) == 0
    assert await _parts(db) == before

    async with unit_of_work(db.sessions) as s:  # two orders change status, one moves store
        await s.execute(update(Order).where(Order.id == ids[0]).values(status=OrderStatus.CANCELLED))
        await s.execute(update(Order).where(Order.id == ids[1]).values(status=OrderStatus.CANCELLED))
        await s.execute(update(Order).where(Order.id == ids[2]).values(store_id=stores[0].id))
    seed = Seed(db.sessions)  # and one new order on a day of its own: a new key of one part
    customer = await seed.customer()
    sku = (await seed.product())[1][0]
    await seed.order(
        stores[1], customer, [(sku, 1)], status=OrderStatus.COMPLETED, created_at=START + timedelta(days=15)
    )
    changed = await _parts(db)
    added = {i: part for i, part in changed.items() if i not in before}
    several = {key for key, n in _keys(changed).items() if n > 1}
    assert several
    assert len(added) > len(several)

    taken = await day_counts.merge_day_parts(db.sessions)
    after = await _parts(db)
    assert taken == len(changed) - len(after)
    assert len(after) == len(_keys(after))
    untouched = {i: part for i, part in changed.items() if part[0] not in several}
    assert {i: after[i] for i in untouched if i in after} == untouched  # same ids, same sums
    assert set(untouched) <= set(after)
    await _assert_merged_and_exact(db)
    assert await day_counts.count_orders(db.sessions, WHOLE, ZONE) == 31


async def test_a_merge_without_a_mark_reads_every_part(db: Database) -> None:
    """Mark 0 (as migration 0038 leaves it, or the parts' ids began again): every key is merged."""
    _, ids = await _shop(db, 12)
    async with unit_of_work(db.sessions) as s:
        await s.execute(update(Order).where(Order.id.in_(ids[:4])).values(status=OrderStatus.CANCELLED))
        await s.execute(update(OrderDayCountMerge).values(through_id=0))
    assert await day_counts.merge_day_parts(db.sessions) > 0
    await _assert_merged_and_exact(db)


@pytest.mark.postgres_only
async def test_a_merge_waits_for_the_order_writes_in_progress(db: Database) -> None:
    """A part written before the merge but committed after it would lie below the high-water mark
    and never be merged: the merge waits for the writer, then merges its part too."""
    _, ids = await _shop(db, 6)
    await day_counts.merge_day_parts(db.sessions)
    async with unit_of_work(db.sessions) as slow:
        await slow.execute(update(Order).where(Order.id == ids[0]).values(status=OrderStatus.CANCELLED))
        async with unit_of_work(db.sessions) as quick:  # a higher id, committed first
            await quick.execute(update(Order).where(Order.id == ids[1]).values(status=OrderStatus.CANCELLED))
        merge = asyncio.create_task(day_counts.merge_day_parts(db.sessions))
        await asyncio.sleep(0.3)
        assert not merge.done()
    assert await merge > 0
    await _assert_merged_and_exact(db)


@pytest.mark.postgres_only
async def test_a_merge_gives_up_behind_a_long_write(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(day_counts, "_LOCK_WAIT", "50ms")
    _, ids = await _shop(db, 6)
    await day_counts.merge_day_parts(db.sessions)
    async with unit_of_work(db.sessions) as slow:
        await slow.execute(update(Order).where(Order.id == ids[0]).values(status=OrderStatus.CANCELLED))
        async with unit_of_work(db.sessions) as quick:
            await quick.execute(update(Order).where(Order.id == ids[1]).values(status=OrderStatus.CANCELLED))
        assert await day_counts.merge_day_parts(db.sessions) == 0
    assert await day_counts.merge_day_parts(db.sessions) > 0
    await _assert_merged_and_exact(db)


@pytest.mark.postgres_only
async def test_concurrent_writers_and_merges_stay_exact(db: Database) -> None:
    """Writers moving orders across statuses, stores and days while two mergers run: every count
    sees each order once, and the parts end exact and merged."""
    stores, ids = await _shop(db, 40)
    await day_counts.merge_day_parts(db.sessions)

    async def writer(n: int) -> None:
        rng = random.Random(n)
        for _ in range(12):
            async with unit_of_work(db.sessions) as s:
                for order_id in sorted(rng.sample(ids, 3)):  # one lock order: no deadlock of their own
                    values = {
                        "status": rng.choice(STATUSES),
                        "store_id": rng.choice(stores).id,
                        "created_at": START + timedelta(hours=rng.randrange(0, 240)),
                    }
                    await s.execute(update(Order).where(Order.id == order_id).values(**values))

    async def merger() -> int:
        merged = 0
        for _ in range(10):
            merged += await day_counts.merge_day_parts(db.sessions)
            await asyncio.sleep(0.005)
        return merged

    async def reader() -> None:
        for _ in range(30):
            assert await day_counts.count_orders(db.sessions, WHOLE, ZONE) == 40
            await asyncio.sleep(0.002)

    results = await asyncio.gather(*(writer(n) for n in range(6)), merger(), merger(), reader())
    assert sum(r for r in results if r is not None) > 0
    assert await day_counts.day_mismatches(db.sessions, ZONE) == []
    await day_counts.merge_day_parts(db.sessions)
    await _assert_merged_and_exact(db)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 40
