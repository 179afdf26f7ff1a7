"""What a used coupon cost, net of refunds, as one SQL expression over its order adjustment.

A refund of units takes back each discount layer by its cumulative share (`refund_slice`), so the
goods coupon's share taken back from a line after R of its Q units were refunded is exactly
floor(share × R / Q), however many refunds it took. The coupon's cost is its adjustment less those
shares over the order's lines (`line_shares` is aligned with the lines by id). A shipping coupon
costs its amount, unless the fees went back (every unit refunded before completion): then the
delivery never took place and it cost nothing, whether or not its policy restored it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.pricing.cart import Layer


def _share_at(adjustment: Any, index: ColumnElement[int], dialect: str) -> ColumnElement[int]:
    """The adjustment's share of the index-th line (0 when the list is shorter)."""
    shares = adjustment.line_shares
    found: ColumnElement[Any]
    if dialect == "postgresql":
        found = type_coerce(shares, JSONB).op("->>")(cast(index, Integer))
    else:
        found = func.json_extract(shares, func.printf("$[%d]", index))
    return func.coalesce(cast(found, Integer), 0)


def net_coupon_cost(adjustment: Any, dialect: str) -> ColumnElement[int]:
    """`adjustment.amount` less the goods coupon share its order's refunded units took back."""
    line, earlier = aliased(OrderLine, name="refunded_line"), aliased(OrderLine, name="earlier_line")
    position = (
        select(func.count()).where(earlier.order_id == line.order_id, earlier.id < line.id).scalar_subquery()
    )
    share = _share_at(adjustment, position, dialect)
    back = (
        select(func.coalesce(func.sum(share * line.refunded_quantity // line.quantity), 0))
        .where(line.order_id == adjustment.order_id, line.refunded_quantity > 0)
        .scalar_subquery()
    )
    kept, closed = aliased(OrderLine, name="kept_line"), aliased(Order, name="fees_back_order")
    fees_back = and_(
        ~exists().where(kept.order_id == adjustment.order_id, kept.refunded_quantity < kept.quantity),
        exists().where(closed.id == adjustment.order_id, closed.status != OrderStatus.COMPLETED),
    )
    return case(
        (adjustment.layer == Layer.COUPON, adjustment.amount - back),
        (fees_back, 0),
        else_=adjustment.amount,
    )
