"""The simulated order: its lines, parcels, after-sales and timeline, and the one way to move it.

`apply` is the only function that changes an order's status. It asks the state table in
`models.orders.states` for every step and checks that the actor may cause it, so generated data
can never contain a transition the services would refuse.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.generator.common import json_text, local_date, scramble
from bench.generator.stores import HQ_ADMIN
from bench.generator.world import CustomerInfo, PromoCampaign, SkuInfo, StoreInfo
from models.deliveries.stages import DEFAULT_DELIVERY_MINUTES, DeliveryStage, next_stage
from models.enums import ActorType, Fulfillment
from models.orders.rows import ACTION_TIMESTAMP
from models.orders.states import OrderAction, OrderStatus, Transition, transition

A = OrderAction
S = OrderStatus
_STORE_DELIVERY = Fulfillment.STORE_DELIVERY.value


@dataclass(slots=True)
class LineSim:
    sku: SkuInfo
    quantity: int
    unit_price: int
    original_price: int
    discount: int = 0
    paid: int = 0
    is_gift: bool = False
    shipped: int = 0
    refunded_qty: int = 0
    refunded_amount: int = 0
    id: int = 0
    """Assigned when the order is written."""

    @property
    def unshipped(self) -> int:
        return self.quantity - self.refunded_qty - self.shipped

    def refund_for(self, quantity: int) -> int:
        """Pro-rata amount for `quantity` more units; cumulative floors make the last unit take the
        remainder, so refunding every unit returns exactly `paid` and never more."""
        done = self.refunded_qty
        return self.paid * (done + quantity) // self.quantity - self.paid * done // self.quantity


@dataclass(slots=True)
class TraceSim:
    at: float
    location: str | None
    description: str
    state: str


@dataclass(slots=True)
class ParcelSim:
    carrier: str
    tracking_no: str
    shipped_at: float
    lines: list[tuple[LineSim, int]]
    traces: list[TraceSim]
    delivered: float


@dataclass(slots=True)
class AfterSaleSim:
    no: str
    type: str
    initiator: str
    status: str
    reason: str
    store_id: int | None
    created: float
    lines: list[tuple[LineSim, int, int]]
    """(order line, quantity, amount)."""
    refund_amount: int
    evidence: int = 0
    reject_reason: str | None = None
    return_carrier: str | None = None
    return_tracking: str | None = None
    reviewed: float | None = None
    return_shipped: float | None = None
    refunded: float | None = None
    closed: float | None = None
    updated: float = 0.0
    version: int = 1
    events: list[tuple[float, str, str | None, str, str, str | None, str]] = field(default_factory=list)
    """(time, action, from status, to status, actor type, actor id, payload JSON)."""
    replacement_carrier: str | None = None
    replacement_tracking: str | None = None
    replacement_shipped: float | None = None
    escalation: EscalationSim | None = None


@dataclass(slots=True)
class EscalationSim:
    """客服介入: who escalated from which status, when, and HQ's verdict (state) if any."""

    state: str
    from_status: str
    raised_by: str
    raised_by_id: str | None
    reason: str
    evidence: str
    created: float
    verdict_note: str | None = None
    decided_by: str | None = None
    decided: float | None = None
    version: int = 1


@dataclass(slots=True)
class OrderSim:
    id: int
    order_no: str
    customer: CustomerInfo
    store: StoreInfo | None
    channel: str
    type: str
    fulfillment: str
    created: float
    lines: list[LineSim]
    consignee_name: str
    consignee_phone: str
    consignee_place: tuple[str | None, str | None, str | None, str | None, float | None, float | None]
    """province, city, district, address, latitude, longitude (None for self-pickup)."""
    pickup_code: str | None = None
    remark: str | None = None
    status: OrderStatus = S.PENDING_PAYMENT
    payment_method: str | None = None
    goods: int = 0
    goods_original: int = 0
    discount: int = 0
    delivery_fee: int = 0
    packaging_fee: int = 0
    payable: int = 0
    paid_amount: int = 0
    refunded: int = 0
    cancel_reason: str | None = None
    reject_reason: str | None = None
    campaign_id: int | None = None
    tier_id: int | None = None
    team_id: int | None = None
    paid: float | None = None
    grouped: float | None = None
    accepted: float | None = None
    rejected: float | None = None
    allocated: float | None = None
    shipped: float | None = None
    completed: float | None = None
    cancelled: float | None = None
    closed: float | None = None
    stage: DeliveryStage | None = None
    picked: float | None = None
    rider_assigned: float | None = None
    delivered: float | None = None
    promised: float | None = None
    rider: tuple[str, str | None, str | None, str, str, float] | None = None
    """Store delivery: (source, platform, dispatch id, rider name, rider phone, requested at)."""
    t: float = 0.0
    """Time of the latest change: the next step happens after it."""
    updated: float = 0.0
    version: int = 1
    reallocations: int = 0
    events: list[tuple[float, int | None, str | None, str | None, str, str, str | None, str]] = field(
        default_factory=list
    )
    allocations: list[tuple[float, int | None, int | None, str, str, str | None]] = field(
        default_factory=list
    )
    parcels: list[ParcelSim] = field(default_factory=list)
    adjustments: list[tuple[str, str, int, int | None, list[int]]] = field(default_factory=list)
    """The pricing's explanation when a price promotion priced the order: (layer, label, amount,
    source id, line shares)."""
    takes: list[tuple[PromoCampaign, int, int]] = field(default_factory=list)
    """限时抢 units and 单品买赠 gifts taken from a campaign's stock: (campaign, SKU, units)."""
    after_sales: list[AfterSaleSim] = field(default_factory=list)

    @property
    def store_id(self) -> int | None:
        return self.store.id if self.store is not None else None

    def all_units_refunded(self) -> bool:
        return all(line.refunded_qty == line.quantity for line in self.lines)

    def touch(self, at: float) -> None:
        self.updated = max(self.updated, at)


def created_event(sim: OrderSim) -> None:
    """Placing the order is not a transition: no action, no from-status."""
    sim.events.append(
        (
            sim.created,
            sim.store_id,
            None,
            None,
            S.PENDING_PAYMENT.value,
            ActorType.CUSTOMER.value,
            f"customer:{sim.customer.id}",
            json_text({"lines": len(sim.lines), "payable": sim.payable}),
        )
    )
    sim.t = sim.updated = sim.created


def apply(
    sim: OrderSim,
    action: OrderAction,
    at: float,
    actor: ActorType,
    actor_id: str | None,
    payload: Mapping[str, object] | None = None,
) -> Transition:
    """One step of the state table, with its event and timestamp."""
    step = transition(sim.status, action)
    stage = next_stage(Fulfillment(sim.fulfillment), sim.stage, action)
    if actor not in step.actors:
        raise AssertionError(f"{actor.value} may not {action.value} an order in {sim.status.value}")
    if at < sim.t:
        raise AssertionError(f"order {sim.order_no}: {action.value} at {at} before {sim.t}")
    sim.events.append(
        (
            at,
            sim.store_id,
            action.value,
            sim.status.value,
            step.to.value,
            actor.value,
            actor_id,
            json_text(payload or {}),
        )
    )
    stamp = ACTION_TIMESTAMP.get(action)
    if stamp is not None:
        setattr(sim, stamp.removesuffix("_at"), at)  # paid_at → sim.paid, ...
    if stage is DeliveryStage.DELIVERED and sim.delivered is None:
        sim.delivered = at
    if step.to is S.PENDING_ACCEPTANCE and sim.promised is None and sim.fulfillment == _STORE_DELIVERY:
        sim.promised = at + DEFAULT_DELIVERY_MINUTES * 60.0  # generated stores keep the default
    sim.stage = stage
    sim.status = step.to
    sim.version += 1
    sim.t = at
    sim.touch(at)
    return step


def actor_id(rng: random.Random, sim: OrderSim, actor: ActorType) -> str | None:
    """Who, by the subjects the API writes: shoppers' token subjects, staff usernames, fixed names."""
    if actor is ActorType.CUSTOMER:
        return f"customer:{sim.customer.id}"
    if actor is ActorType.STAFF and sim.store is not None:
        return rng.choice(sim.store.staff)
    if actor in (ActorType.HQ, ActorType.STAFF):
        return HQ_ADMIN
    return "gateway" if actor is ActorType.PAYMENT else "system"


class Numbers:
    """Order numbers: the Shanghai date plus eight digits that look random but are a bijection of
    the day's sequence, so they are unique without a lookup."""

    def __init__(self) -> None:
        self._per_day: dict[str, int] = {}

    def order_no(self, ts: float) -> str:
        day = local_date(ts)
        n = self._per_day.get(day, 0)
        self._per_day[day] = n + 1
        return f"{day}{scramble(n):08d}"
