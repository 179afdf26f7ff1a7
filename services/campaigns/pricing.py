"""Campaigns at checkout: 满减赠, 满额/满件折扣, 多买多折 and X元Y件 running at a store as the pricing's
order promotions, 单品直降 / 限时抢 / 商品折扣 prices as its item prices, 单品买赠 as its gift offers.

Which order promotion applies (the highest priority, then the most money off), which item price wins
(the lowest; they never stack) and how each reduction is spread is decided by
`models.pricing.cart.price_cart`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import (
    BuyGiftRule,
    Campaign,
    CampaignProduct,
    ItemPriceSku,
    OrderDiscountRule,
    OrderDiscountTier,
    ProductDiscountRule,
    SpendRewardRule,
    SpendRewardTier,
)
from models.campaigns.rules import Tier
from models.campaigns.scope import applies_at_store_clause
from models.enums import CampaignType, ProductScope
from models.pricing.cart import ItemPrice
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion, PromotionKind

PRICE_CUT_LABEL = "单品直降"
FLASH_SALE_LABEL = "限时抢"
DISCOUNT_LABEL = "商品折扣"


def _running_at(store_id: int | None, now: datetime) -> list[ColumnElement[bool]]:
    """Running now and applying at this store (`models.campaigns.scope.applies_at_store`)."""
    return [
        Campaign.starts_at <= now,
        Campaign.ends_at > now,
        or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
        applies_at_store_clause(store_id),
    ]


async def running_item_prices(
    session: AsyncSession, store_id: int | None, quantities: Mapping[int, int], now: datetime
) -> dict[int, tuple[ItemPrice, ...]]:
    """Per SKU (of `quantities`: sku → units in the cart), the item prices running at this store now:
    单品直降, and 限时抢 while its stock left covers the cart's units."""
    if not quantities:
        return {}
    rows = (
        await session.execute(
            select(ItemPriceSku, Campaign.type)
            .join(Campaign, Campaign.id == ItemPriceSku.campaign_id)
            .where(
                ItemPriceSku.sku_id.in_(set(quantities)),
                Campaign.type.in_((CampaignType.PRICE_CUT, CampaignType.FLASH_SALE)),
                *_running_at(store_id, now),
            )
            .order_by(Campaign.id)
        )
    ).all()
    prices: dict[int, list[ItemPrice]] = defaultdict(list)
    for row, kind in rows:
        if kind is CampaignType.FLASH_SALE:
            if row.stock is None or row.stock - row.sold < quantities[row.sku_id]:
                continue
            prices[row.sku_id].append(ItemPrice(FLASH_SALE_LABEL, row.price, row.campaign_id))
        else:
            prices[row.sku_id].append(ItemPrice(PRICE_CUT_LABEL, row.price, row.campaign_id))
    return {sku: tuple(found) for sku, found in prices.items()}


async def running_discounts(
    session: AsyncSession, store_id: int | None, product_ids: Collection[int], now: datetime
) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per product, the (campaign id, percent off) of the 商品折扣 running at this store now, oldest
    first; `models.pricing.percent_price` turns each into an item price of the store's price."""
    if not product_ids:
        return {}
    rows = (
        await session.execute(
            select(CampaignProduct.product_id, Campaign.id, ProductDiscountRule.percent_off)
            .join(Campaign, Campaign.id == CampaignProduct.campaign_id)
            .join(ProductDiscountRule, ProductDiscountRule.campaign_id == Campaign.id)
            .where(
                CampaignProduct.product_id.in_(set(product_ids)),
                Campaign.type == CampaignType.PRODUCT_DISCOUNT,
                *_running_at(store_id, now),
            )
            .order_by(Campaign.id)
        )
    ).all()
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product_id, campaign_id, percent_off in rows:
        found[product_id].append((campaign_id, percent_off))
    return {product: tuple(offers) for product, offers in found.items()}


async def _listed(session: AsyncSession, ids: Collection[int]) -> dict[int, set[int]]:
    listed: dict[int, set[int]] = defaultdict(set)
    for cp in (
        await session.scalars(select(CampaignProduct).where(CampaignProduct.campaign_id.in_(ids)))
    ).all():
        listed[cp.campaign_id].add(cp.product_id)
    return listed


async def running_promotions(
    session: AsyncSession, store_id: int | None, now: datetime
) -> list[OrderPromotion]:
    """Every order-level promotion running at this store now, newest first (the pricing's tie order)."""
    spend = (
        await session.execute(
            select(Campaign, SpendRewardRule)
            .join(SpendRewardRule, SpendRewardRule.campaign_id == Campaign.id)
            .where(Campaign.type == CampaignType.SPEND_REWARD, *_running_at(store_id, now))
        )
    ).all()
    discounts = (
        await session.execute(
            select(Campaign, OrderDiscountRule)
            .join(OrderDiscountRule, OrderDiscountRule.campaign_id == Campaign.id)
            .where(*_running_at(store_id, now))
        )
    ).all()
    if not spend and not discounts:
        return []
    ids = [c.id for c, _ in spend] + [c.id for c, _ in discounts]
    tiers: dict[int, list[Tier]] = defaultdict(list)
    for t in (
        await session.scalars(select(SpendRewardTier).where(SpendRewardTier.campaign_id.in_(ids)))
    ).all():
        tiers[t.campaign_id].append(
            Tier(t.id, t.threshold, t.reduction_amount, t.gift_sku_id, t.gift_quantity)
        )
    for d in (
        await session.scalars(select(OrderDiscountTier).where(OrderDiscountTier.campaign_id.in_(ids)))
    ).all():
        tiers[d.campaign_id].append(Tier(d.id, d.threshold, 0, percent_off=d.percent_off))
    listed = await _listed(session, ids)
    found = [
        OrderPromotion(
            campaign.id,
            campaign.name,
            rule.threshold_kind,
            tuple(tiers[campaign.id]),
            None if rule.product_scope is ProductScope.ALL else frozenset(listed[campaign.id]),
            campaign.priority,
        )
        for campaign, rule in spend
    ] + [
        OrderPromotion(
            campaign.id,
            campaign.name,
            rule.threshold_kind,
            tuple(tiers[campaign.id]),
            frozenset(listed[campaign.id]) if listed[campaign.id] else None,
            campaign.priority,
            PromotionKind.PERCENT if rule.bundle_size is None else PromotionKind.BUNDLE,
            rule.cap,
            rule.bundle_size or 0,
            rule.bundle_price or 0,
        )
        for campaign, rule in discounts
    ]
    starts = {c.id: c.starts_at for c, _ in (*spend, *discounts)}
    return sorted(found, key=lambda p: (starts[p.campaign_id], p.campaign_id), reverse=True)


async def running_gift_offers(
    session: AsyncSession, store_id: int | None, product_ids: Collection[int], now: datetime
) -> list[GiftOffer]:
    """The 单品买赠 running at this store now for any of these products, newest first, with the
    gift units their stock has left."""
    if not product_ids:
        return []
    rows = (
        await session.execute(
            select(Campaign, BuyGiftRule)
            .join(BuyGiftRule, BuyGiftRule.campaign_id == Campaign.id)
            .where(
                Campaign.id.in_(
                    select(CampaignProduct.campaign_id).where(
                        CampaignProduct.product_id.in_(set(product_ids))
                    )
                ),
                *_running_at(store_id, now),
            )
            .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
        )
    ).all()
    listed = await _listed(session, [c.id for c, _ in rows])
    return [
        GiftOffer(
            campaign.id,
            campaign.name,
            frozenset(listed[campaign.id]),
            rule.buy_quantity,
            rule.gift_sku_id,
            rule.gift_quantity,
            rule.stock - rule.given,
            campaign.priority,
        )
        for campaign, rule in rows
    ]
