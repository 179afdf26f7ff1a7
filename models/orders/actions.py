"""What the viewer may do with an order now, and why not — the buttons of the admin SPA.

Derived from the state table (never a second copy of it): an action is allowed when the table
has a transition for the order's status and the viewer's actor type is among its actors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from models.after_sales.refund_policy import LineState, refund_entry
from models.after_sales.states import AfterSaleInitiator
from models.deliveries.queues import FOLLOW_UP_ACTORS, may_follow_up
from models.deliveries.stages import DeliveryStage, allows
from models.enums import ActorType, Fulfillment, OrderType, Role
from models.errors import ErrorCode
from models.orders.states import TRANSITIONS, OrderAction, OrderStatus, accept_action, pay_action


class OrderCommand(StrEnum):
    """The user-facing actions (one mutation each)."""

    PAY = "PAY"
    CANCEL = "CANCEL"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    REALLOCATE = "REALLOCATE"
    SHIP = "SHIP"
    VERIFY_PICKUP = "VERIFY_PICKUP"
    CONFIRM_RECEIPT = "CONFIRM_RECEIPT"
    REQUEST_AFTER_SALE = "REQUEST_AFTER_SALE"
    REFUND_LINES = "REFUND_LINES"
    # Store delivery (O2O), shown on STORE_DELIVERY orders only.
    FINISH_PICKING = "FINISH_PICKING"  # finishPicking: 拣货完成
    REQUEST_PLATFORM_RIDER = "REQUEST_PLATFORM_RIDER"  # requestPlatformRider: 呼叫骑手
    ASSIGN_OWN_RIDER = "ASSIGN_OWN_RIDER"  # assignOwnRider: 自配, or switch a platform's rider to 自配
    MARK_DELIVERING = "MARK_DELIVERING"  # markOrderDelivering: 骑手取货
    MARK_DELIVERED = "MARK_DELIVERED"  # markOrderDelivered: 送达
    FOLLOW_UP_DELIVERY = "FOLLOW_UP_DELIVERY"  # followUpDelivery: 联系骑手 / 联系顾客 / 发送进度


C = OrderCommand

DELIVERY_COMMANDS: Final[Mapping[OrderCommand, OrderAction]] = {
    C.FINISH_PICKING: OrderAction.FINISH_PICKING,
    C.REQUEST_PLATFORM_RIDER: OrderAction.ASSIGN_RIDER,
    C.ASSIGN_OWN_RIDER: OrderAction.ASSIGN_RIDER,
    C.MARK_DELIVERING: OrderAction.RIDER_PICKUP,
    C.MARK_DELIVERED: OrderAction.DELIVER,
}
"""The store-delivery steps and the state-table action each performs (services/deliveries/lifecycle.py)."""

_DELIVERY: Final = (*DELIVERY_COMMANDS, C.FOLLOW_UP_DELIVERY)

EXPECTED_BY_ROLE: Final[Mapping[Role, tuple[OrderCommand, ...]]] = {
    Role.SHOPPER: (C.PAY, C.CANCEL, C.CONFIRM_RECEIPT, C.REQUEST_AFTER_SALE),
    Role.STORE_STAFF: (C.ACCEPT, C.REJECT, C.SHIP, C.VERIFY_PICKUP, C.CANCEL, C.REFUND_LINES, *_DELIVERY),
    Role.HQ_ADMIN: (
        *(C.ACCEPT, C.REJECT, C.REALLOCATE, C.SHIP, C.VERIFY_PICKUP, C.CANCEL, C.REFUND_LINES),
        *_DELIVERY,
    ),
    Role.ANALYST: (),
}
"""The actions each role's client shows (the delivery steps on store-delivery orders only);
analysts are read-only."""


@dataclass(frozen=True, slots=True)
class Availability:
    command: OrderCommand
    allowed: bool
    reason: ErrorCode | None


INITIATED_BY: Final[Mapping[OrderCommand, frozenset[ActorType]]] = {C.PAY: frozenset({ActorType.CUSTOMER})}
"""Commands whose transition is caused by someone else than who starts them: the buyer starts a
payment, the gateway's notification moves the order."""


def table_action(command: OrderCommand, fulfillment: Fulfillment, order_type: OrderType) -> OrderAction:
    """The state-table action a command performs on this kind of order (not FOLLOW_UP_DELIVERY,
    which changes no status)."""
    if command in DELIVERY_COMMANDS:
        return DELIVERY_COMMANDS[command]
    if command is C.PAY:
        return pay_action(order_type)
    if command is C.ACCEPT:
        return accept_action(fulfillment)
    if command is C.SHIP:
        return OrderAction.SHIP_PARTIAL  # shipping some parcels is always the first step
    return OrderAction(command.value)


@dataclass(frozen=True, slots=True)
class RefundFacts:
    """What the refund policy needs besides the order's status: the time now, the window, and
    the order's lines (with whether each has an after-sale in progress)."""

    now: datetime
    window_days: int
    zone: ZoneInfo
    lines: tuple[LineState, ...] = ()
    open_lines: tuple[bool, ...] = ()


_REFUND_INITIATOR: Final = {
    C.REQUEST_AFTER_SALE: AfterSaleInitiator.BUYER,
    C.REFUND_LINES: AfterSaleInitiator.MERCHANT,
}


def _refund_availability(
    command: OrderCommand,
    status: OrderStatus,
    completed_at: datetime | None,
    facts: RefundFacts,
    actor: ActorType | None,
) -> Availability:
    entry = refund_entry(
        status,
        completed_at,
        facts.now,
        facts.lines,
        facts.open_lines,
        initiator=_REFUND_INITIATOR[command],
        window_days=facts.window_days,
        zone=facts.zone,
        by_hq=actor is ActorType.HQ,
    )
    if entry.reason is not None:
        return Availability(command, False, entry.reason.code)
    return Availability(command, True, None)


def _follow_up_availability(
    status: OrderStatus, stage: DeliveryStage | None, actor: ActorType | None
) -> Availability:
    if actor not in FOLLOW_UP_ACTORS:
        return Availability(C.FOLLOW_UP_DELIVERY, False, ErrorCode.FORBIDDEN)
    if not may_follow_up(status, stage):
        return Availability(C.FOLLOW_UP_DELIVERY, False, ErrorCode.INVALID_TRANSITION)
    return Availability(C.FOLLOW_UP_DELIVERY, True, None)


def available_actions(
    status: OrderStatus,
    fulfillment: Fulfillment,
    order_type: OrderType,
    role: Role | None,
    actor: ActorType | None,
    *,
    stage: DeliveryStage | None = None,
    completed_at: datetime | None = None,
    refund: RefundFacts | None = None,
) -> list[Availability]:
    """Each command the role's client shows; refund commands follow `refund_policy.refund_entry`
    exactly, the function the refund service decides with (given the `refund` facts); delivery
    steps check status, then actor, then `delivery_stages.allows`, in the services' order."""
    if role is None:
        return []
    out = []
    for command in EXPECTED_BY_ROLE[role]:
        if command in _REFUND_INITIATOR:
            if refund is not None:
                out.append(_refund_availability(command, status, completed_at, refund, actor))
            continue
        if command in _DELIVERY and fulfillment is not Fulfillment.STORE_DELIVERY:
            continue
        if command is C.FOLLOW_UP_DELIVERY:
            out.append(_follow_up_availability(status, stage, actor))
            continue
        action = table_action(command, fulfillment, order_type)
        step = TRANSITIONS.get((status, action))
        if step is None:
            out.append(Availability(command, False, ErrorCode.INVALID_TRANSITION))
        elif actor is None or actor not in INITIATED_BY.get(command, step.actors):
            out.append(Availability(command, False, ErrorCode.FORBIDDEN))
        elif command in DELIVERY_COMMANDS and not allows(
            fulfillment, stage, action, platform_request=command is C.REQUEST_PLATFORM_RIDER
        ):
            out.append(Availability(command, False, ErrorCode.INVALID_TRANSITION))
        else:
            out.append(Availability(command, True, None))
    return out
