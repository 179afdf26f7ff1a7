"""Demo orders that spend coupons, priced by the one pricing function with the coupon as checkout
prices them (`models.pricing.cart.price_cart`): the order's COUPON adjustment is the coupon's
discount, spread over its lines in exact cents, and the coupon's ledger follows the order.

Three orders at SH001, written after the simulated ones (ids and order numbers continue the
simulation's, so nothing simulated moves; a data set with demo handles so holds three orders more
than asked), each with one DEMO-ALL (满50减5) coupon:

* the demo shopper's self-pickup order, paid and picked up (交易完成): its coupon USED;
* customer 2's order, paid then cancelled before acceptance and refunded in full: its coupon
  RESTORED (UNUSED again, as the template's default restore policy says);
* customer 3's order, not paid yet: its coupon LOCKED (the payment sweep unlocks it once the
  window passes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from bench.generator.after_sales import AfterSales
from bench.generator.common import HOUR, MINUTE, Batch, Ids
from bench.generator.demo import DEMO_CUSTOMER_ID, DEMO_SKU_ID, DEMO_STORE_ID
from bench.generator.emit import Emitter
from bench.generator.lifecycle import Lifecycle
from bench.generator.orders import OrderFactory
from bench.generator.planner import Step
from bench.generator.sim import LineSim, OrderSim, created_event
from bench.generator.world import World
from models.coupons.rules import CouponStatus, CouponTerms
from models.enums import ActorType, Fulfillment
from models.orders.states import OrderAction
from models.pricing.cart import Item, Layer, price_cart

A = OrderAction


@dataclass(frozen=True, slots=True)
class CouponOrder:
    customer_id: int
    actions: tuple[OrderAction, ...]
    hours_ago: float
    quantities: tuple[int, ...]
    """Units per line: the demo SKU, then the dearest others on SH001's shelf (past the threshold)."""
    coupon: CouponStatus
    """The coupon's state once the order's steps have run."""


COUPON_ORDERS: Final = (
    CouponOrder(
        DEMO_CUSTOMER_ID, (A.PAY, A.ACCEPT_PICKUP, A.VERIFY_PICKUP), 240.0, (2, 1), CouponStatus.USED
    ),
    CouponOrder(2, (A.PAY, A.CANCEL), 50.0, (1, 2), CouponStatus.UNUSED),
    CouponOrder(3, (), 0.1, (3, 1), CouponStatus.LOCKED),
)
_STEP: Final = {
    A.PAY: (2 * MINUTE, ActorType.PAYMENT),
    A.ACCEPT_PICKUP: (5 * MINUTE, ActorType.STAFF),
    A.VERIFY_PICKUP: (3 * HOUR, ActorType.STAFF),
    A.CANCEL: (4 * MINUTE, ActorType.CUSTOMER),
}


@dataclass(frozen=True, slots=True)
class Spent:
    """An order placed with a coupon, and when each coupon event happened."""

    order_id: int
    store_id: int
    placed: float
    paid: float | None
    restored: float | None


class CouponOrders:
    def __init__(self, seed: int, world: World, ids: Ids, factory: OrderFactory) -> None:
        self.rng = random.Random(f"demo-coupon-orders-{seed}")
        self.world, self.ids, self.factory = world, ids, factory
        self.own = OrderFactory(self.rng, world, factory.numbers)

    def next_id(self) -> int:
        """The id of the next order (taken before its coupon, whose row names the order)."""
        return self.factory.next_id()

    def place(self, spec: CouponOrder, order_id: int, terms: CouponTerms, batch: Batch) -> Spent:
        """Price, walk and write one order spending the coupon `terms` (its coupon_id already set)."""
        world = self.world
        store = world.stores[0]
        assert store.id == DEMO_STORE_ID
        customer = next(c for c in world.customers if c.id == spec.customer_id)
        at = world.now - spec.hours_ago * HOUR
        if customer.registered >= at:
            raise AssertionError(f"customer {customer.id} registered after their coupon order")
        demo = next(item for item in store.listing if item[0].id == DEMO_SKU_ID)
        others = sorted((i for i in store.listing if i[0].id != DEMO_SKU_ID), key=lambda i: (-i[1], i[0].id))
        lines = [
            LineSim(sku, q, price, sku.original_price)
            for (sku, price), q in zip([demo, *others], spec.quantities, strict=False)
        ]
        sim = self.own.fixed(order_id, at, customer, store, Fulfillment.SELF_PICKUP.value, lines)
        sim.id = order_id
        _price_with(sim, terms)
        created_event(sim)
        life = Lifecycle(self.rng, world, AfterSales(self.rng, world.now))
        for action in spec.actions:
            delay, actor = _STEP[action]
            life.perform(sim, Step(action, sim.t + delay, actor))
        Emitter(self.rng, self.ids, world.now).order(sim, batch)
        restored = sim.cancelled if spec.coupon is CouponStatus.UNUSED else None
        return Spent(order_id, store.id, at, sim.paid, restored)


def _price_with(sim: OrderSim, terms: CouponTerms) -> None:
    """Reprice the order with its goods coupon: lines, discount, payable and the adjustments."""
    items = [Item(line.sku.product_id, line.unit_price, line.quantity) for line in sim.lines]
    p = price_cart(items, goods_coupon=terms, delivery_fee=sim.delivery_fee, packaging_fee=sim.packaging_fee)
    if not any(a.layer is Layer.COUPON and a.source_id == terms.coupon_id for a in p.adjustments):
        raise AssertionError(f"the coupon {terms.title} does not apply to order {sim.order_no}")
    for line, priced in zip(sim.lines, p.lines, strict=True):
        line.discount, line.paid = priced.discount, priced.paid
    sim.discount = p.discount
    sim.payable = p.payable
    sim.adjustments = [(a.layer.value, a.label, a.amount, a.source_id, list(a.shares)) for a in p.adjustments]
