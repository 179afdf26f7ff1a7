"""`availableActions` for store-delivery steps against the status and stage tables.

For random orders (status, stage, fulfilment, type) and viewers, each delivery step offered
succeeds when applied with the tables' own functions (and lands on a stage that sits under the new
status), and each step not offered is refused by them with the reason shown. The reference below
is what `services/deliveries/lifecycle.py` checks, in its order: status, actor, stage, the step's own rule.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.deliveries.queues import NOT_AT_THE_DOOR
from models.deliveries.stages import STAGE_STATUS, DeliveryStage, InvalidStage, next_stage
from models.enums import ActorType, Fulfillment, OrderType, Role
from models.errors import ErrorCode
from models.orders.actions import OrderCommand as C
from models.orders.actions import available_actions
from models.orders.states import FINAL_STATUSES, InvalidTransition, OrderAction, OrderStatus, transition

G, A, S = DeliveryStage, OrderAction, OrderStatus

ACTOR_OF = {
    Role.SHOPPER: ActorType.CUSTOMER,
    Role.STORE_STAFF: ActorType.STAFF,
    Role.HQ_ADMIN: ActorType.HQ,
    Role.ANALYST: None,
}
# Transcribed from the delivery mutations (gql/resolvers/deliveries.py), not from the module.
STEP_OF = {
    C.FINISH_PICKING: A.FINISH_PICKING,
    C.REQUEST_PLATFORM_RIDER: A.ASSIGN_RIDER,
    C.ASSIGN_OWN_RIDER: A.ASSIGN_RIDER,
    C.MARK_DELIVERING: A.RIDER_PICKUP,
    C.MARK_DELIVERED: A.DELIVER,
}
DELIVERY = {*STEP_OF, C.FOLLOW_UP_DELIVERY}


def refusal(
    command: C,
    status: OrderStatus,
    stage: DeliveryStage | None,
    fulfillment: Fulfillment,
    actor: ActorType | None,
) -> ErrorCode | None:
    """Apply the step with the tables; None when it goes through, else the code it is refused with."""
    if command is C.FOLLOW_UP_DELIVERY:
        if actor not in (ActorType.STAFF, ActorType.HQ):
            return ErrorCode.FORBIDDEN
        if status in FINAL_STATUSES or stage not in NOT_AT_THE_DOOR:
            return ErrorCode.INVALID_TRANSITION
        return None
    action = STEP_OF[command]
    try:
        step = transition(status, action)
    except InvalidTransition:
        return ErrorCode.INVALID_TRANSITION
    if actor not in step.actors:
        return ErrorCode.FORBIDDEN
    try:
        after = next_stage(fulfillment, stage, action)
    except InvalidStage:
        return ErrorCode.INVALID_TRANSITION
    if command is C.REQUEST_PLATFORM_RIDER and stage is not G.PICKED:
        return ErrorCode.INVALID_TRANSITION  # a platform is asked once, for a picked order
    assert after is not None
    assert STAGE_STATUS[after] is step.to, (stage, action, after, step.to)
    return None


@st.composite
def kinds(draw: st.DrawFn) -> tuple[Fulfillment, DeliveryStage | None]:
    """A fulfilment and a stage: only store-delivery orders ever have one (models.deliveries.stages)."""
    fulfillment = draw(st.sampled_from(sorted(Fulfillment)))
    if fulfillment is not Fulfillment.STORE_DELIVERY:
        return fulfillment, None
    return fulfillment, draw(st.none() | st.sampled_from(sorted(DeliveryStage)))


@settings(max_examples=400, deadline=None)
@given(
    status=st.sampled_from(sorted(OrderStatus)),
    kind=kinds(),
    order_type=st.sampled_from(sorted(OrderType)),
    role=st.sampled_from(sorted(Role)),
)
def test_offered_delivery_steps_succeed_and_the_others_are_refused(
    status: OrderStatus, kind: tuple[Fulfillment, DeliveryStage | None], order_type: OrderType, role: Role
) -> None:
    fulfillment, stage = kind
    actor = ACTOR_OF[role]
    shown = {
        a.command: a
        for a in available_actions(status, fulfillment, order_type, role, actor, stage=stage)
        if a.command in DELIVERY
    }
    if fulfillment is not Fulfillment.STORE_DELIVERY or role in (Role.SHOPPER, Role.ANALYST):
        assert shown == {}
        # Not shown means not possible: the store's steps are refused to the others.
        for command in DELIVERY:
            assert refusal(command, status, stage, fulfillment, actor) is not None
        return
    assert set(shown) == DELIVERY
    for command, availability in shown.items():
        reason = refusal(command, status, stage, fulfillment, actor)
        assert availability.allowed is (reason is None), (command, status, stage)
        assert availability.reason is reason, (command, status, stage)


def _allowed(status: OrderStatus, stage: DeliveryStage, role: Role = Role.STORE_STAFF) -> set[C]:
    found = available_actions(
        status, Fulfillment.STORE_DELIVERY, OrderType.NORMAL, role, ACTOR_OF[role], stage=stage
    )
    return {a.command for a in found if a.allowed and a.command in DELIVERY}


def test_each_stage_offers_its_buttons() -> None:
    F = C.FOLLOW_UP_DELIVERY
    assert _allowed(S.PENDING_SHIPMENT, G.PICKING) == {C.FINISH_PICKING, F}
    assert _allowed(S.PENDING_SHIPMENT, G.PICKED) == {C.REQUEST_PLATFORM_RIDER, C.ASSIGN_OWN_RIDER, F}
    # A rider on the order: it can be switched to 自配, or leave with the goods.
    assert _allowed(S.PENDING_SHIPMENT, G.RIDER_ASSIGNED) == {C.ASSIGN_OWN_RIDER, C.MARK_DELIVERING, F}
    assert _allowed(S.SHIPPED, G.DELIVERING, Role.HQ_ADMIN) == {C.MARK_DELIVERED, F}
    assert _allowed(S.SHIPPED, G.DELIVERED) == set()
    assert _allowed(S.CLOSED, G.PICKED) == set()  # refunded in full: the stage stays, the steps go
