"""Exact, mergeable distinct-count summaries: roaring bitmaps of ids per (store, local day).

A *day set* holds, for one store (or every store together: `ALL_STORES`) on one local day, the
set of ids of one kind — paying customers, ordering customers, visitors, product visitors — as
a serialised roaring bitmap. The union of the sets of any stores and whole days is exactly the
set SQL's COUNT(DISTINCT) would count over the raw rows, so a distinct count over a range reads
one small row per day (per store when scoped), whatever the number of orders or page views.

Customers are keyed by their id (below 2³²); visitors by a dense number from the visitor-number
table, since visitor ids are strings. Day sets are derived data, rebuilt from the day rollups
(`services/metrics/sets.py`); pure helpers here serialise and merge them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from pyroaring import BitMap
from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type

MAX_MEMBER = 2**32 - 1
"""Largest id a (32-bit) roaring bitmap holds."""


class SetKind(enum.StrEnum):
    PAYING = "PAYING"
    """customers with an order paid that day (customer days with paid_orders > 0)"""
    ORDERING = "ORDERING"
    """customers who placed an order that day (customer days with placed_orders > 0)"""
    VISITORS = "VISITORS"
    """visitor numbers with a page view that day"""
    PRODUCT_VISITORS = "PRODUCT_VISITORS"
    """visitor numbers with a product page view that day"""


class DaySet(Base):
    """The ids of one kind at one store (or ALL_STORES) on one local day."""

    __tablename__ = "metrics_day_sets"
    __table_args__ = (Index("ix_metrics_day_sets_store", "kind", "store_id", "day_start"),)

    kind: Mapped[SetKind] = mapped_column(enum_type(SetKind), primary_key=True)
    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    members: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    """cardinality of `members` (a one-set span needs no decoding)"""


class VisitorNumber(Base):
    """A dense integer per visitor id, so visitors fit a bitmap. Numbers are never reused."""

    __tablename__ = "metrics_visitor_numbers"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visitor_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)


class DaySetChange(Base):
    """A (store, local day) whose visitor sets must be recomputed: written by page-view ingestion
    in its own transaction (append-only, so concurrent ingestions never contend), consumed by the
    refresh, which deletes exactly the rows it read."""

    __tablename__ = "metrics_day_set_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    day_start: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    store_id: Mapped[int] = mapped_column(IdType, nullable=False)


def encode(members: Iterable[int]) -> tuple[bytes, int]:
    """(serialised bitmap, cardinality); ids outside 0..2³²−1 are refused."""
    bitmap = BitMap()
    for member in members:
        if not 0 <= member <= MAX_MEMBER:
            raise ValueError(f"id {member} does not fit a 32-bit set")
        bitmap.add(member)
    bitmap.run_optimize()
    return bitmap.serialize(), len(bitmap)


def union(blobs: Iterable[bytes]) -> BitMap:
    """The union of serialised bitmaps."""
    sets = [BitMap.deserialize(blob) for blob in blobs]
    return BitMap.union(*sets) if sets else BitMap()
