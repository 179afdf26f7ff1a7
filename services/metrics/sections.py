"""The metrics of SPEC §5 (campaign metrics aside) as sections of figures over a date range.

A section lists base measures per fact and figures derived from them (rates, averages). Each
figure is computed for the range (value), for the previous period when asked to compare, and
per bucket of a series; all through `Engine.by_spans`, so the same definitions serve every
granularity, every store scope and both sources (rollups or raw rows).

`open_metrics` builds the per-request `MetricsQuery` from the caller's principal and arguments:
it resolves the range in the business time zone and the effective store scope (HQ and analysts
all stores, staff only theirs, in SQL), and wires the cache, the analyst statement timeout and
the rollup freshness check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Subquery, case, exists, func, select

from models.date_ranges import Bucket, Granularity, Range, series_buckets
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.metrics.rules import average_cents, change, ratio
from models.principals import Principal
from models.stores.rows import Store
from models.visits import VisitEvent
from services.cache import Cache
from services.db import SessionFactory
from services.metrics.engine import Engine, Values
from services.metrics.facts import (
    LINE_SALES,
    ORDERERS,
    PAID,
    PAYERS,
    PLACED,
    PRODUCT_VIEWS,
    REFUNDED,
    REGISTERED,
    VISITS,
    Fact,
)
from services.metrics.freshness import freshen
from services.metrics.measures import (
    Measure,
    count_by_first,
    distinct,
    distinct_by_first,
    sum_by_first,
    total,
)
from services.metrics.sql import Span, at

Number = int | float | None
Derive = Callable[[Values], Number]


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    parts: tuple[tuple[Fact, Mapping[str, Measure]], ...]
    derived: Mapping[str, Derive]

    def __post_init__(self) -> None:
        names = [name for _, measures in self.parts for name in measures]
        clashes = {n for n in names if names.count(n) > 1} | (set(names) & set(self.derived))
        assert not clashes, f"section {self.name}: figure names used twice: {sorted(clashes)}"


@dataclass(frozen=True, slots=True)
class Figure:
    value: Number
    previous: Number
    compared: bool

    @property
    def change(self) -> float | None:
        return change(self.value, self.previous) if self.compared else None


@dataclass(frozen=True, slots=True)
class Point:
    bucket: Bucket
    value: Number


def _new_visitors(u: Subquery, spans: Sequence[Span]) -> ColumnElement[Any]:
    """Visitors whose first visit ever (at any store) is inside the row's span."""
    span_start = case(*((u.c.b == i, at(start)) for i, (start, _) in enumerate(spans)))
    earlier = exists(
        select(VisitEvent.id).where(
            VisitEvent.visitor_id == u.c.visitor_id, VisitEvent.occurred_at < span_start
        )
    )
    return func.count(func.distinct(case((~earlier, u.c.visitor_id))))


PAYING = distinct("customer_id")
VISITORS = distinct("visitor_id")

TRADE = Section(
    "trade",
    (
        (PAID, {"paid_orders": total("paid_orders"), "paid_amount": total("paid_amount")}),
        (PAID, {"paying_customers": PAYING}),
        (
            PLACED,
            {
                "valid_orders": total("valid_orders"),
                "turnover": total("valid_turnover"),
                "invalid_orders": total("invalid_orders"),
                "invalid_loss": total("invalid_loss"),
            },
        ),
    ),
    {"aov": lambda v: average_cents(v["paid_amount"], v["paying_customers"])},
)

FUNNEL = Section(
    "funnel",
    (
        (VISITS, {"visitors": VISITORS}),
        (PLACED, {"ordering_customers": distinct("customer_id")}),
        (PAID, {"paying_customers": PAYING}),
    ),
    {
        "visit_to_order": lambda v: ratio(v["ordering_customers"], v["visitors"]),
        "order_to_pay": lambda v: ratio(v["paying_customers"], v["ordering_customers"]),
        "visit_to_pay": lambda v: ratio(v["paying_customers"], v["visitors"]),
    },
)

REFUNDS = Section(
    "refunds",
    (
        (REFUNDED, {"refund_amount": total("refund_amount"), "refunds": total("refunds")}),
        (REFUNDED, {"refunded_orders": distinct("order_id")}),
        (PAID, {"paid_orders": total("paid_orders")}),
    ),
    {"refund_rate": lambda v: ratio(v["refunded_orders"], v["paid_orders"])},
)

PRODUCTS = Section(
    "products",
    (
        (VISITS, {"product_pv": total("product_pv")}),
        (VISITS, {"product_uv": distinct("visitor_id", when="product_pv")}),
        (PRODUCT_VIEWS, {"products_visited": distinct("product_id")}),
        (
            LINE_SALES,
            {
                "products_purchased": distinct("product_id", when="units_sold"),
                "units_sold": total("units_sold"),
                "sales_amount": total("sales_amount"),
            },
        ),
    ),
    {},
)

TRAFFIC = Section(
    "traffic",
    (
        (VISITS, {"pv": total("pv"), "dwell_ms": total("dwell_ms")}),
        (VISITS, {"visitors": VISITORS}),
        (VISITS, {"new_visitors": Measure(("visitor_id",), _new_visitors)}),
        (PAID, {"paying_customers": PAYING}),
    ),
    {
        "average_dwell_seconds": lambda v: None if not v["pv"] else v["dwell_ms"] / v["pv"] / 1000,
        "pv_per_visitor": lambda v: ratio(v["pv"], v["visitors"]),
        "visit_to_pay": lambda v: ratio(v["paying_customers"], v["visitors"]),
    },
)


def _segment(prefix: str, new: bool) -> dict[str, Measure]:
    return {
        f"{prefix}_customers": distinct_by_first("customer_id", "first_paid_at", new=new),
        f"{prefix}_orders": count_by_first("first_paid_at", new=new),
        f"{prefix}_amount": sum_by_first("paid_amount", "first_paid_at", new=new),
    }


def _segment_figures(prefix: str) -> dict[str, Derive]:
    return {
        f"{prefix}_share": lambda v: ratio(v[f"{prefix}_customers"], v["paying_customers"]),
        f"{prefix}_aov": lambda v: average_cents(v[f"{prefix}_amount"], v[f"{prefix}_customers"]),
        f"{prefix}_visit_to_pay": lambda v: ratio(v[f"{prefix}_customers"], v["visitors"]),
    }


CUSTOMERS = Section(
    "customers",
    (
        (VISITS, {"visitors": VISITORS}),
        (REGISTERED, {"registered_customers": total("registered")}),
        (PAID, {"paid_orders": total("paid_orders"), "paid_amount": total("paid_amount")}),
        (PAID, {"paying_customers": PAYING}),
        (PAYERS, {**_segment("new", True), **_segment("returning", False)}),
        (
            ORDERERS,
            {
                "ordering_customers": distinct("customer_id"),
                "ordering_returning": distinct_by_first("customer_id", "first_paid_at", new=False),
            },
        ),
    ),
    {
        "aov": lambda v: average_cents(v["paid_amount"], v["paying_customers"]),
        "visit_to_pay": lambda v: ratio(v["paying_customers"], v["visitors"]),
        "repurchase_rate": lambda v: ratio(v["ordering_returning"], v["ordering_customers"]),
        **_segment_figures("new"),
        **_segment_figures("returning"),
    },
)


def base_names(section: Section, names: Sequence[str]) -> set[str]:
    """The base measures the named figures need (a derived figure is run once on a recorder)."""
    needed: set[str] = set()

    class Recorder(dict[str, int]):
        def __missing__(self, key: str) -> int:
            needed.add(key)
            return 1  # non-zero: no derivation short-circuits before reading all it needs

    for name in names:
        derive = section.derived.get(name)
        if derive is None:
            needed.add(name)
        else:
            derive(Recorder())
    return needed


@dataclass(slots=True)
class MetricsQuery:
    """One request's metrics. Figures asked for in the same resolver round are computed together:
    one statement per fact and source, whatever the number of figures selected."""

    engine: Engine
    range: Range
    compare: bool
    zone: tzinfo
    _loaders: dict[tuple[str, Granularity | None], DataLoader[str, Any]] = field(default_factory=dict)

    @property
    def stores(self) -> frozenset[int] | None:
        return self.engine.stores

    def spans(self) -> list[Span]:
        spans = [self.range.current.counted]
        return [self.range.previous.counted, *spans] if self.compare else spans

    async def _values(self, section: Section, spans: Sequence[Span], names: Sequence[str]) -> list[Values]:
        wanted = base_names(section, names)
        merged: list[Values] = [{} for _ in spans]
        asked = [
            (fact, {k: m for k, m in measures.items() if k in wanted}) for fact, measures in section.parts
        ]
        # At once: the statements of one round go out together (and the day-set reads in one).
        answers = await asyncio.gather(
            *(self.engine.by_spans(f, chosen, spans) for f, chosen in asked if chosen)
        )
        for answer in answers:
            for i, values in enumerate(answer):
                merged[i].update(values)
        return merged

    def _loader(self, section: Section, granularity: Granularity | None) -> DataLoader[str, Any]:
        key = (section.name, granularity)
        loader = self._loaders.get(key)
        if loader is None:

            async def batch(names: Sequence[str]) -> list[Any]:
                if granularity is None:
                    return await self._figures(section, names)
                return await self._series(section, names, granularity)

            loader = self._loaders[key] = DataLoader(batch)
        return loader

    async def figure(self, section: Section, name: str) -> Figure:
        """Value for the range, previous value (when comparing) and change."""
        result: Figure = await self._loader(section, None).load(name)
        return result

    async def series(self, section: Section, name: str, granularity: Granularity) -> list[Point]:
        """The figure per bucket of the current period (the whole period: future buckets are 0)."""
        result: list[Point] = await self._loader(section, granularity).load(name)
        return result

    async def _figures(self, section: Section, names: Sequence[str]) -> list[Figure]:
        values = await self._values(section, self.spans(), names)
        current, previous = values[-1], (values[0] if self.compare else None)
        return [
            Figure(
                _figure(section, name, current),
                None if previous is None else _figure(section, name, previous),
                self.compare,
            )
            for name in names
        ]

    async def _series(
        self, section: Section, names: Sequence[str], granularity: Granularity
    ) -> list[list[Point]]:
        buckets = series_buckets(self.range.current, granularity, self.zone)
        values = await self._values(section, [(b.start, b.end) for b in buckets], names)
        return [
            [Point(b, _figure(section, name, v)) for b, v in zip(buckets, values, strict=True)]
            for name in names
        ]


def _figure(section: Section, name: str, values: Values) -> Number:
    derive = section.derived.get(name)
    return derive(values) if derive is not None else values[name]


async def scope_of(
    sessions: SessionFactory,
    principal: Principal,
    store_ids: Sequence[int] | None,
    region: tuple[str | None, str | None, str | None] | None,
) -> frozenset[int] | None:
    """The stores a request may count: the caller's scope ∩ `store_ids` ∩ the region's stores.

    None means every store, including HQ-warehouse orders and store-less page views; staff asking
    for a store outside their scope are refused rather than silently given zeros.
    """
    if principal.role is Role.STORE_STAFF:
        allowed: frozenset[int] | None = principal.store_ids
    elif principal.sees_all_stores():
        allowed = None
    else:
        raise DomainError(ErrorCode.FORBIDDEN, "metrics are for the back office")
    scope = allowed
    if store_ids:
        wanted = frozenset(store_ids)
        if allowed is not None and not wanted <= allowed:
            raise DomainError(ErrorCode.FORBIDDEN, "one of storeIds is outside your stores", "storeIds")
        scope = wanted
    if region is not None and any(region):
        province, city, district = region
        stmt = select(Store.id)
        for column, value in ((Store.province, province), (Store.city, city), (Store.district, district)):
            if value:
                stmt = stmt.where(column == value)
        async with sessions() as session:
            in_region = frozenset((await session.scalars(stmt)).all())
        scope = in_region if scope is None else scope & in_region
    return scope


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    zone: tzinfo
    cache_seconds: float
    analyst_timeout_ms: int
    rollup_max_age: timedelta
    use_rollups: bool = True


def open_metrics(
    *,
    primary: SessionFactory,
    analytics: SessionFactory,
    dialect: str,
    cache: Cache | None,
    config: MetricsConfig,
    principal: Principal,
    range_: Range,
    stores: frozenset[int] | None,
    compare: bool,
    now: datetime,
) -> MetricsQuery:
    """Wire one request: reads on `analytics` (the replica, or the primary when there is none);
    the rollup freshness check and refresh always on the primary."""

    async def prepare() -> frozenset[str]:
        if not config.use_rollups:
            return frozenset()
        return await freshen(primary, config.zone, now, config.rollup_max_age)

    engine = Engine(
        sessions=analytics,
        zone=config.zone,
        dialect=dialect,
        stores=stores,
        prepare=prepare,
        cache=cache,
        cache_seconds=config.cache_seconds,
        timeout_ms=config.analyst_timeout_ms if principal.role is Role.ANALYST else 0,
    )
    return MetricsQuery(engine, range_, compare, config.zone)
