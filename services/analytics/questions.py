"""An aggregate question as the service takes it, and the checks it must pass before it runs.

A question names a fact (orders, order lines, after-sale lines, visit events, coupons), the rows
it covers (the admin list's criteria with the caller's scope, or the fact's own typed filter), the
dimensions to group by, the measures, `having`, a sort, `top`, the moment its time buckets and
range read, and that range. `check` refuses a malformed one with BAD_USER_INPUT (or
TOO_MANY_GROUPS for `top`) naming the argument, before any SQL is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Final

from models.errors import DomainError, ErrorCode
from services.after_sales.search import AfterSaleCriteria
from services.analytics.coupons import COUPON_ALLOWED, COUPON_MEASURES, CouponCriteria
from services.analytics.dimensions import (
    AFTER_SALE_DIMENSIONS,
    COUPON_DIMENSIONS,
    LINE_DIMENSIONS,
    VISIT_DIMENSIONS,
    Dimension,
)
from services.analytics.measures import AFTER_SALE_MEASURES, LINE_MEASURES, ORDER_MEASURES, MeasureSpec
from services.analytics.visits import VISIT_ALLOWED, VISIT_MEASURES, VisitCriteria
from services.orders.search import OrderCriteria

MAX_GROUPS: Final = 1_000
MAX_DIMENSIONS: Final = 4
MAX_MEASURES: Final = 16


class Fact(Enum):
    ORDERS = "orders"
    ORDER_LINES = "order lines"
    AFTER_SALES = "after-sale lines"
    VISITS = "visit events"
    COUPONS = "coupons"


class TimeField(StrEnum):
    CREATED_AT = "CREATED_AT"
    PAID_AT = "PAID_AT"
    REQUESTED_AT = "REQUESTED_AT"
    REFUNDED_AT = "REFUNDED_AT"
    OCCURRED_AT = "OCCURRED_AT"
    ISSUED_AT = "ISSUED_AT"
    USED_AT = "USED_AT"


AFTER_SALE_TIMES: Final = frozenset({TimeField.REQUESTED_AT, TimeField.REFUNDED_AT})
"""Moments of an after-sale (the after-sale fact reads the order's too)."""


class Comparison(StrEnum):
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    EQ = "EQ"


@dataclass(frozen=True, slots=True)
class Having:
    measure: StrEnum
    comparison: Comparison
    value: float


@dataclass(frozen=True, slots=True)
class SortTerm:
    """By a measure or by a dimension of the grouping (exactly one)."""

    measure: StrEnum | None
    dimension: Dimension | None
    descending: bool


@dataclass(frozen=True, slots=True)
class Question:
    fact: Fact
    criteria: OrderCriteria
    group_by: tuple[Dimension, ...]
    measures: tuple[StrEnum, ...]
    having: tuple[Having, ...] = ()
    sort: tuple[SortTerm, ...] = ()
    top: int | None = None
    time: TimeField = TimeField.CREATED_AT
    span: tuple[datetime, datetime] | None = None
    """[start, end) in UTC the time field must lie in (a date range in the business zone), if given."""
    after_sale: AfterSaleCriteria | None = None
    """The after-sale list's filter (after-sales only), ANDed with `criteria` on their orders."""
    visit: VisitCriteria | None = None
    """The visits' filter (visits only; `criteria` does not apply to them)."""
    coupon: CouponCriteria | None = None
    """The coupons' filter (coupons only; `criteria` does not apply to them)."""


def specs(fact: Fact) -> Mapping[StrEnum, MeasureSpec]:
    """The measures of a fact and how each is computed."""
    return {
        Fact.ORDERS: ORDER_MEASURES,
        Fact.ORDER_LINES: LINE_MEASURES,
        Fact.AFTER_SALES: AFTER_SALE_MEASURES,
        Fact.VISITS: VISIT_MEASURES,
        Fact.COUPONS: COUPON_MEASURES,
    }[fact]


def used_measures(question: Question) -> list[StrEnum]:
    """The measures asked for, then those only `having` and `sort` read, each once."""
    used = list(question.measures)
    used += [h.measure for h in question.having]
    used += [t.measure for t in question.sort if t.measure is not None]
    return list(dict.fromkeys(used))


_ORDER_FACTS: Final = frozenset(Dimension) - VISIT_DIMENSIONS - COUPON_DIMENSIONS
_DIMENSIONS: Final = {
    Fact.ORDERS: _ORDER_FACTS - LINE_DIMENSIONS - AFTER_SALE_DIMENSIONS,
    Fact.ORDER_LINES: _ORDER_FACTS - AFTER_SALE_DIMENSIONS,
    Fact.AFTER_SALES: _ORDER_FACTS,
    Fact.VISITS: VISIT_ALLOWED,
    Fact.COUPONS: COUPON_ALLOWED,
}
_MOMENTS: Final = {
    Fact.ORDERS: frozenset({TimeField.CREATED_AT, TimeField.PAID_AT}),
    Fact.ORDER_LINES: frozenset({TimeField.CREATED_AT, TimeField.PAID_AT}),
    Fact.AFTER_SALES: frozenset({TimeField.CREATED_AT, TimeField.PAID_AT, *AFTER_SALE_TIMES}),
    Fact.VISITS: frozenset({TimeField.OCCURRED_AT}),
    Fact.COUPONS: frozenset({TimeField.ISSUED_AT, TimeField.USED_AT}),
}
_FIELDS: Final = {
    Fact.ORDERS: "orderAggregate",
    Fact.ORDER_LINES: "orderLineAggregate",
    Fact.AFTER_SALES: "afterSaleAggregate",
    Fact.VISITS: "visitAggregate",
    Fact.COUPONS: "couponAggregate",
}


def check(question: Question) -> None:
    """Refuses a malformed question with BAD_USER_INPUT naming the argument."""
    bad = DomainError
    if len(question.group_by) > MAX_DIMENSIONS:
        raise bad(ErrorCode.BAD_USER_INPUT, f"group by at most {MAX_DIMENSIONS} dimensions", "groupBy")
    if len(set(question.group_by)) != len(question.group_by):
        raise bad(ErrorCode.BAD_USER_INPUT, "give each dimension at most once", "groupBy")
    for dimension in question.group_by:
        if dimension not in _DIMENSIONS[question.fact]:
            owner = next(
                f
                for f in (Fact.ORDER_LINES, Fact.AFTER_SALES, Fact.VISITS, Fact.COUPONS)
                if dimension in _DIMENSIONS[f]
            )
            raise bad(
                ErrorCode.BAD_USER_INPUT,
                f"{dimension.value} groups {owner.value} (use {_FIELDS[owner]})",
                "groupBy",
            )
    if question.time not in _MOMENTS[question.fact]:
        raise bad(
            ErrorCode.BAD_USER_INPUT, f"{question.fact.value} have no {question.time.value}", "timeField"
        )
    if not question.measures or len(question.measures) > MAX_MEASURES:
        raise bad(ErrorCode.BAD_USER_INPUT, f"ask for 1 to {MAX_MEASURES} measures", "measures")
    if len(set(question.measures)) != len(question.measures):
        raise bad(ErrorCode.BAD_USER_INPUT, "give each measure at most once", "measures")
    if question.top is not None and not 1 <= question.top <= MAX_GROUPS:
        raise bad(ErrorCode.TOO_MANY_GROUPS, f"top must be between 1 and {MAX_GROUPS}", "top")
    for i, term in enumerate(question.sort):
        if (term.measure is None) == (term.dimension is None):
            raise bad(ErrorCode.BAD_USER_INPUT, "sort by a measure or by a dimension", f"sort.{i}")
        if term.dimension is not None and term.dimension not in question.group_by:
            raise bad(ErrorCode.BAD_USER_INPUT, "sort by a dimension of groupBy", f"sort.{i}.dimension")
