"""The order state machine of SPEC §3, as data.

This table is the only place that decides which order transitions exist, who may cause them
and whether money goes back. Services, `availableActions`, sweeps and the data generator all
ask it; nothing else re-implements it. Pure: no I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from models.enums import ActorType, Fulfillment, OrderType
from models.errors import DomainError, ErrorCode


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"  # 待付款
    AWAITING_GROUP = "AWAITING_GROUP"  # 待成团
    PENDING_ACCEPTANCE = "PENDING_ACCEPTANCE"  # 待接单
    PENDING_ALLOCATION = "PENDING_ALLOCATION"  # 待分配
    PENDING_SHIPMENT = "PENDING_SHIPMENT"  # 待发货
    PENDING_PICKUP = "PENDING_PICKUP"  # 待提货
    SHIPPED = "SHIPPED"  # 已发货
    COMPLETED = "COMPLETED"  # 交易完成
    CANCELLED = "CANCELLED"  # 已取消
    CLOSED = "CLOSED"  # 已关闭 (every unit refunded)


class OrderAction(StrEnum):
    PAY = "PAY"
    PAY_GROUP_BUY = "PAY_GROUP_BUY"
    CANCEL = "CANCEL"
    PAYMENT_TIMEOUT = "PAYMENT_TIMEOUT"
    TEAM_SUCCEEDED = "TEAM_SUCCEEDED"
    TEAM_FAILED = "TEAM_FAILED"
    ACCEPT_PICKUP = "ACCEPT_PICKUP"
    ACCEPT_SHIP = "ACCEPT_SHIP"
    REJECT = "REJECT"
    ACCEPTANCE_TIMEOUT = "ACCEPTANCE_TIMEOUT"
    REALLOCATE = "REALLOCATE"
    SHIP_PARTIAL = "SHIP_PARTIAL"
    SHIP = "SHIP"
    CONFIRM_RECEIPT = "CONFIRM_RECEIPT"
    AUTO_COMPLETE = "AUTO_COMPLETE"
    VERIFY_PICKUP = "VERIFY_PICKUP"
    CLOSE = "CLOSE"
    # O2O store-delivery steps (models/deliveries/stages.py says which stage each needs and makes).
    FINISH_PICKING = "FINISH_PICKING"
    ASSIGN_RIDER = "ASSIGN_RIDER"
    UNASSIGN_RIDER = "UNASSIGN_RIDER"
    RIDER_PICKUP = "RIDER_PICKUP"
    DELIVER = "DELIVER"


@dataclass(frozen=True, slots=True)
class Transition:
    to: OrderStatus
    actors: frozenset[ActorType]
    full_refund: bool = False
    """The transition returns every paid, unrefunded cent (cancel after payment, failed team)."""


S = OrderStatus
A = OrderAction
_BUYER = ActorType.CUSTOMER
_STAFF = ActorType.STAFF
_HQ = ActorType.HQ
_SYSTEM = ActorType.SYSTEM
_PAYMENT = ActorType.PAYMENT


def _t(to: OrderStatus, *actors: ActorType, full_refund: bool = False) -> Transition:
    return Transition(to, frozenset(actors), full_refund)


FINAL_STATUSES: Final = frozenset({S.COMPLETED, S.CANCELLED, S.CLOSED})
PAID_NON_FINAL_STATUSES: Final = frozenset(
    {
        S.AWAITING_GROUP,
        S.PENDING_ACCEPTANCE,
        S.PENDING_ALLOCATION,
        S.PENDING_SHIPMENT,
        S.PENDING_PICKUP,
        S.SHIPPED,
    }
)

TRANSITIONS: Final[Mapping[tuple[OrderStatus, OrderAction], Transition]] = {
    (S.PENDING_PAYMENT, A.PAY): _t(S.PENDING_ACCEPTANCE, _PAYMENT),
    (S.PENDING_PAYMENT, A.PAY_GROUP_BUY): _t(S.AWAITING_GROUP, _PAYMENT),
    (S.PENDING_PAYMENT, A.CANCEL): _t(S.CANCELLED, _BUYER, _STAFF, _HQ),
    (S.PENDING_PAYMENT, A.PAYMENT_TIMEOUT): _t(S.CANCELLED, _SYSTEM),
    # A group-buy member who never paid leaves with the team's failure (nothing to refund).
    (S.PENDING_PAYMENT, A.TEAM_FAILED): _t(S.CANCELLED, _SYSTEM),
    (S.AWAITING_GROUP, A.TEAM_SUCCEEDED): _t(S.PENDING_ACCEPTANCE, _SYSTEM),
    (S.AWAITING_GROUP, A.TEAM_FAILED): _t(S.CANCELLED, _SYSTEM, full_refund=True),
    # A paid member leaves a forming team (slot freed, refunded in full): the member changes their
    # mind, or HQ, who runs the campaign, steps in. Not store staff: the order reaches a store only
    # at 待接单, and a store must not break a team other shoppers are waiting on.
    (S.AWAITING_GROUP, A.CANCEL): _t(S.CANCELLED, _BUYER, _HQ, full_refund=True),
    (S.PENDING_ACCEPTANCE, A.ACCEPT_PICKUP): _t(S.PENDING_PICKUP, _STAFF, _HQ, _SYSTEM),
    (S.PENDING_ACCEPTANCE, A.ACCEPT_SHIP): _t(S.PENDING_SHIPMENT, _STAFF, _HQ, _SYSTEM),
    (S.PENDING_ACCEPTANCE, A.REJECT): _t(S.PENDING_ALLOCATION, _STAFF, _HQ),
    (S.PENDING_ACCEPTANCE, A.ACCEPTANCE_TIMEOUT): _t(S.PENDING_ALLOCATION, _SYSTEM),
    (S.PENDING_ACCEPTANCE, A.CANCEL): _t(S.CANCELLED, _BUYER, _STAFF, _HQ, full_refund=True),
    (S.PENDING_ALLOCATION, A.REALLOCATE): _t(S.PENDING_ACCEPTANCE, _HQ),
    (S.PENDING_ALLOCATION, A.CANCEL): _t(S.CANCELLED, _HQ, full_refund=True),
    (S.PENDING_SHIPMENT, A.SHIP_PARTIAL): _t(S.PENDING_SHIPMENT, _STAFF, _HQ),
    (S.PENDING_SHIPMENT, A.SHIP): _t(S.SHIPPED, _STAFF, _HQ),
    (S.SHIPPED, A.CONFIRM_RECEIPT): _t(S.COMPLETED, _BUYER),
    (S.SHIPPED, A.AUTO_COMPLETE): _t(S.COMPLETED, _SYSTEM),
    (S.PENDING_PICKUP, A.VERIFY_PICKUP): _t(S.COMPLETED, _STAFF, _HQ),
    # Store delivery (O2O) under 待发货 / 已发货: picking and riders change the delivery stage, not
    # the tab, except the rider taking the goods away (the order is shipped). The courier platform's
    # callbacks act as SYSTEM; the store's own riders (自配) are driven by its staff.
    (S.PENDING_SHIPMENT, A.FINISH_PICKING): _t(S.PENDING_SHIPMENT, _STAFF, _HQ),
    (S.PENDING_SHIPMENT, A.ASSIGN_RIDER): _t(S.PENDING_SHIPMENT, _STAFF, _HQ, _SYSTEM),
    (S.PENDING_SHIPMENT, A.UNASSIGN_RIDER): _t(S.PENDING_SHIPMENT, _STAFF, _HQ, _SYSTEM),
    (S.PENDING_SHIPMENT, A.RIDER_PICKUP): _t(S.SHIPPED, _STAFF, _HQ, _SYSTEM),
    (S.SHIPPED, A.DELIVER): _t(S.SHIPPED, _STAFF, _HQ, _SYSTEM),
    **{(s, A.CLOSE): _t(S.CLOSED, _SYSTEM) for s in sorted(PAID_NON_FINAL_STATUSES)},
}


class InvalidTransition(DomainError):
    def __init__(self, status: OrderStatus, action: OrderAction) -> None:
        super().__init__(
            ErrorCode.INVALID_TRANSITION, f"order in {status.value} does not allow {action.value}"
        )
        self.status = status
        self.action = action


def transition(status: OrderStatus, action: OrderAction) -> Transition:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status, action) from None


def next_status(status: OrderStatus, action: OrderAction) -> OrderStatus:
    return transition(status, action).to


def allowed_actions(status: OrderStatus, actor: ActorType | None = None) -> frozenset[OrderAction]:
    """Actions the table allows from `status`, optionally only those `actor` may cause."""
    return frozenset(
        a for (s, a), t in TRANSITIONS.items() if s is status and (actor is None or actor in t.actors)
    )


def pay_action(order_type: OrderType) -> OrderAction:
    """Group-buy orders wait for their team after payment; every other order goes to the store."""
    return A.PAY_GROUP_BUY if order_type is OrderType.GROUP_BUY else A.PAY


def accept_action(fulfillment: Fulfillment) -> OrderAction:
    """Self-pickup orders wait at the counter after acceptance; the others wait for shipping."""
    return A.ACCEPT_PICKUP if fulfillment is Fulfillment.SELF_PICKUP else A.ACCEPT_SHIP
