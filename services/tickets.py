"""What a picking ticket / receipt (拣货单 / 小票) shows: orders in the caller's scope with their lines.

Read-only; the caller's visibility applies (another store's order is simply absent). Pure data
out; the edge (gql/http/tickets.py) renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from models.catalog.rows import Sku
from models.deliveries.rows import Delivery
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from models.stores.rows import Store
from services.db import SessionFactory
from services.scoping import order_visibility

MAX_TICKETS = 50


@dataclass(frozen=True, slots=True)
class Ticket:
    order: Order
    lines: list[OrderLine]
    store: Store | None
    delivery: Delivery | None
    sku_codes: dict[int, str]
    """SKU code (货号) of each line's SKU, by SKU id."""


async def load_tickets(
    sessions: SessionFactory, principal: Principal, order_ids: Sequence[int]
) -> list[Ticket]:
    """The visible orders among `order_ids`, in the order asked (missing or hidden ones left out)."""
    wanted = list(dict.fromkeys(order_ids))[:MAX_TICKETS]
    async with sessions() as session:
        orders = (
            await session.scalars(select(Order).where(Order.id.in_(wanted), order_visibility(principal)))
        ).all()
        ids = [o.id for o in orders]
        lines = (
            await session.scalars(select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id))
        ).all()
        store_ids = {o.store_id for o in orders if o.store_id is not None}
        stores = {
            s.id: s for s in (await session.scalars(select(Store).where(Store.id.in_(store_ids)))).all()
        }
        sku_ids = {line.sku_id for line in lines}
        found_skus = await session.execute(select(Sku.id, Sku.sku_code).where(Sku.id.in_(sku_ids)))
        sku_codes: dict[int, str] = dict(found_skus.all())
        deliveries = {
            d.order_id: d
            for d in (await session.scalars(select(Delivery).where(Delivery.order_id.in_(ids)))).all()
        }
    by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    found = {o.id: o for o in orders}
    tickets = []
    for i in wanted:
        order = found.get(i)
        if order is not None:
            store = stores.get(order.store_id) if order.store_id is not None else None
            tickets.append(Ticket(order, by_order.get(i, []), store, deliveries.get(i), sku_codes))
    return tickets
