"""Customer reads, scoped to what the principal may see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models.customers import Customer
from models.principals import Principal
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import customer_visibility

CUSTOMERS_NEWEST_FIRST = Sort(
    "REGISTERED_AT",
    (SortKey(Customer.registered_at, True, datetime), SortKey(Customer.id, True)),
    lambda c: (c.registered_at, c.id),
)


async def list_customers(sessions: SessionFactory, principal: Principal, page: PageRequest) -> Page[Customer]:
    stmt = select(Customer).where(customer_visibility(principal))
    return await paginate(sessions, stmt, CUSTOMERS_NEWEST_FIRST, page)
