"""Order-line aggregates answered from the category line hours, when the question allows it.

A question is covered when it reads order lines by creation or payment time over a date range,
with no filter or query string, for a caller who sees every store, grouped by at most
CATEGORY_L1, CATEGORY_L2 and time buckets, and measuring only sums the rollup holds (`_SUMS`).
The rollup holds all-stores rows only, so a store's staff and STORE groupings read the lines.

The rows are `services.metrics.sources.fact_source`'s: whole local hours from
`metrics_category_line_hours`, the partial hours at the ends of the range from the lines. A row's
leaf category is mapped to its top-level and second-level category at read time from the live
categories. The rollup sums lines under the category map of `services.metrics.line_facts`; while
a product's live category differs from the map (`moved_products`), the question is answered
from the raw rows instead. So groups (those holding a line), values and totals are those of the
same question over the raw rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, Subquery, exists, func, select

from models.principals import Principal
from services.analytics.dimensions import TIME_BUCKETS, CategoryTable, Dimension, key_expression, time_key
from services.analytics.measures import LineMeasure
from services.analytics.statement import Plan, grouped_with_totals
from services.db import SessionFactory
from services.metrics.facts import Fact
from services.metrics.line_facts import CATEGORY_LINE_HOURS, LINES_PAID, LINES_PLACED, moved_products
from services.metrics.sources import fact_source, rollup_for

_FACTS: Final[Mapping[str, Fact]] = {"CREATED_AT": LINES_PLACED, "PAID_AT": LINES_PAID}
_SUMS: Final[Mapping[StrEnum, str]] = {
    LineMeasure.COUNT: "lines",
    LineMeasure.UNITS: "units",
    LineMeasure.REFUNDED_UNITS: "refunded_units",
    LineMeasure.UNIT_PRICE_SUM: "unit_price",
    LineMeasure.GOODS_AMOUNT_SUM: "goods_amount",
    LineMeasure.DISCOUNT_SHARE_SUM: "discount_share",
    LineMeasure.PAID_AMOUNT_SUM: "paid_amount",
    LineMeasure.REFUNDED_AMOUNT_SUM: "refunded_amount",
}
"""Measure → summed column (prefixed `placed_` or `paid_` by the time field)."""
_CATEGORIES: Final = frozenset({Dimension.CATEGORY_L1, Dimension.CATEGORY_L2})
_DIMENSIONS: Final = _CATEGORIES | TIME_BUCKETS


def covered_lines(
    time: str, group_by: tuple[Dimension, ...], used: list[StrEnum], *, plain: bool, principal: Principal
) -> bool:
    """Whether the rollup can answer (before knowing whether it is built and follows the
    catalogue). `plain`: order lines, a date range, no filter, no query."""
    if not plain or time not in _FACTS or not principal.sees_all_stores():
        return False
    return set(used) <= set(_SUMS) and set(group_by) <= _DIMENSIONS


async def follows_catalogue(sessions: SessionFactory) -> bool:
    """No product was moved to another category since the rollup summed its lines."""
    async with sessions() as session:
        return not bool(await session.scalar(select(exists(moved_products()))))


def line_rollup_statement(
    time: str,
    group_by: tuple[Dimension, ...],
    plan: Plan,
    span: tuple[Any, Any],
    *,
    zone: tzinfo,
    dialect: str,
    ready: frozenset[str],
) -> Select[Any] | None:
    """`statement.grouped_with_totals` over the category line hours for a covered question, or
    None when the rollup is not built (`ready`: the groups built)."""
    fact = _FACTS[time]
    prefix = "placed" if fact is LINES_PLACED else "paid"
    presence = f"{prefix}_lines"
    columns = {m: f"{prefix}_{_SUMS[m]}" for m in plan.measures}
    sums = sorted({presence, *columns.values()})
    needed = ["category_id", *sums]
    if CATEGORY_LINE_HOURS.group not in ready or rollup_for(fact, needed, ready) is None:
        return None
    rows = fact_source(fact, needed, [span], None, zone=zone, dialect=dialect, ready=ready, hourly=True)
    keys = [_key(d, rows, zone, dialect, span).label(f"k{i}") for i, d in enumerate(group_by)]
    statement = select(*keys, *(rows.c[c] for c in sums)).where(rows.c[presence] > 0)
    if _CATEGORIES & set(group_by):
        statement = statement.join(CategoryTable, CategoryTable.id == rows.c.category_id)
    facts = statement.subquery("facts")

    def measure_sql(measure: StrEnum, u: Subquery) -> ColumnElement[Any]:
        return func.coalesce(func.sum(u.c[columns[measure]]), 0)

    return grouped_with_totals(plan, facts, measure_sql, dialect)


def _key(
    dimension: Dimension, rows: Subquery, zone: tzinfo, dialect: str, span: tuple[Any, Any]
) -> ColumnElement[Any]:
    if dimension in _CATEGORIES:
        return key_expression(dimension, rows.c.at, zone, dialect, span)  # type: ignore[return-value]
    return time_key(dimension, rows.c.at, zone, dialect, span)  # type: ignore[return-value]
