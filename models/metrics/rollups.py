"""Pre-aggregated metric tables (rollups) and their refresh state.

Rollups are derived data: each row is the sum of raw rows (orders, after-sales, visit events) of
one store in one local hour, or of one product (or one visitor) at one store on one local day
(the product tables also per local week, for all stores together only).
`services/metrics/rollups.py` rebuilds any of them from the raw rows at any time, so they can always be
dropped and recomputed; `services/metrics/facts.py` defines what each column sums.

Every table is read by time (its primary key starts with it) and, for a store's staff, by store
and time (a secondary index).

Keys: `bucket_start` / `day_start` / `week_start` is the UTC instant at which the local hour /
day / week (from Monday) begins in the business time zone (`models.date_ranges.local_hour_start`
/ `local_day_start`), so a range of local days is a plain timestamp range on both SQLite and
PostgreSQL. `store_id` is 0 for rows
without a store (HQ-warehouse orders, page views outside any store) and -1 (ALL_STORES) for the
all-stores rows of the product tables; there is no foreign key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.after_sales.rows import AfterSale
from models.base import Base, IdType, UtcDateTime, enum_type
from models.enums import SourceChannel
from models.orders.rows import AllocationRecord, Order

ALL_STORES = -1
"""store_id of the rows that sum every store (product rollups), read by unscoped questions."""

Total = BigInteger().with_variant(Integer(), "sqlite")
"""Sums of cents or seconds: 64-bit on PostgreSQL (SQLite integers are 64-bit anyway)."""


def _total() -> Mapped[int]:
    return mapped_column(Total, default=0, nullable=False)


class OrderSums:
    """The order figures of one store, each counted at its own moment: placed (created_at), paid
    (paid_at), accepted and fulfilled (accepted_at), rejected (the allocation record)."""

    placed_orders: Mapped[int] = _total()
    valid_orders: Mapped[int] = _total()
    valid_turnover: Mapped[int] = _total()
    invalid_orders: Mapped[int] = _total()
    invalid_loss: Mapped[int] = _total()
    paid_orders: Mapped[int] = _total()
    paid_amount: Mapped[int] = _total()
    accepted_orders: Mapped[int] = _total()
    accept_seconds: Mapped[int] = _total()
    picked_orders: Mapped[int] = _total()
    pick_seconds: Mapped[int] = _total()
    picks_over_15m: Mapped[int] = _total()
    picks_over_30m: Mapped[int] = _total()
    delivered_orders: Mapped[int] = _total()
    delivery_seconds: Mapped[int] = _total()
    delivery_timeouts: Mapped[int] = _total()
    """Store-delivery orders delivered after their promised time (超时配送)."""
    rejections: Mapped[int] = _total()


class OrderHour(OrderSums, Base):
    """Orders of one store in one local hour."""

    __tablename__ = "metrics_order_hours"
    __table_args__ = (Index("ix_metrics_order_hours_store", "store_id", "bucket_start"),)

    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)


class OrderDay(OrderSums, Base):
    """The order hours of one store summed per local day, and per day for all stores together
    (store_id ALL_STORES): whole days of a range read one row per day (per store when grouped)."""

    __tablename__ = "metrics_order_days"
    __table_args__ = (Index("ix_metrics_order_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)


class RefundHour(Base):
    """Refunds (after-sales that reached REFUNDED) of one store in one local hour of refunded_at."""

    __tablename__ = "metrics_refund_hours"
    __table_args__ = (Index("ix_metrics_refund_hours_store", "store_id", "bucket_start"),)

    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    refunds: Mapped[int] = _total()
    refund_amount: Mapped[int] = _total()


class TrafficHour(Base):
    """Page views of one store in one local hour."""

    __tablename__ = "metrics_traffic_hours"
    __table_args__ = (Index("ix_metrics_traffic_hours_store", "store_id", "bucket_start"),)

    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    pv: Mapped[int] = _total()
    product_pv: Mapped[int] = _total()
    dwell_ms: Mapped[int] = _total()


class ProductSalesDay(Base):
    """Units and amount paid for one product at one store on one local day (by paid_at)."""

    __tablename__ = "metrics_product_sales_days"
    __table_args__ = (Index("ix_metrics_product_sales_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    units_sold: Mapped[int] = _total()
    sales_amount: Mapped[int] = _total()


class CustomerDay(Base):
    """One customer's orders placed and paid at one store on one local day: the exact
    de-duplication behind ordering and paying customer counts (as visitor days are for visitors)."""

    __tablename__ = "metrics_customer_days"
    __table_args__ = (Index("ix_metrics_customer_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    placed_orders: Mapped[int] = _total()
    paid_orders: Mapped[int] = _total()


class ProductViewDay(Base):
    """Page views naming one product at one store on one local day (its exposure)."""

    __tablename__ = "metrics_product_view_days"
    __table_args__ = (Index("ix_metrics_product_view_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    pv: Mapped[int] = _total()


class VisitorDay(Base):
    """One visitor at one store on one local day: the exact de-duplication behind visitor counts
    (UV over any set of whole days is COUNT(DISTINCT visitor_id) of these rows)."""

    __tablename__ = "metrics_visitor_days"
    __table_args__ = (Index("ix_metrics_visitor_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pv: Mapped[int] = _total()
    product_pv: Mapped[int] = _total()
    dwell_ms: Mapped[int] = _total()


class SourceDay(Base):
    """One visitor from one source (访客来源) at one store on one local day: visitors and page
    views per source. Kept apart from visitor days, which are a third smaller without the source."""

    __tablename__ = "metrics_source_days"
    __table_args__ = (Index("ix_metrics_source_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    source: Mapped[SourceChannel] = mapped_column(enum_type(SourceChannel), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pv: Mapped[int] = _total()


class ProductSalesWeek(Base):
    """Units and amount paid for one product at every store together (store_id ALL_STORES) in one
    local week (Monday to Sunday, by paid_at): the all-stores product-day rows of the week, summed."""

    __tablename__ = "metrics_product_sales_weeks"

    week_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    units_sold: Mapped[int] = _total()
    sales_amount: Mapped[int] = _total()


class ProductViewWeek(Base):
    """Page views naming one product at every store together (ALL_STORES) in one local week."""

    __tablename__ = "metrics_product_view_weeks"

    week_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    pv: Mapped[int] = _total()


class RollupState(Base):
    """How far each group of rollups is built.

    `seen_until` is the largest `updated_at` of the source rows folded in (the high-water mark
    the next refresh starts from, minus an overlap); `zone` and `version` say what the rows were
    built with: when either differs from the running code, the group is rebuilt from scratch.
    """

    __tablename__ = "metrics_rollup_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    seen_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime())


# Indexes on the source tables that the incremental refresh needs: finding rows changed since the
# high-water mark, and recomputing one day of a figure counted at accepted_at / refunded_at /
# the allocation time. They are declared here, beside their only user, and attach to those tables.
SOURCE_INDEXES = (
    Index("ix_orders_updated_at", Order.updated_at),
    Index("ix_orders_accepted_at", Order.accepted_at),
    Index("ix_after_sales_updated_at", AfterSale.updated_at),
    Index("ix_after_sales_refunded_at", AfterSale.refunded_at),
    Index("ix_allocation_records_created_at", AllocationRecord.created_at),
)
