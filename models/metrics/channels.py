"""Paid orders per store, local day and sales channel, with the exact set of their paying customers.

One row per (local day, store, channel) holding an order paid that day (`paid_at`): the paid
orders, their paid amount and the customers who paid them as a serialised roaring bitmap
(`models/metrics/sets.py`'s format) with its cardinality. A group of exactly one row counts its
paying customers as `payer_count`; groups of several rows (days, stores or channels together)
need the union of their bitmaps. Derived data, rebuilt from the orders with the orders rollup
group (`services/metrics/channels.py`); `store_id` is 0 for orders without a store.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type
from models.enums import OrderChannel
from models.metrics.rollups import Total


class ChannelDay(Base):
    """The orders of one store and sales channel paid on one local day."""

    __tablename__ = "metrics_channel_days"
    __table_args__ = (Index("ix_metrics_channel_days_store", "store_id", "day_start"),)

    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    channel: Mapped[OrderChannel] = mapped_column(enum_type(OrderChannel), primary_key=True)
    paid_orders: Mapped[int] = mapped_column(Total, nullable=False)
    paid_amount: Mapped[int] = mapped_column(Total, nullable=False)
    payer_count: Mapped[int] = mapped_column(Integer, nullable=False)
    """cardinality of `payers`"""
    payers: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """the paying customers' ids, a serialised roaring bitmap"""
