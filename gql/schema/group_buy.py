"""The public group-buy page (拼团页) and the checkout price preview of the mini-program."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gql.schema.common import Money, money
from gql.schema.coupons import Coupon, PriceAdjustment
from models.enums import CampaignStatus, GroupBuyKind, TeamStatus


@strawberry.type(description="A member as the public page shows them: masked nickname (小*), avatar.")
class TeamMemberView:
    nickname: str
    avatar_url: str | None
    is_leader: bool
    joined_at: datetime
    paid: bool


@strawberry.type
class TeamView:
    id: strawberry.ID
    status: TeamStatus
    team_size: int
    member_count: int
    slots_left: int
    opened_at: datetime
    expires_at: datetime
    members: list[TeamMemberView]
    share_url: str


@strawberry.type
class GroupBuySkuView:
    sku_id: strawberry.ID
    product_id: strawberry.ID
    product_name: str
    spec: str
    image_url: str | None
    group_price: Money
    price: Money = strawberry.field(description="The regular price, for comparison.")
    original_price: Money


@strawberry.type(description="Whether the viewer may join this team (or open one); reason is an error code.")
class ViewerEligibility:
    can_join: bool
    reason: str | None


@strawberry.type(description="Everything the group-buy page shows; all but `viewer` is shared by everyone.")
class GroupBuyPage:
    campaign_id: strawberry.ID
    name: str
    description: str | None
    kind: GroupBuyKind
    status: CampaignStatus
    team_size: int
    ends_at: datetime
    skus: list[GroupBuySkuView]
    team: TeamView | None
    open_teams: list[TeamView] = strawberry.field(description="Teams still forming, soonest to expire first.")
    server_time: datetime = strawberry.field(description="For the countdown: the server's now.")
    share_url: str
    qr_code_url: str
    _viewer: strawberry.Private[ViewerEligibility | None]

    @strawberry.field(description="The signed-in shopper's eligibility (null when anonymous). Never cached.")
    def viewer(self) -> ViewerEligibility | None:
        return self._viewer


def team_view(raw: dict[str, Any], share_url: str, encode: Any) -> TeamView:
    return TeamView(
        id=encode("GroupBuyTeam", raw["id"]),
        status=TeamStatus(raw["status"]),
        team_size=raw["teamSize"],
        member_count=raw["memberCount"],
        slots_left=max(0, raw["teamSize"] - raw["memberCount"]),
        opened_at=datetime.fromisoformat(raw["openedAt"]),
        expires_at=datetime.fromisoformat(raw["expiresAt"]),
        members=[
            TeamMemberView(
                nickname=m["nickname"],
                avatar_url=m["avatarUrl"],
                is_leader=m["isLeader"],
                joined_at=datetime.fromisoformat(m["joinedAt"]),
                paid=m["paid"],
            )
            for m in raw["members"]
        ],
        share_url=share_url,
    )


def sku_view(raw: dict[str, Any], encode: Any) -> GroupBuySkuView:
    return GroupBuySkuView(
        sku_id=encode("Sku", raw["id"]),
        product_id=encode("Product", raw["productId"]),
        product_name=raw["productName"],
        spec=raw["spec"],
        image_url=raw["imageUrl"],
        group_price=money(raw["groupPrice"]),
        price=money(raw["price"]),
        original_price=money(raw["originalPrice"]),
    )


@strawberry.type(description='The next tier, "再买 ¥12 减 ¥20": missing is cents (units for QUANTITY tiers).')
class NextTierHint:
    campaign_id: strawberry.ID
    campaign_name: str
    missing: int
    by_quantity: bool
    reduction: Money
    gift_sku_id: strawberry.ID | None
    text: str


@strawberry.type
class PricedLine:
    sku_id: strawberry.ID
    product_name: str
    spec: str
    quantity: int
    unit_price: Money
    discount: Money
    is_gift: bool


@strawberry.type(description="What the cart would cost now (nothing is reserved).")
class PricePreview:
    lines: list[PricedLine]
    goods_amount: Money
    discount_amount: Money
    delivery_fee: Money
    packaging_fee: Money
    payable_amount: Money
    campaign_id: strawberry.ID | None
    gift_unavailable: bool
    next_tier: NextTierHint | None
    adjustments: list[PriceAdjustment] = strawberry.field(
        description='Why it costs what it costs, layer by layer ("满100减10 −¥10.00").'
    )
    coupon_discount: Money = strawberry.field(description="What the chosen coupons take off (goods + fee).")
    shipping_discount: Money = strawberry.field(
        description="The shipping coupon's part (deliveryFee is after it)."
    )
    best_coupon: Coupon | None = strawberry.field(
        description="The signed-in shopper's goods coupon that saves most on this cart (null: none applies)."
    )
    best_coupon_saving: Money | None
