"""What a timeline row means to the people watching orders live (新订单提醒, 取消, 退款申请).

The order timeline (`order_events`) records transitions by state-table action; a store's staff
think in fewer, coarser kinds: a new order to accept, a cancelled one, a refund request. This
table is the one place that maps one to the other, so the live feed, its replay and its filters
can never disagree. Pure code, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from models.order_states import OrderAction, OrderStatus


class OrderEventType(StrEnum):
    PLACED = "PLACED"
    """The order was created (待付款)."""
    NEW_ORDER = "NEW_ORDER"
    """The order now waits for the store to accept it (paid, team succeeded, or reallocated): 新订单."""
    AWAITING_GROUP = "AWAITING_GROUP"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    """The store rejected it or let the acceptance window pass: it waits for HQ (待分配)."""
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    """The buyer opened an after-sale (售后申请): the store has to review it."""
    BOOKING_ACCEPT_DUE = "BOOKING_ACCEPT_DUE"
    """预订单 placed while the store was closed: the store is open now and should accept it."""
    BOOKING_PICK_DUE = "BOOKING_PICK_DUE"
    """预订单 accepted: its booked time is near, time to pick (拣货提醒)."""


AFTER_SALE_REQUESTED: Final = "AFTER_SALE_REQUESTED"
"""`payload.event` of a timeline row that records an after-sale request (no status change)."""
BOOKING_ACCEPT_DUE: Final = "BOOKING_ACCEPT_DUE"
BOOKING_PICK_DUE: Final = "BOOKING_PICK_DUE"
"""`payload.event` of the pre-order reminders the sweeper writes (no status change)."""
_NOTES: Final[Mapping[str, OrderEventType]] = {
    AFTER_SALE_REQUESTED: OrderEventType.REFUND_REQUESTED,
    BOOKING_ACCEPT_DUE: OrderEventType.BOOKING_ACCEPT_DUE,
    BOOKING_PICK_DUE: OrderEventType.BOOKING_PICK_DUE,
}

_BY_ACTION: Final[Mapping[OrderAction, OrderEventType]] = {
    OrderAction.PAY: OrderEventType.NEW_ORDER,
    OrderAction.PAY_GROUP_BUY: OrderEventType.AWAITING_GROUP,
    OrderAction.CANCEL: OrderEventType.CANCELLED,
    OrderAction.PAYMENT_TIMEOUT: OrderEventType.CANCELLED,
    OrderAction.TEAM_SUCCEEDED: OrderEventType.NEW_ORDER,
    OrderAction.TEAM_FAILED: OrderEventType.CANCELLED,
    OrderAction.ACCEPT_PICKUP: OrderEventType.ACCEPTED,
    OrderAction.ACCEPT_SHIP: OrderEventType.ACCEPTED,
    OrderAction.REJECT: OrderEventType.REJECTED,
    OrderAction.ACCEPTANCE_TIMEOUT: OrderEventType.REJECTED,
    OrderAction.REALLOCATE: OrderEventType.NEW_ORDER,
    OrderAction.SHIP_PARTIAL: OrderEventType.SHIPPED,
    OrderAction.SHIP: OrderEventType.SHIPPED,
    OrderAction.CONFIRM_RECEIPT: OrderEventType.COMPLETED,
    OrderAction.AUTO_COMPLETE: OrderEventType.COMPLETED,
    OrderAction.VERIFY_PICKUP: OrderEventType.COMPLETED,
    OrderAction.CLOSE: OrderEventType.CLOSED,
}


def event_type(
    action: OrderAction | None, from_status: OrderStatus | None, payload: Mapping[str, Any]
) -> OrderEventType:
    """The kind of one timeline row.

    A row without an action is either the creation of the order (no previous status) or a
    note that changes no status (an after-sale request, a pre-order reminder: `payload.event`
    says which).
    """
    if action is not None:
        return _BY_ACTION[action]
    if from_status is None:
        return OrderEventType.PLACED
    note = _NOTES.get(str(payload.get("event")))
    if note is not None:
        return note
    raise ValueError(f"timeline row without an action and of unknown kind: {dict(payload)!r}")
