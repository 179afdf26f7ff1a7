"""Deterministic demo and benchmark data: a Chinese smart-retail chain with N orders.

`generate(engine, orders=N, seed=S, now=T)` fills an empty, migrated database with stores, staff,
a two-level catalogue, customers, campaigns, N orders in every status with their lines, events,
parcels, allocation records, payments, after-sales and reviews, group-buy teams, invite rewards
and page views. The output depends only on (N, S, T): one `random.Random(S)` drives everything,
primary keys are assigned here, and nothing reads the clock or uuid4 while generating.

Every order status change goes through `models.orders.states` and every after-sale step through
`models.after_sales.states`, so the data cannot contain a transition the services would refuse.
Data sets of 50 orders or more include the docs' demo orders (`bench/generator/demo.py`): fixed
order numbers, ids 1-3, counted in N.

Money note: a refund that brings back every unit of an order that is not completed (a
cancellation after payment, or refunds that close the order) returns the delivery and packaging
fees too, as `services.after_sales.refunds.pay_out` does. Those fees belong to no order line, so for such
orders `orders.refunded_amount` (= `paid_amount`) exceeds the sum of the lines' refunded amounts
by exactly the fees, and that after-sale's `refund_amount` exceeds the sum of its lines likewise.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.generator.common import Ids
from bench.generator.coupon_issues import build_coupon_issues
from bench.generator.coupon_orders import CouponOrders
from bench.generator.coupons import build_coupons
from bench.generator.demo import DEMO_ORDERS, demo_orders, wants_demo
from bench.generator.invites import build_invites
from bench.generator.people import customer_updates
from bench.generator.pipeline import Simulation
from bench.generator.promotions import stock_rows
from bench.generator.reference import build_reference
from bench.generator.tables import check_columns, table
from bench.generator.writer import Writer
from services.config import RulesConfig
from services.db import session_factory
from services.orders.counts import merge_parts
from services.orders.day_counts import ensure_day_parts

__all__ = ["DatabaseNotEmptyError", "GenerationReport", "database_is_empty", "generate"]

CHUNK_ORDERS = 5_000
"""Orders simulated and flushed at a time: bounded memory at any N."""

T = TypeVar("T")


class DatabaseNotEmptyError(RuntimeError):
    """Generated keys start at 1 and would collide with existing rows."""


@dataclass(frozen=True)
class GenerationReport:
    rows: dict[str, int]
    """Table name → rows inserted."""
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0


async def _is_empty(conn: AsyncConnection) -> bool:
    for name in ("stores", "orders"):
        if await conn.scalar(select(table(name).c.id).limit(1)) is not None:
            return False
    return True


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when there are no stores and no orders (a fresh, migrated database)."""
    async with engine.connect() as conn:
        return await _is_empty(conn)


async def _ahead(items: Iterator[T]) -> AsyncGenerator[T, None]:
    """Produce the next item in a worker thread while the caller writes the current one.

    The database (COPY, index and foreign-key upkeep) and the simulation then use a core each. The
    iterator still runs strictly one step at a time, in order, so the output stays deterministic.
    """
    pending = asyncio.ensure_future(asyncio.to_thread(next, items, None))
    try:
        while (item := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, items, None))
            yield item
    finally:
        if not pending.done():
            with contextlib.suppress(Exception):
                await pending


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
    )


async def generate(
    engine: AsyncEngine,
    *,
    orders: int,
    seed: int = 42,
    now: datetime | None = None,
    progress: bool = True,
    on_orders: Callable[[int], None] | None = None,
    zone: tzinfo | None = None,
) -> GenerationReport:
    """Fill an empty database in one transaction; raise DatabaseNotEmptyError if it holds data.

    `progress` draws bars on the terminal; `on_orders(n)` hears the orders generated so far, rising,
    every 1 % of `orders` and once at the end (from a worker thread). `zone`: the local days of the
    day count parts (default: the rules' zone); they are merged, or rebuilt when built for another.
    """
    if orders < 0:
        raise ValueError("orders must be >= 0")
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime (UTC)")
    check_columns()
    started = time.perf_counter()
    rng = random.Random(seed)
    ids = Ids()
    with _progress_bar(progress) as bar:
        order_task = bar.add_task("orders", total=orders)
        insert_task = bar.add_task("bulk inserts", total=None)

        def on_step(name: str, count: int) -> None:
            bar.update(insert_task, advance=1, description=f"inserted {count:,} {name}"[:28])

        def on_placed(count: int) -> None:  # rich's Progress takes updates from any thread
            bar.update(order_task, completed=count)
            if on_orders is not None:
                on_orders(count)

        async with engine.begin() as conn:
            if not await _is_empty(conn):
                raise DatabaseNotEmptyError(
                    "the database already holds stores or orders; generate into an empty one"
                )
            writer = Writer(conn, on_step)
            world, reference = build_reference(rng, ids, orders, moment.timestamp())
            async with contextlib.aclosing(_ahead(reference)) as batches:
                async for batch in batches:
                    await writer.write(batch)
            demo = len(DEMO_ORDERS) if wants_demo(orders) else 0
            simulation = Simulation(rng, world, ids, orders - demo, seed, lambda n: on_placed(n + demo))
            if demo:  # first, so the demo orders' ids are the same in every data set
                await writer.write(demo_orders(seed, world, ids, simulation.factory))
            async with contextlib.aclosing(_ahead(simulation.chunks(CHUNK_ORDERS))) as chunks:
                async for batch, _placed in chunks:
                    await writer.write(batch)
            await writer.write(stock_rows(world))
            await writer.write(build_invites(rng, ids, world))
            if demo:
                coupon_orders = CouponOrders(seed, world, ids, simulation.factory)
                await writer.write(build_coupons(ids, world, coupon_orders))
                await writer.write(build_coupon_issues(ids, world))
            # After the demo's coupon orders, so their buyers' facts count them.
            await writer.update_customers(customer_updates(world.customers))
            await writer.reset_sequences()
        # The orders' triggers wrote a count part per (store, status) per COPY: one per pair now.
        await merge_parts(session_factory(engine))
        await ensure_day_parts(session_factory(engine), zone if zone is not None else RulesConfig().zone)
    return GenerationReport(rows=dict(writer.counts), seconds=time.perf_counter() - started)
