"""Pricing a cart (报价): store rules, listing prices, fees and campaign discounts, without writing.

`quote` is the single pricing path: `placeOrder` writes what it returns, group-buy orders pass
their group prices as discounts, and `previewPricing` shows it to the shopper before checkout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog.rows import Product, Sku, StoreSku
from models.coupons.rules import CouponTerms, pick_coupons
from models.enums import Fulfillment, OrderChannel, ProductStatus, ThresholdKind
from models.errors import DomainError, ErrorCode
from models.pricing import percent_price
from models.pricing.cart import Item, ItemPrice, Layer, Pricing, best_goods_coupon, price_cart
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion, PromotionKind, PromotionResult, yuan, zhe
from models.stores.hours import delivery_fee_at
from models.stores.intake import check_takes_orders
from models.stores.rows import Store
from services.campaigns.flash_sales import FlashTake
from services.campaigns.pricing import (
    DISCOUNT_LABEL,
    FLASH_SALE_LABEL,
    running_discounts,
    running_gift_offers,
    running_item_prices,
    running_promotions,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

MAX_LINES = 50
MAX_QUANTITY = 999
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class CartLine:
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ConsigneeInput:
    name: str
    phone: str
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    store_id: int | None
    """None: an EXPRESS order shipped by the HQ warehouse."""
    fulfillment: Fulfillment
    lines: tuple[CartLine, ...]
    consignee: ConsigneeInput
    channel: OrderChannel = OrderChannel.MINI_PROGRAM
    buyer_remark: str | None = None
    coupon_ids: tuple[int, ...] = ()
    """At most one goods coupon and one shipping coupon of the shopper's (locked by the order)."""
    booked_for: datetime | None = None
    """预订单: the booked time (models/pre_orders.py); None for an order to fulfil now."""


@dataclass(frozen=True, slots=True)
class _Priced:
    sku: Sku
    product: Product
    unit_price: int
    quantity: int


def _validate_shape(cmd: PlaceOrder) -> None:
    if not cmd.lines:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "an order needs at least one line", "lines")
    if len(cmd.lines) > MAX_LINES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_LINES} lines", "lines")
    for i, line in enumerate(cmd.lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"quantity must be 1 to {MAX_QUANTITY}", f"lines.{i}.quantity"
            )
    if len({line.sku_id for line in cmd.lines}) != len(cmd.lines):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "each SKU once per order (add up the quantity)", "lines")
    c = cmd.consignee
    if not c.name.strip() or len(c.name) > 64:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "consignee name is required (≤ 64 characters)", "consignee.name"
        )
    if not MOBILE.match(c.phone):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "consignee phone must be an 11-digit mobile number", "consignee.phone"
        )
    if cmd.fulfillment is not Fulfillment.SELF_PICKUP and not (c.address and c.city):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "delivery needs a city and an address", "consignee.address"
        )
    if cmd.store_id is None and cmd.fulfillment is not Fulfillment.EXPRESS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "only EXPRESS orders may omit the store", "storeId")
    if cmd.buyer_remark is not None and len(cmd.buyer_remark) > 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "remark is at most 200 characters", "buyerRemark")


async def _store(session: AsyncSession, cmd: PlaceOrder) -> Store | None:
    if cmd.store_id is None:
        return None
    store = await session.get(Store, cmd.store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    check_takes_orders(store, cmd.fulfillment, store_field="storeId", fulfillment_field="fulfillment")
    return store


async def _price(session: AsyncSession, cmd: PlaceOrder, store: Store | None) -> list[_Priced]:
    sku_ids = [line.sku_id for line in cmd.lines]
    rows = (await session.execute(select(Sku, Product).join(Product).where(Sku.id.in_(sku_ids)))).all()
    found = {sku.id: (sku, product) for sku, product in rows}
    listings: dict[int, StoreSku] = {}
    if store is not None:
        stmt = select(StoreSku).where(StoreSku.store_id == store.id, StoreSku.sku_id.in_(sku_ids))
        listings = {row.sku_id: row for row in (await session.scalars(stmt)).all()}
    priced = []
    for i, line in enumerate(cmd.lines):
        if line.sku_id not in found:
            raise DomainError(ErrorCode.NOT_FOUND, f"SKU {line.sku_id} not found", f"lines.{i}.skuId")
        sku, product = found[line.sku_id]
        if product.status is not ProductStatus.ACTIVE:
            raise DomainError(ErrorCode.NOT_ON_SHELF, f"{product.name} is not on sale", f"lines.{i}.skuId")
        price = sku.price
        if store is not None:
            listing = listings.get(sku.id)
            if listing is None or not listing.on_shelf:
                raise DomainError(
                    ErrorCode.NOT_ON_SHELF, f"{product.name} is not on sale here", f"lines.{i}.skuId"
                )
            if listing.purchase_limit is not None and line.quantity > listing.purchase_limit:
                raise DomainError(
                    ErrorCode.PURCHASE_LIMIT_EXCEEDED,
                    f"{product.name}: at most {listing.purchase_limit} per order",
                    f"lines.{i}.quantity",
                )
            price = listing.price_override if listing.price_override is not None else sku.price
        priced.append(_Priced(sku, product, price, line.quantity))
    return priced


@dataclass(frozen=True, slots=True)
class QuotedLine:
    sku: Sku
    product: Product
    unit_price: int
    quantity: int
    discount: int = 0
    """This line's share of every discount (exact cents): item + order promotion + coupon."""
    is_gift: bool = False
    item_discount: int = 0
    coupon_discount: int = 0


@dataclass(frozen=True, slots=True)
class TierHint:
    """Shown as "再买 ¥12 减 ¥20": how much more (cents or units) reaches which reduction/gift."""

    campaign_id: int
    campaign_name: str
    missing: int
    by_quantity: bool
    reduction: int
    gift_sku_id: int | None
    gives: str | None = None
    """What the next step gives when it is not a reduction or a gift ("享8折", "凑10元3件")."""


@dataclass(frozen=True, slots=True)
class Quote:
    store: Store | None
    lines: list[QuotedLine]
    delivery_fee: int
    packaging_fee: int
    campaign_id: int | None = None
    tier_id: int | None = None
    hint: TierHint | None = None
    gift_unavailable: bool = False
    stock_items: list[tuple[int, int]] = field(default_factory=list)
    """(sku, units) to reserve: the bought lines and any gift."""
    pricing: Pricing | None = None
    """The layer-by-layer explanation (`models.pricing.cart`)."""
    shipping_discount: int = 0
    items: tuple[Item, ...] = ()
    """The cart as priced (item prices on offer included), gifts left out."""
    flash_takes: tuple[FlashTake, ...] = ()
    """限时抢 units this cart is priced with, to take from the campaigns' stock at placeOrder."""
    gift_takes: tuple[FlashTake, ...] = ()
    """单品买赠 gift units (the gift SKU) to take from the campaigns' gift stock at placeOrder."""

    @property
    def goods(self) -> int:
        return sum(line.unit_price * line.quantity for line in self.lines)

    @property
    def goods_original(self) -> int:
        """Goods at their original (划线) price; gifts are not sold, so they are left out."""
        return sum(line.sku.original_price * line.quantity for line in self.lines if not line.is_gift)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def payable(self) -> int:
        """`delivery_fee` is what the order charges, after a shipping coupon."""
        return self.goods - self.discount + self.delivery_fee + self.packaging_fee

    @property
    def coupon_ids(self) -> list[int]:
        p = self.pricing
        if p is None:
            return []
        return [c.coupon_id for c in (p.goods_coupon, p.shipping_coupon) if c is not None]


def _fees(store: Store | None, fulfillment: Fulfillment, now: datetime, zone: tzinfo) -> tuple[int, int]:
    """(delivery, packaging): delivery only for store delivery, at the time slot's fee (分时段运费)."""
    if store is None:
        return 0, 0
    delivery = 0
    if fulfillment is Fulfillment.STORE_DELIVERY:
        delivery = delivery_fee_at(store.delivery_fee, store.delivery_fee_slots, now, zone)
    return delivery, store.packaging_fee


def _hint(result: PromotionResult) -> TierHint | None:
    nxt, p = result.outcome.next_tier, result.promotion
    if nxt is None:
        return None
    gives = {
        PromotionKind.PERCENT: f"享{zhe(nxt.percent_off)}",
        PromotionKind.BUNDLE: f"凑{yuan(p.bundle_price)}元{p.bundle_size}件",
    }.get(p.kind)
    by_quantity = p.threshold_kind is ThresholdKind.QUANTITY
    return TierHint(
        p.campaign_id, p.name, result.outcome.missing, by_quantity, nxt.reduction, nxt.gift_sku_id, gives
    )


async def _gift(
    session: AsyncSession, store: Store | None, sku_id: int, quantity: int
) -> tuple[Sku, Product] | None:
    """The gift if the store can hand it out now (赠品送完即止: no gift, the reduction still applies)."""
    row = (await session.execute(select(Sku, Product).join(Product).where(Sku.id == sku_id))).one_or_none()
    if row is None or row[1].status is not ProductStatus.ACTIVE:
        return None
    if store is not None:
        listing = await session.scalar(
            select(StoreSku).where(StoreSku.store_id == store.id, StoreSku.sku_id == sku_id)
        )
        if listing is None or not listing.on_shelf or listing.stock < quantity:
            return None
    return row[0], row[1]


def cart_items(
    priced: Sequence[_Priced],
    item_prices: dict[int, tuple[ItemPrice, ...]] | None = None,
    discounts: dict[int, tuple[tuple[int, int], ...]] | None = None,
) -> list[Item]:
    """The cart for the pricing: per line its store price and the item prices on offer (per SKU,
    and each 商品折扣 of its product applied to the store price)."""
    offered, percents = item_prices or {}, discounts or {}
    return [
        Item(
            p.product.id,
            p.unit_price,
            p.quantity,
            p.product.category_id,
            offered.get(p.sku.id, ())
            + tuple(
                ItemPrice(DISCOUNT_LABEL, percent_price(p.unit_price, pct), campaign_id)
                for campaign_id, pct in percents.get(p.product.id, ())
            ),
        )
        for p in priced
    ]


async def quote(
    session: AsyncSession,
    cmd: PlaceOrder,
    now: datetime,
    *,
    discounts: Sequence[int] | None = None,
    campaign_id: int | None = None,
    zone: tzinfo = SHANGHAI,
    coupons: Sequence[CouponTerms] = (),
) -> Quote:
    """Price `cmd` at `now` (`zone`: the business time zone, for time-slot fees) through the one
    pricing function. Given `discounts` (group-buy prices), those apply instead of promotions;
    `coupons` are the shopper's, already checked usable (`services.coupons`)."""
    _validate_shape(cmd)
    store = await _store(session, cmd)
    priced = await _price(session, cmd, store)
    delivery_fee, packaging_fee = _fees(store, cmd.fulfillment, now, zone)
    goods_coupon, shipping_coupon = pick_coupons(coupons, "couponIds")
    store_id = store.id if store else None
    promotions: list[OrderPromotion] = []
    offers: list[GiftOffer] = []
    item_prices: dict[int, tuple[ItemPrice, ...]] = {}
    percents: dict[int, tuple[tuple[int, int], ...]] = {}
    if discounts is None:
        promotions = await running_promotions(session, store_id, now)
        quantities = {x.sku.id: x.quantity for x in priced}
        item_prices = await running_item_prices(session, store_id, quantities, now)
        percents = await running_discounts(session, store_id, {x.product.id for x in priced}, now)
        offers = await running_gift_offers(session, store_id, {x.product.id for x in priced}, now)
    items = cart_items(priced, item_prices, percents)
    p = price_cart(
        items,
        promotions,
        gift_offers=offers,
        goods_coupon=goods_coupon,
        shipping_coupon=shipping_coupon,
        delivery_fee=delivery_fee,
        packaging_fee=packaging_fee,
        fixed_discounts=discounts,
    )
    lines = [
        QuotedLine(x.sku, x.product, x.unit_price, x.quantity, lp.discount, False, lp.item, lp.coupon)
        for x, lp in zip(priced, p.lines, strict=True)
    ]
    hint = _hint(p.hinted) if p.hinted is not None else None
    gift_unavailable = False
    gift_takes = []
    for gift in p.gifts:
        found = await _gift(session, store, gift.sku_id, gift.quantity)
        if found is None:
            gift_unavailable = True
            continue
        lines.append(QuotedLine(found[0], found[1], 0, gift.quantity, 0, is_gift=True))
        if gift.source_id is not None:
            offer = next(o for o in offers if o.campaign_id == gift.source_id)
            line = next(i for i, x in enumerate(priced) if x.product.id in offer.product_ids)
            gift_takes.append(FlashTake(gift.source_id, gift.sku_id, gift.quantity, line))
    applied = p.applied
    tier = applied.outcome.reached if applied and applied.promotion.kind is PromotionKind.REDUCTION else None
    return Quote(
        store,
        lines,
        p.delivery_charged,
        packaging_fee,
        p.applied.promotion.campaign_id if p.applied else campaign_id,
        tier.id if tier else None,
        hint,
        gift_unavailable,
        _stock(lines),
        p,
        p.shipping_discount,
        tuple(items),
        _flash_takes(priced, p),
        tuple(gift_takes),
    )


def _flash_takes(priced: Sequence[_Priced], p: Pricing) -> tuple[FlashTake, ...]:
    """The lines whose winning item price is a 限时抢 one (each item-level adjustment is one line's)."""
    takes = []
    for adjustment in p.adjustments:
        if adjustment.layer is Layer.ITEM and adjustment.label == FLASH_SALE_LABEL:
            assert adjustment.source_id is not None
            line = next(i for i, share in enumerate(adjustment.shares) if share)
            takes.append(FlashTake(adjustment.source_id, priced[line].sku.id, priced[line].quantity, line))
    return tuple(takes)


def best_coupon(q: Quote, coupons: Sequence[CouponTerms]) -> tuple[CouponTerms, int] | None:
    """The held goods coupon that would take the most off this quote's cart (its promotions kept)."""
    if q.pricing is None:
        return None
    return best_goods_coupon(q.items, [r.promotion for r in q.pricing.offers], coupons)


def _stock(lines: Sequence[QuotedLine]) -> list[tuple[int, int]]:
    return [(line.sku.id, line.quantity) for line in lines]
