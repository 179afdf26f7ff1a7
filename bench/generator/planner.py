"""What happens next to an order, and when.

`Planner` makes the everyday choices with realistic odds and delays; the walk stops at the first
step that would happen after `now`, so recent orders are naturally still open and old ones final.
`ScriptPlanner` replays a showcase scenario (one order per status and path, so even a small data
set shows every state) with its delays squeezed to fit before `now`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.generator.after_sales import AfterSalePlan, AfterSales, natural_delay
from bench.generator.common import (
    ACCEPTANCE_TIMEOUT,
    AUTO_COMPLETE,
    DAY,
    HOUR,
    MINUTE,
    PAYMENT_TIMEOUT,
    REFUND_WINDOW,
    between,
)
from bench.generator.shipping import splittable
from bench.generator.showcase import Scenario
from bench.generator.sim import OrderSim
from models.after_sales.states import AfterSaleAction, AfterSaleType
from models.deliveries.stages import DeliveryStage
from models.enums import ActorType, Fulfillment, OrderChannel, OrderType
from models.orders.states import TRANSITIONS, OrderAction, OrderStatus, accept_action, pay_action

A = OrderAction
S = OrderStatus
_DELIVERY = Fulfillment.STORE_DELIVERY.value
_EXPRESS = Fulfillment.EXPRESS.value
_PRE_ORDER = OrderType.PRE_ORDER.value
_GROUP = OrderType.GROUP_BUY.value
_FIXED = {A.PAYMENT_TIMEOUT, A.ACCEPTANCE_TIMEOUT, A.AUTO_COMPLETE}
"""Steps whose time a sweeper fixes: never squeezed."""


@dataclass(frozen=True, slots=True)
class Step:
    action: OrderAction
    at: float
    actor: ActorType
    partial_refund: bool = False
    """REALLOCATE only: HQ first refunds the out-of-stock line (部分退款 on 待分配)."""


class Planner:
    def __init__(self, rng: random.Random, after_sales: AfterSales, now: float) -> None:
        self.rng = rng
        self.after_sales = after_sales
        self.now = now
        self.rests_at: DeliveryStage | None = None
        """Where a store-delivery order whose steps have run out rests (None: it stops as it is)."""

    # -- timing shared with ScriptPlanner ---------------------------------------------------------

    def timing(self, sim: OrderSim, action: OrderAction) -> tuple[float, ActorType]:
        """Delay after the previous change and who acts."""
        rng = self.rng
        staff = ActorType.STAFF if sim.store is not None else ActorType.HQ
        if action in (A.PAY, A.PAY_GROUP_BUY):
            if sim.type == _GROUP:
                return between(rng, 10, 300, 1.5), ActorType.PAYMENT
            if sim.channel == OrderChannel.POS.value:
                return between(rng, 5, 60), ActorType.PAYMENT
            return between(rng, 10, 20 * MINUTE, 2.5), ActorType.PAYMENT
        if action is A.PAYMENT_TIMEOUT:
            return max(0.0, sim.created + PAYMENT_TIMEOUT - sim.t), ActorType.SYSTEM
        if action is A.ACCEPTANCE_TIMEOUT:
            return ACCEPTANCE_TIMEOUT, ActorType.SYSTEM
        if action is A.AUTO_COMPLETE:
            shipped = sim.shipped if sim.shipped is not None else sim.t
            return max(60.0, shipped + AUTO_COMPLETE - sim.t), ActorType.SYSTEM
        if action is A.CANCEL:
            if sim.status is S.PENDING_ALLOCATION:
                return between(rng, 10 * MINUTE, 90 * MINUTE), ActorType.HQ
            if sim.status is S.PENDING_ACCEPTANCE:
                return between(rng, MINUTE, 14 * MINUTE), ActorType.CUSTOMER
            return between(rng, MINUTE, 25 * MINUTE), ActorType.CUSTOMER
        if action in (A.ACCEPT_PICKUP, A.ACCEPT_SHIP):
            if sim.store is None:  # the HQ warehouse's operators
                return between(rng, 2 * MINUTE, 40 * MINUTE, 1.5), ActorType.HQ
            if sim.store.auto_accept:  # 自动接单: in the payment's own transaction
                return 0.0, ActorType.SYSTEM
            return between(rng, 30, 13 * MINUTE, 1.6), ActorType.STAFF
        if action is A.REJECT:
            return between(rng, MINUTE, 12 * MINUTE), staff
        if action is A.REALLOCATE:
            return between(rng, 3 * MINUTE, 45 * MINUTE, 1.4), ActorType.HQ
        if action is A.VERIFY_PICKUP:
            if sim.type == _PRE_ORDER:
                return between(rng, DAY, 5 * DAY), staff
            return between(rng, 15 * MINUTE, 3 * DAY, 2.2), staff
        if action in (A.SHIP, A.SHIP_PARTIAL):
            return self._ship_delay(sim), staff
        if action is A.CONFIRM_RECEIPT:
            delivered = max((p.delivered for p in sim.parcels), default=sim.t)
            return max(60.0, delivered - sim.t) + between(rng, 5 * MINUTE, 3 * DAY, 1.5), ActorType.CUSTOMER
        return between(rng, 1, 5), ActorType.SYSTEM

    def _ship_delay(self, sim: OrderSim) -> float:
        rng = self.rng
        again = bool(sim.parcels)
        if sim.fulfillment == _DELIVERY:
            return (
                between(rng, 10 * MINUTE, 40 * MINUTE)
                if again
                else between(rng, 8 * MINUTE, 50 * MINUTE, 1.3)
            )
        if sim.type == _PRE_ORDER and not again:
            return between(rng, DAY, 5 * DAY)
        return between(rng, 4 * HOUR, 3 * DAY, 1.5) if again else between(rng, HOUR, 36 * HOUR, 1.5)

    def _step(self, sim: OrderSim, action: OrderAction, partial_refund: bool = False) -> Step:
        delay, actor = self.timing(sim, action)
        return Step(action, sim.t + delay, actor, partial_refund)

    # -- natural choices -----------------------------------------------------------------------------

    def payment(self, sim: OrderSim) -> Step | None:
        u = self.rng.random()
        if sim.type == _GROUP or sim.channel == OrderChannel.POS.value or u < 0.91:
            return self._step(sim, pay_action(OrderType(sim.type)))
        return self._step(sim, A.PAYMENT_TIMEOUT if u < 0.955 else A.CANCEL)

    def acceptance(self, sim: OrderSim) -> Step | None:
        accept = accept_action(Fulfillment(sim.fulfillment))
        if sim.store is None or sim.store.auto_accept:
            return self._step(sim, accept)
        u = self.rng.random()
        reject = 0.05 if sim.reallocations == 0 else 0.02
        if u < reject:
            return self._step(sim, A.REJECT)
        if u < reject + 0.035:
            return self._step(sim, A.ACCEPTANCE_TIMEOUT)
        if u < reject + 0.06:
            return self._step(sim, A.CANCEL)
        return self._step(sim, accept)

    def allocation(self, sim: OrderSim) -> Step | None:
        if self.rng.random() < 0.82:
            partial = sim.reject_reason == "缺货" and self.rng.random() < 0.35
            return self._step(sim, A.REALLOCATE, partial)
        return self._step(sim, A.CANCEL)

    def pickup(self, sim: OrderSim) -> Step | None:
        return self._step(sim, A.VERIFY_PICKUP)

    def shipment(self, sim: OrderSim) -> Step | None:
        share = 0.25 if sim.fulfillment == _EXPRESS else 0.06
        if not sim.parcels and splittable(sim) and self.rng.random() < share:
            return self._step(sim, A.SHIP_PARTIAL)
        return self._step(sim, A.SHIP)

    def receipt(self, sim: OrderSim) -> Step | None:
        shipped = sim.shipped if sim.shipped is not None else sim.t
        if self.rng.random() < 0.65:
            step = self._step(sim, A.CONFIRM_RECEIPT)
            if step.at < shipped + AUTO_COMPLETE:
                return step
        return self._step(sim, A.AUTO_COMPLETE)

    def after_sale(self, sim: OrderSim, stage: OrderStatus) -> tuple[AfterSalePlan, float] | None:
        """Whether the buyer asks for a refund while the order is in `stage`, and when."""
        rng = self.rng
        u = rng.random()
        kind = AfterSaleType.REFUND_ONLY
        if stage in (S.PENDING_SHIPMENT, S.PENDING_PICKUP):
            if u >= 0.012:
                return None
            full = rng.random() < 0.5
        elif stage is S.SHIPPED:
            if u >= 0.015:
                return None
            kind = AfterSaleType.RETURN_AND_REFUND if rng.random() < 0.5 else kind
            full = rng.random() < 0.4
        elif stage is S.COMPLETED:
            if u >= 0.045:
                return None
            kind = AfterSaleType.RETURN_AND_REFUND if rng.random() < 0.45 else kind
            full = rng.random() < 0.2
        else:
            return None
        return self.after_sales.natural_plan(kind, full), sim.t + self.creation_delay(sim, stage, kind)

    def creation_delay(self, sim: OrderSim, stage: OrderStatus, kind: AfterSaleType) -> float:
        rng = self.rng
        if stage is S.COMPLETED:
            return between(rng, HOUR, REFUND_WINDOW - 12 * HOUR, 1.5)
        if stage is S.SHIPPED and kind is AfterSaleType.RETURN_AND_REFUND:
            delivered = max((p.delivered for p in sim.parcels), default=sim.t)
            return max(0.0, delivered - sim.t) + between(rng, 10 * MINUTE, 2 * DAY, 1.5)
        if stage is S.SHIPPED:
            return between(rng, 10 * MINUTE, DAY, 1.5)
        return between(rng, 2 * MINUTE, 60 * MINUTE)

    def after_sale_delay(self, sim: OrderSim, action: AfterSaleAction, at: float) -> float:
        return natural_delay(self.rng, action)

    def consume(self, action: OrderAction) -> None:
        """A team decided this step (TEAM_SUCCEEDED / TEAM_FAILED); nothing to track here."""


class ScriptPlanner(Planner):
    """Replays a scenario's actions; delays are the natural ones, squeezed so all fit before now."""

    MARGIN = 90.0

    def __init__(self, rng: random.Random, after_sales: AfterSales, now: float, scenario: Scenario) -> None:
        super().__init__(rng, after_sales, now)
        self.actions = list(scenario.actions)
        self.scenario = scenario
        self.pending_after_sale = scenario.after_sale
        self.rests_at = scenario.rests_at

    def _remaining(self) -> tuple[int, float]:
        count = sum(1 for a in self.actions if a not in _FIXED)
        fixed = sum(
            PAYMENT_TIMEOUT
            if a is A.PAYMENT_TIMEOUT
            else ACCEPTANCE_TIMEOUT
            if a is A.ACCEPTANCE_TIMEOUT
            else AUTO_COMPLETE
            for a in self.actions
            if a in _FIXED
        )
        if self.pending_after_sale is not None:
            count += len(self.pending_after_sale.actions)
        return count, fixed

    def _squeeze(self, sim: OrderSim, delay: float) -> float:
        count, fixed = self._remaining()
        budget = self.now - self.MARGIN - sim.t - fixed
        return max(1.0, min(delay, budget / (count + 1)))

    def _scripted(self, sim: OrderSim) -> Step | None:
        if not self.actions:
            return None
        action = self.actions[0]
        mismatched = action in (A.ACCEPT_PICKUP, A.ACCEPT_SHIP) and action is not accept_action(
            Fulfillment(sim.fulfillment)
        )
        if (sim.status, action) not in TRANSITIONS or mismatched:
            # The scenario could not be placed as written (e.g. no store offers its fulfilment):
            # the order simply stops here, still consistent.
            self.actions.clear()
            return None
        self.actions.pop(0)
        delay, actor = self.timing(sim, action)
        if action not in _FIXED:
            delay = self._squeeze(sim, delay)
        at = sim.t + delay
        if action is A.CONFIRM_RECEIPT:
            delivered = max((p.delivered for p in sim.parcels), default=sim.t)
            at = max(at, delivered + 60.0)
        return Step(action, at, actor, self.scenario.partial_refund and action is A.REALLOCATE)

    def payment(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def acceptance(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def allocation(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def pickup(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def shipment(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def receipt(self, sim: OrderSim) -> Step | None:
        return self._scripted(sim)

    def after_sale(self, sim: OrderSim, stage: OrderStatus) -> tuple[AfterSalePlan, float] | None:
        plan = self.pending_after_sale
        if plan is None or plan.stage is not stage:
            return None
        self.pending_after_sale = None
        natural = AfterSalePlan(plan.type, plan.actions, plan.full)
        count = len(self.actions) + len(plan.actions)
        budget = self.now - self.MARGIN - sim.t
        delay = max(1.0, min(self.creation_delay(sim, stage, plan.type), budget / (count + 1)))
        return natural, sim.t + delay

    def after_sale_delay(self, sim: OrderSim, action: AfterSaleAction, at: float) -> float:
        # At most a third of what is left before now: up to three more steps always fit.
        return min(natural_delay(self.rng, action), max(1.0, (self.now - self.MARGIN - at) / 3))

    def consume(self, action: OrderAction) -> None:
        if self.actions and self.actions[0] is action:
            self.actions.pop(0)
        else:
            self.actions.clear()
