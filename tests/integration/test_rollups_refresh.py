"""Incremental maintenance leaves the rollups exactly as a rebuild from scratch would.

Generated data is rolled up, then changed through the real use cases — stores reject orders, HQ
reallocates them to other stores (the order's earlier store must lose it) and cancels paid ones
(a refund), stores accept, the sweeper completes shipments — and the mini-program posts page
views. After an incremental refresh every rollup table (and the day sets and channel days) must
hold exactly the rows a full rebuild computes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bench.generator import generate
from models.enums import PageType, Role, SourceChannel
from models.errors import DomainError
from models.metrics.channels import ChannelDay
from models.metrics.rollups import RollupState
from models.metrics.sets import DaySet, union
from models.metrics.visits import PageView
from models.orders.rows import Order
from models.orders.states import OrderAction, OrderStatus
from models.principals import SYSTEM, Principal
from models.stores.rows import Store
from services.commands import Deps, Result, Work, run_command
from services.config import RulesConfig
from services.metrics.rollups import GROUPS, catch_up, refresh_rollups
from services.metrics.sets import refresh_visitor_sets
from services.orders import lifecycle as orders
from services.payments import DevPaymentGateway
from services.visits import track_events
from tests.conftest import Database

ZONE = ZoneInfo("Asia/Shanghai")
HQ = Principal(Role.HQ_ADMIN, "hq-test")


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    async with db.sessions() as s:
        for rollups in GROUPS.values():
            for rollup in rollups:
                t = rollup.table
                rows = (await s.execute(select(t).order_by(*t.primary_key.columns))).all()
                out[t.name] = [tuple(r) for r in rows]
        sets = (
            await s.execute(select(DaySet).order_by(DaySet.kind, DaySet.day_start, DaySet.store_id))
        ).scalars()
        out[DaySet.__tablename__] = [
            (d.kind, d.day_start, d.store_id, list(union([d.members]))) for d in sets
        ]
        c = ChannelDay
        channels = (await s.execute(select(c).order_by(c.day_start, c.store_id, c.channel))).scalars()
        out[c.__tablename__] = [
            (
                d.day_start,
                d.store_id,
                d.channel,
                d.paid_orders,
                d.paid_amount,
                d.payer_count,
                list(union([d.payers])),
            )
            for d in channels
        ]
    return out


async def _ids(db: Database, status: OrderStatus, limit: int) -> list[int]:
    async with db.sessions() as s:
        stmt = select(Order.id).where(Order.status == status, Order.store_id.is_not(None)).order_by(Order.id)
        return list((await s.scalars(stmt.limit(limit))).all())


async def _try(
    deps: Deps, principal: Principal, use_case: Callable[[Work], Awaitable[Result]], **kw: Any
) -> bool:
    try:
        await run_command(deps, principal, "test", use_case, **kw)
    except DomainError:
        return False
    return True


async def _complete(work: Work, order_id: int) -> Result:
    return {"moved": await orders.apply_system_action(work, order_id, OrderAction.AUTO_COMPLETE)}


async def change_everything(db: Database, deps: Deps, now: datetime) -> int:
    """Move orders through real use cases; returns how many changes succeeded."""
    done = 0
    async with db.sessions() as s:
        stores = list((await s.scalars(select(Store.id).order_by(Store.id))).all())
    for order_id in await _ids(db, OrderStatus.PENDING_ACCEPTANCE, 6):
        done += await _try(deps, HQ, partial(orders.reject, order_id=order_id, reason="缺货"), now=now)
    for order_id in await _ids(db, OrderStatus.PENDING_ALLOCATION, 6):
        for store_id in stores:
            move = partial(orders.reallocate, order_id=order_id, to_store_id=store_id, note="调拨")
            if await _try(deps, HQ, move, now=now):
                done += 1
                break
    for order_id in (await _ids(db, OrderStatus.PENDING_ACCEPTANCE, 8))[:4]:
        done += await _try(deps, HQ, partial(orders.accept, order_id=order_id), now=now)
    for order_id in await _ids(db, OrderStatus.PENDING_ACCEPTANCE, 3):
        done += await _try(deps, HQ, partial(orders.cancel, order_id=order_id, reason="顾客要求"), now=now)
    for order_id in await _ids(db, OrderStatus.SHIPPED, 4):
        complete = partial(_complete, order_id=order_id)
        done += await _try(deps, HQ, complete, actor=SYSTEM, now=now + timedelta(days=30))
    return done


async def test_incremental_refresh_equals_a_rebuild(db: Database) -> None:
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    await generate(db.engine, orders=400, seed=11, now=now, progress=False)
    await refresh_rollups(db.sessions, ZONE, now)
    deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(zone=ZONE))
    assert await change_everything(db, deps, now + timedelta(hours=4)) >= 8  # 18:30 in Shanghai: open
    async with db.sessions() as s:
        store_id = await s.scalar(select(Store.id).limit(1))
    at = datetime.now(UTC) - timedelta(hours=30)
    views: list[Any] = [
        PageView(
            f"t-{n}",
            f"wx-{n % 4}",
            "s",
            PageType.HOME,
            SourceChannel.SHARE,
            500,
            at + timedelta(minutes=n),
            store_id=store_id if n % 2 else None,
        )
        for n in range(12)
    ]
    assert (await track_events(deps, Principal(None), views))["accepted"] == 12
    changed = await catch_up(db.sessions, "orders", ZONE, datetime.now(UTC))
    assert changed is not None
    assert changed > 0
    assert await catch_up(db.sessions, "refunds", ZONE, datetime.now(UTC)) is not None
    assert (await refresh_visitor_sets(db.sessions, ZONE)).partitions > 0  # ingestion's markers
    incremental = await snapshot(db)
    async with db.sessions() as s, s.begin():
        await s.execute(delete(RollupState))
    report = await refresh_rollups(db.sessions, ZONE, datetime.now(UTC))
    assert sorted(report.built) == sorted(GROUPS)
    rebuilt = await snapshot(db)
    for table in rebuilt:
        assert incremental[table] == rebuilt[table], table
    assert rebuilt[ChannelDay.__tablename__]


async def test_a_refresh_with_nothing_new_changes_nothing(db: Database) -> None:
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    await generate(db.engine, orders=100, seed=5, now=now, progress=False)
    await refresh_rollups(db.sessions, ZONE, now)
    before = await snapshot(db)
    again = await refresh_rollups(db.sessions, ZONE, now + timedelta(hours=1))
    assert again.built == []
    assert await snapshot(db) == before


async def test_refreshes_running_at_once_agree_with_a_rebuild(db: Database) -> None:
    """Two processes' sweepers (here two tasks) building and then refreshing at the same time."""
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    await generate(db.engine, orders=150, seed=9, now=now, progress=False)
    await asyncio.gather(*(refresh_rollups(db.sessions, ZONE, now) for _ in range(2)))
    deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(zone=ZONE))
    await change_everything(db, deps, now + timedelta(hours=4))
    await asyncio.gather(*(refresh_rollups(db.sessions, ZONE, datetime.now(UTC)) for _ in range(3)))
    concurrent = await snapshot(db)
    async with db.sessions() as s, s.begin():
        await s.execute(delete(RollupState))
    await refresh_rollups(db.sessions, ZONE, datetime.now(UTC))
    assert await snapshot(db) == concurrent
