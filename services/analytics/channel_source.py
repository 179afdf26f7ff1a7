"""Order aggregates by sales channel or of paying customers, answered from the channel days.

A question is covered when it is plain as `rollup_source` requires (orders by PAID_AT over a date
range, a caller who sees every store, no filter or query), groups by at most STORE, CHANNEL and
whole-day time buckets (DAY, WEEK, MONTH, DAY_OF_WEEK), measures only COUNT, PAID_ORDERS,
PAID_AMOUNT_SUM and PAYING_CUSTOMERS, and needs what the order rollups lack: CHANNEL among its
keys or PAYING_CUSTOMERS among its measures.

The whole local days of the range read `metrics_channel_days` (`models/metrics/channels.py`), the
partial days at its ends the orders themselves. When every group is one (store, day, channel) —
STORE, CHANNEL and DAY among the keys — or nothing counts customers, one statement
(`statement.grouped_with_totals`) groups, filters, sorts and cuts those rows, a group's paying
customers being its one row's `payer_count` (or its partial day's distinct customers). Otherwise
the rows are grouped here, a group's paying customers being the union of its bitmaps and partial
days' customers, and `having`, the sort and `top` are applied as the statement applies them. The
totals' paying customers are the union of the all-stores paying-customer day sets
(`metrics_day_sets`) of the whole days and the partial days' customers. Either way the rows have
the statement's shape (k0.., m0.., t, groups) and equal the raw rows' answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from enum import StrEnum
from operator import itemgetter
from typing import Any, Final

from pyroaring import BitMap
from sqlalchemy import ColumnElement, LargeBinary, Select, case, cast, func, null, select, union_all

from models.base import IdType
from models.date_ranges import Granularity, local_day
from models.metrics.channels import ChannelDay
from models.metrics.rollups import ALL_STORES
from models.metrics.sets import DaySet, SetKind, union
from models.orders.rows import Order
from models.principals import Principal
from services.analytics.dimensions import Dimension, time_key
from services.analytics.measures import OrderMeasure
from services.analytics.statement import Plan, grouped_with_totals
from services.metrics.engine import Engine
from services.metrics.sources import split_spans
from services.metrics.sql import Span, in_spans

ROLLUP_GROUP: Final = "orders"
"""The refresh group that keeps the channel days and the day sets (`services.metrics.rollups`)."""

_MEASURES: Final[dict[StrEnum, str]] = {
    OrderMeasure.COUNT: "paid_orders",
    OrderMeasure.PAID_ORDERS: "paid_orders",
    OrderMeasure.PAID_AMOUNT_SUM: "paid_amount",
    OrderMeasure.PAYING_CUSTOMERS: "payer_count",
}
_DIMENSIONS: Final = frozenset(
    (Dimension.STORE, Dimension.CHANNEL, Dimension.DAY, Dimension.WEEK, Dimension.MONTH)
) | {Dimension.DAY_OF_WEEK}
_ONE_SET: Final = frozenset({Dimension.STORE, Dimension.CHANNEL, Dimension.DAY})
"""Keys that make every group one (store, day, channel): its paying customers are one set."""
_EPOCH: Final = date(1970, 1, 1)

Rows = list[tuple[Any, ...]]


def covered(
    time: str,
    group_by: tuple[Dimension, ...],
    used: Sequence[StrEnum],
    *,
    plain: bool,
    principal: Principal,
) -> bool:
    """Whether the channel days can answer (before knowing whether they are built)."""
    if not plain or not principal.sees_all_stores() or time != "PAID_AT":
        return False
    if not set(used) <= set(_MEASURES) or not set(group_by) <= _DIMENSIONS:
        return False
    return Dimension.CHANNEL in group_by or OrderMeasure.PAYING_CUSTOMERS in used


async def channel_rows(
    engine: Engine,
    group_by: tuple[Dimension, ...],
    plan: Plan,
    span: Span,
    zone: tzinfo,
    ready: frozenset[str],
) -> tuple[list[str], Rows] | None:
    """(column names, rows) of a covered question as `grouped_with_totals` returns them, or None
    when the channel days are not built (`ready`: the rollup groups built)."""
    if ROLLUP_GROUP not in ready:
        return None
    whole, rest = split_spans([span], Granularity.DAY, zone)
    paying = OrderMeasure.PAYING_CUSTOMERS in plan.measures
    if paying and not set(group_by) >= _ONE_SET:
        return await _grouped_here(engine, group_by, plan, whole, rest, zone)
    statement = _statement(group_by, plan, whole, rest, span, zone, engine.dialect)
    names = [c.name for c in statement.selected_columns]
    if not paying:
        return names, [tuple(row) for row in await engine.fetch(statement)]
    # The totals span many sets: their union, read beside the statement (on another connection).
    rows, exact = await asyncio.gather(engine.fetch(statement), _total_payers(engine, whole, rest))
    at, t = names.index(f"m{plan.measures.index(OrderMeasure.PAYING_CUSTOMERS)}"), names.index("t")
    return names, [tuple(row) if not row[t] else (*row[:at], exact, *row[at + 1 :]) for row in rows]


def _store_key(column: Any) -> ColumnElement[Any]:
    return case((column == 0, null()), else_=column)  # 0: no store


def _statement(
    group_by: tuple[Dimension, ...],
    plan: Plan,
    whole: list[Span],
    rest: list[Span],
    span: Span,
    zone: tzinfo,
    dialect: str,
) -> Select[Any]:
    """`grouped_with_totals` over the channel days of the whole days and the orders of the rest,
    grouped by the keys (each group one row per source when customers are counted)."""
    t = ChannelDay.__table__

    def keys(moment: Any, store: Any, channel: Any) -> list[ColumnElement[Any]]:
        found: list[ColumnElement[Any]] = []
        for i, d in enumerate(group_by):
            if d is Dimension.STORE:
                key: Any = store
            elif d is Dimension.CHANNEL:
                key = channel
            else:
                key = time_key(d, moment, zone, dialect, span)
            found.append(key.label(f"k{i}"))
        return found

    parts: list[Select[Any]] = []
    if whole:
        parts.append(
            select(
                *keys(t.c.day_start, _store_key(t.c.store_id), t.c.channel),
                t.c.paid_orders,
                t.c.paid_amount,
                t.c.payer_count,
            ).where(in_spans(t.c.day_start, whole))
        )
    if rest or not parts:
        grouped = keys(Order.paid_at, Order.store_id, Order.channel)
        raw = select(
            *grouped,
            func.count().label("paid_orders"),
            func.coalesce(func.sum(Order.paid_amount), 0).label("paid_amount"),
            func.count(func.distinct(Order.customer_id)).label("payer_count"),
        ).where(Order.paid_at.is_not(None), in_spans(Order.paid_at, rest))
        parts.append(raw.group_by(*grouped) if grouped else raw)
    facts = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("facts")

    def measure_sql(measure: StrEnum, u: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(u.c[_MEASURES[measure]]), 0)

    return grouped_with_totals(plan, facts, measure_sql, dialect)


async def _total_payers(engine: Engine, whole: list[Span], rest: list[Span]) -> int:
    """Distinct paying customers of the range: the union of the all-stores day sets of the whole
    days and the customers of the orders paid in the partial days (one statement)."""
    s = DaySet.__table__
    sets = select(s.c.members, cast(null(), IdType).label("customer_id")).where(
        s.c.kind == SetKind.PAYING, s.c.store_id == ALL_STORES, in_spans(s.c.day_start, whole)
    )
    customers = (
        select(cast(null(), LargeBinary).label("members"), Order.customer_id)
        .where(in_spans(Order.paid_at, rest))
        .distinct()
    )
    both = union_all(sets, customers).subquery("both")
    found = await engine.fetch(select(both.c.members, both.c.customer_id))
    merged = union([blob for blob, _ in found if blob is not None])
    merged |= BitMap([int(customer) for _, customer in found if customer is not None])
    return len(merged)


def _key_maker(dimension: Dimension) -> Callable[[date, Any, Any], Any]:
    """A key's database value (as `time_key` computes it) from a local day, store and channel."""
    match dimension:
        case Dimension.STORE:
            return lambda day, store, channel: store or None
        case Dimension.CHANNEL:
            return lambda day, store, channel: channel
        case Dimension.DAY:
            return lambda day, store, channel: (day - _EPOCH).days
        case Dimension.WEEK:
            return lambda day, store, channel: ((day - _EPOCH).days + 3) // 7
        case Dimension.MONTH:
            return lambda day, store, channel: f"{day.year:04d}-{day.month:02d}"
        case _:
            return lambda day, store, channel: day.isoweekday()


class _Group:
    __slots__ = ("amount", "count", "customers", "orders", "sets")

    def __init__(self) -> None:
        self.orders = 0
        self.amount = 0
        self.count = 0
        self.sets: list[bytes] = []
        self.customers: set[int] = set()

    def payers(self) -> int:
        if not self.customers and len(self.sets) == 1:
            return self.count
        merged = union(self.sets)
        merged |= BitMap(self.customers)
        return len(merged)

    def value(self, measure: StrEnum) -> int:
        column = _MEASURES[measure]
        if column == "payer_count":
            return self.payers()
        return self.amount if column == "paid_amount" else self.orders


async def _grouped_here(
    engine: Engine,
    group_by: tuple[Dimension, ...],
    plan: Plan,
    whole: list[Span],
    rest: list[Span],
    zone: tzinfo,
) -> tuple[list[str], Rows]:
    """The statement's rows, grouped here (for a question counting paying customers): groups
    spanning several sets count their union."""
    makers = [_key_maker(d) for d in group_by]
    groups: dict[tuple[Any, ...], _Group] = {}

    def group_of(day: date, store: Any, channel: Any) -> _Group:
        key = tuple([make(day, store, channel) for make in makers])
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        return group

    t, o = ChannelDay.__table__, Order
    columns = ("day_start", "store_id", "channel", "paid_orders", "paid_amount", "payer_count", "payers")
    summed = select(*(t.c[c] for c in columns)).where(in_spans(t.c.day_start, whole))
    raw = select(o.paid_at, o.store_id, o.channel, o.customer_id, o.paid_amount)
    raw = raw.where(in_spans(o.paid_at, rest))
    summed_rows, raw_rows, payers = await asyncio.gather(  # each on its own connection
        engine.fetch(summed), engine.fetch(raw), _total_payers(engine, whole, rest)
    )
    days: dict[datetime, date] = {}
    for start, store, channel, orders, amount, count, blob in summed_rows:
        day = days.get(start)
        if day is None:
            day = days[start] = local_day(start, zone)
        group = group_of(day, store, channel)
        group.orders += orders
        group.amount += amount
        group.count += count
        group.sets.append(blob)
    for moment, store, channel, customer, amount in raw_rows:
        group = group_of(local_day(moment, zone), store, channel)
        group.orders += 1
        group.amount += amount
        group.customers.add(customer)
    everything = _Group()
    everything.orders = sum(g.orders for g in groups.values())
    everything.amount = sum(g.amount for g in groups.values())
    totals = tuple(
        payers if m is OrderMeasure.PAYING_CUSTOMERS else everything.value(m) for m in plan.measures
    )
    keys = len(group_by)
    names = [*(f"k{i}" for i in range(keys)), *(f"m{i}" for i in range(len(plan.measures))), "t", "groups"]
    if not keys:
        return names, [(*totals, 1, 1)]
    rows = [(*key, *(group.value(m) for m in plan.measures)) for key, group in groups.items()]
    for measure, compare, bound in plan.having:
        at = keys + plan.measures.index(measure)
        rows = [row for row in rows if compare(row[at], bound)]
    terms = [
        (keys + plan.measures.index(term) if isinstance(term, StrEnum) else term, descending)
        for term, descending in plan.order
    ]
    terms += [(i, False) for i in range(keys)]
    for at, descending in reversed(terms):  # stable sorts, least significant first; NULLs last
        known = [row for row in rows if row[at] is not None]
        known.sort(key=itemgetter(at), reverse=descending)
        rows = known + [row for row in rows if row[at] is None]
    count = len(rows)
    found = [(*(None,) * keys, *totals, 1, count)]
    found += [(*row, 0, count) for row in rows[: plan.limit]]
    return names, found
