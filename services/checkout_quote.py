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

from models.campaign_rules import TierOutcome
from models.catalog import Product, Sku, StoreSku
from models.enums import Fulfillment, OrderChannel, ProductStatus, ThresholdKind
from models.errors import DomainError, ErrorCode
from models.store_hours import delivery_fee_at
from models.store_intake import check_takes_orders
from models.stores import Store
from services.campaign_pricing import CartItem, best_offer, hint_offer, spend_offers

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
    """This line's share of the order discount (exact cents)."""
    is_gift: bool = False


@dataclass(frozen=True, slots=True)
class TierHint:
    """Shown as "再买 ¥12 减 ¥20": how much more (cents or units) reaches which reduction/gift."""

    campaign_id: int
    campaign_name: str
    missing: int
    by_quantity: bool
    reduction: int
    gift_sku_id: int | None


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
        return self.goods - self.discount + self.delivery_fee + self.packaging_fee


def _fees(store: Store | None, fulfillment: Fulfillment, now: datetime, zone: tzinfo) -> tuple[int, int]:
    """(delivery, packaging): delivery only for store delivery, at the time slot's fee (分时段运费)."""
    if store is None:
        return 0, 0
    delivery = 0
    if fulfillment is Fulfillment.STORE_DELIVERY:
        delivery = delivery_fee_at(store.delivery_fee, store.delivery_fee_slots, now, zone)
    return delivery, store.packaging_fee


def _hint(outcome: TierOutcome, campaign_id: int, name: str, by_quantity: bool) -> TierHint | None:
    nxt = outcome.next_tier
    if nxt is None:
        return None
    return TierHint(campaign_id, name, outcome.missing, by_quantity, nxt.reduction, nxt.gift_sku_id)


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


async def quote(
    session: AsyncSession,
    cmd: PlaceOrder,
    now: datetime,
    *,
    discounts: Sequence[int] | None = None,
    campaign_id: int | None = None,
    zone: tzinfo = SHANGHAI,
) -> Quote:
    """Price `cmd` at `now` (`zone`: the business time zone, for time-slot fees). Given `discounts`
    (group-buy prices), those apply instead of 满减赠."""
    _validate_shape(cmd)
    store = await _store(session, cmd)
    priced = await _price(session, cmd, store)
    delivery_fee, packaging_fee = _fees(store, cmd.fulfillment, now, zone)
    if discounts is not None:
        lines = [
            QuotedLine(p.sku, p.product, p.unit_price, p.quantity, d)
            for p, d in zip(priced, discounts, strict=True)
        ]
        return Quote(store, lines, delivery_fee, packaging_fee, campaign_id, None, None, False, _stock(lines))
    items = [CartItem(p.product.id, p.unit_price * p.quantity, p.quantity) for p in priced]
    offers = await spend_offers(session, store.id if store else None, items, now)
    applied = best_offer(offers)
    shares = applied.shares if applied else (0,) * len(priced)
    lines = [
        QuotedLine(p.sku, p.product, p.unit_price, p.quantity, s) for p, s in zip(priced, shares, strict=True)
    ]
    hinted = hint_offer(offers, applied)
    hint = (
        _hint(
            hinted.outcome,
            hinted.campaign_id,
            hinted.campaign_name,
            hinted.threshold_kind is ThresholdKind.QUANTITY,
        )
        if hinted
        else None
    )
    gift_unavailable = False
    tier = applied.outcome.reached if applied else None
    if tier is not None and tier.gift_sku_id is not None:
        gift = await _gift(session, store, tier.gift_sku_id, tier.gift_quantity)
        if gift is None:
            gift_unavailable = True
        else:
            lines.append(QuotedLine(gift[0], gift[1], 0, tier.gift_quantity, 0, is_gift=True))
    return Quote(
        store,
        lines,
        delivery_fee,
        packaging_fee,
        applied.campaign_id if applied else None,
        tier.id if tier else None,
        hint,
        gift_unavailable,
        _stock(lines),
    )


def _stock(lines: Sequence[QuotedLine]) -> list[tuple[int, int]]:
    return [(line.sku.id, line.quantity) for line in lines]
