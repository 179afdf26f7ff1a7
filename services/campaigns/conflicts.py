"""Conflicts shown to the operator before a campaign starts.

Item-level price promotions (单品直降 / 限时抢 / 商品折扣): the other such campaigns
that price one of this campaign's SKUs at an overlapping time in an overlapping store, and which
price wins there — the lowest, as at checkout (`models.pricing.cart`; ties by label, then the older
campaign). Prices compare at the SKU's list price (a 商品折扣 taken from it); a store's own lower
price beats both wherever it applies. Order-level promotions (满减赠, 满折, 多买多折, X元Y件): the
others overlapping in time, store and products, and whether the priorities decide between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import (
    Campaign,
    CampaignProduct,
    CampaignStore,
    ItemPriceSku,
    ProductDiscountRule,
    SpendRewardRule,
)
from models.catalog.rows import Sku
from models.enums import CampaignType, ProductScope
from models.pricing import percent_price
from services.campaigns.pricing import DISCOUNT_LABEL, FLASH_SALE_LABEL, PRICE_CUT_LABEL

ITEM_LEVEL = (CampaignType.PRICE_CUT, CampaignType.FLASH_SALE, CampaignType.PRODUCT_DISCOUNT)
LABELS = {
    CampaignType.PRICE_CUT: PRICE_CUT_LABEL,
    CampaignType.FLASH_SALE: FLASH_SALE_LABEL,
    CampaignType.PRODUCT_DISCOUNT: DISCOUNT_LABEL,
}
MAX_CONFLICTS = 100


@dataclass(frozen=True, slots=True)
class PriceConflict:
    sku_id: int
    other_campaign_id: int
    price: int
    """This campaign's unit price of the SKU."""
    other_price: int
    wins: bool
    """True: this campaign's price is the one charged where both apply."""


async def _prices(session: AsyncSession, campaign: Campaign, sku_ids: Sequence[int] | None) -> dict[int, int]:
    if campaign.type is CampaignType.PRODUCT_DISCOUNT:
        percent = await session.scalar(
            select(ProductDiscountRule.percent_off).where(ProductDiscountRule.campaign_id == campaign.id)
        )
        stmt = select(Sku.id, Sku.price).where(
            Sku.product_id.in_(
                select(CampaignProduct.product_id).where(CampaignProduct.campaign_id == campaign.id)
            )
        )
        if sku_ids is not None:
            stmt = stmt.where(Sku.id.in_(sku_ids))
        return {sku: percent_price(price, percent or 0) for sku, price in (await session.execute(stmt)).all()}
    stmt2 = select(ItemPriceSku.sku_id, ItemPriceSku.price).where(ItemPriceSku.campaign_id == campaign.id)
    if sku_ids is not None:
        stmt2 = stmt2.where(ItemPriceSku.sku_id.in_(sku_ids))
    return {int(sku): int(price) for sku, price in (await session.execute(stmt2)).all()}


async def _stores(session: AsyncSession, campaign: Campaign) -> set[int] | None:
    if campaign.all_stores:
        return None
    rows = await session.scalars(
        select(CampaignStore.store_id).where(CampaignStore.campaign_id == campaign.id)
    )
    return set(rows.all())


def _over(campaign: Campaign, now: datetime) -> bool:
    return campaign.ends_at <= now or (campaign.stopped_at is not None and campaign.stopped_at <= now)


async def _overlapping(
    session: AsyncSession, campaign: Campaign, types: Sequence[CampaignType], now: datetime
) -> Sequence[Campaign]:
    """Other campaigns of `types` running at some time this one runs, not over, oldest first."""
    return (
        await session.scalars(
            select(Campaign)
            .where(
                Campaign.id != campaign.id,
                Campaign.type.in_(types),
                Campaign.starts_at < campaign.ends_at,
                Campaign.ends_at > max(campaign.starts_at, now),
                or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
            )
            .order_by(Campaign.id)
        )
    ).all()


async def price_conflicts(session: AsyncSession, campaign: Campaign, now: datetime) -> list[PriceConflict]:
    """Empty for other campaign types and for a campaign that is over."""
    if campaign.type not in ITEM_LEVEL or _over(campaign, now):
        return []
    mine = await _prices(session, campaign, None)
    stores = await _stores(session, campaign)
    others = await _overlapping(session, campaign, ITEM_LEVEL, now)
    found: list[PriceConflict] = []
    for other in others:
        theirs = await _stores(session, other)
        if stores is not None and theirs is not None and not stores & theirs:
            continue
        for sku_id, other_price in sorted((await _prices(session, other, list(mine))).items()):
            price = mine[sku_id]
            key = (price, LABELS[campaign.type], campaign.id)
            wins = key < (other_price, LABELS[other.type], other.id)
            found.append(PriceConflict(sku_id, other.id, price, other_price, wins))
            if len(found) >= MAX_CONFLICTS:
                return found
    return found


ORDER_LEVEL = (
    CampaignType.SPEND_REWARD,
    CampaignType.ORDER_DISCOUNT,
    CampaignType.MULTI_BUY_DISCOUNT,
    CampaignType.BUNDLE_PRICE,
)


@dataclass(frozen=True, slots=True)
class OrderConflict:
    other_campaign_id: int
    wins: bool | None
    """True / False: the priorities decide where both apply; None: equal priorities, so each cart
    gets whichever takes more off it (only one order-level promotion applies per order)."""


async def _products(session: AsyncSession, campaign: Campaign) -> set[int] | None:
    """The products in scope, None for every product."""
    if campaign.type is CampaignType.SPEND_REWARD:
        scope = await session.scalar(
            select(SpendRewardRule.product_scope).where(SpendRewardRule.campaign_id == campaign.id)
        )
        if scope is ProductScope.ALL:
            return None
    rows = set(
        (
            await session.scalars(
                select(CampaignProduct.product_id).where(CampaignProduct.campaign_id == campaign.id)
            )
        ).all()
    )
    return rows or None


async def order_conflicts(session: AsyncSession, campaign: Campaign, now: datetime) -> list[OrderConflict]:
    """The other order-level promotions (满减赠, 满折, 多买多折, X元Y件) competing with this one at an
    overlapping time, store and product scope, both not over; empty for other types."""
    if campaign.type not in ORDER_LEVEL or _over(campaign, now):
        return []
    stores, products = await _stores(session, campaign), await _products(session, campaign)
    found: list[OrderConflict] = []
    for other in await _overlapping(session, campaign, ORDER_LEVEL, now):
        theirs, their_products = await _stores(session, other), await _products(session, other)
        if stores is not None and theirs is not None and not stores & theirs:
            continue
        if products is not None and their_products is not None and not products & their_products:
            continue
        wins = None if other.priority == campaign.priority else campaign.priority > other.priority
        found.append(OrderConflict(other.id, wins))
        if len(found) >= MAX_CONFLICTS:
            break
    return found
