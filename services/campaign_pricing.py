"""Campaigns at checkout: 满减赠 running at a store as the pricing's order promotions, and 单品直降 /
限时抢 / 商品折扣 prices as its item prices.

Which order promotion applies (the most money off, a gift breaking ties), which item price wins
(the lowest; they never stack) and how each reduction is spread is decided by
`models.pricing.cart.price_cart`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaign_rules import Tier
from models.campaigns import (
    Campaign,
    CampaignProduct,
    CampaignStore,
    ItemPriceSku,
    ProductDiscountRule,
    SpendRewardRule,
    SpendRewardTier,
)
from models.enums import CampaignType, ProductScope
from models.pricing.cart import ItemPrice, OrderPromotion

PRICE_CUT_LABEL = "单品直降"
FLASH_SALE_LABEL = "限时抢"
DISCOUNT_LABEL = "商品折扣"


def _running_at(store_id: int | None, now: datetime) -> list[ColumnElement[bool]]:
    """Running now at this store (an HQ order, store None: only campaigns of every store)."""
    in_scope = or_(
        Campaign.all_stores.is_(True),
        Campaign.id.in_(select(CampaignStore.campaign_id).where(CampaignStore.store_id == store_id)),
    )
    return [
        Campaign.starts_at <= now,
        Campaign.ends_at > now,
        or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
        in_scope if store_id is not None else Campaign.all_stores.is_(True),
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


async def running_promotions(
    session: AsyncSession, store_id: int | None, now: datetime
) -> list[OrderPromotion]:
    """Every spend-reward campaign running at this store now, newest first (the pricing's tie order)."""
    running = (
        await session.execute(
            select(Campaign, SpendRewardRule)
            .join(SpendRewardRule, SpendRewardRule.campaign_id == Campaign.id)
            .where(
                Campaign.type == CampaignType.SPEND_REWARD,
                *_running_at(store_id, now),
            )
            .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
        )
    ).all()
    if not running:
        return []
    ids = [c.id for c, _ in running]
    tiers: dict[int, list[Tier]] = defaultdict(list)
    for t in (
        await session.scalars(select(SpendRewardTier).where(SpendRewardTier.campaign_id.in_(ids)))
    ).all():
        tiers[t.campaign_id].append(
            Tier(t.id, t.threshold, t.reduction_amount, t.gift_sku_id, t.gift_quantity)
        )
    listed: dict[int, set[int]] = defaultdict(set)
    for cp in (
        await session.scalars(select(CampaignProduct).where(CampaignProduct.campaign_id.in_(ids)))
    ).all():
        listed[cp.campaign_id].add(cp.product_id)
    return [
        OrderPromotion(
            campaign.id,
            campaign.name,
            rule.threshold_kind,
            tuple(tiers[campaign.id]),
            None if rule.product_scope is ProductScope.ALL else frozenset(listed[campaign.id]),
        )
        for campaign, rule in running
    ]
