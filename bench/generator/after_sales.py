"""After-sales (售后): buyer requests walked through the after-sale table, and merchant refunds.

Every step goes through `next_after_sale_status` and is recorded as an after-sale event by an
actor the table allows. Only a REFUNDED after-sale moves money: it adds its quantities and
pro-rata amounts to the order lines and the order, in exact cents. When it brings back every unit
of an order that is not completed (a cancellation after payment, or refunds that close the order),
it also returns the delivery and packaging fees, which belong to no line — as
`services.after_sales.refunds.pay_out` does.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bench.generator.catalog import IMAGE_BASE
from bench.generator.common import between, json_text
from bench.generator.escalations import escalate, give_verdict
from bench.generator.sim import AfterSaleSim, LineSim, OrderSim, actor_id
from bench.generator.vocabulary import (
    AFTER_SALE_REJECT_REASONS,
    EXCHANGE_REASONS,
    PRICE_DIFFERENCE_REASONS,
    RECEIPT_REJECT_REASONS,
    REFUND_ONLY_REASONS,
    RETURN_CARRIERS,
    RETURN_REASONS,
    STORE_CARRIER,
)
from models.after_sales.states import (
    AFTER_SALE_ACTORS,
    MONEY_MOVING_ACTIONS,
    AfterSaleAction,
    AfterSaleInitiator,
    AfterSaleStatus,
    AfterSaleType,
    consumes_units,
    is_open,
    next_after_sale_status,
)
from models.enums import ActorType
from models.orders.states import OrderStatus

AA = AfterSaleAction
_TERMINAL = frozenset(
    {
        AfterSaleStatus.REFUNDED,
        AfterSaleStatus.REJECTED,
        AfterSaleStatus.CANCELLED,
        AfterSaleStatus.RECEIPT_REJECTED,
        AfterSaleStatus.EXCHANGED,
        AfterSaleStatus.CLOSED,
    }
)
_REASONS = {
    AfterSaleType.REFUND_ONLY: REFUND_ONLY_REASONS,
    AfterSaleType.RETURN_AND_REFUND: RETURN_REASONS,
    AfterSaleType.PRICE_DIFFERENCE: PRICE_DIFFERENCE_REASONS,
    AfterSaleType.EXCHANGE: EXCHANGE_REASONS,
}


@dataclass(frozen=True, slots=True)
class AfterSalePlan:
    type: AfterSaleType
    actions: tuple[AfterSaleAction, ...]
    """Starts with REQUEST; the walk stops early when the next step would be after `now`."""
    full: bool
    """Every remaining unit of the order (else part of one line)."""


class StepTiming(Protocol):
    def after_sale_delay(self, sim: OrderSim, action: AfterSaleAction, at: float) -> float: ...


def evidence_urls(no: str, count: int) -> list[str]:
    return [f"{IMAGE_BASE}/after-sales/{no}/{k}.jpg" for k in range(1, count + 1)]


def _record(
    after_sale: AfterSaleSim,
    at: float,
    action: AfterSaleAction,
    before: AfterSaleStatus | None,
    actor: ActorType,
    who: str | None,
    payload: Mapping[str, object],
) -> AfterSaleStatus:
    """One after-sale step: the table decides the next status; the event records who and when."""
    status = next_after_sale_status(before, action)
    if actor not in AFTER_SALE_ACTORS[action]:
        raise AssertionError(f"{actor.value} may not {action.value} an after-sale")
    after_sale.events.append(
        (
            at,
            action.value,
            before.value if before else None,
            status.value,
            actor.value,
            who,
            json_text(payload),
        )
    )
    after_sale.status = status.value
    after_sale.updated = at
    return status


def refund_no(sim: OrderSim) -> str:
    """`{order_no}R{nn}`, as the services number an order's after-sales."""
    return f"{sim.order_no}R{len(sim.after_sales) + 1:02d}"


class AfterSales:
    def __init__(self, rng: random.Random, now: float) -> None:
        self.rng = rng
        self.now = now

    def _merchant(self, sim: OrderSim) -> tuple[ActorType, str | None]:
        actor = ActorType.STAFF if sim.store is not None else ActorType.HQ
        return actor, actor_id(self.rng, sim, actor)

    def _select(self, sim: OrderSim, full: bool) -> list[tuple[LineSim, int, int]]:
        if full:
            return [
                (line, line.quantity - line.refunded_qty, line.refund_for(line.quantity - line.refunded_qty))
                for line in sim.lines
                if line.refunded_qty < line.quantity
            ]
        candidates = [
            line
            for line in sim.lines
            if not line.is_gift and line.paid > 0 and line.refunded_qty < line.quantity
        ]
        if not candidates:
            return []
        line = self.rng.choice(candidates)
        remaining = line.quantity - line.refunded_qty
        quantity = remaining if self.rng.random() < 0.5 else self.rng.randint(1, remaining)
        return [(line, quantity, line.refund_for(quantity))]

    def _move_money(self, sim: OrderSim, after_sale: AfterSaleSim, at: float) -> None:
        units = consumes_units(AfterSaleType(after_sale.type))  # a price difference keeps the units
        for line, quantity, amount in after_sale.lines:
            line.refunded_qty += quantity if units else 0
            line.refunded_amount += amount
        if units and sim.all_units_refunded() and sim.status is not OrderStatus.COMPLETED:
            # Nothing of the order is kept: the fees go back too (what is left of paid_amount).
            after_sale.refund_amount = sim.paid_amount - sim.refunded
        sim.refunded += after_sale.refund_amount
        after_sale.refunded = at
        sim.touch(at)
        if sim.refunded > sim.paid_amount:
            raise AssertionError(f"order {sim.order_no} refunded more than paid")

    def merchant_refund(
        self,
        sim: OrderSim,
        at: float,
        reason: str,
        actor: ActorType,
        *,
        full: bool,
        line: LineSim | None = None,
    ) -> AfterSaleSim | None:
        """主动退款: REFUNDED at once; `full` takes every unit not yet refunded (and so the fees)."""
        if full:
            if sim.paid_amount <= sim.refunded:
                return None
            lines = self._select(sim, True)
        elif line is not None:
            remaining = line.quantity - line.refunded_qty
            lines = [(line, remaining, line.refund_for(remaining))]
        else:
            return None
        amount = sum(a for _, _, a in lines)
        if not lines or (amount <= 0 and not full):
            return None
        after_sale = AfterSaleSim(
            no=refund_no(sim),
            type=AfterSaleType.REFUND_ONLY.value,
            initiator=AfterSaleInitiator.MERCHANT.value,
            status="",
            reason=reason,
            store_id=sim.store_id,
            created=at,
            lines=lines,
            refund_amount=amount,
            closed=at,
            updated=at,
        )
        who = actor_id(self.rng, sim, actor)
        _record(after_sale, at, AA.MERCHANT_REFUND, None, actor, who, {"lines": len(lines)})
        self._move_money(sim, after_sale, at)
        sim.after_sales.append(after_sale)
        return after_sale

    def request(
        self, sim: OrderSim, plan: AfterSalePlan, created: float, timing: StepTiming
    ) -> AfterSaleSim | None:
        """A buyer's request, walked as far as the clock allows."""
        rng = self.rng
        if created >= self.now:
            return None
        lines = self._select(sim, plan.full)
        if not lines:
            return None
        if plan.type is AfterSaleType.EXCHANGE:  # no money: the units come back and go out again
            lines = [(line, quantity, 0) for line, quantity, _ in lines]
        elif plan.type is AfterSaleType.PRICE_DIFFERENCE:  # part of those units' share, units kept
            lines = [
                (line, quantity, max(1, amount * rng.randint(5, 30) // 100))
                for line, quantity, amount in lines
            ]
        reason = rng.choice(_REASONS[plan.type])
        after_sale = AfterSaleSim(
            no=refund_no(sim),
            type=plan.type.value,
            initiator=AfterSaleInitiator.BUYER.value,
            status="",
            reason=reason,
            store_id=sim.store_id,
            created=created,
            lines=lines,
            refund_amount=sum(a for _, _, a in lines),
            evidence=rng.randint(1, 3) if rng.random() < 0.6 else 0,
            updated=created,
        )
        buyer = actor_id(rng, sim, ActorType.CUSTOMER)
        payload: dict[str, object] = {"lines": len(lines)}
        status = _record(after_sale, created, AA.REQUEST, None, ActorType.CUSTOMER, buyer, payload)
        at = created
        for action in plan.actions[1:]:
            nxt = at + timing.after_sale_delay(sim, action, at)
            if nxt >= self.now:
                break
            at = nxt
            payload = {}
            if action in (AA.APPROVE_REFUND_ONLY, AA.APPROVE_RETURN, AA.REJECT):
                after_sale.reviewed = at
            if action is AA.REJECT:
                after_sale.reject_reason = payload["reason"] = rng.choice(AFTER_SALE_REJECT_REASONS)
            elif action is AA.REFUSE_RETURN_RECEIPT:
                after_sale.reject_reason = payload["reason"] = rng.choice(RECEIPT_REJECT_REASONS)
            elif action is AA.SUBMIT_RETURN:
                after_sale.return_shipped = at
                after_sale.return_carrier = rng.choice(RETURN_CARRIERS)
                after_sale.return_tracking = f"{rng.randrange(10**12, 10**13)}"
                payload = {"carrier": after_sale.return_carrier, "trackingNo": after_sale.return_tracking}
            elif action is AA.SHIP_REPLACEMENT:
                after_sale.replacement_shipped = at
                after_sale.replacement_carrier = STORE_CARRIER
                after_sale.replacement_tracking = f"EX{rng.randrange(10**10, 10**11)}"
                payload = {"carrier": STORE_CARRIER, "trackingNo": after_sale.replacement_tracking}
            allowed = AFTER_SALE_ACTORS[action]
            if ActorType.CUSTOMER in allowed:
                actor, who = ActorType.CUSTOMER, buyer
            elif ActorType.STAFF not in allowed:  # HQ's verdict on an escalation
                actor, who = ActorType.HQ, actor_id(rng, sim, ActorType.HQ)
            else:
                actor, who = self._merchant(sim)
            if action is AA.ESCALATE:
                payload = {"reason": escalate(rng, after_sale, status, actor, who, at).reason}
            elif actor is ActorType.HQ and after_sale.escalation is not None:
                payload = give_verdict(rng, after_sale.escalation, action, who, at)
            status = _record(after_sale, at, action, status, actor, who, payload)
            after_sale.version += 1
            if action in MONEY_MOVING_ACTIONS:
                self._move_money(sim, after_sale, at)
        if status in _TERMINAL:
            after_sale.closed = at
        sim.touch(at)
        sim.after_sales.append(after_sale)
        return after_sale

    def natural_plan(self, kind: AfterSaleType, full: bool) -> AfterSalePlan:
        """The usual outcomes: most requests are approved, some rejected or withdrawn."""
        u = self.rng.random()
        actions: list[AfterSaleAction] = [AA.REQUEST]
        if u < 0.7:
            if kind is AfterSaleType.REFUND_ONLY:
                actions.append(AA.APPROVE_REFUND_ONLY)
            else:
                actions.append(AA.APPROVE_RETURN)
                if self.rng.random() < 0.88:
                    actions.append(AA.SUBMIT_RETURN)
                    actions.append(
                        AA.CONFIRM_RETURN_RECEIVED if self.rng.random() < 0.9 else AA.REFUSE_RETURN_RECEIPT
                    )
                else:
                    actions.append(AA.WITHDRAW)
        elif u < 0.85:
            actions.append(AA.REJECT)
        else:
            actions.append(AA.WITHDRAW)
        return AfterSalePlan(kind, tuple(actions), full)


def natural_delay(rng: random.Random, action: AfterSaleAction) -> float:
    """Seconds from the previous after-sale step to `action`."""
    if action in (AA.APPROVE_REFUND_ONLY, AA.APPROVE_RETURN, AA.REJECT):
        return between(rng, 600, 1.5 * 86400, 1.5)
    if action is AA.WITHDRAW:
        return between(rng, 300, 2 * 86400, 1.5)
    if action is AA.SUBMIT_RETURN:
        return between(rng, 7200, 3 * 86400, 1.3)
    return between(rng, 86400, 4 * 86400)


def open_status(after_sale: AfterSaleSim) -> bool:
    return is_open(AfterSaleStatus(after_sale.status))
