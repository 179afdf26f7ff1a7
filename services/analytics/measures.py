"""Measures of the aggregate queries: each one aggregate over the grouped rows of its fact.

Money is summed, averaged, minimised and maximised in integer cents (a sum, min or max is exact; an
average is a fraction of a cent); durations are whole seconds between two timestamps of the order
(NULL, so left out, while the later step has not happened); ratios are fractions in [0, 1]. The
enums are spelled out so that each value is a stable API name; the SQL of each is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Float, SQLColumnExpression, Subquery, case, cast, func, null

from models.after_sales.rows import AfterSale, AfterSaleLine
from models.orders.rows import Order, OrderLine
from services.metrics.sql import seconds_between


class Kind(Enum):
    COUNT = "COUNT"
    MILLISECONDS = "MILLISECONDS"
    MONEY = "MONEY"
    SECONDS = "SECONDS"
    RATIO = "RATIO"


class OrderMeasure(StrEnum):
    COUNT = "COUNT"
    DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS"
    PAID_ORDERS = "PAID_ORDERS"
    PAYING_CUSTOMERS = "PAYING_CUSTOMERS"
    REFUNDED_ORDERS = "REFUNDED_ORDERS"
    REFUND_RATE = "REFUND_RATE"
    GOODS_AMOUNT_SUM = "GOODS_AMOUNT_SUM"
    GOODS_AMOUNT_AVG = "GOODS_AMOUNT_AVG"
    GOODS_AMOUNT_MIN = "GOODS_AMOUNT_MIN"
    GOODS_AMOUNT_MAX = "GOODS_AMOUNT_MAX"
    GOODS_ORIGINAL_AMOUNT_SUM = "GOODS_ORIGINAL_AMOUNT_SUM"
    GOODS_ORIGINAL_AMOUNT_AVG = "GOODS_ORIGINAL_AMOUNT_AVG"
    GOODS_ORIGINAL_AMOUNT_MIN = "GOODS_ORIGINAL_AMOUNT_MIN"
    GOODS_ORIGINAL_AMOUNT_MAX = "GOODS_ORIGINAL_AMOUNT_MAX"
    DISCOUNT_AMOUNT_SUM = "DISCOUNT_AMOUNT_SUM"
    DISCOUNT_AMOUNT_AVG = "DISCOUNT_AMOUNT_AVG"
    DISCOUNT_AMOUNT_MIN = "DISCOUNT_AMOUNT_MIN"
    DISCOUNT_AMOUNT_MAX = "DISCOUNT_AMOUNT_MAX"
    DELIVERY_FEE_SUM = "DELIVERY_FEE_SUM"
    DELIVERY_FEE_AVG = "DELIVERY_FEE_AVG"
    DELIVERY_FEE_MIN = "DELIVERY_FEE_MIN"
    DELIVERY_FEE_MAX = "DELIVERY_FEE_MAX"
    PACKAGING_FEE_SUM = "PACKAGING_FEE_SUM"
    PACKAGING_FEE_AVG = "PACKAGING_FEE_AVG"
    PACKAGING_FEE_MIN = "PACKAGING_FEE_MIN"
    PACKAGING_FEE_MAX = "PACKAGING_FEE_MAX"
    PAYABLE_AMOUNT_SUM = "PAYABLE_AMOUNT_SUM"
    PAYABLE_AMOUNT_AVG = "PAYABLE_AMOUNT_AVG"
    PAYABLE_AMOUNT_MIN = "PAYABLE_AMOUNT_MIN"
    PAYABLE_AMOUNT_MAX = "PAYABLE_AMOUNT_MAX"
    PAID_AMOUNT_SUM = "PAID_AMOUNT_SUM"
    PAID_AMOUNT_AVG = "PAID_AMOUNT_AVG"
    PAID_AMOUNT_MIN = "PAID_AMOUNT_MIN"
    PAID_AMOUNT_MAX = "PAID_AMOUNT_MAX"
    REFUNDED_AMOUNT_SUM = "REFUNDED_AMOUNT_SUM"
    REFUNDED_AMOUNT_AVG = "REFUNDED_AMOUNT_AVG"
    REFUNDED_AMOUNT_MIN = "REFUNDED_AMOUNT_MIN"
    REFUNDED_AMOUNT_MAX = "REFUNDED_AMOUNT_MAX"
    ACCEPT_SECONDS_SUM = "ACCEPT_SECONDS_SUM"
    ACCEPT_SECONDS_AVG = "ACCEPT_SECONDS_AVG"
    ACCEPT_SECONDS_MIN = "ACCEPT_SECONDS_MIN"
    ACCEPT_SECONDS_MAX = "ACCEPT_SECONDS_MAX"
    ACCEPT_SECONDS_P50 = "ACCEPT_SECONDS_P50"
    ACCEPT_SECONDS_P90 = "ACCEPT_SECONDS_P90"
    ACCEPT_SECONDS_P95 = "ACCEPT_SECONDS_P95"
    SHIP_SECONDS_SUM = "SHIP_SECONDS_SUM"
    SHIP_SECONDS_AVG = "SHIP_SECONDS_AVG"
    SHIP_SECONDS_MIN = "SHIP_SECONDS_MIN"
    SHIP_SECONDS_MAX = "SHIP_SECONDS_MAX"
    SHIP_SECONDS_P50 = "SHIP_SECONDS_P50"
    SHIP_SECONDS_P90 = "SHIP_SECONDS_P90"
    SHIP_SECONDS_P95 = "SHIP_SECONDS_P95"
    COMPLETE_SECONDS_SUM = "COMPLETE_SECONDS_SUM"
    COMPLETE_SECONDS_AVG = "COMPLETE_SECONDS_AVG"
    COMPLETE_SECONDS_MIN = "COMPLETE_SECONDS_MIN"
    COMPLETE_SECONDS_MAX = "COMPLETE_SECONDS_MAX"
    COMPLETE_SECONDS_P50 = "COMPLETE_SECONDS_P50"
    COMPLETE_SECONDS_P90 = "COMPLETE_SECONDS_P90"
    COMPLETE_SECONDS_P95 = "COMPLETE_SECONDS_P95"


class LineMeasure(StrEnum):
    COUNT = "COUNT"
    DISTINCT_ORDERS = "DISTINCT_ORDERS"
    DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS"
    UNITS = "UNITS"
    SHIPPED_UNITS = "SHIPPED_UNITS"
    REFUNDED_UNITS = "REFUNDED_UNITS"
    UNIT_PRICE_SUM = "UNIT_PRICE_SUM"
    UNIT_PRICE_AVG = "UNIT_PRICE_AVG"
    UNIT_PRICE_MIN = "UNIT_PRICE_MIN"
    UNIT_PRICE_MAX = "UNIT_PRICE_MAX"
    GOODS_AMOUNT_SUM = "GOODS_AMOUNT_SUM"
    GOODS_AMOUNT_AVG = "GOODS_AMOUNT_AVG"
    GOODS_AMOUNT_MIN = "GOODS_AMOUNT_MIN"
    GOODS_AMOUNT_MAX = "GOODS_AMOUNT_MAX"
    DISCOUNT_SHARE_SUM = "DISCOUNT_SHARE_SUM"
    DISCOUNT_SHARE_AVG = "DISCOUNT_SHARE_AVG"
    DISCOUNT_SHARE_MIN = "DISCOUNT_SHARE_MIN"
    DISCOUNT_SHARE_MAX = "DISCOUNT_SHARE_MAX"
    PAID_AMOUNT_SUM = "PAID_AMOUNT_SUM"
    PAID_AMOUNT_AVG = "PAID_AMOUNT_AVG"
    PAID_AMOUNT_MIN = "PAID_AMOUNT_MIN"
    PAID_AMOUNT_MAX = "PAID_AMOUNT_MAX"
    REFUNDED_AMOUNT_SUM = "REFUNDED_AMOUNT_SUM"
    REFUNDED_AMOUNT_AVG = "REFUNDED_AMOUNT_AVG"
    REFUNDED_AMOUNT_MIN = "REFUNDED_AMOUNT_MIN"
    REFUNDED_AMOUNT_MAX = "REFUNDED_AMOUNT_MAX"


class AfterSaleMeasure(StrEnum):
    COUNT = "COUNT"
    DISTINCT_AFTER_SALES = "DISTINCT_AFTER_SALES"
    DISTINCT_ORDERS = "DISTINCT_ORDERS"
    DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS"
    UNITS = "UNITS"
    REFUND_AMOUNT_SUM = "REFUND_AMOUNT_SUM"
    REFUND_AMOUNT_AVG = "REFUND_AMOUNT_AVG"
    REFUND_AMOUNT_MIN = "REFUND_AMOUNT_MIN"
    REFUND_AMOUNT_MAX = "REFUND_AMOUNT_MAX"
    REVIEW_SECONDS_SUM = "REVIEW_SECONDS_SUM"
    REVIEW_SECONDS_AVG = "REVIEW_SECONDS_AVG"
    REVIEW_SECONDS_MIN = "REVIEW_SECONDS_MIN"
    REVIEW_SECONDS_MAX = "REVIEW_SECONDS_MAX"
    REVIEW_SECONDS_P50 = "REVIEW_SECONDS_P50"
    REVIEW_SECONDS_P90 = "REVIEW_SECONDS_P90"
    REVIEW_SECONDS_P95 = "REVIEW_SECONDS_P95"
    REFUND_SECONDS_SUM = "REFUND_SECONDS_SUM"
    REFUND_SECONDS_AVG = "REFUND_SECONDS_AVG"
    REFUND_SECONDS_MIN = "REFUND_SECONDS_MIN"
    REFUND_SECONDS_MAX = "REFUND_SECONDS_MAX"
    REFUND_SECONDS_P50 = "REFUND_SECONDS_P50"
    REFUND_SECONDS_P90 = "REFUND_SECONDS_P90"
    REFUND_SECONDS_P95 = "REFUND_SECONDS_P95"


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    """How to compute a measure from the rows subquery; `needs` are the row columns it reads."""

    kind: Kind
    needs: tuple[str, ...]
    build: Callable[[Subquery], ColumnElement[Any]]
    exact: bool
    """True when the value is a whole number (counts, sums, min, max); False for averages and ratios."""
    percentile: float | None = None
    """For a percentile of `needs[0]`: its fraction (computed by `statement.percentile_sql`)."""


def order_columns(dialect: str) -> dict[str, SQLColumnExpression[Any]]:
    """Row columns an order measure may read (`queries.py` selects the needed ones)."""
    return {
        "customer_id": Order.customer_id,
        "paid": case((Order.paid_at.is_not(None), 1), else_=0),
        "refunded": case((Order.refunded_amount > 0, 1), else_=0),
        **{name.lower(): getattr(Order, name.lower()) for name in _ORDER_MONEY},
        "accept_seconds": seconds_between(Order.accepted_at, Order.paid_at, dialect),
        "ship_seconds": seconds_between(Order.shipped_at, Order.accepted_at, dialect),
        "complete_seconds": seconds_between(Order.completed_at, Order.paid_at, dialect),
    }


def line_columns(dialect: str) -> dict[str, SQLColumnExpression[Any]]:
    """Row columns an order-line measure may read."""
    return {
        "order_id": OrderLine.order_id,
        "customer_id": Order.customer_id,
        "quantity": OrderLine.quantity,
        "shipped_quantity": OrderLine.shipped_quantity,
        "refunded_quantity": OrderLine.refunded_quantity,
        "unit_price": OrderLine.unit_price,
        "goods_amount": OrderLine.unit_price * OrderLine.quantity,
        "discount_share": OrderLine.discount_share,
        "paid_amount": OrderLine.paid_amount,
        "refunded_amount": OrderLine.refunded_amount,
    }


def after_sale_columns(dialect: str) -> dict[str, SQLColumnExpression[Any]]:
    """Row columns an after-sale measure may read: one row per after-sale line."""
    return {
        "after_sale_id": AfterSale.id,
        "order_id": AfterSale.order_id,
        "customer_id": AfterSale.customer_id,
        "quantity": AfterSaleLine.quantity,
        "refund_amount": AfterSaleLine.amount,
        "review_seconds": seconds_between(AfterSale.reviewed_at, AfterSale.created_at, dialect),
        "refund_seconds": seconds_between(AfterSale.refunded_at, AfterSale.created_at, dialect),
    }


_ORDER_MONEY: Final = (
    "GOODS_AMOUNT",
    "GOODS_ORIGINAL_AMOUNT",
    "DISCOUNT_AMOUNT",
    "DELIVERY_FEE",
    "PACKAGING_FEE",
    "PAYABLE_AMOUNT",
    "PAID_AMOUNT",
    "REFUNDED_AMOUNT",
)
_ORDER_SECONDS: Final = ("ACCEPT_SECONDS", "SHIP_SECONDS", "COMPLETE_SECONDS")
_LINE_MONEY: Final = ("UNIT_PRICE", "GOODS_AMOUNT", "DISCOUNT_SHARE", "PAID_AMOUNT", "REFUNDED_AMOUNT")


def count_rows(u: Subquery) -> ColumnElement[Any]:
    return func.count()


def distinct_of(column: str) -> MeasureSpec:
    return MeasureSpec(Kind.COUNT, (column,), lambda u: func.count(func.distinct(u.c[column])), True)


def sum_of(column: str, kind: Kind = Kind.COUNT) -> MeasureSpec:
    return MeasureSpec(kind, (column,), lambda u: func.coalesce(func.sum(u.c[column]), 0), True)


def _statistic(column: str, aggregate: str, kind: Kind) -> MeasureSpec:
    if aggregate == "SUM":
        return sum_of(column, kind)
    if aggregate == "AVG":
        return MeasureSpec(kind, (column,), lambda u: func.avg(cast(u.c[column], Float)), False)
    build = func.min if aggregate == "MIN" else func.max
    return MeasureSpec(kind, (column,), lambda u: build(u.c[column]), True)


def ratio_of(part: str, whole: str) -> MeasureSpec:
    def build(u: Subquery) -> ColumnElement[Any]:
        denominator = func.sum(u.c[whole])
        fraction = cast(func.sum(u.c[part]), Float) / cast(denominator, Float)
        return case((denominator > 0, fraction), else_=null())

    return MeasureSpec(Kind.RATIO, (part, whole), build, False)


PERCENTILES: Final = {"P50": 0.5, "P90": 0.9, "P95": 0.95}
"""The percentiles of each duration, by measure suffix."""


def _percentile(column: str, fraction: float, kind: Kind) -> MeasureSpec:
    def build(u: Subquery) -> ColumnElement[Any]:
        return func.percentile_disc(fraction).within_group(u.c[column])

    return MeasureSpec(kind, (column,), build, True, fraction)


def statistics(measures: type[StrEnum], fields: tuple[str, ...], kind: Kind) -> dict[StrEnum, MeasureSpec]:
    """SUM, AVG, MIN and MAX of each field, and for durations their percentiles."""
    found: dict[StrEnum, MeasureSpec] = {}
    for field in fields:
        for aggregate in ("SUM", "AVG", "MIN", "MAX"):
            found[measures(f"{field}_{aggregate}")] = _statistic(field.lower(), aggregate, kind)
        if kind in (Kind.SECONDS, Kind.MILLISECONDS):
            for suffix, fraction in PERCENTILES.items():
                name = f"{field}_{suffix}"
                if name in measures.__members__:
                    found[measures(name)] = _percentile(field.lower(), fraction, kind)
    return found


ORDER_MEASURES: Final[Mapping[StrEnum, MeasureSpec]] = {
    OrderMeasure.COUNT: MeasureSpec(Kind.COUNT, (), count_rows, True),
    OrderMeasure.DISTINCT_CUSTOMERS: distinct_of("customer_id"),
    OrderMeasure.PAID_ORDERS: sum_of("paid"),
    OrderMeasure.PAYING_CUSTOMERS: MeasureSpec(
        Kind.COUNT,
        ("customer_id", "paid"),
        lambda u: func.count(func.distinct(case((u.c.paid > 0, u.c.customer_id)))),
        True,
    ),
    OrderMeasure.REFUNDED_ORDERS: sum_of("refunded"),
    OrderMeasure.REFUND_RATE: ratio_of("refunded", "paid"),
    **statistics(OrderMeasure, _ORDER_MONEY, Kind.MONEY),
    **statistics(OrderMeasure, _ORDER_SECONDS, Kind.SECONDS),
}

LINE_MEASURES: Final[Mapping[StrEnum, MeasureSpec]] = {
    LineMeasure.COUNT: MeasureSpec(Kind.COUNT, (), count_rows, True),
    LineMeasure.DISTINCT_ORDERS: distinct_of("order_id"),
    LineMeasure.DISTINCT_CUSTOMERS: distinct_of("customer_id"),
    LineMeasure.UNITS: sum_of("quantity"),
    LineMeasure.SHIPPED_UNITS: sum_of("shipped_quantity"),
    LineMeasure.REFUNDED_UNITS: sum_of("refunded_quantity"),
    **statistics(LineMeasure, _LINE_MONEY, Kind.MONEY),
}

AFTER_SALE_MEASURES: Final[Mapping[StrEnum, MeasureSpec]] = {
    AfterSaleMeasure.COUNT: MeasureSpec(Kind.COUNT, (), count_rows, True),
    AfterSaleMeasure.DISTINCT_AFTER_SALES: distinct_of("after_sale_id"),
    AfterSaleMeasure.DISTINCT_ORDERS: distinct_of("order_id"),
    AfterSaleMeasure.DISTINCT_CUSTOMERS: distinct_of("customer_id"),
    AfterSaleMeasure.UNITS: sum_of("quantity"),
    **statistics(AfterSaleMeasure, ("REFUND_AMOUNT",), Kind.MONEY),
    **statistics(AfterSaleMeasure, ("REVIEW_SECONDS", "REFUND_SECONDS"), Kind.SECONDS),
}

_DESCRIBED: Final = {
    "COUNT": "How many rows (orders / lines / after-sale lines / page views) the group holds.",
    "DISTINCT_AFTER_SALES": "Distinct after-sales of the group's lines.",
    "VISITORS": "Distinct visitor ids (UV).",
    "SESSIONS": "Distinct visit sessions.",
    "DISTINCT_CUSTOMERS": "Distinct customers of the group's rows.",
    "DISTINCT_ORDERS": "Distinct orders of the group's lines.",
    "PAID_ORDERS": "Orders that were paid (paid at is set).",
    "PAYING_CUSTOMERS": "Distinct customers with a paid order in the group (付款人数).",
    "REFUNDED_ORDERS": "Orders with a refunded amount above zero.",
    "REFUND_RATE": "Refunded orders / paid orders, a fraction (null without paid orders).",
    "UNITS": "Units ordered (after-sales: units asked back), the sum of quantities.",
    "SHIPPED_UNITS": "Units shipped.",
    "REFUNDED_UNITS": "Units refunded.",
    "ISSUED": "Coupons issued (every state).",
    "USED": "Coupons in the USED state.",
    "EXPIRED": "Coupons in the EXPIRED state (the sweeper marks them within minutes of their end).",
    "VOIDED": "Coupons voided by HQ.",
    "USAGE_RATE": "Used / issued, a fraction (null without coupons).",
    "DISCOUNT_SUM": "What the used coupons took off their paid orders (their coupon layer, net of "
    "the goods coupon's share of refunded units; cents).",
    "ORDERS": "Distinct paid orders the used coupons are in.",
    "GMV": "Those orders' paid amount net of refunds, each order once (cents).",
}
_FIELDS: Final = {
    "ACCEPT_SECONDS": "seconds from payment to acceptance",
    "SHIP_SECONDS": "seconds from acceptance to shipping",
    "COMPLETE_SECONDS": "seconds from payment to completion",
    "GOODS_AMOUNT": "goods amount (cents)",
    "GOODS_ORIGINAL_AMOUNT": "goods amount at original prices (cents)",
    "DISCOUNT_AMOUNT": "discount (cents)",
    "DELIVERY_FEE": "delivery fee (cents)",
    "PACKAGING_FEE": "packaging fee (cents)",
    "PAYABLE_AMOUNT": "payable amount (cents)",
    "PAID_AMOUNT": "paid amount (cents)",
    "REFUNDED_AMOUNT": "refunded amount (cents)",
    "UNIT_PRICE": "unit price (cents)",
    "DISCOUNT_SHARE": "discount share (cents)",
    "REFUND_AMOUNT": "line's refund amount (cents; asked, or refunded once REFUNDED)",
    "REVIEW_SECONDS": "seconds from the request to the merchant's decision",
    "REFUND_SECONDS": "seconds from the request to the refund",
    "DWELL_MS": "time on the page (milliseconds)",
}
_AGGREGATES: Final = {
    "SUM": "Sum",
    "AVG": "Average",
    "MIN": "Minimum",
    "MAX": "Maximum",
    "P50": "Median (exact discrete 50th percentile: the k-th smallest value, k = ceil(0.5 n))",
    "P90": "Exact discrete 90th percentile (the k-th smallest value, k = ceil(0.9 n))",
    "P95": "Exact discrete 95th percentile (the k-th smallest value, k = ceil(0.95 n))",
}


def describe(measure: StrEnum) -> str:
    """The description of a measure, for the GraphQL enum."""
    name = measure.value
    if name in _DESCRIBED:
        return _DESCRIBED[name]
    field, _, aggregate = name.rpartition("_")
    return f"{_AGGREGATES[aggregate]} of the {_FIELDS[field]}; null when no row has it."
