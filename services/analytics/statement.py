"""The one statement of an aggregate question: its groups, how many there are, and its totals.

`grouped_with_totals` turns the fact rows (keys k0.., the columns the measures read) into one
SELECT whose rows are the totals (`t` > 0) and then the first `top` groups in the sort (`t` = 0);
every row carries `groups`, the number of groups after `having`. On PostgreSQL the totals are the
empty grouping set of the same GROUP BY (one pass over the rows); SQLite has no grouping sets, so
there they are a UNION ALL branch over the same rows. Without keys the aggregate's one row is both
the only group and the totals: the caller applies `having` to it.

Percentiles are exact and discrete: of the n non-null values of a group in ascending order, the
p-th percentile is the k-th with k the smallest integer >= p * n (p * n in double precision), as
PostgreSQL's `percentile_disc` defines it. SQLite computes it from each row's rank in its group
(ROW_NUMBER and COUNT windows over the same partition), so both agree value for value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from services.analytics.measures import MeasureSpec

MeasureSql = Callable[[StrEnum, Subquery], ColumnElement[Any]]
"""The aggregate of a measure over the rows of a subquery."""

_RANK: Final = "__rank"
_COUNT: Final = "__n"


@dataclass(frozen=True, slots=True)
class Plan:
    """What the statement computes: the keys, the measures (the first `answered` are returned,
    the rest only sort or filter), having conditions, sort terms and how many groups to keep."""

    keys: int
    measures: Sequence[StrEnum]
    having: Sequence[tuple[StrEnum, Callable[[Any, Any], Any], float]]
    order: Sequence[tuple[StrEnum | int, bool]]
    """(measure, descending) or (key index, descending), then every key ascending."""
    limit: int


def percentile_sql(spec: MeasureSpec, u: Subquery, dialect: str) -> ColumnElement[Any]:
    """The exact discrete percentile `spec.percentile` of `spec.needs[0]` over the grouped rows;
    on SQLite `u` must come from `ranked`."""
    assert spec.percentile is not None
    column = u.c[spec.needs[0]]
    if dialect == "postgresql":
        return func.percentile_disc(spec.percentile).within_group(column)
    rank, count = u.c[spec.needs[0] + _RANK], u.c[spec.needs[0] + _COUNT]
    position = literal(spec.percentile, Float) * count
    return func.max(case((and_(rank >= position, rank - 1 < position), column)))


def ranked(facts: Subquery, keys: Sequence[str], columns: Sequence[str], name: str) -> Subquery:
    """`facts` plus, for each column, its rank among the non-null values of its group (`keys`)
    and how many there are: the input of SQLite's percentiles."""
    if not columns:
        return facts
    extra: list[Any] = []
    for c in columns:
        partition = [facts.c[k] for k in keys]
        extra.append(
            func.row_number()
            .over(partition_by=[*partition, facts.c[c].is_(None)], order_by=facts.c[c])
            .label(c + _RANK)
        )
        extra.append(func.count(facts.c[c]).over(partition_by=partition or None).label(c + _COUNT))
    return select(facts, *extra).subquery(name)


def grouped_with_totals(
    plan: Plan,
    facts: Subquery,
    measure_sql: MeasureSql,
    dialect: str,
    percentile_columns: Sequence[str] = (),
) -> Select[Any]:
    """The statement described in the module docstring; rows have k0.., m0.., t, groups."""
    key_names = [f"k{i}" for i in range(plan.keys)]
    sqlite_ranks = dialect != "postgresql" and bool(percentile_columns)

    def measures(u: Subquery) -> list[ColumnElement[Any]]:
        return [measure_sql(m, u).label(f"m{i}") for i, m in enumerate(plan.measures)]

    def having(u: Subquery) -> ColumnElement[bool]:
        return and_(*(compare(measure_sql(m, u), value) for m, compare, value in plan.having))

    if not key_names:
        rows = ranked(facts, (), percentile_columns, "ranked") if sqlite_ranks else facts
        return select(*measures(rows), literal(1).label("t"), literal(1).label("groups")).select_from(rows)
    if dialect == "postgresql":
        keys = [facts.c[k] for k in key_names]
        is_total = func.grouping(*keys)
        inner = (
            select(*keys, *measures(facts), is_total.label("t"))
            .select_from(facts)
            .group_by(func.grouping_sets(tuple_(*keys), tuple_()))
        )
        if plan.having:
            inner = inner.having(or_(is_total > 0, having(facts)))
    else:
        by_keys = ranked(facts, key_names, percentile_columns, "ranked") if sqlite_ranks else facts
        overall = ranked(facts, (), percentile_columns, "overall") if sqlite_ranks else facts
        part = select(*(by_keys.c[k] for k in key_names), *measures(by_keys), literal(0).label("t"))
        part = part.select_from(by_keys).group_by(*(by_keys.c[k] for k in key_names))
        if plan.having:
            part = part.having(having(by_keys))
        total = select(*(null().label(k) for k in key_names), *measures(overall), literal(1).label("t"))
        total = total.select_from(overall)
        inner = union_all(part, total)  # type: ignore[assignment]
    g = inner.subquery("g")
    order: list[ColumnElement[Any]] = [g.c.t.desc()]
    for term, descending in plan.order:
        column = g.c[f"m{plan.measures.index(term)}"] if isinstance(term, StrEnum) else g.c[f"k{term}"]
        order.append((column.desc() if descending else column.asc()).nulls_last())
    order += [g.c[k].asc().nulls_last() for k in key_names]
    groups = func.sum(case((g.c.t == 0, 1), else_=0)).over().label("groups")
    return select(*g.c, groups).order_by(*order).limit(plan.limit + 1)
