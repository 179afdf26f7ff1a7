"""Placing an order: fulfiller, lines from the store's shelf, prices, discounts and consignee.

Amounts follow the model exactly: the discount (满减 tier or coupon) is spread over the eligible
lines pro rata by largest remainder, so the shares add up to the discount in exact cents and
every line's paid amount is unit price × quantity − its share.
"""

from __future__ import annotations

import random

from bench.generator.common import Weighted, skewed_index
from bench.generator.names import mobile, real_name, street_address
from bench.generator.promotions import price_order
from bench.generator.showcase import Scenario
from bench.generator.sim import LineSim, Numbers, OrderSim, created_event
from bench.generator.vocabulary import BUYER_REMARKS, CITIES
from bench.generator.world import CustomerInfo, SkuInfo, SpendCampaign, SpendTier, StoreInfo, World
from models.enums import Fulfillment, OrderChannel, OrderType, ThresholdKind

_PICKUP = Fulfillment.SELF_PICKUP.value
_DELIVERY = Fulfillment.STORE_DELIVERY.value
_EXPRESS = Fulfillment.EXPRESS.value
_LINE_COUNT = Weighted([(1, 30.0), (2, 28.0), (3, 20.0), (4, 13.0), (5, 9.0)])
_QUANTITY = Weighted([(1, 60.0), (2, 25.0), (3, 10.0), (4, 5.0)])
_CHANNEL = Weighted(
    [
        (OrderChannel.MINI_PROGRAM.value, 82.0),
        (OrderChannel.APP.value, 8.0),
        (OrderChannel.H5.value, 6.0),
        (OrderChannel.POS.value, 4.0),
    ]
)
_COUPONS = (300, 500, 1000, 2000)
_MINI_PROGRAM = OrderChannel.MINI_PROGRAM.value


def allocate(discount: int, amounts: list[int]) -> list[int]:
    """Largest-remainder split of `discount` proportional to `amounts` (exact cents)."""
    total = sum(amounts)
    if discount == 0 or total == 0:
        return [0] * len(amounts)
    shares = [discount * a // total for a in amounts]
    rest = discount - sum(shares)
    order = sorted(range(len(amounts)), key=lambda i: (-(discount * amounts[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


class OrderFactory:
    def __init__(self, rng: random.Random, world: World, numbers: Numbers) -> None:
        self.rng = rng
        self.world = world
        self.numbers = numbers
        self._ids = 0

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    # -- where and how ------------------------------------------------------------------------------

    def _fulfiller(
        self, ts: float, customer: CustomerInfo, scenario: Scenario | None
    ) -> tuple[StoreInfo | None, str]:
        rng = self.rng
        need = scenario.fulfillment.value if scenario and scenario.fulfillment else None
        manual = bool(scenario and scenario.manual_store)
        if scenario is None and rng.random() < 0.045:
            return None, _EXPRESS
        open_stores = [s for s in self.world.stores_by_city.get(customer.home.city, ()) if s.takes_orders(ts)]
        everywhere = [s for s in self.world.stores if s.takes_orders(ts)]

        def fits(store: StoreInfo) -> bool:
            return (need is None or need in store.supports) and not (manual and store.auto_accept)

        home = customer.home
        if home.takes_orders(ts) and fits(home) and (scenario is not None or rng.random() < 0.88):
            store: StoreInfo | None = home
        else:
            pool = [s for s in open_stores if fits(s)] or [s for s in everywhere if fits(s)]
            if not pool and need is not None:
                pool = [s for s in everywhere if need in s.supports]
            if not pool and need != _EXPRESS:
                pool = [s for s in everywhere if s.supports - {_EXPRESS}]
            store = rng.choice(pool) if pool else None
        if store is None:
            return None, _EXPRESS
        if need is not None and need not in store.supports:
            need = None
        return store, need or store.fulfillments.pick(rng)

    def _lines(self, listing: list[tuple[SkuInfo, int]], count: int) -> list[LineSim]:
        rng = self.rng
        chosen: dict[int, LineSim] = {}
        tries = 0
        while len(chosen) < count and tries < count * 6:
            tries += 1
            sku, price = listing[skewed_index(rng, len(listing))]
            if sku.id not in chosen:
                chosen[sku.id] = LineSim(sku, _QUANTITY.pick(rng), price, sku.original_price)
        return list(chosen.values())

    def _consignee(
        self, customer: CustomerInfo, store: StoreInfo | None, fulfillment: str
    ) -> tuple[str, str, tuple[str | None, str | None, str | None, str | None, float | None, float | None]]:
        rng = self.rng
        own = rng.random() < 0.85
        name = customer.name if own else real_name(rng)
        phone = customer.phone if own else mobile(rng)
        if fulfillment == _PICKUP:
            return name, phone, (None, None, None, None, None, None)
        if fulfillment == _DELIVERY and store is not None and store.city != customer.home.city:
            city = CITIES[store.city]
            district = next(d for d in city.districts if d.name == store.district)
            place = (
                city.province,
                city.name,
                district.name,
                street_address(rng, district),
                store.latitude,
                store.longitude,
            )
            return name, phone, place
        city = CITIES[customer.home.city]
        return (
            name,
            phone,
            (
                city.province,
                city.name,
                customer.district,
                customer.address,
                customer.latitude,
                customer.longitude,
            ),
        )

    def _order(
        self,
        ts: float,
        customer: CustomerInfo,
        store: StoreInfo | None,
        fulfillment: str,
        order_type: str,
        lines: list[LineSim],
        channel: str,
    ) -> OrderSim:
        rng = self.rng
        name, phone, place = self._consignee(customer, store, fulfillment)
        return OrderSim(
            id=self.next_id(),
            order_no=self.numbers.order_no(ts),
            customer=customer,
            store=store,
            channel=channel,
            type=order_type,
            fulfillment=fulfillment,
            created=ts,
            lines=lines,
            consignee_name=name,
            consignee_phone=phone,
            consignee_place=place,
            pickup_code=f"{rng.randrange(10**6):06d}" if fulfillment == _PICKUP else None,
            remark=rng.choice(BUYER_REMARKS) if rng.random() < 0.12 else None,
        )

    # -- the two kinds of order ---------------------------------------------------------------------

    def normal(
        self, ts: float, customer: CustomerInfo, scenario: Scenario | None, pre_order: bool
    ) -> OrderSim:
        rng = self.rng
        store, fulfillment = self._fulfiller(ts, customer, scenario)
        listing = store.listing if store is not None and store.listing else self.world.hq_listing
        count = _LINE_COUNT.pick(rng)
        if scenario is not None and scenario.multi_line:
            count = max(count, 2)
        lines = self._lines(listing, count)
        if fulfillment == _DELIVERY and store is not None:
            self._reach_minimum(lines, listing, store.min_order)
        channel = _CHANNEL.pick(rng)
        if channel == OrderChannel.POS.value and fulfillment != _PICKUP:
            channel = OrderChannel.MINI_PROGRAM.value
        kind = OrderType.PRE_ORDER.value if pre_order else OrderType.NORMAL.value
        sim = self._order(ts, customer, store, fulfillment, kind, lines, channel)
        self._price(sim, ts)
        created_event(sim)
        return sim

    def fixed(
        self,
        order_id: int,
        ts: float,
        customer: CustomerInfo,
        store: StoreInfo,
        fulfillment: str,
        lines: list[LineSim],
    ) -> OrderSim:
        """An order with the given id, store and lines at the store's prices (no campaign, no coupon)."""
        sim = self._order(ts, customer, store, fulfillment, OrderType.NORMAL.value, lines, _MINI_PROGRAM)
        sim.id = order_id
        self._price(sim, ts, campaigns=False)
        return sim

    def group(
        self,
        ts: float,
        customer: CustomerInfo,
        store: StoreInfo,
        sku: SkuInfo,
        price: int,
        campaign_id: int,
        team_id: int,
        need: str | None = None,
    ) -> OrderSim:
        """A team member's order: the group price, fulfilled by the team's store (pickup or delivery)."""
        rng = self.rng
        options = (need, store.fulfillments.pick(rng), _PICKUP, _DELIVERY)
        fulfillment = next(
            (f for f in options if f is not None and f in store.supports and f != _EXPRESS), _PICKUP
        )
        line = LineSim(sku, 1 if rng.random() < 0.85 else 2, price, sku.original_price)
        sim = self._order(
            ts,
            customer,
            store,
            fulfillment,
            OrderType.GROUP_BUY.value,
            [line],
            OrderChannel.MINI_PROGRAM.value,
        )
        sim.campaign_id = campaign_id
        sim.team_id = team_id
        self._price(sim, ts, campaigns=False)
        created_event(sim)
        return sim

    def _reach_minimum(self, lines: list[LineSim], listing: list[tuple[SkuInfo, int]], minimum: int) -> None:
        """起送价: delivery orders below the store's minimum get more items, as buyers do."""
        for _ in range(8):
            if sum(line.unit_price * line.quantity for line in lines) >= minimum:
                return
            if len(lines) < 5:
                extra = self._lines(listing, 1)
                if extra and all(extra[0].sku.id != line.sku.id for line in lines):
                    lines.extend(extra)
                    continue
            cheapest = min(lines, key=lambda line: line.unit_price)
            cheapest.quantity = min(cheapest.quantity + 1, 9)

    # -- money ---------------------------------------------------------------------------------------

    def _price(self, sim: OrderSim, ts: float, campaigns: bool = True) -> None:
        rng = self.rng
        lines = sim.lines
        sim.goods = sum(line.unit_price * line.quantity for line in lines)
        sim.goods_original = sum(line.original_price * line.quantity for line in lines)
        discount, eligible = 0, lines
        best = self._best_tier(sim, ts) if campaigns else None
        if best is not None:
            campaign, tier, eligible = best
            discount = tier.reduction
            sim.campaign_id = campaign.id
            sim.tier_id = tier.id
            if tier.gift is not None:
                gift = tier.gift
                lines.append(LineSim(gift, tier.gift_quantity, 0, gift.original_price, is_gift=True))
        elif campaigns and rng.random() < 0.07:
            coupon = rng.choice(_COUPONS)
            if sim.goods >= 4 * coupon:
                discount = coupon
        shares = allocate(discount, [line.unit_price * line.quantity for line in eligible])
        for line, share in zip(eligible, shares, strict=True):
            line.discount = share
        for line in lines:
            line.paid = line.unit_price * line.quantity - line.discount
        sim.discount = discount
        store = sim.store
        sim.delivery_fee = store.delivery_fee if store is not None and sim.fulfillment == _DELIVERY else 0
        sim.packaging_fee = store.packaging_fee if store is not None else 0
        sim.payable = sim.goods - discount + sim.delivery_fee + sim.packaging_fee
        if campaigns:
            price_order(self.world, sim, ts)  # a price promotion, when one touches it, prices it instead

    def _best_tier(self, sim: OrderSim, ts: float) -> tuple[SpendCampaign, SpendTier, list[LineSim]] | None:
        """The highest reached tier of the most generous running 满减 campaign, if any."""
        best: tuple[SpendCampaign, SpendTier, list[LineSim]] | None = None
        for campaign in self.world.spend:
            if not campaign.active_at(ts) or not campaign.covers(sim.store):
                continue
            products = campaign.products
            eligible = [line for line in sim.lines if products is None or line.sku.product_id in products]
            amount = sum(line.unit_price * line.quantity for line in eligible)
            measure = (
                amount
                if campaign.threshold_kind is ThresholdKind.AMOUNT
                else sum(line.quantity for line in eligible)
            )
            for tier in campaign.tiers:
                if tier.threshold <= measure and tier.reduction <= amount // 2:
                    if best is None or tier.reduction > best[1].reduction:
                        best = (campaign, tier, eligible)
                    break
        return best
