"""Measures: the aggregates a metric query asks of a fact's bucketed rows.

Each `Measure` builds one SQL aggregate over the rows of a fact after bucketing, where column `b`
is the index of the span a row falls in; the builders here are the shapes the dashboards use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_

from services.metrics.sql import Span, at


@dataclass(frozen=True, slots=True)
class Measure:
    """An aggregate over a fact's rows; `build(rows, spans)` sees the bucketed rows (column `b` is
    the index of the span a row falls in)."""

    needs: tuple[str, ...]
    build: Callable[[Subquery, Sequence[Span]], ColumnElement[Any]]
    distinct_of: tuple[str, str | None] | None = None
    """(column, when) of a plain COUNT(DISTINCT): alone in a statement it is computed as a count of
    DISTINCT rows, which PostgreSQL hashes (and parallelises) instead of sorting."""


def total(column: str) -> Measure:
    return Measure((column,), lambda u, _: func.coalesce(func.sum(u.c[column]), 0))


def distinct(column: str, when: str | None = None) -> Measure:
    """COUNT(DISTINCT column), of the rows whose `when` column is positive when given."""

    def build(u: Subquery, _: Sequence[Span]) -> ColumnElement[Any]:
        value = u.c[column] if when is None else case((u.c[when] > 0, u.c[column]))
        return func.count(func.distinct(value))

    return Measure((column,) if when is None else (column, when), build, (column, when))


def _since_span_start(u: Subquery, spans: Sequence[Span], moment: str) -> ColumnElement[bool]:
    """`moment` is at or after the start of the row's own span (new in that span)."""
    return or_(*(and_(u.c.b == i, u.c[moment] >= at(start)) for i, (start, _) in enumerate(spans)))


def distinct_by_first(column: str, moment: str, *, new: bool) -> Measure:
    """COUNT(DISTINCT column) of rows whose `moment` (a first-time moment such as the customer's
    first payment) falls inside (new) or before (returning) the row's span."""

    def build(u: Subquery, spans: Sequence[Span]) -> ColumnElement[Any]:
        is_new = _since_span_start(u, spans, moment)
        return func.count(func.distinct(case((is_new if new else ~is_new, u.c[column]))))

    return Measure((column, moment), build)


def sum_by_first(column: str, moment: str, *, new: bool) -> Measure:
    def build(u: Subquery, spans: Sequence[Span]) -> ColumnElement[Any]:
        is_new = _since_span_start(u, spans, moment)
        return func.coalesce(func.sum(case((is_new if new else ~is_new, u.c[column]), else_=0)), 0)

    return Measure((column, moment), build)


def count_by_first(moment: str, *, new: bool) -> Measure:
    def build(u: Subquery, spans: Sequence[Span]) -> ColumnElement[Any]:
        is_new = _since_span_start(u, spans, moment)
        return func.coalesce(func.sum(case((is_new if new else ~is_new, 1), else_=0)), 0)

    return Measure((moment,), build)
