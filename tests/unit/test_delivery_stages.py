"""The delivery stage table (O2O store delivery): every cell, and random walks beside the status table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from models.deliveries.stages import (
    DELIVERY_ACTIONS,
    MAIN_LINE,
    STAGE_STATUS,
    DeliveryStage,
    InvalidStage,
    next_stage,
    path_to,
    promised_delivery_at,
)
from models.enums import ActorType, Fulfillment
from models.errors import DomainError
from models.orders.states import FINAL_STATUSES, TRANSITIONS, OrderAction, OrderStatus, transition

G, A, S = DeliveryStage, OrderAction, OrderStatus

# Transcribed from SPEC §8 independently of the module: (stage, action) → stage.
STEPS = {
    (G.PICKING, A.FINISH_PICKING): G.PICKED,
    (G.PICKED, A.ASSIGN_RIDER): G.RIDER_ASSIGNED,
    (G.RIDER_ASSIGNED, A.ASSIGN_RIDER): G.RIDER_ASSIGNED,
    (G.RIDER_ASSIGNED, A.UNASSIGN_RIDER): G.PICKED,
    (G.RIDER_ASSIGNED, A.RIDER_PICKUP): G.DELIVERING,
    (G.DELIVERING, A.DELIVER): G.DELIVERED,
}


@pytest.mark.parametrize(
    ("stage", "action"), list(itertools.product(DeliveryStage, sorted(DELIVERY_ACTIONS)))
)
def test_every_delivery_cell(stage: DeliveryStage, action: OrderAction) -> None:
    expected = STEPS.get((stage, action))
    if expected is None:
        with pytest.raises(InvalidStage):
            next_stage(Fulfillment.STORE_DELIVERY, stage, action)
    else:
        assert next_stage(Fulfillment.STORE_DELIVERY, stage, action) is expected


def test_only_accepted_store_delivery_orders_enter_picking() -> None:
    assert next_stage(Fulfillment.STORE_DELIVERY, None, A.ACCEPT_SHIP) is G.PICKING
    assert next_stage(Fulfillment.EXPRESS, None, A.ACCEPT_SHIP) is None
    assert next_stage(Fulfillment.SELF_PICKUP, None, A.ACCEPT_PICKUP) is None
    for action in DELIVERY_ACTIONS:
        with pytest.raises(InvalidStage):
            next_stage(Fulfillment.EXPRESS, None, action)


def test_seed_000_parcels_and_receipt_carry_the_stage() -> None:
    for stage in (G.PICKING, G.PICKED, G.RIDER_ASSIGNED):
        assert next_stage(Fulfillment.STORE_DELIVERY, stage, A.SHIP) is G.DELIVERING
        assert next_stage(Fulfillment.STORE_DELIVERY, stage, A.SHIP_PARTIAL) is stage
        assert next_stage(Fulfillment.STORE_DELIVERY, stage, A.CLOSE) is stage
    assert next_stage(Fulfillment.STORE_DELIVERY, G.DELIVERING, A.CONFIRM_RECEIPT) is G.DELIVERED
    assert next_stage(Fulfillment.STORE_DELIVERY, G.DELIVERING, A.AUTO_COMPLETE) is G.DELIVERING


def test_every_stage_step_is_a_status_step_without_money() -> None:
    for (stage, action), to in STEPS.items():
        step = transition(STAGE_STATUS[stage], action)
        assert step.to is STAGE_STATUS[to]
        assert not step.full_refund


def test_paths_for_callbacks() -> None:
    assert path_to(G.PICKED, G.DELIVERED) == (A.ASSIGN_RIDER, A.RIDER_PICKUP, A.DELIVER)
    assert path_to(G.DELIVERED, G.DELIVERED) == ()
    assert path_to(G.DELIVERED, G.DELIVERING) is None


def test_promise() -> None:
    paid = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert promised_delivery_at(paid, 45) == paid + timedelta(minutes=45)
    assert promised_delivery_at(paid, 45, paid + timedelta(minutes=30)) == paid + timedelta(minutes=45)
    booked = paid + timedelta(hours=5)
    assert promised_delivery_at(paid, 45, booked) == booked


class StageWalk(RuleBasedStateMachine):
    """An order's (status, stage) under random actions of any actor, with a money ledger: paid,
    refunded by partial refunds, and CLOSE when everything is back."""

    def __init__(self) -> None:
        super().__init__()
        self.fulfillment = Fulfillment.STORE_DELIVERY
        self.status = S.PENDING_ACCEPTANCE
        self.stage: DeliveryStage | None = None
        self.paid = 10_000
        self.refunded = 0
        self.reached: list[DeliveryStage] = []

    @rule(
        action=st.sampled_from(sorted(OrderAction)),
        actor=st.sampled_from(sorted(ActorType)),
        fulfillment=st.sampled_from(sorted(Fulfillment)),
    )
    def act(self, action: OrderAction, actor: ActorType, fulfillment: Fulfillment) -> None:
        if self.status is S.PENDING_ACCEPTANCE and self.stage is None:
            self.fulfillment = fulfillment  # a fresh order of any kind
        step = TRANSITIONS.get((self.status, action))
        if action is A.CLOSE or step is None or actor not in step.actors:  # CLOSE: by refunds only
            return
        try:
            stage = next_stage(self.fulfillment, self.stage, action)
        except DomainError:
            assert action in DELIVERY_ACTIONS
            return
        self.status, self.stage = step.to, stage
        if step.full_refund:
            self.refunded = self.paid
        if stage is not None and (not self.reached or self.reached[-1] is not stage):
            self.reached.append(stage)

    @precondition(lambda self: self.status not in FINAL_STATUSES)
    @rule(cents=st.integers(1, 4000))
    def partial_refund(self, cents: int) -> None:
        self.refunded = min(self.paid, self.refunded + cents)
        if self.refunded == self.paid:
            self.status = transition(self.status, A.CLOSE).to

    @rule()
    def reopen(self) -> None:
        if self.status in FINAL_STATUSES:
            self.__init__()  # type: ignore[misc]  # the next order

    @invariant()
    def stage_sits_under_its_status(self) -> None:
        if self.stage is None:
            return
        assert self.fulfillment is Fulfillment.STORE_DELIVERY
        if self.status not in FINAL_STATUSES:
            assert STAGE_STATUS[self.stage] is self.status, (self.stage, self.status)

    @invariant()
    def stages_only_go_forward_except_a_lost_rider(self) -> None:
        for before, after in itertools.pairwise(self.reached):
            forward = MAIN_LINE.index(after) > MAIN_LINE.index(before)
            assert forward or (before, after) == (G.RIDER_ASSIGNED, G.PICKED)

    @invariant()
    def money_is_exact(self) -> None:
        assert 0 <= self.refunded <= self.paid
        if self.status is S.CLOSED:
            assert self.refunded == self.paid
        if self.status not in FINAL_STATUSES:
            assert self.refunded < self.paid


StageWalk.TestCase.settings = settings(max_examples=60, stateful_step_count=60, deadline=None)
TestStageWalk = StageWalk.TestCase


def test_queue_rules() -> None:
    from models.deliveries.queues import is_overdue, lacks_rider

    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    assert is_overdue(G.DELIVERING, now - timedelta(minutes=1), now)
    assert not is_overdue(G.DELIVERED, now - timedelta(minutes=1), now)
    assert not is_overdue(G.PICKING, now + timedelta(minutes=1), now)
    assert not is_overdue(None, now - timedelta(minutes=1), now)
    ten = timedelta(minutes=10)
    assert lacks_rider(G.PICKED, now - ten, now, ten)
    assert not lacks_rider(G.PICKED, now - timedelta(minutes=9), now, ten)
    assert not lacks_rider(G.RIDER_ASSIGNED, now - timedelta(hours=1), now, ten)
