"""The after-sale (售后) state machine of SPEC §4 and §8, as data.

Creation is a transition from `None` (no after-sale yet): a buyer's request starts in review,
a merchant's proactive refund (主动退款) is refunded at once. An exchange (换货) shares the review
and the return parcel with a return-and-refund, then the store ships a replacement instead of
paying. 客服介入: a rejected request (or one left in review), or a return the store refused to
take back, is escalated to HQ, whose verdict lets it proceed as approved (a refused return as
received) or closes it. `KIND_ACTIONS` says which actions apply to which
type, so one table serves every type. Pure: no I/O, no ORM.
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
    EXCHANGE = "EXCHANGE"  # 换货: the goods come back, a replacement goes out, no money moves


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
    AWAITING_RESHIP = "AWAITING_RESHIP"  # 换货: goods back, the store owes the replacement (待发货)
    RESHIPPED = "RESHIPPED"  # 换货: the replacement is on its way (待买家收货)
    EXCHANGED = "EXCHANGED"  # 换货完成
    ESCALATED = "ESCALATED"  # 客服介入中: HQ decides
    CLOSED = "CLOSED"  # 客服介入: HQ supported the store


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
    CONFIRM_EXCHANGE_RETURN = "CONFIRM_EXCHANGE_RETURN"
    SHIP_REPLACEMENT = "SHIP_REPLACEMENT"
    CONFIRM_REPLACEMENT = "CONFIRM_REPLACEMENT"
    ESCALATE = "ESCALATE"
    SUPPORT_BUYER_REFUND = "SUPPORT_BUYER_REFUND"
    SUPPORT_BUYER_RETURN = "SUPPORT_BUYER_RETURN"
    SUPPORT_BUYER_RECEIVED = "SUPPORT_BUYER_RECEIVED"  # a refused return counts as received: refund
    SUPPORT_BUYER_RESHIP = "SUPPORT_BUYER_RESHIP"  # a refused exchange return counts as received
    SUPPORT_STORE = "SUPPORT_STORE"


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
    (S.RETURN_SHIPPED, A.CONFIRM_EXCHANGE_RETURN): S.AWAITING_RESHIP,
    (S.AWAITING_RESHIP, A.SHIP_REPLACEMENT): S.RESHIPPED,
    (S.RESHIPPED, A.CONFIRM_REPLACEMENT): S.EXCHANGED,
    (S.PENDING_REVIEW, A.ESCALATE): S.ESCALATED,
    (S.REJECTED, A.ESCALATE): S.ESCALATED,
    (S.RECEIPT_REJECTED, A.ESCALATE): S.ESCALATED,
    (S.ESCALATED, A.SUPPORT_BUYER_REFUND): S.REFUNDED,
    (S.ESCALATED, A.SUPPORT_BUYER_RETURN): S.AWAITING_RETURN,
    (S.ESCALATED, A.SUPPORT_BUYER_RECEIVED): S.REFUNDED,
    (S.ESCALATED, A.SUPPORT_BUYER_RESHIP): S.AWAITING_RESHIP,
    (S.ESCALATED, A.SUPPORT_STORE): S.CLOSED,
    (S.ESCALATED, A.WITHDRAW): S.CANCELLED,
}

OPEN_AFTER_SALE_STATUSES: Final = frozenset(
    {S.PENDING_REVIEW, S.AWAITING_RETURN, S.RETURN_SHIPPED, S.AWAITING_RESHIP, S.RESHIPPED, S.ESCALATED}
)
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
    A.CONFIRM_EXCHANGE_RETURN: _MERCHANT,
    A.SHIP_REPLACEMENT: _MERCHANT,
    A.CONFIRM_REPLACEMENT: _BUYER | {ActorType.SYSTEM},  # the sweeper confirms after the configured days
    A.ESCALATE: _BUYER | {ActorType.STAFF},  # models/after_sales/escalation_rules.py says who may when
    A.SUPPORT_BUYER_REFUND: frozenset({ActorType.HQ}),
    A.SUPPORT_BUYER_RETURN: frozenset({ActorType.HQ}),
    A.SUPPORT_BUYER_RECEIVED: frozenset({ActorType.HQ}),
    A.SUPPORT_BUYER_RESHIP: frozenset({ActorType.HQ}),
    A.SUPPORT_STORE: frozenset({ActorType.HQ}),
}
"""Who may cause each after-sale action: the buyer asks, withdraws and ships back; the store decides;
HQ customer service (客服) gives the verdict on an escalation."""

MONEY_MOVING_ACTIONS: Final = frozenset(
    {
        A.MERCHANT_REFUND,
        A.APPROVE_REFUND_ONLY,
        A.CONFIRM_RETURN_RECEIVED,
        A.SUPPORT_BUYER_REFUND,
        A.SUPPORT_BUYER_RECEIVED,
    }
)

_EVERY_KIND: Final = frozenset({A.REQUEST, A.REJECT, A.WITHDRAW, A.ESCALATE, A.SUPPORT_STORE})
_PAYS_AT_ONCE: Final = _EVERY_KIND | {A.MERCHANT_REFUND, A.APPROVE_REFUND_ONLY, A.SUPPORT_BUYER_REFUND}
_GOODS_COME_BACK: Final = _EVERY_KIND | {
    A.APPROVE_RETURN,
    A.SUBMIT_RETURN,
    A.REFUSE_RETURN_RECEIPT,
    A.SUPPORT_BUYER_RETURN,
}
KIND_ACTIONS: Final[Mapping[AfterSaleType, frozenset[AfterSaleAction]]] = {
    AfterSaleType.REFUND_ONLY: _PAYS_AT_ONCE,
    AfterSaleType.PRICE_DIFFERENCE: _PAYS_AT_ONCE,
    AfterSaleType.RETURN_AND_REFUND: _GOODS_COME_BACK | {A.CONFIRM_RETURN_RECEIVED, A.SUPPORT_BUYER_RECEIVED},
    AfterSaleType.EXCHANGE: _GOODS_COME_BACK
    | {A.CONFIRM_EXCHANGE_RETURN, A.SHIP_REPLACEMENT, A.CONFIRM_REPLACEMENT, A.SUPPORT_BUYER_RESHIP},
}
"""The actions that apply to each type: a refund pays on approval, a return once the goods are
back, an exchange ships a replacement instead of paying."""


class InvalidAfterSaleTransition(DomainError):
    def __init__(self, status: AfterSaleStatus | None, action: AfterSaleAction) -> None:
        where = status.value if status else "no after-sale"
        super().__init__(ErrorCode.INVALID_TRANSITION, f"after-sale in {where} does not allow {action.value}")
        self.status = status
        self.action = action


def next_after_sale_status(
    status: AfterSaleStatus | None, action: AfterSaleAction, kind: AfterSaleType | None = None
) -> AfterSaleStatus:
    """The status after `action`; with `kind`, also INVALID_TRANSITION for an action of another type."""
    if kind is not None and action not in KIND_ACTIONS[kind]:
        raise InvalidAfterSaleTransition(status, action)
    try:
        return AFTER_SALE_TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidAfterSaleTransition(status, action) from None


def allowed_after_sale_actions(
    status: AfterSaleStatus | None, kind: AfterSaleType | None = None
) -> frozenset[AfterSaleAction]:
    return frozenset(
        a for (s, a) in AFTER_SALE_TRANSITIONS if s is status and (kind is None or a in KIND_ACTIONS[kind])
    )


def goods_come_back(kind: AfterSaleType) -> bool:
    return kind in (AfterSaleType.RETURN_AND_REFUND, AfterSaleType.EXCHANGE)


def approve_action(kind: AfterSaleType) -> AfterSaleAction:
    """Approving a return or an exchange waits for the goods; a refund-only pays at once."""
    return A.APPROVE_RETURN if goods_come_back(kind) else A.APPROVE_REFUND_ONLY


def receipt_action(kind: AfterSaleType) -> AfterSaleAction:
    """The store has the goods back: a return pays, an exchange owes the replacement."""
    return A.CONFIRM_EXCHANGE_RETURN if kind is AfterSaleType.EXCHANGE else A.CONFIRM_RETURN_RECEIVED


def support_buyer_action(kind: AfterSaleType, *, goods_returned: bool = False) -> AfterSaleAction:
    """HQ supports the buyer: the after-sale proceeds as if the store had approved it or, when the
    goods came back and the store refused them (`goods_returned`), as if it had taken them back."""
    if goods_returned:
        return A.SUPPORT_BUYER_RESHIP if kind is AfterSaleType.EXCHANGE else A.SUPPORT_BUYER_RECEIVED
    return A.SUPPORT_BUYER_RETURN if goods_come_back(kind) else A.SUPPORT_BUYER_REFUND


SUPPORT_BUYER_ACTIONS: Final = frozenset(
    {A.SUPPORT_BUYER_REFUND, A.SUPPORT_BUYER_RETURN, A.SUPPORT_BUYER_RECEIVED, A.SUPPORT_BUYER_RESHIP}
)
"""The table allows each of a type's own from ESCALATED; `support_buyer_action` picks the one."""


def consumes_units(kind: AfterSaleType) -> bool:
    """Whether paying the after-sale out refunds its units: a price difference only gives money,
    and an exchange pays nothing out (its units stay bought)."""
    return kind in (AfterSaleType.REFUND_ONLY, AfterSaleType.RETURN_AND_REFUND)


def is_open(status: AfterSaleStatus) -> bool:
    return status in OPEN_AFTER_SALE_STATUSES
