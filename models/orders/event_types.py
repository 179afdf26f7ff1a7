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

from models.orders.states import OrderAction, OrderStatus


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
    PICKED = "PICKED"
    """Store delivery: picking finished, the order waits for a rider (待配送)."""
    RIDER_ASSIGNED = "RIDER_ASSIGNED"
    RIDER_UNASSIGNED = "RIDER_UNASSIGNED"
    """The rider gave the order up (or the store switched riders): it waits for another."""
    DELIVERING = "DELIVERING"
    """The rider took the goods away (已发货)."""
    DELIVERED = "DELIVERED"
    DELIVERY_PROGRESS = "DELIVERY_PROGRESS"
    """The rider reported a position on the way (route progress; no status change)."""
    DELIVERY_OVERDUE = "DELIVERY_OVERDUE"
    """催单: the order passed its promised time before reaching the door."""
    NO_RIDER = "NO_RIDER"
    """配送异常: the picked order has waited too long for a rider."""
    DELIVERY_FOLLOW_UP = "DELIVERY_FOLLOW_UP"
    """The store followed a late delivery up (contacted the rider or the buyer, sent progress)."""
    BOOKING_ACCEPT_DUE = "BOOKING_ACCEPT_DUE"
    """预订单 placed while the store was closed: the store is open now and should accept it."""
    BOOKING_PICK_DUE = "BOOKING_PICK_DUE"
    """预订单 accepted: its booked time is near, time to pick (拣货提醒)."""
    CLAIM_RAISED = "CLAIM_RAISED"
    """餐损赔付: the store or the buyer raised a compensation claim on the order."""
    CLAIM_DECIDED = "CLAIM_DECIDED"
    """HQ approved or rejected a compensation claim (`payload.state`), or it was paid."""
    REPLACEMENT_SHIPPED = "REPLACEMENT_SHIPPED"
    """换货: the store sent the replacement parcel (`payload.afterSaleNo`, `payload.trackingNo`)."""
    AFTER_SALE_ESCALATED = "AFTER_SALE_ESCALATED"
    """客服介入: the buyer or the store handed an after-sale to HQ."""
    ESCALATION_DECIDED = "ESCALATION_DECIDED"
    """HQ gave its verdict on an escalation (`payload.state`)."""


AFTER_SALE_REQUESTED: Final = "AFTER_SALE_REQUESTED"
"""`payload.event` of a timeline row that records an after-sale request (no status change)."""
DELIVERY_PROGRESS: Final = "DELIVERY_PROGRESS"
"""`payload.event` of a timeline row that records a rider's position (no status change)."""
DELIVERY_FOLLOW_UP: Final = "DELIVERY_FOLLOW_UP"
"""`payload.event` of a timeline row that records the store's follow-up of a delivery (`payload.kind`)."""
DELIVERY_QUEUE_ENTERED: Final = "DELIVERY_QUEUE_ENTERED"
"""`payload.event` of a timeline row that records an order entering a delivery queue (`payload.queue`)."""
BOOKING_ACCEPT_DUE: Final = "BOOKING_ACCEPT_DUE"
BOOKING_PICK_DUE: Final = "BOOKING_PICK_DUE"
"""`payload.event` of the pre-order reminders the sweeper writes (no status change)."""
CLAIM_RAISED: Final = "CLAIM_RAISED"
CLAIM_DECIDED: Final = "CLAIM_DECIDED"
"""`payload.event` of the timeline rows of a compensation claim (`payload.claimId`, `payload.state`)."""
REPLACEMENT_SHIPPED: Final = "REPLACEMENT_SHIPPED"
AFTER_SALE_ESCALATED: Final = "AFTER_SALE_ESCALATED"
ESCALATION_DECIDED: Final = "ESCALATION_DECIDED"
"""`payload.event` of the timeline rows of an exchange's replacement parcel and of an escalation
(`payload.afterSaleId`, `payload.afterSaleNo`; an escalation's `payload.state`)."""
_NOTES: Final[Mapping[str, OrderEventType]] = {
    AFTER_SALE_REQUESTED: OrderEventType.REFUND_REQUESTED,
    DELIVERY_PROGRESS: OrderEventType.DELIVERY_PROGRESS,
    DELIVERY_FOLLOW_UP: OrderEventType.DELIVERY_FOLLOW_UP,
    BOOKING_ACCEPT_DUE: OrderEventType.BOOKING_ACCEPT_DUE,
    BOOKING_PICK_DUE: OrderEventType.BOOKING_PICK_DUE,
    CLAIM_RAISED: OrderEventType.CLAIM_RAISED,
    CLAIM_DECIDED: OrderEventType.CLAIM_DECIDED,
    REPLACEMENT_SHIPPED: OrderEventType.REPLACEMENT_SHIPPED,
    AFTER_SALE_ESCALATED: OrderEventType.AFTER_SALE_ESCALATED,
    ESCALATION_DECIDED: OrderEventType.ESCALATION_DECIDED,
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
    OrderAction.FINISH_PICKING: OrderEventType.PICKED,
    OrderAction.ASSIGN_RIDER: OrderEventType.RIDER_ASSIGNED,
    OrderAction.UNASSIGN_RIDER: OrderEventType.RIDER_UNASSIGNED,
    OrderAction.RIDER_PICKUP: OrderEventType.DELIVERING,
    OrderAction.DELIVER: OrderEventType.DELIVERED,
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
    if payload.get("event") == DELIVERY_QUEUE_ENTERED:
        overdue = payload.get("queue") == "OVERDUE"
        return OrderEventType.DELIVERY_OVERDUE if overdue else OrderEventType.NO_RIDER
    note = _NOTES.get(str(payload.get("event")))
    if note is not None:
        return note
    raise ValueError(f"timeline row without an action and of unknown kind: {dict(payload)!r}")
