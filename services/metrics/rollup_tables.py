"""The rollup tables the metrics read: each table's time column, grain, keys and refresh group.

A rollup holds a fact's columns summed per store and local hour, day or week (plus its keys);
which facts feed which rollup is declared with the facts (`services/metrics/facts.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from models.date_ranges import Granularity
from models.metrics.rollups import (
    CustomerDay,
    OrderDay,
    OrderHour,
    ProductSalesDay,
    ProductSalesWeek,
    ProductViewDay,
    ProductViewWeek,
    RefundHour,
    SourceDay,
    TrafficHour,
    VisitorDay,
)


@dataclass(frozen=True, slots=True)
class Rollup:
    table: Table
    time: str
    grain: Granularity
    keys: tuple[str, ...]
    group: str
    """Refresh group: "orders" and "refunds" are recomputed from changed rows, "visits" are
    added to as events are ingested."""
    totals: bool = False
    """The table also holds, per bucket and key, a row for all stores together (store_id
    ALL_STORES): an unscoped question reads those instead of summing every store's rows."""
    per_store: bool = True
    """False: the table holds the all-stores rows only (`totals` must be set); it serves unscoped
    questions not grouped by store, and a refresh recomputes a day's all-stores rows alone."""
    summed_from: Rollup | None = None
    """The table holds only all-stores rows, each the sum of this finer rollup's all-stores rows
    in its bucket (recomputed from them, not from raw rows): it serves unscoped questions only."""

    @property
    def columns(self) -> tuple[str, ...]:
        skip = {self.time, "store_id", *self.keys}
        return tuple(c.name for c in self.table.columns if c.name not in skip)


ORDER_HOURS = Rollup(OrderHour.__table__, "bucket_start", Granularity.HOUR, (), "orders")  # type: ignore[arg-type]
ORDER_DAYS = Rollup(OrderDay.__table__, "day_start", Granularity.DAY, (), "orders", totals=True)  # type: ignore[arg-type]
PRODUCT_SALES_DAYS = Rollup(
    ProductSalesDay.__table__,  # type: ignore[arg-type]
    "day_start",
    Granularity.DAY,
    ("product_id",),
    "orders",
    totals=True,
)
PRODUCT_SALES_WEEKS = Rollup(
    ProductSalesWeek.__table__,  # type: ignore[arg-type]
    "week_start",
    Granularity.WEEK,
    ("product_id",),
    "orders",
    summed_from=PRODUCT_SALES_DAYS,
)
CUSTOMER_DAYS = Rollup(
    CustomerDay.__table__,  # type: ignore[arg-type]
    "day_start",
    Granularity.DAY,
    ("customer_id",),
    "orders",
)
REFUND_HOURS = Rollup(RefundHour.__table__, "bucket_start", Granularity.HOUR, (), "refunds")  # type: ignore[arg-type]
TRAFFIC_HOURS = Rollup(TrafficHour.__table__, "bucket_start", Granularity.HOUR, (), "visits")  # type: ignore[arg-type]
PRODUCT_VIEW_DAYS = Rollup(
    ProductViewDay.__table__,  # type: ignore[arg-type]
    "day_start",
    Granularity.DAY,
    ("product_id",),
    "visits",
    totals=True,
)
PRODUCT_VIEW_WEEKS = Rollup(
    ProductViewWeek.__table__,  # type: ignore[arg-type]
    "week_start",
    Granularity.WEEK,
    ("product_id",),
    "visits",
    summed_from=PRODUCT_VIEW_DAYS,
)
VISITOR_DAYS = Rollup(
    VisitorDay.__table__,  # type: ignore[arg-type]
    "day_start",
    Granularity.DAY,
    ("visitor_id",),
    "visits",
)
SOURCE_DAYS = Rollup(
    SourceDay.__table__,  # type: ignore[arg-type]
    "day_start",
    Granularity.DAY,
    ("source", "visitor_id"),
    "visits",
)
