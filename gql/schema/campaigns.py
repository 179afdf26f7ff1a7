"""GraphQL types of campaigns (营销): 邀请有礼, 满减赠, 拼团, with share links and figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql.context import Info
from gql.http.qr import share_link
from gql.schema.campaign_discounts import (
    ORDER_DISCOUNTS,
    BuyGiftSettings,
    OrderDiscountSettings,
    OrderPromotionConflict,
    buy_gift_settings,
    order_discount_settings,
    promotion_conflicts,
)
from gql.schema.campaign_figures import CampaignData, CampaignStats
from gql.schema.catalog import Product, Sku
from gql.schema.common import Money, money
from gql.schema.stores import Store
from models.base import utcnow
from models.campaigns.rows import Campaign as CampaignRow
from models.campaigns.rows import ItemPriceSku
from models.enums import (
    CampaignStatus,
    CampaignType,
    GroupBuyKind,
    InviteTrigger,
    ProductScope,
    RewardKind,
    ThresholdKind,
)
from services.campaigns.conflicts import price_conflicts
from services.campaigns.data import day_bounds, figures

if TYPE_CHECKING:
    from gql.schema.campaign_opt_ins import CampaignOptIn


def share_url(info: Info, campaign_id: int, team_id: int | None = None) -> str:
    return share_link(info.context.settings, campaign_id, team_id)


@strawberry.type(description="邀请有礼 settings: what inviter and invitee get, and when.")
class InviteRewardSettings:
    trigger: InviteTrigger
    inviter_reward_kind: RewardKind
    inviter_reward_value: int = strawberry.field(description="Cents for a coupon, points for points.")
    invitee_reward_kind: RewardKind
    invitee_reward_value: int
    cap_per_inviter: int | None


@strawberry.type(description="满 threshold 减 reduction and/or 赠 gift; the highest reached tier applies.")
class SpendRewardTier:
    id: strawberry.ID
    threshold: int = strawberry.field(description="Cents of eligible goods (AMOUNT) or units (QUANTITY).")
    reduction: Money
    gift_quantity: int
    _gift_sku_id: strawberry.Private[int | None]

    @strawberry.field
    async def gift_sku(self, info: Info) -> Sku | None:
        if self._gift_sku_id is None:
            return None
        row = await info.context.loaders.sku.load(self._gift_sku_id)
        return Sku.from_row(row) if row else None


@strawberry.type
class SpendRewardSettings:
    threshold_kind: ThresholdKind
    product_scope: ProductScope
    tiers: list[SpendRewardTier]
    _product_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The products taking part when the scope is LISTED.")
    async def products(self, info: Info) -> list[Product]:
        rows = await info.context.loaders.product.load_many(self._product_ids)
        return [Product.from_row(r) for r in rows if r is not None]


@strawberry.type
class GroupBuySkuPrice:
    group_price: Money
    _sku_id: strawberry.Private[int]

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None
        return Sku.from_row(row)


@strawberry.type(description="拼团 settings.")
class GroupBuySettings:
    kind: GroupBuyKind = strawberry.field(description="NEW_USER_LED (老带新): only new customers may join.")
    team_size: int
    validity_hours: int
    per_customer_limit: int | None
    skus: list[GroupBuySkuPrice]


@strawberry.type(description="A SKU's 单品直降 / 限时抢 price while the campaign runs.")
class ItemPriceSkuPrice:
    item_price: Money
    stock: int | None = strawberry.field(description="限时抢: units on offer; null for 单品直降.")
    sold: int = strawberry.field(description="限时抢: units held by orders not cancelled.")
    _sku_id: strawberry.Private[int]

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None
        return Sku.from_row(row)


@strawberry.type(
    description="单品直降 / 爆品价 settings: the unit price of each SKU (a lower store price still wins)."
)
class PriceCutSettings:
    skus: list[ItemPriceSkuPrice]


@strawberry.type(
    description="商品折扣 settings: the percentage off each unit's store price, and the products."
)
class ProductDiscountSettings:
    percent_off: int
    _product_ids: strawberry.Private[list[int]]

    @strawberry.field
    async def products(self, info: Info) -> list[Product]:
        rows = await info.context.loaders.product.load_many(self._product_ids)
        return [Product.from_row(r) for r in rows if r is not None]


@strawberry.type(
    description="Another item-level promotion pricing one of this campaign's SKUs then and there."
)
class PriceConflict:
    price: Money = strawberry.field(description="This campaign's unit price (at the SKU's list price).")
    other_price: Money
    wins: bool = strawberry.field(description="This campaign's price is charged where both apply.")
    _sku_id: strawberry.Private[int]
    _other_id: strawberry.Private[int]

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None
        return Sku.from_row(row)

    @strawberry.field
    async def other_campaign(self, info: Info) -> Campaign:
        row = await info.context.loaders.campaign.load(self._other_id)
        assert row is not None
        return Campaign.from_row(row)


@strawberry.type(description="限时抢 settings: each SKU's price and stock, and the per-customer limit.")
class FlashSaleSettings:
    per_customer_limit: int | None
    skus: list[ItemPriceSkuPrice]


def _item_price(row: ItemPriceSku) -> ItemPriceSkuPrice:
    return ItemPriceSkuPrice(item_price=money(row.price), stock=row.stock, sold=row.sold, _sku_id=row.sku_id)


@strawberry.type(description="A campaign (营销活动). Its status is derived from its dates and stop time.")
class Campaign(relay.Node):
    id: relay.NodeID[int]
    type: CampaignType
    name: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    stopped_at: datetime | None
    all_stores: bool
    opt_in: bool = strawberry.field(description="报名制: applies only at the stores that opted in.")
    created_at: datetime
    priority: int = strawberry.field(
        description="Order-level promotions: the highest applies; among equals the best for the buyer."
    )

    @strawberry.field(description="NOT_STARTED, ONGOING, ENDED or STOPPED, now.")
    def status(self) -> CampaignStatus:
        from models.campaigns.rows import campaign_status

        return campaign_status(self.starts_at, self.ends_at, self.stopped_at, utcnow())

    @strawberry.field(description="Link to share in chats (推广链接).")
    def share_url(self, info: Info) -> str:
        return share_url(info, self.id)

    @strawberry.field(description="PNG QR code of the share link (推广二维码).")
    def qr_code_url(self) -> str:
        return f"/campaigns/{self.id}/qr.png"

    @strawberry.field(description="The stores taking part (empty with allStores).")
    async def stores(self, info: Info) -> list[Store]:
        links = await info.context.loaders.campaign_stores.load(self.id)
        rows = await info.context.loaders.store.load_many([link.store_id for link in links])
        return [Store.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Opt-in campaigns: the stores' opt-ins (staff: their own stores).")
    async def opt_ins(
        self, info: Info
    ) -> list[Annotated[CampaignOptIn, strawberry.lazy("gql.schema.campaign_opt_ins")]]:
        from gql.schema.campaign_opt_ins import visible_opt_ins

        return visible_opt_ins(
            info.context.principal, await info.context.loaders.campaign_opt_ins.load(self.id)
        )

    @strawberry.field
    async def invite_reward(self, info: Info) -> InviteRewardSettings | None:
        rule = await info.context.loaders.invite_rule.load(self.id)
        if rule is None:
            return None
        return InviteRewardSettings(
            trigger=rule.trigger,
            inviter_reward_kind=rule.inviter_reward_kind,
            inviter_reward_value=rule.inviter_reward_value,
            invitee_reward_kind=rule.invitee_reward_kind,
            invitee_reward_value=rule.invitee_reward_value,
            cap_per_inviter=rule.cap_per_inviter,
        )

    @strawberry.field
    async def spend_reward(self, info: Info) -> SpendRewardSettings | None:
        loaders = info.context.loaders
        rule = await loaders.spend_rule.load(self.id)
        if rule is None:
            return None
        tiers = await loaders.spend_tiers.load(self.id)
        products = await loaders.campaign_products.load(self.id)
        return SpendRewardSettings(
            threshold_kind=rule.threshold_kind,
            product_scope=rule.product_scope,
            tiers=[
                SpendRewardTier(
                    id=strawberry.ID(str(t.id)),
                    threshold=t.threshold,
                    reduction=money(t.reduction_amount),
                    gift_quantity=t.gift_quantity,
                    _gift_sku_id=t.gift_sku_id,
                )
                for t in sorted(tiers, key=lambda t: t.threshold)
            ],
            _product_ids=[p.product_id for p in products],
        )

    @strawberry.field
    async def group_buy(self, info: Info) -> GroupBuySettings | None:
        rule = await info.context.loaders.group_rule.load(self.id)
        if rule is None:
            return None
        skus = await info.context.loaders.group_skus.load(self.id)
        return GroupBuySettings(
            kind=rule.kind,
            team_size=rule.team_size,
            validity_hours=rule.validity_hours,
            per_customer_limit=rule.per_customer_limit,
            skus=[GroupBuySkuPrice(group_price=money(s.group_price), _sku_id=s.sku_id) for s in skus],
        )

    @strawberry.field
    async def price_cut(self, info: Info) -> PriceCutSettings | None:
        if self.type is not CampaignType.PRICE_CUT:
            return None
        skus = await info.context.loaders.item_price_skus.load(self.id)
        return PriceCutSettings(skus=[_item_price(s) for s in skus])

    @strawberry.field
    async def product_discount(self, info: Info) -> ProductDiscountSettings | None:
        if self.type is not CampaignType.PRODUCT_DISCOUNT:
            return None
        rule = await info.context.loaders.discount_rule.load(self.id)
        if rule is None:
            return None
        products = await info.context.loaders.campaign_products.load(self.id)
        return ProductDiscountSettings(
            percent_off=rule.percent_off, _product_ids=[p.product_id for p in products]
        )

    @strawberry.field(
        description="单品直降 / 限时抢 / 商品折扣: the other such campaigns pricing its SKUs at an "
        "overlapping time and store, and which price wins (the lowest; nothing stacks). Empty once "
        "it is over."
    )
    async def price_conflicts(self, info: Info) -> list[PriceConflict]:
        async with info.context.sessions() as session:
            row = await session.get(CampaignRow, self.id)
            found = await price_conflicts(session, row, utcnow()) if row else []
        return [
            PriceConflict(
                price=money(c.price),
                other_price=money(c.other_price),
                wins=c.wins,
                _sku_id=c.sku_id,
                _other_id=c.other_campaign_id,
            )
            for c in found
        ]

    @strawberry.field(description="满额折扣 / 满件折扣, 多买多折 and X元Y件 settings.")
    async def order_discount(self, info: Info) -> OrderDiscountSettings | None:
        if self.type not in ORDER_DISCOUNTS:
            return None
        return await order_discount_settings(info, self.id)

    @strawberry.field(
        description="满减赠 / 满折 / 多买多折 / X元Y件: the other order-level promotions competing with it "
        "at an overlapping time, store and products (both not over)."
    )
    async def promotion_conflicts(self, info: Info) -> list[OrderPromotionConflict]:
        return await promotion_conflicts(info, self.id)

    @strawberry.field(description="单品买赠 settings.")
    async def buy_gift(self, info: Info) -> BuyGiftSettings | None:
        if self.type is not CampaignType.BUY_GIFT:
            return None
        return await buy_gift_settings(info, self.id)

    @strawberry.field
    async def flash_sale(self, info: Info) -> FlashSaleSettings | None:
        if self.type is not CampaignType.FLASH_SALE:
            return None
        skus = await info.context.loaders.item_price_skus.load(self.id)
        limit = skus[0].per_customer_limit if skus else None
        return FlashSaleSettings(per_customer_limit=limit, skus=[_item_price(s) for s in skus])

    @strawberry.field(description="List-view figures (back office only: refused at validation for others).")
    async def stats(self, info: Info) -> CampaignStats:
        s = await info.context.loaders.campaign_stats.load(self.id)
        return CampaignStats(participants=s.participants, orders=s.orders, sales=money(s.sales))

    @strawberry.field(
        description="The data view (back office only: refused at validation for others); `from`/`to` are "
        "business days, inclusive."
    )
    async def data(
        self,
        info: Info,
        since: date | None = None,
        until: date | None = None,
    ) -> CampaignData:
        lower, upper = day_bounds(since, until, info.context.deps.rules.zone)

        async with info.context.sessions() as session:
            f = await figures(session, self.id, lower, upper)
        return CampaignData(
            participants=f.participants,
            orders=f.orders,
            sales=money(f.sales),
            new_customers=f.new_customers,
            discount_cost=money(f.discount_cost),
            reward_cost=money(f.reward_cost),
            reward_points=f.reward_points,
            cost=money(f.cost),
            turnover=money(f.turnover),
            roi=f.roi,
            teams_opened=f.teams_opened,
            teams_succeeded=f.teams_succeeded,
            team_success_rate=f.team_success_rate,
            invites=f.invites,
            first_orders=f.first_orders,
            rewards_granted=f.rewards_granted,
        )

    @classmethod
    def from_row(cls, row: CampaignRow) -> Campaign:
        return cls(
            id=row.id,
            type=row.type,
            name=row.name,
            description=row.description,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            stopped_at=row.stopped_at,
            all_stores=row.all_stores,
            opt_in=row.opt_in,
            created_at=row.created_at,
            priority=row.priority,
        )
