"""Coupon figures (优惠券数据) of the metrics: issued, used, usage rate, discount cost, orders and
sales driven; raw rows only (no rollup), through the same engine, ranges and store scope.

* issued — coupons issued in the range (any path); a store scope keeps the coupons valid at one
  of its stores (coupons of every store included);
* used / coupon orders / discount — paid orders (counted at payment, at their store) whose coupon
  is still USED by them: a refund of every unit before completion gives the coupon back, and the
  order then no longer counts; discount = the coupon layers (goods and shipping coupon) of those
  orders, less the goods coupon's share of the units refunded since (`services.coupons.costs`,
  the sum of the refunds' `refundLayers.goodsCoupon`);
* sales driven — those orders' paid amount net of refunds (as campaigns count their sales).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from models.coupons.rows import CustomerCoupon, OrderAdjustment
from models.coupons.rules import CouponStatus
from models.metrics.rules import ratio
from models.orders.rows import Order
from models.pricing.cart import COUPON_LAYERS
from services.coupons.costs import net_coupon_cost
from services.metrics.facts import Fact, RawFilter, Rows
from services.metrics.measures import total
from services.metrics.sections import Section
from services.metrics.sql import in_spans


def valid_at(stores: frozenset[int], dialect: str) -> ColumnElement[bool]:
    """The coupon is valid at one of `stores`: no store list, or a list naming one of them."""
    listed = CustomerCoupon.store_ids
    if dialect == "postgresql":
        names = [cast(literal(f"[{s}]"), JSONB) for s in sorted(stores)]
        return or_(
            listed.is_(None),
            func.jsonb_typeof(listed) == "null",
            *(cast(listed, JSONB).op("@>")(n) for n in names),
        )
    each = func.json_each(listed).table_valued("value")
    named = select(literal(1)).select_from(each).where(cast(each.c.value, Integer).in_(sorted(stores)))
    return or_(listed.is_(None), func.json_type(listed) == "null", exists(named))


def _store_id() -> ColumnElement[int]:
    return func.coalesce(Order.store_id, 0).label("store_id")


def _issued(f: RawFilter, dialect: str) -> Rows:
    c = CustomerCoupon
    statement = select(
        c.issued_at.label("at"), literal(0).label("store_id"), literal(1).label("issued")
    ).where(in_spans(c.issued_at, f.spans))
    if f.stores is not None:
        statement = statement.where(valid_at(f.stores, dialect))
    return statement


def _used(f: RawFilter, dialect: str) -> Rows:
    c, a = CustomerCoupon, OrderAdjustment
    return (
        select(
            Order.paid_at.label("at"),
            _store_id(),
            literal(1).label("coupons_used"),
            net_coupon_cost(a, dialect).label("coupon_discount"),
            Order.id.label("order_id"),
        )
        .join(c, and_(c.used_order_id == Order.id, c.status == CouponStatus.USED))
        .join(a, and_(a.order_id == Order.id, a.source_id == c.id, a.layer.in_(COUPON_LAYERS)))
        .where(Order.paid_at.is_not(None), f(Order.paid_at, Order.store_id))
    )


def _orders(f: RawFilter, dialect: str) -> Rows:
    c = CustomerCoupon
    used = exists(select(c.id).where(c.used_order_id == Order.id, c.status == CouponStatus.USED))
    return select(
        Order.paid_at.label("at"),
        _store_id(),
        literal(1).label("coupon_orders"),
        (Order.paid_amount - Order.refunded_amount).label("coupon_sales"),
    ).where(Order.paid_at.is_not(None), used, f(Order.paid_at, Order.store_id))


COUPONS_ISSUED = Fact("coupons_issued", _issued)
COUPONS_USED = Fact("coupons_used", _used)
COUPON_ORDERS = Fact("coupon_orders", _orders)

COUPONS = Section(
    "coupons",
    (
        (COUPONS_ISSUED, {"coupons_issued": total("issued")}),
        (COUPONS_USED, {"coupons_used": total("coupons_used"), "coupon_discount": total("coupon_discount")}),
        (COUPON_ORDERS, {"coupon_orders": total("coupon_orders"), "coupon_sales": total("coupon_sales")}),
    ),
    {"usage_rate": lambda v: ratio(v["coupons_used"], v["coupons_issued"])},
)
