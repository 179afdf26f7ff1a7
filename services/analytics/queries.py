"""Builds and runs one aggregate question: one GROUP BY over the rows the admin list would show.

The rows are `orders` (or `order_lines` joined to their order) WHERE the admin list's condition
(`services.orders.search.order_condition`: the caller's scope AND the filter AND the query), so an
aggregate over a filter counts exactly the orders that caller's list shows. Stores, customers and
categories are joined one row per order or line, never multiplying rows.

Groups are bounded: `top` is at most MAX_GROUPS. Without an explicit `top` a question may yield at
most DEFAULT_TOP groups, or it is refused with TOO_MANY_GROUPS (nothing is cut silently); with an
explicit `top` the first `top` groups by the sort are returned and `group_count` says how many
there were. The default order is the first measure descending when `top` is given, the keys
ascending otherwise; ties end with the keys ascending, NULL last, so every answer is deterministic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import Enum, StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, Subquery, select

from models.after_sales.rows import AfterSale, AfterSaleLine
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from services.after_sales.search import AfterSaleCriteria, after_sale_filter
from services.analytics.coupons import COUPON_ALLOWED, COUPON_MEASURES, CouponCriteria, coupon_rows
from services.analytics.dimensions import (
    AFTER_SALE_DIMENSIONS,
    COUPON_DIMENSIONS,
    JOINS,
    LINE_DIMENSIONS,
    VISIT_DIMENSIONS,
    CategoryTable,
    CustomerTable,
    Dimension,
    Key,
    ProductTable,
    StoreTable,
    decode_key,
    key_expression,
)
from services.analytics.measures import (
    AFTER_SALE_MEASURES,
    LINE_MEASURES,
    ORDER_MEASURES,
    Kind,
    MeasureSpec,
    after_sale_columns,
    line_columns,
    order_columns,
)
from services.analytics.rollup_source import covered, rollup_statement
from services.analytics.statement import Plan, grouped_with_totals, percentile_sql
from services.analytics.visits import VISIT_ALLOWED, VISIT_MEASURES, VisitCriteria, visit_rows
from services.db import SessionFactory
from services.metrics.engine import Engine
from services.orders.search import OrderCriteria, check_store_codes, order_condition

DEFAULT_TOP: Final = 100
MAX_GROUPS: Final = 1_000
MAX_DIMENSIONS: Final = 4
MAX_MEASURES: Final = 16
ANALYTICS_SETTINGS: Final = (("work_mem", "64MB"), ("jit", "off"), ("random_page_cost", "1.1"))
"""PostgreSQL settings of an aggregate's transaction: memory to hash or sort a window's rows
(hundreds of thousands) without spilling to disk; no JIT, whose compiling costs more than these
statements save by it; and index probes priced as on SSD or cached pages, so the orders of a
window's after-sales are fetched by key rather than by scanning every order."""


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
    after_sale: AfterSaleCriteria | None = None
    """The after-sale list's filter (after-sales only), ANDed with `criteria` on their orders."""
    visit: VisitCriteria | None = None
    """The visits' filter (visits only; `criteria` does not apply to them)."""
    coupon: CouponCriteria | None = None
    """The coupons' filter (coupons only; `criteria` does not apply to them)."""
    """[start, end) in UTC the time field must lie in (a date range in the business zone), if given."""


@dataclass(frozen=True, slots=True)
class Value:
    measure: StrEnum
    kind: Kind
    value: int | float | None


@dataclass(frozen=True, slots=True)
class Group:
    keys: tuple[Key, ...]
    values: tuple[Value, ...]


class Source(StrEnum):
    """What the answer was computed from."""

    RAW = "RAW"
    ROLLUP = "ROLLUP"


@dataclass(frozen=True, slots=True)
class Answer:
    rows: tuple[Group, ...]
    totals: tuple[Value, ...]
    group_count: int
    """Groups the question has (after `having`), before `top` cut them."""
    source: Source = Source.RAW


def _specs(fact: Fact) -> Mapping[StrEnum, MeasureSpec]:
    return {
        Fact.ORDERS: ORDER_MEASURES,
        Fact.ORDER_LINES: LINE_MEASURES,
        Fact.AFTER_SALES: AFTER_SALE_MEASURES,
        Fact.VISITS: VISIT_MEASURES,
        Fact.COUPONS: COUPON_MEASURES,
    }[fact]


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


_MOMENT: Final[Mapping[TimeField, SQLColumnExpression[Any]]] = {
    TimeField.CREATED_AT: Order.created_at,
    TimeField.PAID_AT: Order.paid_at,
    TimeField.REQUESTED_AT: AfterSale.created_at,
    TimeField.REFUNDED_AT: AfterSale.refunded_at,
}
_LINE_MOMENTS: Final[Mapping[TimeField, SQLColumnExpression[Any]]] = {
    TimeField.CREATED_AT: OrderLine.order_created_at,
    TimeField.PAID_AT: OrderLine.order_paid_at,
}
"""A line's copies of its order's moments (equal to them, kept by triggers): indexed on the lines."""


def _rows(question: Question, principal: Principal, zone: tzinfo, dialect: str) -> Subquery:
    """One row per order (line, after-sale line, visit event): keys k0.. and the columns measures read."""
    specs = _specs(question.fact)
    if question.fact is Fact.VISITS:
        needed = sorted({c for m in _used_measures(question) for c in specs[m].needs})
        criteria = question.visit or VisitCriteria()
        visits = visit_rows(question.group_by, needed, criteria, principal, question.span, zone, dialect)
        return visits.subquery("facts")
    if question.fact is Fact.COUPONS:
        needed = sorted({c for m in _used_measures(question) for c in specs[m].needs})
        coupons = coupon_rows(
            question.group_by,
            needed,
            question.time.value,
            question.coupon or CouponCriteria(),
            principal,
            question.span,
            zone,
            dialect,
        )
        return coupons.subquery("facts")
    columns = {
        Fact.ORDERS: order_columns,
        Fact.ORDER_LINES: line_columns,
        Fact.AFTER_SALES: after_sale_columns,
    }[question.fact](dialect)
    needed = sorted({c for m in _used_measures(question) for c in specs[m].needs})
    moment = _LINE_MOMENTS[question.time] if question.fact is Fact.ORDER_LINES else _MOMENT[question.time]
    keys: list[Any] = [
        key_expression(d, moment, zone, dialect, question.span).label(f"k{i}")
        for i, d in enumerate(question.group_by)
    ]
    row = OrderLine.order_id if question.fact is Fact.ORDER_LINES else Order.id
    stmt: Select[Any] = select(row.label("order_row"), *keys, *(columns[c].label(c) for c in needed))
    if question.fact is Fact.ORDERS:
        stmt = stmt.select_from(Order)
    elif question.fact is Fact.ORDER_LINES:
        # Every line has its order, so the outer join is the inner join; when nothing reads the
        # order (no filter, scope, key or measure of it), the database leaves it out. The same
        # holds for an after-sale line's order line below.
        stmt = stmt.select_from(OrderLine).outerjoin(Order, Order.id == OrderLine.order_id)
    else:
        stmt = (
            stmt.select_from(AfterSaleLine)
            .join(AfterSale, AfterSale.id == AfterSaleLine.after_sale_id)
            .join(Order, Order.id == AfterSale.order_id)
            .outerjoin(OrderLine, OrderLine.id == AfterSaleLine.order_line_id)  # left out when unread
        )
    joins = {JOINS[d] for d in question.group_by if d in JOINS}
    if "store" in joins:
        stmt = stmt.outerjoin(StoreTable, StoreTable.id == Order.store_id)
    if "customer" in joins:
        stmt = stmt.join(CustomerTable, CustomerTable.id == Order.customer_id)
    if "category" in joins:
        stmt = stmt.join(ProductTable, ProductTable.id == OrderLine.product_id).join(
            CategoryTable, CategoryTable.id == ProductTable.category_id
        )
    stmt = stmt.where(order_condition(principal, question.criteria))
    if question.after_sale is not None:
        stmt = stmt.where(after_sale_filter(question.after_sale))  # scope: the order's, above
    if question.span is not None:
        stmt = stmt.where(moment >= question.span[0], moment < question.span[1])
    return stmt.subquery("facts")


def _used_measures(question: Question) -> list[StrEnum]:
    used = list(question.measures)
    used += [h.measure for h in question.having]
    used += [t.measure for t in question.sort if t.measure is not None]
    return list(dict.fromkeys(used))


_COMPARE: Final = {
    Comparison.GT: lambda a, b: a > b,
    Comparison.GTE: lambda a, b: a >= b,
    Comparison.LT: lambda a, b: a < b,
    Comparison.LTE: lambda a, b: a <= b,
    Comparison.EQ: lambda a, b: a == b,
}


def _plan(question: Question) -> Plan:
    terms = question.sort
    if not terms and question.top is not None:
        terms = (SortTerm(question.measures[0], None, True),)
    order: list[tuple[StrEnum | int, bool]] = []
    for term in terms:
        if term.measure is not None:
            order.append((term.measure, term.descending))
        else:
            assert term.dimension is not None
            order.append((question.group_by.index(term.dimension), term.descending))
    return Plan(
        keys=len(question.group_by),
        measures=_used_measures(question),
        having=[(h.measure, _COMPARE[h.comparison], h.value) for h in question.having],
        order=order,
        limit=DEFAULT_TOP + 1 if question.top is None else question.top,
    )


def _statement(question: Question, facts: Subquery, dialect: str) -> Select[Any]:
    specs = _specs(question.fact)

    def measure_sql(measure: StrEnum, u: Subquery) -> ColumnElement[Any]:
        spec = specs[measure]
        return spec.build(u) if spec.percentile is None else percentile_sql(spec, u, dialect)

    ranked = sorted({specs[m].needs[0] for m in _used_measures(question) if specs[m].percentile is not None})
    return grouped_with_totals(_plan(question), facts, measure_sql, dialect, ranked)


def _value(measure: StrEnum, spec: MeasureSpec, raw: Any) -> Value:
    if raw is None:  # min, max, average or ratio of no value (sums and counts are never NULL)
        return Value(measure, spec.kind, None)
    return Value(measure, spec.kind, int(raw) if spec.exact else float(raw))


async def answer(
    question: Question,
    principal: Principal,
    *,
    sessions: SessionFactory,
    dialect: str,
    zone: tzinfo,
    analyst_timeout_ms: int,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None = None,
) -> Answer:
    """The groups and totals of `question` over the rows `principal` may see, run on `sessions`
    (the analytics replica when configured) within the analysts' statement timeout.

    `rollups` makes the metrics rollups fresh and returns the groups built
    (`services.metrics.rollups.freshen`); when given and the question is covered
    (`rollup_source.covered`), the answer comes from them, else from the raw rows."""
    check(question)
    if question.criteria is not None:
        await check_store_codes(sessions, question.criteria)
    statement = await _from_rollups(question, principal, zone, dialect, rollups)
    source = Source.ROLLUP
    if statement is None:
        statement, source = (
            _statement(question, _rows(question, principal, zone, dialect), dialect),
            Source.RAW,
        )
    engine = Engine(
        sessions=sessions,
        zone=zone,
        dialect=dialect,
        stores=None,
        prepare=_no_rollups,
        timeout_ms=analyst_timeout_ms if principal.role is Role.ANALYST else 0,
        local_settings=ANALYTICS_SETTINGS,
    )
    found = await engine.execute(statement)
    specs = _specs(question.fact)
    total = next(row for row in found if row["t"])
    groups = [row for row in found if not row["t"]]
    if not question.group_by:  # the one row is the group and the totals; `having` applies here
        used = _used_measures(question)
        kept = all(_passes(h, total[f"m{used.index(h.measure)}"]) for h in question.having)
        groups = [total] if kept else []
    count = int(found[0]["groups"]) if question.group_by else len(groups)
    if question.top is None and count > DEFAULT_TOP:
        raise DomainError(
            ErrorCode.TOO_MANY_GROUPS,
            f"the grouping has {count} groups, more than {DEFAULT_TOP}: give `top` (at most "
            f"{MAX_GROUPS}) and a sort to keep the first ones, or narrow the filter",
            "groupBy",
        )
    rows = tuple(
        Group(
            tuple(decode_key(d, row[f"k{i}"]) for i, d in enumerate(question.group_by)),
            tuple(_value(m, specs[m], row[f"m{i}"]) for i, m in enumerate(question.measures)),
        )
        for row in groups
    )
    totals = tuple(_value(m, specs[m], total[f"m{i}"]) for i, m in enumerate(question.measures))
    return Answer(rows, totals, count, source)


async def _from_rollups(
    question: Question,
    principal: Principal,
    zone: tzinfo,
    dialect: str,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None,
) -> Select[Any] | None:
    """The statement over the rollups, when they can answer and are built."""
    used = _used_measures(question)
    criteria = question.criteria
    plain = question.fact is Fact.ORDERS and criteria.filter is None and criteria.query is None
    if rollups is None or question.span is None:
        return None
    if not covered(question.time.value, question.group_by, used, plain=plain, principal=principal):
        return None
    span = question.span
    return await rollup_statement(
        question.time.value, question.group_by, _plan(question), span, zone, dialect, await rollups()
    )


def _passes(having: Having, raw: Any) -> bool:
    """SQL's HAVING on one value: NULL passes no comparison."""
    return raw is not None and bool(_COMPARE[having.comparison](raw, having.value))


async def _no_rollups() -> frozenset[str]:
    return frozenset()
