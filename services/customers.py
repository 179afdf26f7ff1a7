"""Customers (客户管理): the filtered list, trading summaries and a customer's orders, all scoped.

What a caller learns about a customer's trading comes only from the orders the caller may see:
a store's staff see what the customer spent in their stores, HQ and analysts the whole chain.
Phone search is refused to analysts, who see phones masked (a search would confirm a number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select

from models.customers.lifecycle import LifecycleSegment, segment_window
from models.customers.rows import Customer
from models.enums import MemberLevel, Role
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.principals import Principal
from services.db import SessionFactory
from services.orders.sorting import ORDERS_NEWEST_FIRST
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import customer_visibility, order_visibility

CUSTOMERS_NEWEST_FIRST = Sort(
    "REGISTERED_AT",
    (SortKey(Customer.registered_at, True, datetime), SortKey(Customer.id, True)),
    lambda c: (c.registered_at, c.id),
)
DIGITS = re.compile(r"^\d{4}$|^\d{7,15}$")


@dataclass(frozen=True, slots=True)
class CustomerCriteria:
    """Every given condition must hold. Ranges are half-open [from, to); amounts inclusive cents."""

    registered_from: datetime | None = None
    registered_to: datetime | None = None
    member_levels: tuple[MemberLevel, ...] = ()
    is_new: bool | None = None
    """True: no paid order yet (新客); False: returning (老客)."""
    last_order_from: datetime | None = None
    last_order_to: datetime | None = None
    spent_min: int | None = None
    spent_max: int | None = None
    phone: str | None = None
    """The whole number, or its last four digits (尾号)."""
    segment: LifecycleSegment | None = None
    nickname: str | None = None


def spent_expression(principal: Principal) -> Any:
    """What a customer paid (分) over the orders the caller may see, as a correlated subquery."""
    return (
        select(func.coalesce(func.sum(Order.paid_amount), 0))
        .where(Order.customer_id == Customer.id, Order.paid_at.is_not(None), order_visibility(principal))
        .scalar_subquery()
    )


def _phone(principal: Principal, phone: str) -> ColumnElement[bool]:
    if principal.role is Role.ANALYST:
        raise DomainError(ErrorCode.FORBIDDEN, "analysts may not search customers by phone", "filter.phone")
    digits = phone.strip()
    if not DIGITS.match(digits):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "a phone is its last 4 digits or 7-15 digits", "filter.phone"
        )
    return Customer.phone_last4 == digits if len(digits) == 4 else Customer.phone == digits


def _segment(segment: LifecycleSegment, now: datetime, zone: tzinfo) -> ColumnElement[bool]:
    if segment is LifecycleSegment.NO_ORDERS:
        return Customer.last_order_at.is_(None)
    start, end = segment_window(segment, now, zone)
    parts: list[ColumnElement[bool]] = [Customer.last_order_at.is_not(None)]
    if start is not None:
        parts.append(Customer.last_order_at >= start)
    if end is not None:
        parts.append(Customer.last_order_at < end)
    return and_(*parts)


def customer_conditions(
    principal: Principal, c: CustomerCriteria, now: datetime, zone: tzinfo
) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [customer_visibility(principal)]
    for column, start, end in (
        (Customer.registered_at, c.registered_from, c.registered_to),
        (Customer.last_order_at, c.last_order_from, c.last_order_to),
    ):
        if start is not None:
            parts.append(column >= start)
        if end is not None:
            parts.append(column < end)
    if c.member_levels:
        parts.append(Customer.member_level.in_(c.member_levels))
    if c.is_new is not None:
        parts.append(Customer.first_paid_at.is_(None) if c.is_new else Customer.first_paid_at.is_not(None))
    if c.spent_min is not None or c.spent_max is not None:
        spent = spent_expression(principal)
        if c.spent_min is not None:
            parts.append(spent >= c.spent_min)
        if c.spent_max is not None:
            parts.append(spent <= c.spent_max)
    if c.phone:
        parts.append(_phone(principal, c.phone))
    if c.segment is not None:
        parts.append(_segment(c.segment, now, zone))
    if c.nickname:
        parts.append(Customer.nickname.contains(c.nickname.strip(), autoescape=True))
    return and_(*parts)


async def list_customers(
    sessions: SessionFactory,
    principal: Principal,
    criteria: CustomerCriteria,
    page: PageRequest,
    *,
    now: datetime,
    zone: tzinfo,
) -> Page[Customer]:
    """Newest registration first. `now` and `zone` place the lifecycle windows of a segment filter."""
    condition = customer_conditions(principal, criteria, now, zone)
    return await paginate(sessions, select(Customer).where(condition), CUSTOMERS_NEWEST_FIRST, page)


@dataclass(frozen=True, slots=True)
class TradingSummary:
    """A customer's trading (交易信息) over the orders the caller may see. Money in cents."""

    order_count: int = 0
    paid_order_count: int = 0
    spent: int = 0
    refunded: int = 0
    refunded_order_count: int = 0
    last_order_at: datetime | None = None

    @property
    def average_order_value(self) -> int:
        """客单价 of this customer: spent / paid orders, rounded half up to the cent."""
        if not self.paid_order_count:
            return 0
        return (2 * self.spent + self.paid_order_count) // (2 * self.paid_order_count)


async def trading_summaries(
    sessions: SessionFactory, principal: Principal, customer_ids: Sequence[int]
) -> dict[int, TradingSummary]:
    """One grouped query for a batch of customers (the customer trading loader's batch)."""
    paid = Order.paid_at.is_not(None)
    stmt = (
        select(
            Order.customer_id,
            func.count(Order.id),
            func.count(Order.paid_at),
            func.coalesce(func.sum(case((paid, Order.paid_amount), else_=0)), 0),
            func.coalesce(func.sum(Order.refunded_amount), 0),
            func.count(case((Order.refunded_amount > 0, Order.id))),
            func.max(Order.created_at),
        )
        .where(Order.customer_id.in_(set(customer_ids)), order_visibility(principal))
        .group_by(Order.customer_id)
    )
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    return {
        int(cid): TradingSummary(int(n), int(paid_n), int(spent), int(refunded), int(refunded_n), last)
        for cid, n, paid_n, spent, refunded, refunded_n, last in rows
    }


async def customer_orders(
    sessions: SessionFactory, principal: Principal, customer_id: int, page: PageRequest
) -> Page[Order]:
    """The customer's orders (订单记录) that the caller may see, newest first."""
    stmt = select(Order).where(Order.customer_id == customer_id, order_visibility(principal))
    return await paginate(sessions, stmt, ORDERS_NEWEST_FIRST, page)
