"""Order lines as facts of the category line hours, and keeping that rollup true to the catalogue.

`LINES_PLACED` and `LINES_PAID` project one row per order line, counted at its order's creation
and payment, with its store and the leaf category it is summed under: the product's entry in
`metrics_line_categories` (`LineCategory`), else its live category. `CATEGORY_LINE_HOURS` sums
them per local hour and leaf category for all stores together (no per-store rows: those would be
about as many as the lines); it belongs to the "orders" refresh group, so the group's partition
recomputation (which recomputes a touched day's all-stores rows) and full build keep it equal to
the lines.

The category map is what makes the rollup exact across catalogue edits: every recomputation first
records the products the map lacks (`take_new_products`), so a rollup row is always the sum of the
lines whose product the map puts in its category. A product moved since (`moved_products`) makes
the map disagree with the catalogue; readers then use the raw rows, and the next refresh of the
group moves it in the map and recomputes the days it sold on (`follow_catalogue`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog.rows import Product
from models.date_ranges import Granularity, day_starts, local_day
from models.metrics.line_rollups import LINE_SUMS, CategoryLineHour, LineCategory
from models.orders.rows import Order, OrderLine
from services.metrics.facts import FEEDS, Fact, RawFilter, Rows
from services.metrics.rollup_tables import Rollup
from services.metrics.sources import build_select
from services.metrics.sql import at, by_cuts, dialect_of

CATEGORY_LINE_HOURS: Final = Rollup(
    CategoryLineHour.__table__,  # type: ignore[arg-type]
    "bucket_start",
    Granularity.HOUR,
    ("category_id",),
    "orders",
    totals=True,
    per_store=False,
)
FOLLOW_DAYS: Final = 7
"""Days `follow_catalogue` recomputes per statement (one CASE branch per hour)."""


def summed_category() -> ColumnElement[int]:
    """The leaf category a line is summed under: the map's, else the product's live one."""
    return func.coalesce(LineCategory.category_id, Product.category_id)


def _line_values(prefix: str) -> list[ColumnElement[Any]]:
    values: dict[str, SQLColumnExpression[Any]] = {
        "lines": literal(1),
        "units": OrderLine.quantity,
        "refunded_units": OrderLine.refunded_quantity,
        "unit_price": OrderLine.unit_price,
        "goods_amount": OrderLine.unit_price * OrderLine.quantity,
        "discount_share": OrderLine.discount_share,
        "paid_amount": OrderLine.paid_amount,
        "refunded_amount": OrderLine.refunded_amount,
    }
    assert tuple(values) == LINE_SUMS
    return [value.label(f"{prefix}_{name}") for name, value in values.items()]


def _lines(moment: Any, prefix: str) -> Callable[[RawFilter, str], Rows]:
    def project(f: RawFilter, dialect: str) -> Rows:
        statement: Select[Any] = (
            select(
                moment.label("at"),
                func.coalesce(Order.store_id, 0).label("store_id"),
                summed_category().label("category_id"),
                *_line_values(prefix),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .outerjoin(LineCategory, LineCategory.product_id == OrderLine.product_id)
            .where(moment.is_not(None), f(moment, Order.store_id))
        )
        return statement

    return project


LINES_PLACED: Final = Fact(
    "lines_placed", _lines(Order.created_at, "placed"), (CATEGORY_LINE_HOURS,), presence="placed_lines"
)
LINES_PAID: Final = Fact(
    "lines_paid", _lines(Order.paid_at, "paid"), (CATEGORY_LINE_HOURS,), presence="paid_lines"
)
FEEDS[CATEGORY_LINE_HOURS.table.name] = (LINES_PLACED, LINES_PAID)


async def take_new_products(session: AsyncSession) -> None:
    """Put the products the map lacks in it, with their live category (before any recomputation)."""
    missing = select(Product.id, Product.category_id).where(
        ~exists(select(LineCategory.product_id).where(LineCategory.product_id == Product.id))
    )
    await session.execute(insert(LineCategory).from_select(["product_id", "category_id"], missing))


async def forget_products(session: AsyncSession) -> None:
    """Empty the map (a full build of the group starts afresh)."""
    await session.execute(delete(LineCategory))


def moved_products() -> Select[Any]:
    """Products whose live category is not the one their lines are summed under."""
    return (
        select(Product.id)
        .join(LineCategory, LineCategory.product_id == Product.id)
        .where(LineCategory.category_id != Product.category_id)
    )


async def follow_catalogue(session: AsyncSession, zone: tzinfo) -> int:
    """Move the moved products in the map and recompute the rollup's days they sold on; returns
    how many products moved."""
    moved = list((await session.scalars(moved_products())).all())
    if not moved:
        return 0
    span = (
        await session.execute(
            select(func.min(Order.created_at), func.max(Order.created_at), func.max(Order.paid_at))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.product_id.in_(moved))
        )
    ).one()
    live = select(Product.category_id).where(Product.id == LineCategory.product_id).scalar_subquery()
    await session.execute(
        update(LineCategory).where(LineCategory.product_id.in_(moved)).values(category_id=live)
    )
    if span[0] is not None:
        last = max(m for m in span[1:] if m is not None)
        first_day, last_day = local_day(span[0], zone), local_day(last, zone)
        day = first_day
        while day <= last_day:
            end = min(day + timedelta(days=FOLLOW_DAYS - 1), last_day)
            await recompute_hours(session, day_starts(day, end, zone))
            day = end + timedelta(days=1)
    return len(moved)


async def recompute_hours(session: AsyncSession, days: list[datetime]) -> None:
    """Replace the rows of the local days [days[0], days[-1]) by the lines' sums."""
    dialect = dialect_of(session)
    rollup = CATEGORY_LINE_HOURS
    t = rollup.table
    hours = [days[0]]
    while hours[-1] + timedelta(hours=1) < days[-1]:
        hours.append(hours[-1] + timedelta(hours=1))
    hours.append(days[-1])

    def bucket(column: Any) -> Any:
        return by_cuts(column, hours, hours[:-1])

    await session.execute(delete(t).where(t.c.bucket_start >= at(days[0]), t.c.bucket_start < at(days[-1])))
    columns = [rollup.time, "store_id", *rollup.keys, *rollup.columns]
    span = [(days[0], days[-1])]
    rows = build_select(rollup, span, None, bucket, dialect, all_stores=True)
    await session.execute(insert(t).from_select(columns, rows))
