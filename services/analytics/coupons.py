"""The coupons fact of the aggregate queries: one row per issued coupon, with the paid order that
used it (when it is USED) and what its coupon layer took off that order.

Measures: ISSUED counts coupons; USED / EXPIRED / VOIDED those in that state now; DISCOUNT_SUM the
coupon layers (goods or shipping coupon) of their orders net of refunds (`services.coupons.costs`);
ORDERS the distinct orders they are used in; GMV those orders' paid amount net of refunds, each
order once (under its first coupon, by id, when it used two). STORE and CHANNEL are the using
order's (null: not used); time buckets read ISSUED_AT or USED_AT. Scope: HQ and analysts every
coupon; store staff the coupons valid at one of their stores, less those spent at another store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from models.coupons.rows import CustomerCoupon, OrderAdjustment
from models.coupons.rules import CouponIssueCause, CouponStatus, CouponType
from models.enums import Role
from models.orders.rows import Order
from models.pricing.cart import COUPON_LAYERS
from models.principals import Principal
from services.analytics.dimensions import TIME_BUCKETS, Dimension, time_key
from services.analytics.measures import Kind, MeasureSpec, count_rows, distinct_of, ratio_of, sum_of
from services.coupons.costs import net_coupon_cost
from services.metrics.coupons import valid_at


class CouponMeasure(StrEnum):
    ISSUED = "ISSUED"
    USED = "USED"
    EXPIRED = "EXPIRED"
    VOIDED = "VOIDED"
    USAGE_RATE = "USAGE_RATE"
    DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS"
    DISCOUNT_SUM = "DISCOUNT_SUM"
    ORDERS = "ORDERS"
    GMV = "GMV"


COUPON_MEASURES: Final[Mapping[StrEnum, MeasureSpec]] = {
    CouponMeasure.ISSUED: MeasureSpec(Kind.COUNT, (), count_rows, True),
    CouponMeasure.USED: sum_of("used"),
    CouponMeasure.EXPIRED: sum_of("expired"),
    CouponMeasure.VOIDED: sum_of("voided"),
    CouponMeasure.USAGE_RATE: ratio_of("used", "issued"),
    CouponMeasure.DISTINCT_CUSTOMERS: distinct_of("customer_id"),
    CouponMeasure.DISCOUNT_SUM: sum_of("discount", Kind.MONEY),
    CouponMeasure.ORDERS: distinct_of("order_id"),
    CouponMeasure.GMV: sum_of("gmv", Kind.MONEY),
}

COUPON_ALLOWED: Final = frozenset(
    {
        *TIME_BUCKETS,
        Dimension.COUPON_TEMPLATE,
        Dimension.COUPON_TYPE,
        Dimension.ISSUE_CAUSE,
        Dimension.COUPON_STATUS,
        Dimension.CAMPAIGN,
        Dimension.STORE,
        Dimension.CHANNEL,
    }
)
"""The dimensions an issued coupon has."""


@dataclass(frozen=True, slots=True)
class CouponCriteria:
    """Each given part narrows (empty: any); ids are database ids."""

    template_ids: tuple[int, ...] = ()
    types: tuple[CouponType, ...] = ()
    causes: tuple[CouponIssueCause, ...] = ()
    statuses: tuple[CouponStatus, ...] = ()
    store_ids: tuple[int, ...] = ()
    """Stores the coupons were used at."""


_UsedOrder = aliased(Order, name="used_order")
_Layer = aliased(OrderAdjustment, name="coupon_layer")


def _first_of_order() -> ColumnElement[bool]:
    other = aliased(CustomerCoupon, name="other_coupon")
    earlier = select(other.id).where(
        other.used_order_id == CustomerCoupon.used_order_id,
        other.status == CouponStatus.USED,
        other.id < CustomerCoupon.id,
    )
    return ~earlier.exists()


def _columns(dialect: str) -> dict[str, SQLColumnExpression[Any]]:
    c, o = CustomerCoupon, _UsedOrder

    def flag(status: CouponStatus) -> ColumnElement[int]:
        return case((c.status == status, 1), else_=0)

    return {
        "issued": literal(1),
        "used": flag(CouponStatus.USED),
        "expired": flag(CouponStatus.EXPIRED),
        "voided": flag(CouponStatus.VOIDED),
        "customer_id": c.customer_id,
        "discount": func.coalesce(net_coupon_cost(_Layer, dialect), 0),
        "order_id": o.id,
        "gmv": case((and_(o.id.is_not(None), _first_of_order()), o.paid_amount - o.refunded_amount), else_=0),
    }


_OWN: Final[Mapping[Dimension, Any]] = {
    Dimension.COUPON_TEMPLATE: CustomerCoupon.template_id,
    Dimension.COUPON_TYPE: CustomerCoupon.type,
    Dimension.ISSUE_CAUSE: CustomerCoupon.issue_cause,
    Dimension.COUPON_STATUS: CustomerCoupon.status,
    Dimension.CAMPAIGN: CustomerCoupon.campaign_id,
    Dimension.STORE: _UsedOrder.store_id,
    Dimension.CHANNEL: _UsedOrder.channel,
}


def moment_of(time: str) -> SQLColumnExpression[Any]:
    return CustomerCoupon.used_at if time == "USED_AT" else CustomerCoupon.issued_at


def _scope(principal: Principal, dialect: str) -> ColumnElement[bool]:
    if principal.sees_all_stores():
        return true()
    if principal.role is Role.STORE_STAFF and principal.store_ids:
        stores = frozenset(principal.store_ids)
        return and_(
            valid_at(stores, dialect), or_(_UsedOrder.id.is_(None), _UsedOrder.store_id.in_(sorted(stores)))
        )
    return false()


def _filter(c: CouponCriteria) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = []
    for column, values in (
        (CustomerCoupon.template_id, c.template_ids),
        (CustomerCoupon.type, c.types),
        (CustomerCoupon.issue_cause, c.causes),
        (CustomerCoupon.status, c.statuses),
        (_UsedOrder.store_id, c.store_ids),
    ):
        if values:
            parts.append(and_(column.is_not(None), column.in_(sorted(values))))
    return parts


def coupon_rows(
    group_by: Sequence[Dimension],
    needed: Sequence[str],
    time: str,
    criteria: CouponCriteria,
    principal: Principal,
    span: tuple[datetime, datetime] | None,
    zone: tzinfo,
    dialect: str,
) -> Select[Any]:
    """One row per issued coupon in scope: keys k0.. and the columns the measures read."""
    columns, moment = _columns(dialect), moment_of(time)
    keys: list[Any] = [
        (time_key(d, moment, zone, dialect, span) if d in TIME_BUCKETS else _OWN[d]).label(f"k{i}")
        for i, d in enumerate(group_by)
    ]
    c, o = CustomerCoupon, _UsedOrder
    stmt: Select[Any] = (
        select(c.id.label("coupon_row"), *keys, *(columns[n].label(n) for n in needed))
        .select_from(c)
        .outerjoin(o, and_(o.id == c.used_order_id, c.status == CouponStatus.USED, o.paid_at.is_not(None)))
        .outerjoin(
            _Layer, and_(_Layer.order_id == o.id, _Layer.source_id == c.id, _Layer.layer.in_(COUPON_LAYERS))
        )
        .where(_scope(principal, dialect), *_filter(criteria))
    )
    if span is not None:
        stmt = stmt.where(moment >= span[0], moment < span[1])
    return stmt
