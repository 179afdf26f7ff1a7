"""What the metrics count, once: facts (projections of raw rows) and the rollups that pre-sum them.

A *fact* is a SELECT over raw rows with labelled columns: `at` (the moment the row is counted
at), `store_id` (0 when there is none) and values (`paid_orders` = 1, `paid_amount`, ...). A
*rollup* table holds the same columns summed per store and local hour or day (plus its keys such
as `product_id`; the product tables also per local week, all stores together); it is built
from the facts that feed it (`services/metrics/rollups.py`).

A figure is an aggregate over a fact's columns (SUM, COUNT DISTINCT), read from a rollup where
one can serve it and from raw rows elsewhere (`services/metrics/sources.py`); the same aggregate
over either gives the same number, and reading raw rows only is the exact computation (tests
compare the two, and the benchmark measures both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)

from models.after_sales.rows import AfterSale
from models.after_sales.states import AfterSaleStatus
from models.customers.rows import Customer
from models.deliveries.queues import DeliveryQueue
from models.deliveries.rows import DeliveryAlert
from models.enums import Fulfillment
from models.metrics.rules import PICK_LIMIT_MINUTES
from models.orders.rows import AllocationRecord, Order, OrderLine
from models.orders.states import OrderStatus
from models.visits import VisitEvent
from services.metrics.rollup_tables import (
    CUSTOMER_DAYS,
    ORDER_DAYS,
    ORDER_HOURS,
    PRODUCT_SALES_DAYS,
    PRODUCT_SALES_WEEKS,
    PRODUCT_VIEW_DAYS,
    PRODUCT_VIEW_WEEKS,
    REFUND_HOURS,
    SOURCE_DAYS,
    TRAFFIC_HOURS,
    VISITOR_DAYS,
    Rollup,
)
from services.metrics.sql import Span, in_spans, in_stores, seconds_between

assert sorted(set(PICK_LIMIT_MINUTES.values())) == [15, 30], "rollup columns picks_over_15m/30m"


@dataclass(frozen=True, slots=True)
class RawFilter:
    """Time spans and store scope a projection applies to its own (indexed) raw columns."""

    spans: Sequence[Span]
    stores: frozenset[int] | None

    def __call__(
        self, moment: SQLColumnExpression[Any], store: SQLColumnExpression[Any]
    ) -> ColumnElement[bool]:
        return and_(in_spans(moment, self.spans), in_stores(store, self.stores))


Rows = Select[*tuple[Any, ...]]
"""A SELECT of any columns."""
Projection = Callable[[RawFilter, str], Rows]
"""(filter, dialect) → SELECT at, store_id, columns... of raw rows."""


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    project: Projection
    rollups: tuple[Rollup, ...] = field(default=())
    presence: str | None = None
    """A column that is 1 or more in each of the fact's rows: in a rollup several facts feed, the
    rows this fact contributed to are those where it is positive."""


def _store(column: SQLColumnExpression[Any]) -> ColumnElement[int]:
    return func.coalesce(column, 0).label("store_id")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def turnover() -> ColumnElement[int]:
    """营业额: goods at original price + packaging fee (+ delivery fee for store delivery)."""
    return (
        Order.goods_original_amount
        + Order.packaging_fee
        + case((Order.fulfillment == Fulfillment.STORE_DELIVERY, Order.delivery_fee), else_=0)
    )


def _placed(f: RawFilter, dialect: str) -> Rows:
    valid = and_(Order.accepted_at.is_not(None), Order.status != OrderStatus.CANCELLED)
    cancelled = Order.status == OrderStatus.CANCELLED
    return select(
        Order.created_at.label("at"),
        _store(Order.store_id),
        literal(1).label("placed_orders"),
        _flag(valid).label("valid_orders"),
        case((valid, turnover()), else_=0).label("valid_turnover"),
        _flag(cancelled).label("invalid_orders"),
        case((cancelled, turnover()), else_=0).label("invalid_loss"),
        Order.customer_id.label("customer_id"),
    ).where(f(Order.created_at, Order.store_id))


def _paid(f: RawFilter, dialect: str) -> Rows:
    return select(
        Order.paid_at.label("at"),
        _store(Order.store_id),
        literal(1).label("paid_orders"),
        Order.paid_amount.label("paid_amount"),
        Order.customer_id.label("customer_id"),
    ).where(Order.paid_at.is_not(None), f(Order.paid_at, Order.store_id))


def _accepted(f: RawFilter, dialect: str) -> Rows:
    waiting_since = func.coalesce(Order.allocated_at, Order.grouped_at, Order.paid_at)
    picked = and_(
        Order.shipped_at.is_not(None),
        Order.store_id.is_not(None),
        Order.fulfillment != Fulfillment.SELF_PICKUP,
    )
    # Picking ends when the store marks it (store delivery) or, failing that, at the hand-over.
    pick = seconds_between(func.coalesce(Order.picked_at, Order.shipped_at), Order.accepted_at, dialect)
    # Delivery is measured to the door (送达), never to the buyer's confirmation.
    delivered = and_(
        Order.fulfillment == Fulfillment.STORE_DELIVERY,
        Order.shipped_at.is_not(None),
        Order.delivered_at.is_not(None),
    )
    late = and_(delivered, Order.promised_at.is_not(None), Order.delivered_at > Order.promised_at)
    return select(
        Order.accepted_at.label("at"),
        _store(Order.store_id),
        literal(1).label("accepted_orders"),
        seconds_between(Order.accepted_at, waiting_since, dialect).label("accept_seconds"),
        _flag(picked).label("picked_orders"),
        case((picked, pick), else_=0).label("pick_seconds"),
        _flag(and_(picked, pick > 15 * 60)).label("picks_over_15m"),
        _flag(and_(picked, pick > 30 * 60)).label("picks_over_30m"),
        _flag(delivered).label("delivered_orders"),
        case((delivered, seconds_between(Order.delivered_at, Order.shipped_at, dialect)), else_=0).label(
            "delivery_seconds"
        ),
        _flag(late).label("delivery_timeouts"),
    ).where(Order.accepted_at.is_not(None), f(Order.accepted_at, Order.store_id))


def _rejected(f: RawFilter, dialect: str) -> Rows:
    record = AllocationRecord
    return select(
        record.created_at.label("at"),
        _store(record.from_store_id),
        literal(1).label("rejections"),
    ).where(
        record.to_store_id.is_(None),
        record.from_store_id.is_not(None),
        f(record.created_at, record.from_store_id),
    )


def _delivery_alerts(f: RawFilter, dialect: str) -> Rows:
    """Abnormal store-delivery orders by cause, counted when the order entered the queue."""
    alert = DeliveryAlert
    return (
        select(
            alert.raised_at.label("at"),
            _store(Order.store_id),
            _flag(alert.queue == DeliveryQueue.OVERDUE).label("overdue_orders"),
            _flag(alert.queue == DeliveryQueue.NO_RIDER).label("no_rider_orders"),
        )
        .join(Order, Order.id == alert.order_id)
        .where(f(alert.raised_at, Order.store_id))
    )


def _line_sales(f: RawFilter, dialect: str) -> Rows:
    return (
        select(
            Order.paid_at.label("at"),
            _store(Order.store_id),
            OrderLine.product_id.label("product_id"),
            case((OrderLine.is_gift, 0), else_=OrderLine.quantity).label("units_sold"),
            OrderLine.paid_amount.label("sales_amount"),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.paid_at.is_not(None), f(Order.paid_at, Order.store_id))
    )


def _refunded(f: RawFilter, dialect: str) -> Rows:
    return select(
        AfterSale.refunded_at.label("at"),
        _store(AfterSale.store_id),
        literal(1).label("refunds"),
        AfterSale.refund_amount.label("refund_amount"),
        AfterSale.order_id.label("order_id"),
    ).where(
        AfterSale.status == AfterSaleStatus.REFUNDED,
        AfterSale.refunded_at.is_not(None),
        f(AfterSale.refunded_at, AfterSale.store_id),
    )


def _visits(f: RawFilter, dialect: str) -> Rows:
    e = VisitEvent
    return select(
        e.occurred_at.label("at"),
        _store(e.store_id),
        e.visitor_id.label("visitor_id"),
        e.source.label("source"),
        literal(1).label("pv"),
        _flag(e.product_id.is_not(None)).label("product_pv"),
        e.dwell_ms.label("dwell_ms"),
    ).where(f(e.occurred_at, e.store_id))


def _product_views(f: RawFilter, dialect: str) -> Rows:
    e = VisitEvent
    return select(
        e.occurred_at.label("at"),
        _store(e.store_id),
        e.product_id.label("product_id"),
        literal(1).label("pv"),
    ).where(e.product_id.is_not(None), f(e.occurred_at, e.store_id))


def _customer_orders(moment: Any) -> Projection:
    """Orders with their customer's first payment, counted at `moment` (raw only: distinct people)."""

    def project(f: RawFilter, dialect: str) -> Rows:
        return (
            select(
                moment.label("at"),
                _store(Order.store_id),
                Order.customer_id.label("customer_id"),
                Customer.first_paid_at.label("first_paid_at"),
                Order.paid_amount.label("paid_amount"),
            )
            .join(Customer, Customer.id == Order.customer_id)
            .where(moment.is_not(None), f(moment, Order.store_id))
        )

    return project


def _registered(f: RawFilter, dialect: str) -> Rows:
    """Customers who registered (新增客户); a store scope keeps those who ordered at its stores."""
    statement = select(
        Customer.registered_at.label("at"),
        literal(0).label("store_id"),
        literal(1).label("registered"),
    ).where(in_spans(Customer.registered_at, f.spans))
    if f.stores is not None:
        statement = statement.where(
            exists(
                select(Order.id).where(Order.customer_id == Customer.id, in_stores(Order.store_id, f.stores))
            )
        )
    return statement


PLACED = Fact("placed", _placed, (ORDER_DAYS, ORDER_HOURS, CUSTOMER_DAYS), presence="placed_orders")
PAID = Fact("paid", _paid, (ORDER_DAYS, ORDER_HOURS, CUSTOMER_DAYS), presence="paid_orders")
ACCEPTED = Fact("accepted", _accepted, (ORDER_DAYS, ORDER_HOURS))
REJECTED = Fact("rejected", _rejected, (ORDER_DAYS, ORDER_HOURS))
LINE_SALES = Fact("line_sales", _line_sales, (PRODUCT_SALES_DAYS, PRODUCT_SALES_WEEKS))
REFUNDED = Fact("refunded", _refunded, (REFUND_HOURS,))
VISITS = Fact("visits", _visits, (TRAFFIC_HOURS, VISITOR_DAYS, SOURCE_DAYS))
PRODUCT_VIEWS = Fact("product_views", _product_views, (PRODUCT_VIEW_DAYS, PRODUCT_VIEW_WEEKS))
PAYERS = Fact("payers", _customer_orders(Order.paid_at))
ORDERERS = Fact("orderers", _customer_orders(Order.created_at))
REGISTERED = Fact("registered", _registered)
DELIVERY_ALERTS = Fact("delivery_alerts", _delivery_alerts)

FEEDS: dict[str, tuple[Fact, ...]] = {
    ORDER_HOURS.table.name: (PLACED, PAID, ACCEPTED, REJECTED),
    ORDER_DAYS.table.name: (PLACED, PAID, ACCEPTED, REJECTED),
    PRODUCT_SALES_DAYS.table.name: (LINE_SALES,),
    PRODUCT_SALES_WEEKS.table.name: (LINE_SALES,),
    CUSTOMER_DAYS.table.name: (PLACED, PAID),
    REFUND_HOURS.table.name: (REFUNDED,),
    TRAFFIC_HOURS.table.name: (VISITS,),
    PRODUCT_VIEW_DAYS.table.name: (PRODUCT_VIEWS,),
    PRODUCT_VIEW_WEEKS.table.name: (PRODUCT_VIEWS,),
    VISITOR_DAYS.table.name: (VISITS,),
    SOURCE_DAYS.table.name: (VISITS,),
}
"""Which facts each rollup table sums."""

ROLLUPS: tuple[Rollup, ...] = (
    ORDER_HOURS,
    ORDER_DAYS,
    PRODUCT_SALES_DAYS,
    PRODUCT_SALES_WEEKS,
    CUSTOMER_DAYS,
    REFUND_HOURS,
    TRAFFIC_HOURS,
    PRODUCT_VIEW_DAYS,
    PRODUCT_VIEW_WEEKS,
    VISITOR_DAYS,
    SOURCE_DAYS,
)
