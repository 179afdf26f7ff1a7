"""Order aggregates answered from the metrics rollups, when the question allows it.

A question is covered when it reads orders by payment or creation time over a date range, for a
caller who sees every store, with no filter or query string, grouped by at most the store and
time buckets, and measuring only what the hourly order rollup sums: by PAID_AT, COUNT and
PAID_ORDERS (`paid_orders`) and PAID_AMOUNT_SUM (`paid_amount`); by CREATED_AT, COUNT
(`placed_orders`). Distinct customers are not read from the customer days: a day holds about one
row per order, so they are no cheaper than the orders.

The rows are `services.metrics.sources.fact_source`'s: whole hours from the rollup, a partial hour
at an end of the range from the orders themselves, as the metrics read them. A group exists when
it holds an order (a rollup row whose count is positive), so the groups, their values and the
totals are those of the same question over the raw rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, Subquery, case, func, null, select

from models.principals import Principal
from services.analytics.dimensions import Dimension, time_key
from services.analytics.measures import OrderMeasure
from services.analytics.statement import Plan, grouped_with_totals
from services.metrics.facts import PAID, PLACED, Fact
from services.metrics.sources import fact_source, rollup_for

ROLLUP_GROUP: Final = "orders"
"""The refresh group of the rollups read here (`services.metrics.rollups.GROUPS`)."""

_COVERED: Final[Mapping[str, tuple[Fact, Mapping[StrEnum, str]]]] = {
    "PAID_AT": (
        PAID,
        {
            OrderMeasure.COUNT: "paid_orders",
            OrderMeasure.PAID_ORDERS: "paid_orders",
            OrderMeasure.PAID_AMOUNT_SUM: "paid_amount",
        },
    ),
    "CREATED_AT": (PLACED, {OrderMeasure.COUNT: "placed_orders"}),
}
_DIMENSIONS: Final = frozenset(
    {
        Dimension.STORE,
        Dimension.HOUR,
        Dimension.DAY,
        Dimension.WEEK,
        Dimension.MONTH,
        Dimension.HOUR_OF_DAY,
        Dimension.DAY_OF_WEEK,
    }
)
_DAILY: Final = frozenset(
    {Dimension.STORE, Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.DAY_OF_WEEK}
)
"""Keys a row of a whole local day can be grouped by; HOUR and HOUR_OF_DAY need hour rows."""


def covered(
    time: str,
    group_by: tuple[Dimension, ...],
    used: list[StrEnum],
    *,
    plain: bool,
    principal: Principal,
) -> bool:
    """Whether the rollups can answer (before knowing whether they are built). `plain`: orders,
    a date range, no filter, no query."""
    if not plain or not principal.sees_all_stores() or time not in _COVERED:
        return False
    _, measures = _COVERED[time]
    return set(used) <= set(measures) and set(group_by) <= _DIMENSIONS


def rollup_facts(
    time: str,
    group_by: tuple[Dimension, ...],
    used: list[StrEnum],
    span: tuple[Any, Any],
    *,
    zone: tzinfo,
    dialect: str,
    ready: frozenset[str],
) -> Subquery | None:
    """Rows with keys k0.. and the summed columns of a covered question, or None when its rollup
    is not built."""
    fact, measures = _COVERED[time]
    presence = fact.presence
    assert presence is not None
    sums = sorted({presence} | {measures[m] for m in used})
    if ROLLUP_GROUP not in ready or rollup_for(fact, sums, ready) is None:
        return None
    hourly = not _DAILY.issuperset(group_by)
    per_store = Dimension.STORE in group_by  # else a day reads its one all-stores row
    rows = fact_source(
        fact, sums, [span], None, zone=zone, dialect=dialect, ready=ready, per_store=per_store, hourly=hourly
    )
    keys = [_key(d, rows, zone, dialect, span).label(f"k{i}") for i, d in enumerate(group_by)]
    statement = select(*keys, *(rows.c[c] for c in sums)).where(rows.c[presence] > 0)
    return statement.subquery("facts")


def _key(
    dimension: Dimension, rows: Subquery, zone: tzinfo, dialect: str, span: tuple[Any, Any]
) -> ColumnElement[Any]:
    if dimension is Dimension.STORE:
        return case((rows.c.store_id == 0, null()), else_=rows.c.store_id)  # 0: no store
    return time_key(dimension, rows.c.at, zone, dialect, span)  # type: ignore[return-value]


async def rollup_statement(
    time: str,
    group_by: tuple[Dimension, ...],
    plan: Plan,
    span: tuple[Any, Any],
    zone: tzinfo,
    dialect: str,
    ready: frozenset[str],
) -> Select[Any] | None:
    """`statement.grouped_with_totals` over the rollups for a covered question, or None when its
    rollups are not built (`ready`: the groups built)."""
    used = list(plan.measures)
    facts = rollup_facts(time, group_by, used, span, zone=zone, dialect=dialect, ready=ready)
    if facts is None:
        return None
    measures = _COVERED[time][1]

    def measure_sql(measure: StrEnum, u: Subquery) -> ColumnElement[Any]:
        return func.coalesce(func.sum(u.c[measures[measure]]), 0)

    return grouped_with_totals(plan, facts, measure_sql, dialect)
