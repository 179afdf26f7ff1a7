"""Which promotions a product is in (商品参与的活动): the audit question an operator asks before
starting another campaign. Running or upcoming campaigns of every pricing type (满减赠, 拼团, 单品直降,
限时抢, 商品折扣, 满额/满件折扣, 多买多折, X元Y件, 单品买赠) that cover the product, and the coupon
templates that can still be claimed for it (at one store, when given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import (
    Campaign,
    CampaignProduct,
    GroupBuySku,
    ItemPriceSku,
    OrderDiscountRule,
    SpendRewardRule,
)
from models.campaigns.scope import applies_at_store_clause
from models.catalog.rows import Product, Sku
from models.coupons.rows import CouponTemplate
from models.enums import CampaignStatus, CampaignType, ProductScope
from models.errors import DomainError, ErrorCode
from services.campaigns.search import status_condition

MAX_ROWS = 100
LISTED_TYPES = (
    CampaignType.PRODUCT_DISCOUNT,
    CampaignType.ORDER_DISCOUNT,
    CampaignType.MULTI_BUY_DISCOUNT,
    CampaignType.BUNDLE_PRICE,
    CampaignType.BUY_GIFT,
)
"""Campaigns whose products are the rows of campaign_products (an order discount without rows
covers every product)."""


@dataclass(frozen=True, slots=True)
class ProductPromotions:
    campaigns: list[Campaign]
    """Newest first. At checkout only one order-level promotion applies (the highest priority, then
    the best for the buyer), and of several 单品直降 prices of one SKU only the lowest (no stacking)."""
    coupons: list[CouponTemplate]


async def promotions_of(
    session: AsyncSession, product_id: int, store_id: int | None, now: datetime
) -> ProductPromotions:
    product = await session.get(Product, product_id)
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "product not found", "productId")
    spend_all = select(SpendRewardRule.campaign_id).where(SpendRewardRule.product_scope == ProductScope.ALL)
    listed = select(CampaignProduct.campaign_id).where(CampaignProduct.product_id == product_id)
    every_product = select(OrderDiscountRule.campaign_id).where(
        ~OrderDiscountRule.campaign_id.in_(select(CampaignProduct.campaign_id))
    )
    grouped = (
        select(GroupBuySku.campaign_id)
        .join(Sku, Sku.id == GroupBuySku.sku_id)
        .where(Sku.product_id == product_id)
    )
    cut = (
        select(ItemPriceSku.campaign_id)
        .join(Sku, Sku.id == ItemPriceSku.sku_id)
        .where(Sku.product_id == product_id)
    )
    stmt = select(Campaign).where(
        or_(
            (Campaign.type == CampaignType.SPEND_REWARD)
            & (Campaign.id.in_(spend_all) | Campaign.id.in_(listed)),
            Campaign.type.in_(LISTED_TYPES) & Campaign.id.in_(listed),
            Campaign.id.in_(every_product),
            (Campaign.type == CampaignType.GROUP_BUY) & Campaign.id.in_(grouped),
            Campaign.type.in_((CampaignType.PRICE_CUT, CampaignType.FLASH_SALE)) & Campaign.id.in_(cut),
        ),
        or_(status_condition(CampaignStatus.ONGOING, now), status_condition(CampaignStatus.NOT_STARTED, now)),
    )
    if store_id is not None:
        stmt = stmt.where(applies_at_store_clause(store_id))
    campaigns = list(
        (
            await session.scalars(
                stmt.order_by(Campaign.starts_at.desc(), Campaign.id.desc()).limit(MAX_ROWS)
            )
        ).all()
    )
    templates = (
        await session.scalars(
            select(CouponTemplate)
            .where(
                CouponTemplate.stopped_at.is_(None),
                or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > now),
            )
            .order_by(CouponTemplate.created_at.desc(), CouponTemplate.id.desc())
            .limit(MAX_ROWS * 2)
        )
    ).all()
    coupons = [
        t
        for t in templates
        if (store_id is None or t.store_ids is None or store_id in t.store_ids)
        and (
            (t.product_ids is None and t.category_ids is None)
            or (t.product_ids is not None and product_id in t.product_ids)
            or (t.category_ids is not None and product.category_id in t.category_ids)
        )
    ]
    return ProductPromotions(campaigns, coupons[:MAX_ROWS])
