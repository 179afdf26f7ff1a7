"""Keeping `metrics_channel_days` (`models/metrics/channels.py`) equal to the orders.

`rebuild` replaces the rows of some local days (and stores) by those computed from the orders
paid in them: it runs inside every recompute of the orders rollup group
(`services/metrics/rollups.py`), in the same transaction and for the same (day, store)
partitions, so the channel days are exactly as current as the order rollups. A full build of the
group empties the table first (`clear`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import OrderChannel
from models.metrics.channels import ChannelDay
from models.metrics.sets import encode
from models.orders.rows import Order
from services.metrics.sql import at, by_cuts, in_stores

INSERT_BATCH = 5000
"""Rows per INSERT statement."""


async def clear(session: AsyncSession) -> None:
    await session.execute(delete(ChannelDay))


async def rebuild(session: AsyncSession, days: Sequence[datetime], stores: frozenset[int] | None) -> None:
    """Replace the rows of the local days starting at days[0..-2] (`days[-1]` ends the last one) of
    `stores` (None: all; 0: orders without a store) by the sums and sets of their paid orders."""
    t = ChannelDay.__table__
    await session.execute(
        delete(ChannelDay).where(
            t.c.day_start >= at(days[0]), t.c.day_start < at(days[-1]), in_stores(t.c.store_id, stores)
        )
    )
    day = by_cuts(cast(ColumnElement[Any], Order.paid_at), days, list(range(len(days) - 1))).label("day")
    store = func.coalesce(Order.store_id, 0).label("store")
    keys = (day, store, Order.channel, Order.customer_id)
    statement = (
        select(*keys, func.count().label("n"), func.sum(Order.paid_amount).label("amount"))
        .where(
            Order.paid_at >= at(days[0]),
            Order.paid_at < at(days[-1]),
            in_stores(Order.store_id, stores),
        )
        .group_by(*keys)
    )
    sums: dict[tuple[int, int, OrderChannel], list[int]] = defaultdict(lambda: [0, 0])
    payers: dict[tuple[int, int, OrderChannel], list[int]] = defaultdict(list)
    for d, s, channel, customer, n, amount in await session.execute(statement):
        key = (int(d), int(s), channel)
        total = sums[key]
        total[0] += int(n)
        total[1] += int(amount)
        payers[key].append(int(customer))
    values = []
    for key, (orders, amount) in sorted(sums.items()):
        blob, size = encode(payers[key])
        d, s, channel = key
        values.append(
            {
                "day_start": days[d],
                "store_id": s,
                "channel": channel,
                "paid_orders": orders,
                "paid_amount": amount,
                "payer_count": size,
                "payers": blob,
            }
        )
    for i in range(0, len(values), INSERT_BATCH):
        await session.execute(insert(ChannelDay), values[i : i + INSERT_BATCH])
