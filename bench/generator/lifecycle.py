"""Walk an order through the state table, doing what each step implies.

Every step goes through `sim.apply` (state table + actor check); this module adds the side
effects a service would write in the same transaction: payment, allocation records, parcels,
refunds on cancellation, buyer after-sales between steps, and closing an order whose every unit
was refunded.
"""

from __future__ import annotations

import random

from bench.generator.after_sales import AfterSales, open_status
from bench.generator.common import Weighted, between
from bench.generator.planner import Planner, Step
from bench.generator.shipping import Shipping
from bench.generator.sim import OrderSim, actor_id, apply
from bench.generator.store_delivery import StoreDelivery
from bench.generator.vocabulary import (
    ACCEPTANCE_CANCEL_REASONS,
    ACCEPTANCE_TIMEOUT_REASON,
    ALLOCATION_CANCEL_REASONS,
    MERCHANT_PARTIAL_REASON,
    PAY_CANCEL_REASONS,
    PAYMENT_TIMEOUT_REASON,
    REJECT_REASONS,
    TEAM_FAILED_REASON,
)
from bench.generator.world import StoreInfo, World
from models.after_sales.states import AfterSaleStatus
from models.deliveries.stages import DeliveryStage
from models.enums import ActorType, OrderChannel, PaymentMethod
from models.orders.states import FINAL_STATUSES, OrderAction, OrderStatus

A = OrderAction
S = OrderStatus
_MINI_PROGRAM_PAY = Weighted(
    [
        (PaymentMethod.WECHAT_PAY.value, 0.88),
        (PaymentMethod.BALANCE.value, 0.08),
        (PaymentMethod.UNION_PAY.value, 0.04),
    ]
)
_OTHER_PAY = Weighted(
    [
        (PaymentMethod.WECHAT_PAY.value, 0.5),
        (PaymentMethod.ALIPAY.value, 0.35),
        (PaymentMethod.UNION_PAY.value, 0.08),
        (PaymentMethod.BALANCE.value, 0.07),
    ]
)
_STAGE_ACTIONS = {
    A.ACCEPT_SHIP: S.PENDING_SHIPMENT,
    A.ACCEPT_PICKUP: S.PENDING_PICKUP,
    A.SHIP: S.SHIPPED,
    A.CONFIRM_RECEIPT: S.COMPLETED,
    A.AUTO_COMPLETE: S.COMPLETED,
    A.VERIFY_PICKUP: S.COMPLETED,
}
"""Entering these states is when a buyer may ask for a refund (SPEC §3 refund entry)."""


def payment_no(sim: OrderSim) -> str:
    """`P{order_no}01`: how the services number an order's first payment."""
    return f"P{sim.order_no}01"


class Lifecycle:
    def __init__(self, rng: random.Random, world: World, after_sales: AfterSales) -> None:
        self.rng = rng
        self.world = world
        self.now = world.now
        self.after_sales = after_sales
        self.shipping = Shipping(rng)
        self.delivery = StoreDelivery()

    def run(self, sim: OrderSim, planner: Planner) -> None:
        """Until the order is final, waits for its team, or its next step lies after now."""
        while sim.status not in FINAL_STATUSES and sim.status is not S.AWAITING_GROUP:
            step = self._next(sim, planner)
            if step is None or step.at >= self.now:
                if step is not None:
                    self.delivery.rest(sim, self.now)
                elif planner.rests_at is not None:
                    self.delivery.rest(sim, self.now, planner.rests_at)
                return
            self.perform(sim, step)
            stage = _STAGE_ACTIONS.get(step.action)
            if stage is not None and not self._after_sale(sim, planner, stage):
                return

    def team_result(self, sim: OrderSim, planner: Planner, succeeded: bool, at: float) -> None:
        action = A.TEAM_SUCCEEDED if succeeded else A.TEAM_FAILED
        planner.consume(action)
        if not succeeded:
            self._cancel(sim, action, at, ActorType.SYSTEM, TEAM_FAILED_REASON)
            return
        apply(sim, action, at, ActorType.SYSTEM, "system")
        self.run(sim, planner)

    def _next(self, sim: OrderSim, planner: Planner) -> Step | None:
        status = sim.status
        if status is S.PENDING_PAYMENT:
            return planner.payment(sim)
        if status is S.PENDING_ACCEPTANCE:
            return planner.acceptance(sim)
        if status is S.PENDING_ALLOCATION:
            return planner.allocation(sim)
        if status is S.PENDING_PICKUP:
            return planner.pickup(sim)
        if status is S.PENDING_SHIPMENT:
            return planner.shipment(sim)
        if status is S.SHIPPED:
            return planner.receipt(sim)
        return None

    def perform(self, sim: OrderSim, step: Step) -> None:
        """One step with its side effects (payment, allocation record, parcel, refund on cancel)."""
        action, at, actor = step.action, step.at, step.actor
        who = actor_id(self.rng, sim, actor)
        if action in (A.PAY, A.PAY_GROUP_BUY):
            pay = _MINI_PROGRAM_PAY if sim.channel == OrderChannel.MINI_PROGRAM.value else _OTHER_PAY
            sim.payment_method = pay.pick(self.rng)
            sim.paid_amount = sim.payable
            apply(sim, action, at, actor, who, {"paymentNo": payment_no(sim)})
            customer = sim.customer
            if customer.first_paid is None or at < customer.first_paid:
                customer.first_paid = at
        elif action is A.PAYMENT_TIMEOUT:
            self._cancel(sim, action, at, actor, PAYMENT_TIMEOUT_REASON)
        elif action is A.CANCEL:
            reasons = {
                S.PENDING_PAYMENT: PAY_CANCEL_REASONS,
                S.PENDING_ACCEPTANCE: ACCEPTANCE_CANCEL_REASONS,
            }.get(sim.status, ALLOCATION_CANCEL_REASONS)
            self._cancel(sim, action, at, actor, self.rng.choice(reasons))
        elif action in (A.REJECT, A.ACCEPTANCE_TIMEOUT):
            reason = self.rng.choice(REJECT_REASONS) if action is A.REJECT else ACCEPTANCE_TIMEOUT_REASON
            sim.reject_reason = reason
            sim.allocations.append((at, sim.store_id, None, reason, actor.value, who))
            apply(sim, action, at, actor, who, {"reason": reason} if action is A.REJECT else None)
        elif action is A.REALLOCATE:
            self._reallocate(sim, step, who)
        elif action is A.SHIP and sim.stage is not None:
            self.delivery.before_pickup(sim, at)
            self.shipping.ship(sim, at, partial=False)
            apply(sim, A.RIDER_PICKUP, at, actor, who, self.delivery.pickup_payload(sim))
        elif action in (A.SHIP, A.SHIP_PARTIAL):
            parcel = self.shipping.ship(sim, at, partial=action is A.SHIP_PARTIAL)
            apply(sim, action, at, actor, who, {"trackingNos": [parcel.tracking_no]})
        elif action in (A.CONFIRM_RECEIPT, A.AUTO_COMPLETE) and sim.stage is DeliveryStage.DELIVERING:
            self.delivery.deliver(sim, at)
            apply(sim, action, at, actor, who)
        else:
            apply(sim, action, at, actor, who)

    def _cancel(self, sim: OrderSim, action: OrderAction, at: float, actor: ActorType, reason: str) -> None:
        """Cancelling after payment refunds every paid cent in the same step (full_refund)."""
        sim.cancel_reason = reason
        payload = {"reason": reason} if action is A.CANCEL else None
        step = apply(sim, action, at, actor, actor_id(self.rng, sim, actor), payload)
        if step.full_refund != (sim.paid_amount > 0):
            raise AssertionError(f"{action.value} from a {'paid' if sim.paid_amount else 'unpaid'} order")
        if step.full_refund:
            # The refund is the system's consequence of the cancellation, whoever cancelled.
            refund_reason = "拼团失败" if action is A.TEAM_FAILED else f"订单取消: {reason}"
            self.after_sales.merchant_refund(sim, at, refund_reason, ActorType.SYSTEM, full=True)

    def _reallocate(self, sim: OrderSim, step: Step, who: str | None) -> None:
        target = self._target_store(sim, step.at)
        if target is None:
            self._cancel(sim, A.CANCEL, step.at, ActorType.HQ, self.rng.choice(ALLOCATION_CANCEL_REASONS))
            return
        if step.partial_refund:
            lines = [line for line in sim.lines if not line.is_gift and line.refunded_qty < line.quantity]
            if len(lines) >= 2:
                refund_at = sim.t + (step.at - sim.t) * 0.5
                line = self.rng.choice(lines)
                self.after_sales.merchant_refund(
                    sim, refund_at, MERCHANT_PARTIAL_REASON, ActorType.HQ, full=False, line=line
                )
        source = sim.store_id
        sim.store = target
        sim.reallocations += 1
        note = f"{sim.reject_reason or '原门店无法履约'}，改由{target.code}履约"
        sim.allocations.append((step.at, source, target.id, note, step.actor.value, who))
        payload = {"fromStoreId": source, "toStoreId": target.id, "note": note}
        apply(sim, A.REALLOCATE, step.at, step.actor, who, payload)

    def _target_store(self, sim: OrderSim, at: float) -> StoreInfo | None:
        current = sim.store
        candidates = [
            s
            for s in self.world.stores
            if s is not current and s.takes_orders(at) and sim.fulfillment in s.supports
        ]
        if current is not None:
            same_city = [s for s in candidates if s.city == current.city]
            candidates = same_city or candidates
        return self.rng.choice(candidates) if candidates else None

    def _after_sale(self, sim: OrderSim, planner: Planner, stage: OrderStatus) -> bool:
        """A buyer's request while in `stage`; False when the walk must stop here."""
        decided = planner.after_sale(sim, stage)
        if decided is None:
            return True
        plan, created = decided
        after_sale = self.after_sales.request(sim, plan, created, planner)
        if after_sale is None:
            return True
        if open_status(after_sale) or sim.status in FINAL_STATUSES:
            return False
        if after_sale.status == AfterSaleStatus.REFUNDED.value and sim.all_units_refunded():
            refunded = after_sale.refunded if after_sale.refunded is not None else after_sale.updated
            close_at = refunded + min(between(self.rng, 1, 5), (self.now - refunded) / 2)
            apply(sim, A.CLOSE, close_at, ActorType.SYSTEM, "system", {"afterSaleNo": after_sale.no})
            return False
        sim.t = max(sim.t, after_sale.updated)
        return True
