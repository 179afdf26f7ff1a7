"""The after-sale (售后) state machine of SPEC §4, as data.

Creation is a transition from `None` (no after-sale yet): a buyer's request starts in review,
a merchant's proactive refund (主动退款) is refunded at once. Pure: no I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from models.enums import ActorType
from models.errors import DomainError, ErrorCode


class AfterSaleType(StrEnum):
    REFUND_ONLY = "REFUND_ONLY"  # 仅退款
    RETURN_AND_REFUND = "RETURN_AND_REFUND"  # 退款退货
    PRICE_DIFFERENCE = "PRICE_DIFFERENCE"  # 退差价: money back, the buyer keeps the units


class AfterSaleInitiator(StrEnum):
    BUYER = "BUYER"
    MERCHANT = "MERCHANT"


class AfterSaleStatus(StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"  # 待审核
    AWAITING_RETURN = "AWAITING_RETURN"  # 待买家退货
    RETURN_SHIPPED = "RETURN_SHIPPED"  # 买家已退货
    REFUNDED = "REFUNDED"  # 已退款
    REJECTED = "REJECTED"  # 已拒绝
    CANCELLED = "CANCELLED"  # 已撤销
    RECEIPT_REJECTED = "RECEIPT_REJECTED"  # 拒绝收货


class AfterSaleAction(StrEnum):
    REQUEST = "REQUEST"
    MERCHANT_REFUND = "MERCHANT_REFUND"
    APPROVE_REFUND_ONLY = "APPROVE_REFUND_ONLY"
    APPROVE_RETURN = "APPROVE_RETURN"
    REJECT = "REJECT"
    WITHDRAW = "WITHDRAW"
    SUBMIT_RETURN = "SUBMIT_RETURN"
    CONFIRM_RETURN_RECEIVED = "CONFIRM_RETURN_RECEIVED"
    REFUSE_RETURN_RECEIPT = "REFUSE_RETURN_RECEIPT"


S = AfterSaleStatus
A = AfterSaleAction

AFTER_SALE_TRANSITIONS: Final[Mapping[tuple[AfterSaleStatus | None, AfterSaleAction], AfterSaleStatus]] = {
    (None, A.REQUEST): S.PENDING_REVIEW,
    (None, A.MERCHANT_REFUND): S.REFUNDED,
    (S.PENDING_REVIEW, A.APPROVE_REFUND_ONLY): S.REFUNDED,
    (S.PENDING_REVIEW, A.APPROVE_RETURN): S.AWAITING_RETURN,
    (S.PENDING_REVIEW, A.REJECT): S.REJECTED,
    (S.PENDING_REVIEW, A.WITHDRAW): S.CANCELLED,
    (S.AWAITING_RETURN, A.WITHDRAW): S.CANCELLED,
    (S.AWAITING_RETURN, A.SUBMIT_RETURN): S.RETURN_SHIPPED,
    (S.RETURN_SHIPPED, A.CONFIRM_RETURN_RECEIVED): S.REFUNDED,
    (S.RETURN_SHIPPED, A.REFUSE_RETURN_RECEIPT): S.RECEIPT_REJECTED,
}

OPEN_AFTER_SALE_STATUSES: Final = frozenset({S.PENDING_REVIEW, S.AWAITING_RETURN, S.RETURN_SHIPPED})
"""While an after-sale is in one of these, its lines may not get another one (SPEC §4)."""

_BUYER = frozenset({ActorType.CUSTOMER})
_MERCHANT = frozenset({ActorType.STAFF, ActorType.HQ})

AFTER_SALE_ACTORS: Final[Mapping[AfterSaleAction, frozenset[ActorType]]] = {
    A.REQUEST: _BUYER,
    A.WITHDRAW: _BUYER,
    A.SUBMIT_RETURN: _BUYER,
    A.MERCHANT_REFUND: _MERCHANT | {ActorType.SYSTEM},  # the system refunds cancelled orders and failed teams
    A.APPROVE_REFUND_ONLY: _MERCHANT | {ActorType.SYSTEM},  # 极速退款: the store's setting approves
    A.APPROVE_RETURN: _MERCHANT,
    A.REJECT: _MERCHANT,
    A.CONFIRM_RETURN_RECEIVED: _MERCHANT,
    A.REFUSE_RETURN_RECEIPT: _MERCHANT,
}
"""Who may cause each after-sale action: the buyer asks, withdraws and ships back; the store decides."""

MONEY_MOVING_ACTIONS: Final = frozenset({A.MERCHANT_REFUND, A.APPROVE_REFUND_ONLY, A.CONFIRM_RETURN_RECEIVED})


class InvalidAfterSaleTransition(DomainError):
    def __init__(self, status: AfterSaleStatus | None, action: AfterSaleAction) -> None:
        where = status.value if status else "no after-sale"
        super().__init__(ErrorCode.INVALID_TRANSITION, f"after-sale in {where} does not allow {action.value}")
        self.status = status
        self.action = action


def next_after_sale_status(status: AfterSaleStatus | None, action: AfterSaleAction) -> AfterSaleStatus:
    try:
        return AFTER_SALE_TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidAfterSaleTransition(status, action) from None


def allowed_after_sale_actions(status: AfterSaleStatus | None) -> frozenset[AfterSaleAction]:
    return frozenset(a for (s, a) in AFTER_SALE_TRANSITIONS if s is status)


def approve_action(kind: AfterSaleType) -> AfterSaleAction:
    """Approving a return-and-refund waits for the goods; a refund-only pays at once."""
    return A.APPROVE_RETURN if kind is AfterSaleType.RETURN_AND_REFUND else A.APPROVE_REFUND_ONLY


def consumes_units(kind: AfterSaleType) -> bool:
    """Whether paying the after-sale out refunds its units (a price difference only gives money)."""
    return kind is not AfterSaleType.PRICE_DIFFERENCE


def is_open(status: AfterSaleStatus) -> bool:
    return status in OPEN_AFTER_SALE_STATUSES
