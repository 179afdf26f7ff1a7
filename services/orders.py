"""Order use cases: lookups and (with the order-handling issue) every transition."""

from __future__ import annotations

from sqlalchemy import select

from models.orders import Order
from models.principals import Principal
from services.db import SessionFactory
from services.scoping import order_visibility


async def find_order_by_no(sessions: SessionFactory, principal: Principal, order_no: str) -> Order | None:
    async with sessions() as session:
        return await session.scalar(
            select(Order).where(Order.order_no == order_no, order_visibility(principal))
        )
