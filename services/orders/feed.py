"""The live order feed behind the `orderEvents` and `myOrderUpdates` subscriptions.

The order timeline (`order_events`) replayed and followed live by `services.timeline_feed`
(subscribe first, replay from the cursor, then live, with catch-up reads; see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, true

from models.orders.event_types import OrderEventType, event_type
from models.orders.rows import Order, OrderEvent
from services.event_bus import ORDER_FEED, EventNotice
from services.timeline_feed import AnyRow, AnySelect, TimelineFeed, notice_in_scope


@dataclass(frozen=True, slots=True)
class FeedScope:
    """Whose events a subscriber may see, and which it asked for."""

    store_ids: frozenset[int] | None = None
    """None: every store (HQ)."""
    customer_id: int | None = None
    """Set: only this shopper's orders."""
    types: frozenset[OrderEventType] | None = None

    def accepts(self, notice: EventNotice) -> bool:
        return notice_in_scope(notice, ORDER_FEED, self.store_ids, self.customer_id, self.types)

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.store_ids is not None:
            clauses.append(OrderEvent.store_id.in_(sorted(self.store_ids)))
        if self.customer_id is not None:
            clauses.append(Order.customer_id == self.customer_id)
        return and_(true(), *clauses)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    type: OrderEventType
    event: OrderEvent
    order: Order


class OrderFeed(TimelineFeed[FeedScope, FeedEvent]):
    def _id(self) -> ColumnElement[int]:
        return OrderEvent.id  # type: ignore[return-value]

    def _created_at(self) -> ColumnElement[datetime]:
        return OrderEvent.created_at  # type: ignore[return-value]

    def _rows(self, scope: FeedScope) -> AnySelect:
        return select(OrderEvent, Order).join(Order, Order.id == OrderEvent.order_id).where(scope.where())

    def _item(self, row: AnyRow, scope: FeedScope) -> tuple[int, FeedEvent | None]:
        event, order = row
        kind = event_type(event.action, event.from_status, event.payload)
        wanted = scope.types is None or kind in scope.types
        return event.id, FeedEvent(kind, event, order) if wanted else None

    def _accepts(self, scope: FeedScope, notice: EventNotice) -> bool:
        return scope.accepts(notice)
