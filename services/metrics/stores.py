"""Store metrics (门店分析): per store and per region, sales ranking, fulfilment efficiency.

Per-store figures are sums a rollup serves per store (paid orders and amount, refunds, the
fulfilment durations), plus paying customers, which are distinct people and so are counted from
each store's day sets of paying customers (or its customer-day rows for partial days) and,
separately, per region (a customer who paid in two stores of a city
is one paying customer of the city). HQ-warehouse orders belong to no store and no region.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Subquery, case, func, select

from models.enums import StoreSize
from models.metrics.rules import PICK_LIMIT_MINUTES, RegionLevel, average_cents, ratio
from models.stores.rows import Store
from services.metrics.engine import Engine, Row
from services.metrics.facts import ACCEPTED, DELIVERY_ALERTS, PAID, REFUNDED, REJECTED, Fact, Rows
from services.metrics.measures import Measure, distinct, total
from services.metrics.sections import Figure, MetricsQuery

FULFILMENT = {
    name: total(name)
    for name in (
        "accepted_orders",
        "accept_seconds",
        "picked_orders",
        "pick_seconds",
        "delivered_orders",
        "delivery_seconds",
        "delivery_timeouts",
    )
}


def _pick_timeouts(u: Subquery, _: Any) -> Any:
    """Picks over the store's allowance: 30 minutes in large stores, 15 in the others."""
    large = PICK_LIMIT_MINUTES[StoreSize.LARGE]
    standard = PICK_LIMIT_MINUTES[StoreSize.STANDARD]
    over = {15: u.c.picks_over_15m, 30: u.c.picks_over_30m}
    return func.coalesce(
        func.sum(case((Store.size == StoreSize.LARGE, over[large]), else_=over[standard])), 0
    )


TIMEOUTS = {"pick_timeouts": Measure(("picks_over_15m", "picks_over_30m"), _pick_timeouts)}


@dataclass(slots=True)
class StoreFigures:
    """One store's (or region's, or the whole scope's) sums; averages derive from them."""

    paying_customers: int = 0
    paid_orders: int = 0
    paid_amount: int = 0
    refund_amount: int = 0
    accepted_orders: int = 0
    accept_seconds: int = 0
    picked_orders: int = 0
    pick_seconds: int = 0
    pick_timeouts: int = 0
    delivered_orders: int = 0
    delivery_seconds: int = 0
    delivery_timeouts: int = 0
    overdue_orders: int = 0
    """催单: store-delivery orders that passed their promised time before the door (when they did)."""
    no_rider_orders: int = 0
    """配送异常: picked orders that waited too long for a rider (when they started to)."""
    rejections: int = 0

    def add(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if hasattr(self, name) and name != "paying_customers":
                setattr(self, name, getattr(self, name) + int(value or 0))

    @property
    def aov(self) -> int | None:
        return average_cents(self.paid_amount, self.paying_customers)

    @property
    def average_accept_seconds(self) -> float | None:
        return ratio(self.accept_seconds, self.accepted_orders)

    @property
    def average_pick_seconds(self) -> float | None:
        return ratio(self.pick_seconds, self.picked_orders)

    @property
    def average_delivery_seconds(self) -> float | None:
        return ratio(self.delivery_seconds, self.delivered_orders)

    @property
    def reject_rate(self) -> float | None:
        """Rejections (拒单 and acceptance timeouts) / orders the store decided on."""
        return ratio(self.rejections, self.rejections + self.accepted_orders)


def _by_store(u: Subquery) -> list[Any]:
    return [u.c.store_id.label("k")]


def _with_store(stmt: Rows, u: Subquery) -> Rows:
    return stmt.select_from(u.join(Store, Store.id == u.c.store_id))


async def _paying_rows(engine: Engine, spans: list[tuple[Any, Any]]) -> list[Row]:
    """Paying customers per span and store of the engine's scope: from the stores' day sets when
    they answer, else counted from rows."""
    paying = distinct("customer_id")
    from_sets = await engine.distinct_by_store(PAID, "paying_customers", paying, spans)
    if from_sets is not None:
        return from_sets
    measures = {"paying_customers": paying}
    return await engine.grouped(PAID, measures, spans, "store", _by_store, per_store=True)


Part = tuple[Fact, Mapping[str, Measure], Callable[[Rows, Subquery], Rows] | None]

SALES: Part = (PAID, {"paid_orders": total("paid_orders"), "paid_amount": total("paid_amount")}, None)
PARTS: tuple[Part, ...] = (
    SALES,
    (REFUNDED, {"refund_amount": total("refund_amount")}, None),
    (ACCEPTED, FULFILMENT, None),
    (ACCEPTED, TIMEOUTS, _with_store),
    (REJECTED, {"rejections": total("rejections")}, None),
    (
        DELIVERY_ALERTS,
        {"overdue_orders": total("overdue_orders"), "no_rider_orders": total("no_rider_orders")},
        None,
    ),
)
"""The grouped statements of the per-store table: each fills the `StoreFigures` sums it names."""

DERIVED_NEEDS: dict[str, tuple[str, ...]] = {
    "aov": ("paid_amount", "paying_customers"),
    "average_accept_seconds": ("accept_seconds", "accepted_orders"),
    "average_pick_seconds": ("pick_seconds", "picked_orders"),
    "average_delivery_seconds": ("delivery_seconds", "delivered_orders"),
    "reject_rate": ("rejections", "accepted_orders"),
}
"""The sums each derived figure of `StoreFigures` reads."""


async def _gather_rows(
    engine: Engine, spans: list[tuple[Any, Any]], parts: Sequence[Part], paying: bool
) -> list[list[Row]]:
    return await asyncio.gather(
        *(
            engine.grouped(fact, measures, spans, "store", _by_store, join=join, per_store=True)
            for fact, measures, join in parts
        ),
        *([_paying_rows(engine, spans)] if paying else []),
    )


def _fill(out: dict[int, dict[int, StoreFigures]], results: Sequence[list[Row]]) -> None:
    for rows in results:
        for row in rows:
            figures = out[row["b"]][row["k"]]
            figures.add(row)
            if "paying_customers" in row:
                figures.paying_customers = int(row["paying_customers"])


async def _store_rows(
    query: MetricsQuery, spans: list[tuple[Any, Any]], *, paying: bool = True
) -> dict[int, dict[int, StoreFigures]]:
    """span index → store id → sums, for every store with activity in the scope; without `paying`,
    paying customers are left at 0 (a store with a paying customer has a paid order, so the same
    stores have activity)."""
    out: dict[int, dict[int, StoreFigures]] = defaultdict(lambda: defaultdict(StoreFigures))
    _fill(out, await _gather_rows(query.engine, spans, PARTS, paying))
    for per_store in out.values():
        per_store.pop(0, None)  # HQ warehouse: not a store
        # A rollup row can sum to nothing in the range (raw facts never do): no activity, no entry.
        for store_id in [k for k, f in per_store.items() if not any(vars_of(f).values())]:
            del per_store[store_id]
    return out


async def by_store(query: MetricsQuery) -> dict[int, StoreFigures]:
    """Current-period figures per store with activity in the scope."""
    return dict((await _store_rows(query, [query.range.current.counted])).get(0, {}))


async def store_ranking(
    query: MetricsQuery, top: int, fields: Collection[str] | None = None
) -> list[tuple[int, StoreFigures]]:
    """The first `top` of `by_store` by paid amount (ties by store id), with the same figures —
    at least those named in `fields` (`StoreFigures` names, derived ones included; None: all);
    the others may be left at 0.

    The ranking is read from the sales statement alone when it decides it (at least `top` stores
    with a positive paid amount, or every store of the scope has one: a store with activity but
    no paid amount ranks after them); the other figures, paying customers (a union of day sets
    per store) included, are then computed for the ranked stores only.
    """
    span = [query.range.current.counted]
    wanted = _sums_needed(fields)
    out: dict[int, dict[int, StoreFigures]] = defaultdict(lambda: defaultdict(StoreFigures))
    _fill(out, await _gather_rows(query.engine, span, [SALES], False))
    sales = {store: f for store, f in out.get(0, {}).items() if store != 0 and f.paid_amount > 0}
    scope = query.engine.stores
    if len(sales) >= top or (scope is not None and scope <= sales.keys()):
        ranked = sorted(sales.items(), key=lambda kv: (-kv[1].paid_amount, kv[0]))[:top]
        parts = [p for p in PARTS[1:] if wanted & set(p[1])]
        if ranked and (parts or "paying_customers" in wanted):
            chosen = replace(query.engine, stores=frozenset(store for store, _ in ranked))
            rest: dict[int, dict[int, StoreFigures]] = defaultdict(lambda: defaultdict(StoreFigures))
            _fill(rest, await _gather_rows(chosen, span, parts, "paying_customers" in wanted))
            for store, figures in ranked:
                extra = rest.get(0, {}).get(store)
                if extra is not None:
                    figures.add(vars_of(extra))  # its paid sums are 0: not computed again
                    figures.paying_customers = extra.paying_customers
        return ranked
    sums = (await _store_rows(query, span, paying=False)).get(0, {})
    ranked = sorted(sums.items(), key=lambda kv: (-kv[1].paid_amount, kv[0]))[:top]
    if ranked and "paying_customers" in wanted:
        chosen = replace(query.engine, stores=frozenset(store for store, _ in ranked))
        paying = {row["k"]: int(row["paying_customers"]) for row in await _paying_rows(chosen, span)}
        for store, figures in ranked:
            figures.paying_customers = paying.get(store, 0)
    return ranked


def _sums_needed(fields: Collection[str] | None) -> set[str]:
    """The `StoreFigures` sums the named figures read (all of them for None)."""
    if fields is None:
        return set(StoreFigures.__dataclass_fields__)
    needed: set[str] = set()
    for name in fields:
        needed.update(DERIVED_NEEDS.get(name, (name,)))
    return needed & set(StoreFigures.__dataclass_fields__)


async def by_region(query: MetricsQuery, level: RegionLevel) -> dict[tuple[str, ...], StoreFigures]:
    """Current-period figures per region at `level`: the stores' sums, and paying customers
    counted once per region."""
    span = [query.range.current.counted]
    per_store = await by_store(query)
    regions = _region_columns(level)
    async with query.engine.sessions() as session:
        stores = {
            row.id: tuple(row[1:])
            for row in (
                await session.execute(select(Store.id, *regions).where(Store.id.in_(list(per_store))))
            ).all()
        }
    report: dict[tuple[str, ...], StoreFigures] = {}
    for store_id, figures in per_store.items():
        region = report.setdefault(stores[store_id], StoreFigures())
        region.add({k: v for k, v in vars_of(figures).items() if k != "paying_customers"})

    def region_of(u: Subquery) -> list[Any]:
        return [c.label(f"r{i}") for i, c in enumerate(regions)]

    rows = await query.engine.grouped(
        PAID,
        {"paying_customers": distinct("customer_id")},
        span,
        f"region:{level.value}",
        region_of,
        join=_with_store,
        per_store=True,
    )
    for row in rows:
        key = tuple(row[f"r{i}"] for i in range(len(regions)))
        report.setdefault(key, StoreFigures()).paying_customers = int(row["paying_customers"])
    return report


def vars_of(figures: StoreFigures) -> dict[str, int]:
    return {name: getattr(figures, name) for name in StoreFigures.__dataclass_fields__}


def _region_columns(level: RegionLevel) -> list[Any]:
    columns = [Store.province, Store.city, Store.district]
    return columns[: {RegionLevel.PROVINCE: 1, RegionLevel.CITY: 2, RegionLevel.DISTRICT: 3}[level]]


async def fulfilment(query: MetricsQuery) -> dict[str, Figure]:
    """Fulfilment figures over the whole scope: averages in seconds, timeouts, reject rate."""
    spans = query.spans()
    rows = await _store_rows(query, spans)
    totals = []
    for index in range(len(spans)):
        scope = StoreFigures()
        for store in rows.get(index, {}).values():
            scope.add(vars_of(store))
        totals.append(scope)
    current, previous = totals[-1], (totals[0] if query.compare else None)
    names = ("average_accept_seconds", "average_pick_seconds", "average_delivery_seconds", "reject_rate")
    return {
        name: Figure(getattr(current, name), getattr(previous, name) if previous else None, query.compare)
        for name in (
            *names,
            "pick_timeouts",
            "delivery_timeouts",
            "overdue_orders",
            "no_rider_orders",
            "accepted_orders",
            "rejections",
        )
    }
