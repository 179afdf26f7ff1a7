"""Time the sweep's day count parts merge (services/orders/day_counts.merge_day_parts) against the
whole-table merge it replaced, on a copy of a generated database: with no change since the last
merge, and after `--changed` orders changed status. Writes to the database it is given.

    .venv/bin/python -m bench.day_merge postgresql+asyncpg://…/bench_1m_copy --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy import delete, func, insert, literal_column, select, tuple_, update

from models.orders.day_counts import OrderDayCountPart
from models.orders.rows import Order
from models.orders.states import OrderStatus
from services.config import RulesConfig
from services.db import SessionFactory, create_engine, session_factory, unit_of_work
from services.orders.day_counts import ensure_day_parts, merge_day_parts

STATUSES = [OrderStatus.PENDING_SHIPMENT, OrderStatus.SHIPPED, OrderStatus.COMPLETED]


async def whole_table_merge(sessions: SessionFactory) -> int:
    """The merge before the high-water mark: every key with several parts, found by grouping all parts."""
    p = OrderDayCountPart
    async with unit_of_work(sessions) as session:
        store = func.coalesce(p.store_id, literal_column("-1"))
        several = (
            select(p.basis, p.day, store, p.status)
            .group_by(p.basis, p.day, store, p.status)
            .having(func.count() > literal_column("1"))
        )
        taken = (
            await session.execute(
                delete(p)
                .where(tuple_(p.basis, p.day, store, p.status).in_(several))
                .returning(p.basis, p.day, p.store_id, p.status, p.n)
                .execution_options(synchronize_session=False)
            )
        ).all()
        sums: dict[tuple[str, date, int | None, str], int] = defaultdict(int)
        for basis, day, store_id, status, n in taken:
            sums[basis, day, store_id, status] += n
        merged = [
            {"basis": b, "day": d, "store_id": s, "status": st, "n": n}
            for (b, d, s, st), n in sums.items()
            if n
        ]
        if merged:
            await session.execute(insert(p), merged)
    return len(taken) - len(merged)


async def _change(sessions: SessionFactory, ids: list[int], count: int, rng: random.Random) -> None:
    async with unit_of_work(sessions) as session:
        for order_id in sorted(rng.sample(ids, count)):
            await session.execute(
                update(Order).where(Order.id == order_id).values(status=rng.choice(STATUSES))
            )


async def _timed(step: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    started = time.perf_counter()
    taken = await step()
    return (time.perf_counter() - started) * 1000, taken


def _summary(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20) if len(ms) > 1 else ms * 19
    return f"{name:<44} runs {len(ms):>2}  p50 {statistics.median(ms):8.1f} ms  p95 {q[18]:8.1f} ms"


async def _measure(url: str, rounds: int, changed: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    zone = RulesConfig().zone
    rng = random.Random(7)
    try:
        async with sessions() as session:
            ids = list((await session.scalars(select(Order.id).where(Order.paid_at.is_not(None)))).all())
        ms, taken = await _timed(lambda: ensure_day_parts(sessions, zone))
        print(f"first ensure_day_parts (mark at 0: every part read): {ms:.1f} ms, {taken} taken")
        times: dict[str, list[float]] = defaultdict(list)
        for _ in range(rounds):
            times["idle: whole-table merge"].append((await _timed(lambda: whole_table_merge(sessions)))[0])
            times["idle: merge_day_parts"].append((await _timed(lambda: merge_day_parts(sessions)))[0])
            times["idle: ensure_day_parts"].append(
                (await _timed(lambda: ensure_day_parts(sessions, zone)))[0]
            )
        for _ in range(rounds):
            await _change(sessions, ids, changed, rng)
            times[f"{changed} changed: whole-table merge"].append(
                (await _timed(lambda: whole_table_merge(sessions)))[0]
            )
            await merge_day_parts(sessions)  # moves the mark past the whole-table merge's sums
            await _change(sessions, ids, changed, rng)
            times[f"{changed} changed: merge_day_parts"].append(
                (await _timed(lambda: merge_day_parts(sessions)))[0]
            )
            await _change(sessions, ids, changed, rng)
            times[f"{changed} changed: ensure_day_parts"].append(
                (await _timed(lambda: ensure_day_parts(sessions, zone)))[0]
            )
        for name, ms_list in times.items():
            print(_summary(name, ms_list))
        async with sessions() as session:
            print("parts:", await session.scalar(select(func.count()).select_from(OrderDayCountPart)))
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--changed", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(_measure(args.url, args.rounds, args.changed))


if __name__ == "__main__":
    main()
