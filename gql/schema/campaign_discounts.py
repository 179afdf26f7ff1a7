"""GraphQL types of the order-level discounts (满额/满件折扣, 多买多折, X元Y件) and 单品买赠 settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gql.context import Info
from gql.schema.catalog import Product, Sku
from gql.schema.common import Money, money
from models.base import utcnow
from models.campaigns.rows import Campaign as CampaignRow
from models.enums import CampaignType, ThresholdKind
from models.pricing.order_promotions import zhe
from services.campaigns.conflicts import order_conflicts

if TYPE_CHECKING:
    from gql.schema.campaigns import Campaign


async def _products(info: Info, product_ids: list[int]) -> list[Product]:
    rows = await info.context.loaders.product.load_many(product_ids)
    return [Product.from_row(r) for r in rows if r is not None]


@strawberry.type(description="满 threshold → percentOff % off the goods in scope; the highest reached tier.")
class PercentTier:
    threshold: int = strawberry.field(description="Cents of the goods in scope (AMOUNT) or units (QUANTITY).")
    percent_off: int
    label: str = strawberry.field(description='How a shopper reads it: "8折" for 20 % off.')


@strawberry.type(
    description="满额折扣 / 满件折扣 / 多买多折 settings (products empty: every product), or X元Y件's."
)
class OrderDiscountSettings:
    threshold_kind: ThresholdKind
    tiers: list[PercentTier]
    cap: Money | None = strawberry.field(description="The most taken off one order (null: no cap).")
    bundle_quantity: int | None = strawberry.field(description="X元Y件: Y, the units of a group.")
    bundle_price: Money | None = strawberry.field(description="X元Y件: X, what a group costs.")
    _product_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The products taking part (empty: every product).")
    async def products(self, info: Info) -> list[Product]:
        return await _products(info, self._product_ids)


@strawberry.type(
    description="单品买赠 settings: buy N of a listed product, get M of the gift SKU, from a stock."
)
class BuyGiftSettings:
    buy_quantity: int
    gift_quantity: int
    gift_stock: int
    gifts_given: int = strawberry.field(description="Gift units held by orders not cancelled.")
    _gift_sku_id: strawberry.Private[int]
    _product_ids: strawberry.Private[list[int]]

    @strawberry.field
    async def gift_sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._gift_sku_id)
        assert row is not None
        return Sku.from_row(row)

    @strawberry.field
    async def products(self, info: Info) -> list[Product]:
        return await _products(info, self._product_ids)


ORDER_DISCOUNTS = (CampaignType.ORDER_DISCOUNT, CampaignType.MULTI_BUY_DISCOUNT, CampaignType.BUNDLE_PRICE)


async def order_discount_settings(info: Info, campaign_id: int) -> OrderDiscountSettings | None:
    loaders = info.context.loaders
    rule = await loaders.order_discount_rule.load(campaign_id)
    if rule is None:
        return None
    tiers = await loaders.order_discount_tiers.load(campaign_id)
    products = await loaders.campaign_products.load(campaign_id)
    return OrderDiscountSettings(
        threshold_kind=rule.threshold_kind,
        tiers=[
            PercentTier(threshold=t.threshold, percent_off=t.percent_off, label=zhe(t.percent_off))
            for t in tiers
        ],
        cap=money(rule.cap) if rule.cap is not None else None,
        bundle_quantity=rule.bundle_size,
        bundle_price=money(rule.bundle_price) if rule.bundle_price is not None else None,
        _product_ids=[p.product_id for p in products],
    )


async def buy_gift_settings(info: Info, campaign_id: int) -> BuyGiftSettings | None:
    rule = await info.context.loaders.buy_gift_rule.load(campaign_id)
    if rule is None:
        return None
    products = await info.context.loaders.campaign_products.load(campaign_id)
    return BuyGiftSettings(
        buy_quantity=rule.buy_quantity,
        gift_quantity=rule.gift_quantity,
        gift_stock=rule.stock,
        gifts_given=rule.given,
        _gift_sku_id=rule.gift_sku_id,
        _product_ids=[p.product_id for p in products],
    )


@strawberry.type(description="Another order-level promotion competing with this one for the same carts.")
class OrderPromotionConflict:
    wins: bool | None = strawberry.field(
        description="True / false: the priorities decide where both apply; null: equal priorities, so "
        "each cart gets whichever takes more off (one order-level promotion per order)."
    )
    _other_id: strawberry.Private[int]

    @strawberry.field
    async def other_campaign(
        self, info: Info
    ) -> Annotated[Campaign, strawberry.lazy("gql.schema.campaigns")]:
        from gql.schema.campaigns import Campaign

        row = await info.context.loaders.campaign.load(self._other_id)
        assert row is not None
        return Campaign.from_row(row)


async def promotion_conflicts(info: Info, campaign_id: int) -> list[OrderPromotionConflict]:
    async with info.context.sessions() as session:
        row = await session.get(CampaignRow, campaign_id)
        found = await order_conflicts(session, row, utcnow()) if row else []
    return [OrderPromotionConflict(wins=c.wins, _other_id=c.other_campaign_id) for c in found]
