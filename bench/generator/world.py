"""In-memory facts about the reference data that the order simulation needs.

Stores, SKUs, customers and campaigns are generated first and written as rows; these objects
keep what later steps look up (prices, listings, fulfilment flags, campaign windows) without
reading anything back from the database.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field

from bench.generator.common import Weighted
from models.enums import CampaignType, GroupBuyKind, InviteTrigger, RewardKind, ThresholdKind
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion


@dataclass(slots=True)
class SkuInfo:
    id: int
    product_id: int
    product_name: str
    spec: str
    image_url: str
    price: int
    original_price: int
    top: int
    """Index of the top-level category (for review texts and campaign scopes)."""


@dataclass(slots=True)
class StoreInfo:
    id: int
    code: str
    city: int
    """Index into vocabulary.CITIES."""
    province: str
    city_name: str
    district: str
    latitude: float
    longitude: float
    opened_at: float
    open_until: float
    """Orders only before this instant (paused or closed stores stop taking orders)."""
    auto_accept: bool
    takes_pre_orders: bool
    """预订单: SH001 and every third store; some of their orders carry a booked time."""
    fulfillments: Weighted[str]
    supports: frozenset[str]
    delivery_fee: int
    packaging_fee: int
    min_order: int
    staff: list[str] = field(default_factory=list)
    """Usernames of the store's accounts: the actor ids of their events."""
    listing: list[tuple[SkuInfo, int]] = field(default_factory=list)
    """On-shelf SKUs with the store's price, most popular first."""

    def takes_orders(self, ts: float) -> bool:
        return self.opened_at <= ts < self.open_until


@dataclass(slots=True)
class FirstOrder:
    """The customer's earliest paid order, for invite rewards triggered by it."""

    paid: float
    order_id: int
    status: str
    completed: float | None
    refunded: float | None
    """When money first went back, if it did."""


@dataclass(slots=True)
class CustomerInfo:
    id: int
    registered: float
    home: StoreInfo
    name: str
    phone: str
    district: str
    address: str
    latitude: float
    longitude: float
    base_points: int
    invited_by: int | None = None
    first_paid: float | None = None
    """Earliest payment so far (known when the payment happens: 老带新 eligibility)."""
    first_order: FirstOrder | None = None
    last_order: float | None = None
    spent: int = 0
    group_orders: dict[int, int] = field(default_factory=dict)
    """Group-buy orders per campaign id (per-customer limit)."""


@dataclass(slots=True)
class CampaignInfo:
    id: int
    name: str
    starts: float
    ends: float
    stopped: float | None
    store_ids: frozenset[int] | None
    """None: every store takes part."""

    def active_at(self, ts: float) -> bool:
        return self.starts <= ts < self.ends and (self.stopped is None or ts < self.stopped)

    def covers(self, store: StoreInfo | None) -> bool:
        return self.store_ids is None or (store is not None and store.id in self.store_ids)


@dataclass(slots=True)
class SpendTier:
    id: int
    threshold: int
    reduction: int
    gift: SkuInfo | None
    gift_quantity: int


@dataclass(slots=True)
class SpendCampaign(CampaignInfo):
    threshold_kind: ThresholdKind = ThresholdKind.AMOUNT
    products: frozenset[int] | None = None
    """None: every product counts towards the threshold."""
    tiers: list[SpendTier] = field(default_factory=list)
    """Highest threshold first: the highest reached tier applies."""


@dataclass(slots=True)
class GroupCampaign(CampaignInfo):
    kind: GroupBuyKind = GroupBuyKind.NORMAL
    team_size: int = 2
    validity_hours: int = 24
    per_customer_limit: int | None = None
    skus: list[tuple[SkuInfo, int]] = field(default_factory=list)
    """SKU and group price."""


@dataclass(slots=True)
class InviteCampaign(CampaignInfo):
    trigger: InviteTrigger = InviteTrigger.INVITEE_REGISTERED
    inviter_kind: RewardKind = RewardKind.COUPON
    inviter_value: int = 0
    invitee_kind: RewardKind = RewardKind.COUPON
    invitee_value: int = 0
    cap: int | None = None


@dataclass(slots=True)
class PromoCampaign(CampaignInfo):
    """A price promotion (单品直降, 限时抢, 商品折扣, 满折, 多买多折, X元Y件, 单品买赠) for the pricing."""

    kind: CampaignType = CampaignType.PRICE_CUT
    item_prices: dict[int, int] = field(default_factory=dict)
    """单品直降 / 限时抢: SKU → unit price."""
    percent_off: int = 0
    """商品折扣."""
    products: frozenset[int] = frozenset()
    promotion: OrderPromotion | None = None
    gift: GiftOffer | None = None
    stock: int = 0
    """限时抢: units per SKU; 单品买赠: gift units."""
    taken: dict[int, int] = field(default_factory=dict)
    """SKU → units taken by orders while simulating (bounds later offers by the stock)."""
    held: dict[int, int] = field(default_factory=dict)
    """SKU → units held by orders not cancelled (the rows' sold / given), counted when written."""

    def left(self, sku_id: int) -> int:
        return self.stock - self.taken.get(sku_id, 0)


@dataclass(slots=True)
class World:
    now: float
    window_start: float
    """Orders and visits happen in [window_start, now)."""
    stores: list[StoreInfo]
    skus: list[SkuInfo]
    hq_listing: list[tuple[SkuInfo, int]]
    """The HQ warehouse ships every active SKU at its list price."""
    customers: list[CustomerInfo] = field(default_factory=list)
    registered: list[float] = field(default_factory=list)
    """Registration instants, ascending (customers are generated in that order)."""
    spend: list[SpendCampaign] = field(default_factory=list)
    group: list[GroupCampaign] = field(default_factory=list)
    invite: list[InviteCampaign] = field(default_factory=list)
    promotions: list[PromoCampaign] = field(default_factory=list)
    stores_by_city: dict[int, list[StoreInfo]] = field(default_factory=dict)
    product_ids: list[int] = field(default_factory=list)

    def customers_before(self, ts: float) -> int:
        """How many customers had registered before `ts` (they are a prefix of the list)."""
        return bisect_left(self.registered, ts)

    def pick_customer(self, rng: random.Random, ts: float) -> CustomerInfo | None:
        """Regulars (early registrants) order most; some orders come from new sign-ups."""
        known = self.customers_before(ts)
        if known == 0:
            return None
        if rng.random() < 0.22:
            recent = bisect_left(self.registered, ts - 7 * 86400.0)
            if recent < known:
                return self.customers[rng.randrange(recent, known)]
        return self.customers[min(known - 1, int(known * rng.random() ** 1.5))]
