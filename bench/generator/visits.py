"""Visit events (页面浏览) from the mini-program: checkout sessions and plain browsing.

Every order is preceded by its buyer's session (home, products of the order, cart, checkout)
and followed by a look at the order page; browsing sessions by customers and anonymous visitors
add product views that sell nothing, so funnel, exposure and conversion metrics have something
to measure. About eight events per order in all.
"""

from __future__ import annotations

import random

from bench.generator.common import Batch, Ids, Weighted, between, dt
from bench.generator.sim import OrderSim
from bench.generator.world import World
from models.enums import PageType, SourceChannel

_SOURCE = Weighted(
    [
        (SourceChannel.DIRECT.value, 35.0),
        (SourceChannel.SHARE.value, 18.0),
        (SourceChannel.SEARCH.value, 12.0),
        (SourceChannel.OFFICIAL_ACCOUNT.value, 12.0),
        (SourceChannel.QR_CODE.value, 10.0),
        (SourceChannel.MOMENTS_AD.value, 8.0),
        (SourceChannel.OTHER.value, 5.0),
    ]
)
_BROWSE_PAGES = Weighted(
    [
        (PageType.PRODUCT.value, 45.0),
        (PageType.CATEGORY.value, 18.0),
        (PageType.HOME.value, 12.0),
        (PageType.CAMPAIGN.value, 7.0),
        (PageType.GROUP_BUY.value, 5.0),
        (PageType.CART.value, 6.0),
        (PageType.PROFILE.value, 4.0),
        (PageType.OTHER.value, 3.0),
    ]
)
_DWELL = {
    PageType.HOME.value: (2_000, 25_000),
    PageType.CATEGORY.value: (3_000, 40_000),
    PageType.PRODUCT.value: (4_000, 90_000),
    PageType.CAMPAIGN.value: (3_000, 60_000),
    PageType.GROUP_BUY.value: (3_000, 60_000),
    PageType.CART.value: (3_000, 30_000),
    PageType.CHECKOUT.value: (5_000, 60_000),
    PageType.ORDER.value: (2_000, 20_000),
    PageType.PROFILE.value: (2_000, 20_000),
    PageType.OTHER.value: (1_000, 15_000),
}
_SESSION_LENGTH = Weighted(
    [(1, 12.0), (2, 16.0), (3, 18.0), (4, 16.0), (5, 12.0), (6, 9.0), (8, 8.0), (10, 5.0), (12, 4.0)]
)
_BROWSE_SESSIONS = Weighted([(0, 40.0), (1, 45.0), (2, 15.0)])

# (page type, product id, campaign id, dwell ms)
_Page = tuple[str, int | None, int | None, int]


class Visits:
    def __init__(self, rng: random.Random, world: World, ids: Ids, seed: int, orders: int) -> None:
        self.rng = rng
        self.world = world
        self.ids = ids
        self.seed = seed
        self.anonymous = max(200, orders // 2)
        self.sessions = 0

    def _visitor(self, n: int, salt: int) -> str:
        return f"wx{(n * 2654435761 + salt * 97 + self.seed) % 2**40:010x}"

    def _dwell(self, page: str) -> int:
        low, high = _DWELL[page]
        return int(between(self.rng, low, high, 1.8))

    def _write(
        self,
        batch: Batch,
        pages: list[_Page],
        start: float,
        visitor: str,
        customer_id: int | None,
        store_id: int | None,
    ) -> None:
        self.sessions += 1
        session = f"s{self.seed}-{self.sessions}"
        source = _SOURCE.pick(self.rng)
        at = start
        limit = self.world.now - 10.0
        for page, product_id, campaign_id, dwell in pages:
            if at >= limit:
                return
            visit_id = self.ids.next("visit_events")
            batch.add(
                "visit_events",
                (
                    visit_id,
                    f"gen-{self.seed}-{visit_id}",
                    visitor,
                    customer_id,
                    session,
                    page,
                    product_id,
                    campaign_id,
                    store_id,
                    source,
                    dwell,
                    dt(at),
                    dt(at + between(self.rng, 1, 8)),
                ),
            )
            at += dwell / 1000 + between(self.rng, 0.5, 3)

    def checkout(self, sim: OrderSim, batch: Batch) -> None:
        """The buyer's session that ends in this order, and the order page right after it."""
        rng = self.rng
        pages: list[_Page] = []
        if rng.random() < 0.6:
            pages.append((PageType.HOME.value, None, None, self._dwell(PageType.HOME.value)))
        if sim.team_id is not None:
            pages.append(
                (
                    PageType.GROUP_BUY.value,
                    sim.lines[0].sku.product_id,
                    sim.campaign_id,
                    self._dwell(PageType.GROUP_BUY.value),
                )
            )
        elif sim.campaign_id is not None and rng.random() < 0.5:
            pages.append(
                (PageType.CAMPAIGN.value, None, sim.campaign_id, self._dwell(PageType.CAMPAIGN.value))
            )
        for line in sim.lines:
            if not line.is_gift:
                pages.append(
                    (PageType.PRODUCT.value, line.sku.product_id, None, self._dwell(PageType.PRODUCT.value))
                )
        if sim.team_id is None:
            pages.append((PageType.CART.value, None, None, self._dwell(PageType.CART.value)))
        pages.append((PageType.CHECKOUT.value, None, None, self._dwell(PageType.CHECKOUT.value)))
        span = sum(p[3] for p in pages) / 1000 + 2.0 * len(pages)
        customer = sim.customer
        visitor = self._visitor(customer.id, 1)
        store_id = sim.store_id if sim.store_id is not None else customer.home.id
        self._write(
            batch, pages, max(customer.registered, sim.created - span), visitor, customer.id, store_id
        )
        after = sim.created + between(rng, 20, 300)
        order_page: list[_Page] = [(PageType.ORDER.value, None, None, self._dwell(PageType.ORDER.value))]
        self._write(batch, order_page, after, visitor, customer.id, store_id)

    def browse(self, ts: float, batch: Batch) -> None:
        """Sessions around `ts` that buy nothing: popular products get most of the views."""
        rng = self.rng
        world = self.world
        for _ in range(_BROWSE_SESSIONS.pick(rng)):
            at = min(world.now - 60.0, max(world.window_start, ts + between(rng, -3 * 3600.0, 3 * 3600.0)))
            customer = world.pick_customer(rng, at) if rng.random() < 0.55 else None
            if customer is not None:
                visitor, customer_id, store_id = self._visitor(customer.id, 1), customer.id, customer.home.id
            else:
                visitor = self._visitor(rng.randrange(self.anonymous), 2)
                customer_id, store_id = None, rng.choice(world.stores).id
            campaigns = [c for c in (*world.spend, *world.group) if c.active_at(at)]
            pages: list[_Page] = []
            for _ in range(_SESSION_LENGTH.pick(rng)):
                page = _BROWSE_PAGES.pick(rng)
                product_id = campaign_id = None
                if page == PageType.PRODUCT.value:
                    sku = world.skus[int(len(world.skus) * rng.random() ** 2.2)]
                    product_id = sku.product_id
                elif page in (PageType.CAMPAIGN.value, PageType.GROUP_BUY.value):
                    if not campaigns:
                        page = PageType.HOME.value
                    else:
                        campaign_id = rng.choice(campaigns).id
                pages.append((page, product_id, campaign_id, self._dwell(page)))
            self._write(batch, pages, at, visitor, customer_id, store_id)
