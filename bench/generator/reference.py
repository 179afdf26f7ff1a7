"""Reference data written before any order: stores, staff, catalogue, listings, customers, campaigns.

Returned as a sequence of batches (listings in groups of stores) so that even 300 stores × 6,000
SKUs never sit in memory at once; the random stream is consumed in the same order either way,
so the output does not depend on how it is cut.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from bench.generator.campaigns import build_campaigns
from bench.generator.catalog import build_catalog, build_listings
from bench.generator.common import DAY, Batch, Ids
from bench.generator.people import build_customers
from bench.generator.promotions import build_promotions
from bench.generator.stores import build_staff, build_stores
from bench.generator.timeline import ORDER_DAYS
from bench.generator.world import World

LISTING_GROUP = 25


def build_reference(rng: random.Random, ids: Ids, orders: int, now: float) -> tuple[World, Iterator[Batch]]:
    """The world (for the order simulation) and the batches to write first, in foreign-key order.

    The world is complete only once the iterator is exhausted (customers and campaigns come last).
    """
    batch = Batch()
    stores = build_stores(rng, ids, batch, orders, now)
    build_staff(rng, ids, batch, stores, now)
    catalog = build_catalog(rng, ids, batch, orders, now)
    world = World(
        now=now,
        window_start=now - ORDER_DAYS * DAY,
        stores=stores,
        skus=catalog.skus,
        hq_listing=[(sku, sku.price) for sku in catalog.skus],
        product_ids=catalog.product_ids,
    )
    for store in stores:
        world.stores_by_city.setdefault(store.city, []).append(store)

    def batches() -> Iterator[Batch]:
        yield batch
        for start in range(0, len(stores), LISTING_GROUP):
            listings = Batch()
            build_listings(rng, ids, listings, catalog, stores[start : start + LISTING_GROUP], now)
            yield listings
        people = Batch()
        world.customers = build_customers(rng, ids, people, orders, stores, now)
        world.registered = [c.registered for c in world.customers]
        build_campaigns(rng, ids, people, world, catalog)
        build_promotions(ids, people, world, catalog)
        yield people

    return world, batches()
