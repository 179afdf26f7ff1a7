"""Stable demo handles: fixed orders, a fixed store, SKU and shopper that the docs' examples use.

Random data cannot back an example that says "ship order 2026112300000001". So on top of it every
data set of at least `DEMO_MIN_ORDERS` orders holds the same few orders of the demo shopper
(customer 1) at SH001, with fixed order numbers, consignee 张三 and, for pickup, a fixed pickup
code. They are written before the simulated orders, so their primary keys (and global ids) are
1, 2, 3 and their lines 1-5 whatever the size, seed or moment of the data set.

They sit in states no sweep moves (待发货, 待提货), so they stay usable however long after seeding
the server runs. They count towards the requested number of orders and use a random stream of
their own: the simulated orders are what they would be otherwise, with ids shifted by three.
Every step goes through the state table (`sim.apply` via `Lifecycle`), like any generated order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from bench.generator.after_sales import AfterSales
from bench.generator.catalog import DEMO_LISTING
from bench.generator.common import HOUR, MINUTE, Batch, Ids
from bench.generator.emit import Emitter
from bench.generator.lifecycle import Lifecycle
from bench.generator.orders import OrderFactory
from bench.generator.planner import Step
from bench.generator.sim import LineSim, Numbers, created_event
from bench.generator.world import SkuInfo, StoreInfo, World
from models.enums import ActorType, Fulfillment
from models.orders.states import OrderAction

A = OrderAction

DEMO_MIN_ORDERS: Final = 50
"""Smaller data sets (unit tests of the generator) get no demo handles."""
DEMO_STORE_CODE: Final = "SH001"
"""The first store: always in Shanghai, accepts orders by hand, offers every fulfilment."""
DEMO_STORE_ID, DEMO_SKU_ID = DEMO_LISTING
DEMO_SKU_CODE: Final = "XF00000101"
"""The first SKU; SH001 always lists it on the shelf, in stock (`catalog.build_listings`)."""
DEMO_CUSTOMER_ID: Final = 1
"""The demo shopper (the first customer, registered before any order)."""
DEMO_CONSIGNEE_NAME: Final = "张三"
DEMO_CONSIGNEE_PHONE: Final = "13800138000"


@dataclass(frozen=True, slots=True)
class DemoOrder:
    order_no: str
    fulfillment: Fulfillment
    actions: tuple[OrderAction, ...]
    hours_ago: float
    """When it was placed, before the data set's `now`."""
    quantities: tuple[int, ...]
    """Units per line: the demo SKU first, then the dearest other SKUs SH001 has on the shelf."""
    pickup_code: str | None = None
    purpose: str = ""


DEMO_ORDERS: Final[tuple[DemoOrder, ...]] = (
    DemoOrder(
        "2026112300000001",
        Fulfillment.STORE_DELIVERY,
        (A.PAY, A.ACCEPT_SHIP),
        3.0,
        (2, 1),
        purpose="待发货 (store delivery): ship it",
    ),
    DemoOrder(
        "2026112300000002",
        Fulfillment.SELF_PICKUP,
        (A.PAY, A.ACCEPT_PICKUP),
        2.0,
        (1, 1),
        pickup_code="246810",
        purpose="待提货 (self pickup, code 246810): hand it over",
    ),
    DemoOrder(
        "2026112300000003",
        Fulfillment.EXPRESS,
        (A.PAY, A.ACCEPT_SHIP, A.SHIP_PARTIAL),
        30.0,
        (1, 2),
        purpose="待发货, one parcel already sent (split shipping): look at it",
    ),
)

_STEP: Final = {
    A.PAY: (2 * MINUTE, ActorType.PAYMENT),
    A.ACCEPT_SHIP: (5 * MINUTE, ActorType.STAFF),
    A.ACCEPT_PICKUP: (5 * MINUTE, ActorType.STAFF),
    A.SHIP_PARTIAL: (2 * HOUR, ActorType.STAFF),
}
"""Delay after the previous step and who acts (SH001 accepts by hand)."""


def wants_demo(orders: int) -> bool:
    return orders >= DEMO_MIN_ORDERS


def demo_orders(seed: int, world: World, ids: Ids, factory: OrderFactory) -> Batch:
    """The demo orders' rows; call before any simulated order is written (their ids come first)."""
    rng = random.Random(f"demo-handles-{seed}")
    store = world.stores[0]
    customer = next(c for c in world.customers if c.id == DEMO_CUSTOMER_ID)
    if store.code != DEMO_STORE_CODE or store.id != DEMO_STORE_ID:
        raise AssertionError(f"the first store is {store.code}, not {DEMO_STORE_CODE}")
    own = OrderFactory(rng, world, Numbers())
    life = Lifecycle(rng, world, AfterSales(rng, world.now))
    emitter = Emitter(rng, ids, world.now)
    batch = Batch()
    for spec in DEMO_ORDERS:
        at = world.now - spec.hours_ago * HOUR
        lines = [LineSim(sku, q, price, sku.original_price) for (sku, price), q in _picks(store, spec)]
        sim = own.fixed(factory.next_id(), at, customer, store, spec.fulfillment.value, lines)
        sim.order_no = spec.order_no
        sim.consignee_name, sim.consignee_phone = DEMO_CONSIGNEE_NAME, DEMO_CONSIGNEE_PHONE
        sim.pickup_code = spec.pickup_code
        sim.remark = None
        created_event(sim)
        for action in spec.actions:
            delay, actor = _STEP[action]
            life.perform(sim, Step(action, sim.t + delay, actor))
        emitter.order(sim, batch)
    return batch


def _picks(store: StoreInfo, spec: DemoOrder) -> list[tuple[tuple[SkuInfo, int], int]]:
    """The demo SKU, then the dearest others on the shelf (so the orders pass ¥100)."""
    demo = next(item for item in store.listing if item[0].id == DEMO_SKU_ID)
    others = sorted((i for i in store.listing if i[0].id != DEMO_SKU_ID), key=lambda i: (-i[1], i[0].id))
    return list(zip([demo, *others], spec.quantities, strict=False))
