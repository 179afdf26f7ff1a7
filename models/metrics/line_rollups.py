"""Order lines pre-summed per leaf category, store and local hour, and the category map they use.

`CategoryLineHour` holds, per local hour and *leaf* category (the product's own category), the
sums of the order lines of all stores (store_id ALL_STORES: no per-store rows, which would be
about as many as the lines) counted at their order's creation (`placed_*`) and at its payment
(`paid_*`). A line is summed under the category
its product has in `LineCategory`, never under the live `products.category_id`: the two agree
unless a product was moved since the rollup last followed the catalogue, and readers check that
(`services/analytics/line_rollups.py`) before they use the rows. Top-level and second-level
categories are derived from the leaf at read time, so moving a category under another parent
needs no recomputation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime
from models.metrics.rollups import Total


def _total() -> Mapped[int]:
    return mapped_column(Total, default=0, nullable=False)


LINE_SUMS = (
    "lines",
    "units",
    "refunded_units",
    "unit_price",
    "goods_amount",
    "discount_share",
    "paid_amount",
    "refunded_amount",
)
"""The summed line columns, each held twice: `placed_<name>` and `paid_<name>`."""


class CategoryLineHour(Base):
    """Order lines of every store in one leaf category and local hour, by order creation and by
    payment (each counted at its own moment)."""

    __tablename__ = "metrics_category_line_hours"

    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    store_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    category_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    placed_lines: Mapped[int] = _total()
    placed_units: Mapped[int] = _total()
    placed_refunded_units: Mapped[int] = _total()
    placed_unit_price: Mapped[int] = _total()
    placed_goods_amount: Mapped[int] = _total()
    placed_discount_share: Mapped[int] = _total()
    placed_paid_amount: Mapped[int] = _total()
    placed_refunded_amount: Mapped[int] = _total()
    paid_lines: Mapped[int] = _total()
    paid_units: Mapped[int] = _total()
    paid_refunded_units: Mapped[int] = _total()
    paid_unit_price: Mapped[int] = _total()
    paid_goods_amount: Mapped[int] = _total()
    paid_discount_share: Mapped[int] = _total()
    paid_paid_amount: Mapped[int] = _total()
    paid_refunded_amount: Mapped[int] = _total()


class LineCategory(Base):
    """The leaf category each product's lines are summed under in `CategoryLineHour` (no foreign
    key: derived data, rebuilt with the rollup)."""

    __tablename__ = "metrics_line_categories"

    product_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    category_id: Mapped[int] = mapped_column(IdType, nullable=False)
