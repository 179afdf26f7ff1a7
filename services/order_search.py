"""The admin order list: filtering, sorting and paging orders within the caller's scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models.orders import Order
from models.principals import Principal
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import order_visibility

ORDERS_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(Order.created_at, True, datetime), SortKey(Order.id, True)),
    lambda o: (o.created_at, o.id),
)


async def list_orders(sessions: SessionFactory, principal: Principal, page: PageRequest) -> Page[Order]:
    stmt = select(Order).where(order_visibility(principal))
    return await paginate(sessions, stmt, ORDERS_NEWEST_FIRST, page)
