"""The rows an aggregate groups: one per order, order line, after-sale line, visit event or coupon.

Orders (or `order_lines` joined to their order, or after-sale lines joined to their after-sale,
order and order line) WHERE the admin list's condition (`services.orders.search.order_condition`:
the caller's scope AND the filter AND the query), so an aggregate over a filter counts exactly the
orders that caller's list shows. Stores, customers and categories are joined one row per order or
line, never multiplying rows. Visits and coupons build their rows in their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, Final

from sqlalchemy import Select, SQLColumnExpression, Subquery, select

from models.after_sales.rows import AfterSale, AfterSaleLine
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from services.after_sales.search import after_sale_filter
from services.analytics.coupons import CouponCriteria, coupon_rows
from services.analytics.dimensions import (
    JOINS,
    CategoryTable,
    CustomerTable,
    ProductTable,
    StoreTable,
    key_expression,
)
from services.analytics.measures import after_sale_columns, line_columns, order_columns
from services.analytics.questions import Fact, Question, TimeField, specs, used_measures
from services.analytics.visits import VisitCriteria, visit_rows
from services.orders.search import order_condition

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


def fact_rows(question: Question, principal: Principal, zone: tzinfo, dialect: str) -> Subquery:
    """One row per order (line, after-sale line, visit event, coupon): keys k0.. and the columns the
    used measures read, over the rows `principal` may see that match the question's criteria."""
    fact_specs = specs(question.fact)
    if question.fact is Fact.VISITS:
        needed = sorted({c for m in used_measures(question) for c in fact_specs[m].needs})
        criteria = question.visit or VisitCriteria()
        visits = visit_rows(question.group_by, needed, criteria, principal, question.span, zone, dialect)
        return visits.subquery("facts")
    if question.fact is Fact.COUPONS:
        needed = sorted({c for m in used_measures(question) for c in fact_specs[m].needs})
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
    needed = sorted({c for m in used_measures(question) for c in fact_specs[m].needs})
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
