"""满减赠 at checkout: which spend-reward campaign applies to a cart, its tier, and the next tier's hint.

Several campaigns can be running at a store; the shopper gets the one that gives the most (the
largest reduction; a gift breaks ties). The reduction is spread over the eligible lines pro rata
(exact cents), so every line knows what it paid and refunds stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaign_rules import Tier, TierOutcome, discount_shares, reached_tier
from models.campaigns import Campaign, CampaignProduct, CampaignStore, SpendRewardRule, SpendRewardTier
from models.enums import CampaignType, ProductScope, ThresholdKind


@dataclass(frozen=True, slots=True)
class CartItem:
    product_id: int
    amount: int
    """unit price × quantity, in cents."""
    quantity: int


@dataclass(frozen=True, slots=True)
class SpendOffer:
    """One running campaign's answer for a cart."""

    campaign_id: int
    campaign_name: str
    threshold_kind: ThresholdKind
    outcome: TierOutcome
    shares: tuple[int, ...]
    """Discount per cart item (0 for items outside the campaign's products)."""

    @property
    def reduction(self) -> int:
        return sum(self.shares)


def _eligible(scope: ProductScope, listed: set[int], item: CartItem) -> bool:
    return scope is ProductScope.ALL or item.product_id in listed


async def spend_offers(
    session: AsyncSession, store_id: int | None, items: Sequence[CartItem], now: datetime
) -> list[SpendOffer]:
    """What every spend-reward campaign running at this store gives this cart (no tier reached: no shares)."""

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
    offers = []
    for campaign, rule in running:
        eligible = [_eligible(rule.product_scope, listed[campaign.id], item) for item in items]
        amount = sum(item.amount for item, ok in zip(items, eligible, strict=True) if ok)
        quantity = sum(item.quantity for item, ok in zip(items, eligible, strict=True) if ok)
        outcome = reached_tier(rule.threshold_kind, tiers[campaign.id], amount, quantity)
        reduction = outcome.reached.reduction if outcome.reached else 0
        weights = [item.amount if ok else 0 for item, ok in zip(items, eligible, strict=True)]
        shares = discount_shares(weights, reduction) if reduction and sum(weights) else [0] * len(items)
        offers.append(SpendOffer(campaign.id, campaign.name, rule.threshold_kind, outcome, tuple(shares)))
    return offers


def best_offer(offers: Sequence[SpendOffer]) -> SpendOffer | None:
    """The offer a shopper would pick: most money off, then a gift, then the newest campaign."""
    reached = [o for o in offers if o.outcome.reached is not None]
    if not reached:
        return None
    return max(
        reached,
        key=lambda o: (
            o.reduction,
            o.outcome.reached is not None and o.outcome.reached.gift_sku_id is not None,
        ),
    )


def hint_offer(offers: Sequence[SpendOffer], applied: SpendOffer | None) -> SpendOffer | None:
    """The campaign whose next tier to advertise ("再买 ¥12 减 ¥20"): the applied one, else the nearest."""
    if applied is not None:
        return applied if applied.outcome.next_tier else None
    waiting = [o for o in offers if o.outcome.next_tier is not None]
    return min(waiting, key=lambda o: o.outcome.missing) if waiting else None
