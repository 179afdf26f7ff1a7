"""Order aggregates answered from the metrics rollups, when the question allows it.

A question is covered when it reads orders by payment or creation time over a date range, for a
caller who sees every store, with no filter or query string, grouped by at most the store and
time buckets, and measuring only what the rollups sum:

- by PAID_AT: COUNT and PAID_ORDERS (`paid_orders`), PAID_AMOUNT_SUM (`paid_amount`),
  DISTINCT_CUSTOMERS and PAYING_CUSTOMERS (distinct `customer_id` of the customer days);
- by CREATED_AT: COUNT (`placed_orders`) and DISTINCT_CUSTOMERS.

Sums come from the hourly order rollup, so any time bucket works; distinct customers come from
the daily customer rollup, so then only DAY, WEEK, MONTH and DAY_OF_WEEK do. The rows are
`services.metrics_sources.fact_source`'s: whole buckets from the rollup, a partial hour or day at
an end of the range from the orders themselves, which is how the metrics read them too. A group
exists when it holds an order (a rollup row whose count is positive), so the groups, their values
and the totals are those of the same question over the raw rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, Subquery, case, func, literal, null, select, union_all

from models.principals import Principal
from services.analytics.dimensions import Dimension, time_key
from services.analytics.measures import OrderMeasure
from services.analytics.statement import Plan, grouped_with_totals
from services.metrics_facts import PAID, PLACED, Fact, Rows
from services.metrics_sources import fact_source, rollup_for

ROLLUP_GROUP: Final = "orders"
"""The refresh group of the rollups read here (`services.rollups.GROUPS`)."""

_SUM: Final = "sum"
_DISTINCT: Final = "distinct"

_COVERED: Final[Mapping[str, tuple[Fact, Mapping[StrEnum, tuple[str, str]]]]] = {
    "PAID_AT": (
        PAID,
        {
            OrderMeasure.COUNT: (_SUM, "paid_orders"),
            OrderMeasure.PAID_ORDERS: (_SUM, "paid_orders"),
            OrderMeasure.PAID_AMOUNT_SUM: (_SUM, "paid_amount"),
            OrderMeasure.DISTINCT_CUSTOMERS: (_DISTINCT, "customer_id"),
            OrderMeasure.PAYING_CUSTOMERS: (_DISTINCT, "customer_id"),
        },
    ),
    "CREATED_AT": (
        PLACED,
        {
            OrderMeasure.COUNT: (_SUM, "placed_orders"),
            OrderMeasure.DISTINCT_CUSTOMERS: (_DISTINCT, "customer_id"),
        },
    ),
}
_HOURLY: Final = frozenset(
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
_DAILY: Final = _HOURLY - {Dimension.HOUR, Dimension.HOUR_OF_DAY}


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
    if not set(used) <= set(measures):
        return False
    distinct = any(measures[m][0] == _DISTINCT for m in used)
    return set(group_by) <= (_DAILY if distinct else _HOURLY)


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
    """Rows with keys k0.. and the summed columns (and customer_id) of a covered question, or
    None when its rollups are not built."""
    fact, measures = _COVERED[time]
    presence = fact.presence
    assert presence is not None
    sums = sorted({presence} | {measures[m][1] for m in used if measures[m][0] == _SUM})
    distinct = any(measures[m][0] == _DISTINCT for m in used)
    if ROLLUP_GROUP not in ready or rollup_for(fact, sums, ready) is None:
        return None
    if distinct and rollup_for(fact, ["customer_id", presence], ready) is None:
        return None

    def part(needed: list[str], customers: bool) -> Rows:
        rows = fact_source(
            fact, needed, [span], None, zone=zone, dialect=dialect, ready=ready, per_store=True
        )
        keys = [_key(d, rows, zone, dialect, span).label(f"k{i}") for i, d in enumerate(group_by)]
        values = [literal(0).label(c) if customers else rows.c[c].label(c) for c in sums]
        customer = rows.c.customer_id if customers else null()
        return select(*keys, *values, customer.label("customer_id")).where(rows.c[presence] > 0)

    parts: list[Rows] = [part(sums, customers=False)]
    if distinct:
        parts.append(part(["customer_id", presence], customers=True))
    if len(parts) == 1:
        return parts[0].subquery("facts")
    return union_all(*parts).subquery("facts")


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
        how, column = measures[measure]
        if how == _SUM:
            return func.coalesce(func.sum(u.c[column]), 0)
        return func.count(func.distinct(u.c[column]))

    return grouped_with_totals(plan, facts, measure_sql, dialect)
