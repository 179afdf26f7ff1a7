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
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Once started, only name, description, end and group prices may change.")
class UpdateCampaignInput:
    campaign_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    ends_at: datetime | None = None
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
