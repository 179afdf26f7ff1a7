"""The support log (操作日志 by customer): every step taken on a customer's orders and after-sales.

Support staff are asked "what happened to my order?" by a caller who gives a phone number. This
reads the two timelines — order events and after-sale events — of the orders whose buyer has that
phone or whose consignee does, within the caller's order scope and a time range, newest first.
A whole number is required (a 尾号 would match strangers); analysts, who see phones masked, may
not search by phone at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, or_, select, true

from models.after_sales.rows import AfterSale, AfterSaleEvent
from models.customers.rows import Customer
from models.enums import ActorType, Role
from models.errors import DomainError, ErrorCode
from models.orders import filters as f
from models.orders.rows import Order, OrderEvent
from models.principals import Principal
from services.db import SessionFactory
from services.scoping import order_visibility

MAX_ENTRIES: Final = 100
"""The page-size limit every `first` argument has (gql/gate/limits.py)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: datetime
    order_id: int
    order_no: str
    after_sale_no: str | None
    """Set for a step of an after-sale, None for a step of the order itself."""
    action: str | None
    from_status: str | None
    to_status: str
    actor_type: ActorType
    actor_id: str | None
    payload: dict[str, Any]


def support_phone(text: str) -> str:
    """The whole number, normalised as stored; BAD_USER_INPUT for anything else (a 尾号 included)."""
    phone = f.normalize_phone(text)
    if phone is None or len(phone) < 7:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the customer's whole phone number", "phone")
    return phone


async def customer_log(
    sessions: SessionFactory,
    principal: Principal,
    phone_text: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[LogEntry]:
    """At most `limit` (≤ MAX_ENTRIES) steps in [start, end), newest first; at one moment, the
    order's own steps before its after-sales', each table's newest row first."""
    if principal.role is Role.ANALYST:
        raise DomainError(ErrorCode.FORBIDDEN, "analysts may not search by phone", "phone")
    phone = support_phone(phone_text)
    if not 1 <= limit <= MAX_ENTRIES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"first is 1 to {MAX_ENTRIES}", "first")
    buyer = select(Customer.id).where(Customer.phone == phone)
    orders = select(Order.id).where(
        or_(Order.consignee_phone == phone, Order.customer_id.in_(buyer)), order_visibility(principal)
    )

    def within(column: Any) -> ColumnElement[bool]:
        bounds = [column >= start] if start is not None else []
        if end is not None:
            bounds.append(column < end)
        return and_(*bounds) if bounds else true()

    order_steps = (
        select(OrderEvent, Order.order_no)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.order_id.in_(orders), within(OrderEvent.created_at))
        .order_by(OrderEvent.created_at.desc(), OrderEvent.id.desc())
        .limit(limit)
    )
    after_sale_steps = (
        select(AfterSaleEvent, AfterSale.after_sale_no, AfterSale.order_id, Order.order_no)
        .join(AfterSale, AfterSale.id == AfterSaleEvent.after_sale_id)
        .join(Order, Order.id == AfterSale.order_id)
        .where(AfterSale.order_id.in_(orders), within(AfterSaleEvent.created_at))
        .order_by(AfterSaleEvent.created_at.desc(), AfterSaleEvent.id.desc())
        .limit(limit)
    )
    async with sessions() as session:
        entries = [
            LogEntry(
                e.created_at,
                e.order_id,
                order_no,
                None,
                e.action.value if e.action else None,
                e.from_status.value if e.from_status else None,
                e.to_status.value,
                e.actor_type,
                e.actor_id,
                dict(e.payload),
            )
            for e, order_no in (await session.execute(order_steps)).all()
        ]
        entries += [
            LogEntry(
                e.created_at,
                order_id,
                order_no,
                after_sale_no,
                e.action.value,
                e.from_status.value if e.from_status else None,
                e.to_status.value,
                e.actor_type,
                e.actor_id,
                dict(e.payload),
            )
            for e, after_sale_no, order_id, order_no in (await session.execute(after_sale_steps)).all()
        ]
    entries.sort(key=lambda x: x.at, reverse=True)  # stable: ties keep the order steps first
    return entries[:limit]
