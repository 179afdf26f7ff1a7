"""Inputs and payloads of campaign administration, group buys, invites and price previews."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.campaigns import Campaign
from gql.schema.common import UserError
from gql.schema.order_mutations import ConsigneeInput
from gql.schema.orders import Order
from models.enums import (
    CampaignStatus,
    CampaignType,
    Fulfillment,
    GroupBuyKind,
    InviteTrigger,
    RewardKind,
    ThresholdKind,
)

KEY_HELP = "Same key + same input returns the first result without acting again."


@strawberry.input
class InviteRewardInput:
    trigger: InviteTrigger
    inviter_reward_kind: RewardKind
    inviter_reward_value: int = strawberry.field(description="Cents for a coupon, points for points.")
    invitee_reward_kind: RewardKind
    invitee_reward_value: int
    cap_per_inviter: int | None = None


@strawberry.input
class SpendRewardTierInput:
    threshold: int = strawberry.field(description="Cents of eligible goods (AMOUNT) or units (QUANTITY).")
    reduction_cents: int = 0
    gift_sku_id: strawberry.ID | None = None
    gift_quantity: int = 0


@strawberry.input
class SpendRewardInput:
    threshold_kind: ThresholdKind
    tiers: list[SpendRewardTierInput]
    product_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Empty: every product takes part."
    )


@strawberry.input
class GroupBuySkuInput:
    sku_id: strawberry.ID
    group_price_cents: int


@strawberry.input
class GroupBuyInput:
    kind: GroupBuyKind
    team_size: int
    validity_hours: int
    skus: list[GroupBuySkuInput]
    per_customer_limit: int | None = None


@strawberry.input
class ItemPriceSkuInput:
    sku_id: strawberry.ID
    item_price_cents: int = strawberry.field(description="Above 0 and below the SKU's price.")


@strawberry.input(description="单品直降 / 爆品价: a fixed lower unit price for each listed SKU.")
class PriceCutInput:
    skus: list[ItemPriceSkuInput]


@strawberry.input
class FlashSaleSkuInput:
    sku_id: strawberry.ID
    item_price_cents: int = strawberry.field(description="Above 0 and below the SKU's price.")
    stock: int = strawberry.field(description="Units on offer at this price (the campaign's own stock).")


@strawberry.input(description="限时抢: a time-boxed item price with its own stock per SKU.")
class FlashSaleInput:
    skus: list[FlashSaleSkuInput]
    per_customer_limit: int | None = strawberry.field(
        default=None, description="Units of each SKU one customer may hold at the flash price."
    )


@strawberry.input(description="商品折扣: a percentage off every SKU of the listed products.")
class ProductDiscountInput:
    percent_off: int = strawberry.field(
        description="1 to 99, of each unit's store price; the cents off are rounded down."
    )
    product_ids: list[strawberry.ID]


@strawberry.input
class PercentTierInput:
    threshold: int = strawberry.field(description="Cents of the goods in scope (AMOUNT) or units (QUANTITY).")
    percent_off: int = strawberry.field(description="1 to 99 (20 is 8折); a higher tier never gives less.")


@strawberry.input(description="满额折扣 (AMOUNT) / 满件折扣 (QUANTITY): a percentage off the goods in scope.")
class OrderDiscountInput:
    threshold_kind: ThresholdKind
    tiers: list[PercentTierInput]
    product_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Empty: every product takes part."
    )
    cap_cents: int | None = strawberry.field(default=None, description="The most taken off one order.")


@strawberry.input
class MultiBuyTierInput:
    quantity: int = strawberry.field(description="Units of the listed products, 2 or more.")
    percent_off: int


@strawberry.input(
    description="多买多折: N units of the listed products → a percentage off them (2件9折, 3件8折)."
)
class MultiBuyDiscountInput:
    tiers: list[MultiBuyTierInput]
    product_ids: list[strawberry.ID]


@strawberry.input(
    description="X元Y件: any `quantity` units of the listed products for `priceCents`, repeatedly."
)
class BundlePriceInput:
    quantity: int = strawberry.field(description="Y: 2 to 99 units a group.")
    price_cents: int = strawberry.field(description="X: what a group costs.")
    product_ids: list[strawberry.ID]


@strawberry.input(
    description="单品买赠: every buyQuantity units of a listed product give giftQuantity of the gift SKU."
)
class BuyGiftInput:
    product_ids: list[strawberry.ID]
    buy_quantity: int
    gift_sku_id: strawberry.ID
    gift_quantity: int
    gift_stock: int = strawberry.field(
        description="Gift units on offer (taken by orders, given back on cancel)."
    )


@strawberry.input(description="Exactly the settings of the campaign's type must be given.")
class CreateCampaignInput:
    type: CampaignType
    name: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    store_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Empty: every store.")
    invite_reward: InviteRewardInput | None = None
    spend_reward: SpendRewardInput | None = None
    group_buy: GroupBuyInput | None = None
    price_cut: PriceCutInput | None = None
    flash_sale: FlashSaleInput | None = None
    product_discount: ProductDiscountInput | None = None
    order_discount: OrderDiscountInput | None = None
    multi_buy_discount: MultiBuyDiscountInput | None = None
    bundle_price: BundlePriceInput | None = None
    buy_gift: BuyGiftInput | None = None
    priority: int = strawberry.field(
        default=0, description="0 to 99: among order-level promotions the highest applies."
    )
    opt_in: bool = strawberry.field(
        default=False, description="报名制 (HQ): applies only at the stores in scope that opt in."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(
    description="Once started, only name, description, end and group prices may change "
    "(priority: before the start only)."
)
class UpdateCampaignInput:
    campaign_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    ends_at: datetime | None = None
    priority: int | None = None
    group_prices: list[GroupBuySkuInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Replace the 满减赠 tiers and products; only before the campaign starts.")
class SetSpendRewardTiersInput:
    campaign_id: strawberry.ID
    spend_reward: SpendRewardInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class StopCampaignInput:
    campaign_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None
    user_errors: list[UserError]


@strawberry.input(description="Narrow the campaign list; all given conditions must hold.")
class CampaignFilter:
    type: list[CampaignType] | None = None
    status: list[CampaignStatus] | None = None
    name: str | None = strawberry.field(default=None, description="Name contains.")
    active_from: datetime | None = strawberry.field(
        default=None, description="Running at some time after this."
    )
    active_to: datetime | None = strawberry.field(
        default=None, description="Running at some time before this."
    )


@strawberry.input(description="What a group-buy member buys and how it reaches them.")
class GroupBuyOrderInput:
    sku_id: strawberry.ID
    fulfillment: Fulfillment
    consignee: ConsigneeInput
    quantity: int = 1
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the HQ warehouse (EXPRESS)."
    )
    buyer_remark: str | None = None


@strawberry.input(description="Open a team (开团) and place the leader's order.")
class OpenTeamInput:
    campaign_id: strawberry.ID
    order: GroupBuyOrderInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Join a forming team (参团) and place the member's order.")
class JoinTeamInput:
    team_id: strawberry.ID
    order: GroupBuyOrderInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class TeamOrderPayload:
    order: Order | None
    team_id: strawberry.ID | None
    share_url: str | None = strawberry.field(description="Send to friends to fill the team (邀请参团).")
    user_errors: list[UserError]


@strawberry.input(description="The invitee accepts an invite code right after registering.")
class AcceptInviteInput:
    invite_code: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class AcceptInvitePayload:
    accepted: bool
    user_errors: list[UserError]
