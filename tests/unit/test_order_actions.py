from __future__ import annotations

from models.enums import ActorType, Fulfillment, OrderType, Role
from models.errors import ErrorCode
from models.orders.actions import OrderCommand as C
from models.orders.actions import available_actions
from models.orders.states import OrderStatus as S


def _allowed(
    status: S, role: Role, actor: ActorType, fulfillment: Fulfillment = Fulfillment.STORE_DELIVERY
) -> set[C]:
    return {
        a.command for a in available_actions(status, fulfillment, OrderType.NORMAL, role, actor) if a.allowed
    }


def test_buttons_per_role_and_status() -> None:
    assert _allowed(S.PENDING_PAYMENT, Role.SHOPPER, ActorType.CUSTOMER) == {C.PAY, C.CANCEL}
    assert _allowed(S.SHIPPED, Role.SHOPPER, ActorType.CUSTOMER) == {C.CONFIRM_RECEIPT}
    assert _allowed(S.PENDING_ACCEPTANCE, Role.STORE_STAFF, ActorType.STAFF) == {C.ACCEPT, C.REJECT, C.CANCEL}
    assert _allowed(S.PENDING_ALLOCATION, Role.HQ_ADMIN, ActorType.HQ) == {C.REALLOCATE, C.CANCEL}
    assert _allowed(S.PENDING_ALLOCATION, Role.STORE_STAFF, ActorType.STAFF) == set()
    assert _allowed(S.PENDING_SHIPMENT, Role.STORE_STAFF, ActorType.STAFF) == {C.SHIP}
    assert _allowed(S.PENDING_PICKUP, Role.STORE_STAFF, ActorType.STAFF, Fulfillment.SELF_PICKUP) == {
        C.VERIFY_PICKUP
    }
    assert _allowed(S.COMPLETED, Role.HQ_ADMIN, ActorType.HQ) == set()


def test_reasons_say_why_not() -> None:
    staff = available_actions(
        S.PENDING_ALLOCATION, Fulfillment.EXPRESS, OrderType.NORMAL, Role.STORE_STAFF, ActorType.STAFF
    )
    reasons = {a.command: a.reason for a in staff}
    assert reasons[C.CANCEL] is ErrorCode.FORBIDDEN  # only HQ cancels in 待分配
    assert reasons[C.ACCEPT] is ErrorCode.INVALID_TRANSITION
    assert (
        available_actions(S.PENDING_PAYMENT, Fulfillment.EXPRESS, OrderType.NORMAL, Role.ANALYST, None) == []
    )
    assert available_actions(S.PENDING_PAYMENT, Fulfillment.EXPRESS, OrderType.NORMAL, None, None) == []
