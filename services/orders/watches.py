"""Watch lists: a back-office user watches (关注) or stops watching an order they may see.

Both use cases are idempotent by nature — watching a watched order or unwatching an unwatched one
changes nothing and succeeds — and safe under concurrency: the watch is inserted with ON CONFLICT
DO NOTHING, so two clicks at once leave one row and no error. The list is read by the order search
(`watched:true`, services/orders/search.py), always the caller's own.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.orders.watches import OrderWatch
from services.commands import Result, Work
from services.metrics.sql import dialect_of, insert_ignoring
from services.scoping import order_visibility


async def set_watched(work: Work, order_id: int, watched: bool) -> Result:
    """Put the order on the caller's watch list or take it off; NOT_FOUND unless they may see it."""
    visible = await work.session.scalar(
        select(Order.id).where(Order.id == order_id, order_visibility(work.principal))
    )
    if visible is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such order", "orderId")
    key = work.principal.key
    if watched:
        row = {"watcher_key": key, "order_id": order_id, "created_at": work.now}
        await work.session.execute(
            insert_ignoring(dialect_of(work.session), OrderWatch.__table__, [row])  # type: ignore[arg-type]
        )
    else:
        await work.session.execute(
            delete(OrderWatch).where(OrderWatch.watcher_key == key, OrderWatch.order_id == order_id)
        )
    return {"orderId": order_id, "watched": watched}
