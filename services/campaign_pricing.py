"""满减赠 at checkout: the spend-reward campaigns running at a store, as the pricing's order promotions.

Which one applies (the most money off, a gift breaking ties) and how its reduction is spread is
decided by `models.pricing.cart.price_cart`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaign_rules import Tier
from models.campaigns import Campaign, CampaignProduct, CampaignStore, SpendRewardRule, SpendRewardTier
from models.enums import CampaignType, ProductScope
from models.pricing.cart import OrderPromotion


async def running_promotions(
    session: AsyncSession, store_id: int | None, now: datetime
) -> list[OrderPromotion]:
    """Every spend-reward campaign running at this store now, newest first (the pricing's tie order)."""

    in_scope = or_(
        Campaign.all_stores.is_(True),
        Campaign.id.in_(select(CampaignStore.campaign_id).where(CampaignStore.store_id == store_id)),
    )
    running = (
        await session.execute(
            select(Campaign, SpendRewardRule)
            .join(SpendRewardRule, SpendRewardRule.campaign_id == Campaign.id)
            .where(
                Campaign.type == CampaignType.SPEND_REWARD,
                Campaign.starts_at <= now,
                Campaign.ends_at > now,
                or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
                in_scope if store_id is not None else Campaign.all_stores.is_(True),
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
