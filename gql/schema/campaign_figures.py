"""GraphQL types of campaign figures: the list view's and the data view's (活动数据)."""

from __future__ import annotations

import strawberry

from gql.schema.common import Money


@strawberry.type(
    description="The list view's figures: customers, paid orders and sales kept (paid − refunded)."
)
class CampaignStats:
    participants: int
    orders: int
    sales: Money


@strawberry.type(description="活动数据 of one campaign over a range of business days (all of it by default).")
class CampaignData:
    participants: int = strawberry.field(
        description="Customers with a paid campaign order not refunded in full."
    )
    orders: int
    sales: Money = strawberry.field(description="Paid minus refunded.")
    new_customers: int = strawberry.field(
        description="Customers whose first paid order was a campaign order."
    )
    discount_cost: Money = strawberry.field(description="Reductions and group-price differences given.")
    reward_cost: Money = strawberry.field(description="Coupons granted by 邀请有礼.")
    reward_points: int
    cost: Money
    turnover: Money = strawberry.field(
        description="Goods at original price + packaging + store-delivery fees."
    )
    roi: float | None = strawberry.field(
        description="cost / turnover (lower is better); null without turnover."
    )
    teams_opened: int
    teams_succeeded: int
    team_success_rate: float | None
    invites: int = strawberry.field(description="Invitees attributed (邀请人数).")
    first_orders: int = strawberry.field(description="Invitees whose first order completed.")
    rewards_granted: int
