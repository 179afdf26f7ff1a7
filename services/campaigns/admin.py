"""Campaign administration: create, update what is still editable, stop.

HQ manages every campaign; store staff manage campaigns scoped to their own stores only. Once a
campaign has started, what customers already rely on is frozen (tiers, team rules, rewards); only
its name, description, end and group prices can change, and nothing once it has ended or stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from models.campaigns.rows import (
    Campaign,
    CampaignProduct,
    CampaignStore,
    GroupBuyRule,
    GroupBuySku,
    InviteRule,
    SpendRewardRule,
    SpendRewardTier,
)
from models.campaigns.rules import Tier, validate_tiers, validate_window
from models.campaigns.scope import check_opt_in_setting
from models.catalog.rows import Product, Sku
from models.enums import (
    ActorType,
    CampaignStatus,
    CampaignType,
    GroupBuyKind,
    InviteTrigger,
    ProductScope,
    RewardKind,
    ThresholdKind,
)
from models.errors import DomainError, ErrorCode
from models.stores.rows import Store
from services.campaigns.item_prices import (
    DiscountSettings,
    FlashSaleSettings,
    PriceCutSettings,
    add_rows,
    check_settings,
    check_sku_prices,
)
from services.campaigns.order_discounts import (
    BundleSettings,
    BuyGiftSettings,
    MultiBuySettings,
    OrderDiscountSettings,
)
from services.campaigns.order_discounts import add_rows as add_order_discount_rows
from services.campaigns.order_discounts import check_settings as check_order_discounts
from services.commands import Result, Work
from services.group_buy.cache import invalidate_campaign_pages

MAX_TEAM_SIZE = 50
MAX_VALIDITY_HOURS = 30 * 24
MAX_PRIORITY = 99


@dataclass(frozen=True, slots=True)
class InviteSettings:
    trigger: InviteTrigger
    inviter_reward_kind: RewardKind
    inviter_reward_value: int
    invitee_reward_kind: RewardKind
    invitee_reward_value: int
    cap_per_inviter: int | None = None


@dataclass(frozen=True, slots=True)
class SpendSettings:
    threshold_kind: ThresholdKind
    tiers: tuple[Tier, ...]
    product_ids: tuple[int, ...] = ()
    """Empty: every product takes part (ProductScope.ALL)."""


@dataclass(frozen=True, slots=True)
class GroupBuySettings:
    kind: GroupBuyKind
    team_size: int
    validity_hours: int
    skus: tuple[tuple[int, int], ...]
    """(sku id, group price in cents)."""
    per_customer_limit: int | None = None


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    type: CampaignType
    name: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    store_ids: tuple[int, ...] = ()
    """Empty: every store."""
    invite: InviteSettings | None = None
    spend: SpendSettings | None = None
    group_buy: GroupBuySettings | None = None
    price_cut: PriceCutSettings | None = None
    flash_sale: FlashSaleSettings | None = None
    product_discount: DiscountSettings | None = None
    order_discount: OrderDiscountSettings | None = None
    multi_buy: MultiBuySettings | None = None
    bundle: BundleSettings | None = None
    buy_gift: BuyGiftSettings | None = None
    priority: int = 0
    """Order-level promotions: the highest priority applies (0 to 99; equals: the best for the buyer)."""
    opt_in: bool = False
    """报名制 (HQ): applies only at the stores in scope that opt in."""


@dataclass(frozen=True, slots=True)
class CampaignPatch:
    name: str | None = None
    description: str | None = None
    ends_at: datetime | None = None
    priority: int | None = None
    """Only before the campaign starts (shoppers rely on which promotion applies after)."""
    group_prices: tuple[tuple[int, int], ...] = field(default=())


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "name is required (at most 100 characters)", "name")
    return name


def _check_scope(work: Work, store_ids: Sequence[int]) -> None:
    """Store staff create and manage only campaigns limited to their own stores."""
    if work.actor.type is ActorType.STAFF and (
        not store_ids or not set(store_ids) <= work.principal.store_ids
    ):
        raise DomainError(
            ErrorCode.FORBIDDEN, "store staff manage campaigns of their own stores only", "storeIds"
        )


async def _check_exist(
    work: Work, model: type[Store] | type[Product] | type[Sku], ids: Sequence[int], field: str
) -> None:
    if not ids:
        return
    found = set((await work.session.scalars(select(model.id).where(model.id.in_(set(ids))))).all())
    missing = sorted(set(ids) - found)
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, f"unknown ids {missing}", field)


def _check_settings(draft: CampaignDraft) -> None:
    given: dict[CampaignType, tuple[object, str]] = {
        CampaignType.INVITE_REWARD: (draft.invite, "inviteReward"),
        CampaignType.SPEND_REWARD: (draft.spend, "spendReward"),
        CampaignType.GROUP_BUY: (draft.group_buy, "groupBuy"),
        CampaignType.PRICE_CUT: (draft.price_cut, "priceCut"),
        CampaignType.FLASH_SALE: (draft.flash_sale, "flashSale"),
        CampaignType.PRODUCT_DISCOUNT: (draft.product_discount, "productDiscount"),
        CampaignType.ORDER_DISCOUNT: (draft.order_discount, "orderDiscount"),
        CampaignType.MULTI_BUY_DISCOUNT: (draft.multi_buy, "multiBuyDiscount"),
        CampaignType.BUNDLE_PRICE: (draft.bundle, "bundlePrice"),
        CampaignType.BUY_GIFT: (draft.buy_gift, "buyGift"),
    }
    for kind, (settings, name) in given.items():
        if (kind is draft.type) != (settings is not None):
            wanted = "needs" if kind is draft.type else "must not have"
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"a {draft.type.value} campaign {wanted} {name} settings", name
            )
    if draft.invite is not None:
        i = draft.invite
        if (
            i.inviter_reward_value < 0
            or i.invitee_reward_value < 0
            or i.inviter_reward_value + i.invitee_reward_value == 0
        ):
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "rewards must be non-negative and not both zero", "inviteReward"
            )
        if i.cap_per_inviter is not None and i.cap_per_inviter <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the cap must be positive", "inviteReward.capPerInviter"
            )
    if draft.spend is not None:
        validate_tiers(draft.spend.threshold_kind, draft.spend.tiers)
    if draft.group_buy is not None:
        g = draft.group_buy
        if not 2 <= g.team_size <= MAX_TEAM_SIZE:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"a team has 2 to {MAX_TEAM_SIZE} members", "groupBuy.teamSize"
            )
        if not 1 <= g.validity_hours <= MAX_VALIDITY_HOURS:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "validity is 1 hour to 30 days", "groupBuy.validityHours"
            )
        if g.per_customer_limit is not None and g.per_customer_limit <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the limit must be positive", "groupBuy.perCustomerLimit"
            )
        if not g.skus or len({s for s, _ in g.skus}) != len(g.skus):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "list each SKU once, at least one", "groupBuy.skus")
    check_settings(draft.price_cut, draft.flash_sale, draft.product_discount)
    check_order_discounts(draft.order_discount, draft.multi_buy, draft.bundle, draft.buy_gift)
    _check_priority(draft.priority)


def _check_priority(priority: int) -> None:
    if not 0 <= priority <= MAX_PRIORITY:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"priority is 0 to {MAX_PRIORITY}", "priority")


async def create(work: Work, draft: CampaignDraft) -> Result:
    name = _check_name(draft.name)
    validate_window(draft.starts_at, draft.ends_at)
    if draft.ends_at <= work.now:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the campaign would already be over", "endsAt")
    _check_scope(work, draft.store_ids)
    _check_settings(draft)
    check_opt_in_setting(draft.type, draft.opt_in, work.principal.sees_all_stores())
    await _check_exist(work, Store, draft.store_ids, "storeIds")
    campaign = Campaign(
        type=draft.type,
        name=name,
        description=draft.description,
        all_stores=not draft.store_ids,
        opt_in=draft.opt_in,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        priority=draft.priority,
        created_by=work.actor.id,
        created_at=work.now,
        updated_at=work.now,
    )
    work.session.add(campaign)
    await work.session.flush()
    work.session.add_all(
        CampaignStore(campaign_id=campaign.id, store_id=s) for s in sorted(set(draft.store_ids))
    )
    if draft.invite is not None:
        i = draft.invite
        work.session.add(
            InviteRule(
                campaign_id=campaign.id,
                trigger=i.trigger,
                inviter_reward_kind=i.inviter_reward_kind,
                inviter_reward_value=i.inviter_reward_value,
                invitee_reward_kind=i.invitee_reward_kind,
                invitee_reward_value=i.invitee_reward_value,
                cap_per_inviter=i.cap_per_inviter,
            )
        )
    if draft.spend is not None:
        await _add_spend(work, campaign, draft.spend)
    if draft.group_buy is not None:
        g = draft.group_buy
        await check_sku_prices(work, g.skus)
        work.session.add(
            GroupBuyRule(
                campaign_id=campaign.id,
                kind=g.kind,
                team_size=g.team_size,
                validity_hours=g.validity_hours,
                per_customer_limit=g.per_customer_limit,
            )
        )
        work.session.add_all(GroupBuySku(campaign_id=campaign.id, sku_id=s, group_price=p) for s, p in g.skus)
    await add_rows(work, campaign, draft.price_cut, draft.flash_sale, draft.product_discount)
    await add_order_discount_rows(
        work, campaign, draft.order_discount, draft.multi_buy, draft.bundle, draft.buy_gift
    )
    return {"campaignId": campaign.id}


async def _add_spend(work: Work, campaign: Campaign, spend: SpendSettings) -> None:
    await _check_exist(work, Product, spend.product_ids, "spendReward.productIds")
    gifts = [t.gift_sku_id for t in spend.tiers if t.gift_sku_id is not None]
    await _check_exist(work, Sku, gifts, "spendReward.tiers")
    work.session.add(
        SpendRewardRule(
            campaign_id=campaign.id,
            threshold_kind=spend.threshold_kind,
            product_scope=ProductScope.LISTED if spend.product_ids else ProductScope.ALL,
        )
    )
    work.session.add_all(
        CampaignProduct(campaign_id=campaign.id, product_id=p) for p in sorted(set(spend.product_ids))
    )
    work.session.add_all(
        SpendRewardTier(
            campaign_id=campaign.id,
            threshold=t.threshold,
            reduction_amount=t.reduction,
            gift_sku_id=t.gift_sku_id,
            gift_quantity=t.gift_quantity if t.gift_sku_id is not None else 0,
        )
        for t in spend.tiers
    )


async def _managed(work: Work, campaign_id: int) -> Campaign:
    campaign = await work.session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    if campaign is None:
        raise DomainError(ErrorCode.NOT_FOUND, "campaign not found", "campaignId")
    if work.actor.type is ActorType.STAFF:
        stores = set(
            (
                await work.session.scalars(
                    select(CampaignStore.store_id).where(CampaignStore.campaign_id == campaign.id)
                )
            ).all()
        )
        if campaign.all_stores or not stores <= work.principal.store_ids:
            raise DomainError(ErrorCode.NOT_FOUND, "campaign not found", "campaignId")
    return campaign


async def update(work: Work, campaign_id: int, patch: CampaignPatch) -> Result:
    campaign = await _managed(work, campaign_id)
    status = campaign.status_at(work.now)
    if status in (CampaignStatus.ENDED, CampaignStatus.STOPPED):
        raise DomainError(ErrorCode.CAMPAIGN_NOT_EDITABLE, f"a campaign that is {status.value} cannot change")
    if patch.name is not None:
        campaign.name = _check_name(patch.name)
    if patch.description is not None:
        campaign.description = patch.description
    if patch.ends_at is not None:
        validate_window(campaign.starts_at, patch.ends_at)
        if patch.ends_at <= work.now:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the new end is already past; stop the campaign instead", "endsAt"
            )
        campaign.ends_at = patch.ends_at
    if patch.priority is not None:
        _check_priority(patch.priority)
        if status is not CampaignStatus.NOT_STARTED:
            raise DomainError(
                ErrorCode.CAMPAIGN_NOT_EDITABLE,
                "the priority is fixed once the campaign has started",
                "priority",
            )
        campaign.priority = patch.priority
    if patch.group_prices:
        if campaign.type is not CampaignType.GROUP_BUY:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "only group-buy campaigns have group prices", "groupPrices"
            )
        await check_sku_prices(work, patch.group_prices)
        listed = set(
            (
                await work.session.scalars(
                    select(GroupBuySku.sku_id).where(GroupBuySku.campaign_id == campaign.id)
                )
            ).all()
        )
        for i, (sku_id, price) in enumerate(patch.group_prices):
            if sku_id not in listed:
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "that SKU is not part of the campaign", f"groupPrices.{i}.skuId"
                )
            row = await work.session.get(GroupBuySku, (campaign.id, sku_id))
            assert row is not None
            row.group_price = price
        invalidate_campaign_pages(work, campaign.id)  # cached pages show the old prices
    campaign.updated_at = work.now
    return {"campaignId": campaign.id}


async def replace_tiers(work: Work, campaign_id: int, spend: SpendSettings) -> Result:
    """满减赠 tiers and product scope, only before the campaign starts (shoppers rely on them after)."""
    campaign = await _managed(work, campaign_id)
    if campaign.type is not CampaignType.SPEND_REWARD:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "only spend-reward campaigns have tiers", "campaignId")
    if campaign.status_at(work.now) is not CampaignStatus.NOT_STARTED:
        raise DomainError(
            ErrorCode.CAMPAIGN_NOT_EDITABLE, "tiers are fixed once the campaign has started", "tiers"
        )
    validate_tiers(spend.threshold_kind, spend.tiers)
    for model in (SpendRewardTier, CampaignProduct, SpendRewardRule):
        await work.session.execute(delete(model).where(model.campaign_id == campaign.id))
    await _add_spend(work, campaign, spend)
    campaign.updated_at = work.now
    return {"campaignId": campaign.id}


async def stop(work: Work, campaign_id: int) -> Result:
    """Stop early: no new orders or teams; teams already forming finish or fail by their rules."""
    campaign = await _managed(work, campaign_id)
    status = campaign.status_at(work.now)
    if status in (CampaignStatus.ENDED, CampaignStatus.STOPPED):
        raise DomainError(ErrorCode.CAMPAIGN_NOT_EDITABLE, f"the campaign is already {status.value}")
    campaign.stopped_at = work.now
    campaign.updated_at = work.now
    invalidate_campaign_pages(work, campaign.id)
    return {"campaignId": campaign.id}
