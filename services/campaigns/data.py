"""Campaign figures: the list view's participants / orders / sales, and the data view of one campaign.

Orders count once paid (and not refunded in full); sales are paid minus refunded. Spend-reward and
group-buy orders carry their campaign; an invite campaign's orders are its invitees' first orders;
an item-level promotion's (单品直降 / 限时抢 / 商品折扣) are the orders with an item-level adjustment of
it, and its discount cost is those adjustments only (a 满减 on the same order is the other's cost); a
单品买赠's are the orders holding its gifts, and its cost is those gifts at their list price.
Order-level discounts (满折, 多买多折, X元Y件) carry their campaign like 满减赠.
Day ranges are business days (the configured time zone), turned into UTC instants before querying.
ROI follows SPEC §5: cost / campaign turnover (lower is better), turnover = goods at original price +
packaging + delivery fee of store deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models.campaigns.rows import FlashSaleTake, GroupBuyTeam, InviteRecord, InviteReward
from models.catalog.rows import Sku
from models.coupons.rows import OrderAdjustment
from models.customers.rows import Customer
from models.enums import Fulfillment, RewardKind, RewardStatus, TeamStatus
from models.orders.rows import Order
from models.pricing.cart import Layer


@dataclass(frozen=True, slots=True)
class CampaignStats:
    participants: int = 0
    orders: int = 0
    sales: int = 0


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    participants: int
    orders: int
    sales: int
    new_customers: int
    discount_cost: int
    reward_cost: int
    reward_points: int
    turnover: int
    teams_opened: int
    teams_succeeded: int
    invites: int
    first_orders: int
    rewards_granted: int

    @property
    def cost(self) -> int:
        return self.discount_cost + self.reward_cost

    @property
    def roi(self) -> float | None:
        return self.cost / self.turnover if self.turnover else None

    @property
    def team_success_rate(self) -> float | None:
        return self.teams_succeeded / self.teams_opened if self.teams_opened else None


def day_bounds(
    start: date | None, end: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, end+1 00:00) of business days, in UTC-comparable instants."""
    lower = datetime.combine(start, time(), tzinfo=zone) if start else None
    upper = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone) if end else None
    return lower, upper


def _within(
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    lower: datetime | None,
    upper: datetime | None,
) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [column.is_not(None)]
    if lower is not None:
        parts.append(column >= lower)
    if upper is not None:
        parts.append(column < upper)
    return and_(*parts)


_PAID_KEPT = and_(Order.paid_at.is_not(None), Order.refunded_amount < Order.paid_amount)


def _item_level(campaign_ids: Sequence[int]) -> ColumnElement[bool]:
    return (OrderAdjustment.layer == Layer.ITEM) & OrderAdjustment.source_id.in_(campaign_ids)


def _gift_takes(campaign_ids: Sequence[int]) -> ColumnElement[bool]:
    """Campaign stock an order still holds: 单品买赠 gifts (and 限时抢 units, priced anyway)."""
    return FlashSaleTake.campaign_id.in_(campaign_ids) & FlashSaleTake.released_at.is_(None)


def _order_membership(campaign_ids: Sequence[int]) -> ColumnElement[bool]:
    """Orders of these campaigns: linked directly, an invitee's first order, priced by it, or
    holding its gifts."""
    first_orders = select(InviteRecord.first_order_id).where(
        InviteRecord.campaign_id.in_(campaign_ids), InviteRecord.first_order_id.is_not(None)
    )
    priced = select(OrderAdjustment.order_id).where(_item_level(campaign_ids))
    gifted = select(FlashSaleTake.order_id).where(_gift_takes(campaign_ids))
    return (
        Order.campaign_id.in_(campaign_ids)
        | Order.id.in_(first_orders)
        | Order.id.in_(priced)
        | Order.id.in_(gifted)
    )


async def list_stats(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, CampaignStats]:
    """Participants, orders and sales for a page of campaigns, in one statement."""
    if not campaign_ids:
        return {}
    owner = func.coalesce(
        Order.campaign_id,
        select(InviteRecord.campaign_id).where(InviteRecord.first_order_id == Order.id).scalar_subquery(),
    )
    rows = (
        await session.execute(
            select(
                owner,
                func.count(distinct(Order.customer_id)),
                func.count(Order.id),
                func.coalesce(func.sum(Order.paid_amount - Order.refunded_amount), 0),
            )
            .where(_order_membership(campaign_ids), _PAID_KEPT)
            .group_by(owner)
        )
    ).all()
    stats = {int(cid): CampaignStats(int(p), int(o), int(s)) for cid, p, o, s in rows if cid is not None}
    priced = (
        select(OrderAdjustment.order_id, OrderAdjustment.source_id)
        .where(_item_level(campaign_ids))
        .union(
            select(FlashSaleTake.order_id, FlashSaleTake.campaign_id.label("source_id")).where(
                _gift_takes(campaign_ids)
            )
        )
        .subquery()
    )
    item_rows = (
        await session.execute(
            select(
                priced.c.source_id,
                func.count(distinct(Order.customer_id)),
                func.count(Order.id),
                func.coalesce(func.sum(Order.paid_amount - Order.refunded_amount), 0),
            )
            .join(Order, Order.id == priced.c.order_id)
            .where(_PAID_KEPT)
            .group_by(priced.c.source_id)
        )
    ).all()
    stats.update({int(cid): CampaignStats(int(p), int(o), int(s)) for cid, p, o, s in item_rows})
    return stats


async def figures(
    session: AsyncSession, campaign_id: int, lower: datetime | None = None, upper: datetime | None = None
) -> CampaignFigures:
    """The data view (活动数据) of one campaign over [lower, upper) (paid time, opening, registration)."""
    in_campaign = and_(_order_membership([campaign_id]), _PAID_KEPT, _within(Order.paid_at, lower, upper))
    turnover = (
        Order.goods_original_amount
        + Order.packaging_fee
        + case((Order.fulfillment == Fulfillment.STORE_DELIVERY, Order.delivery_fee), else_=0)
    )
    first_paid_here = and_(Customer.first_paid_at.is_not(None), Customer.first_paid_at == Order.paid_at)
    # A coupon on a campaign order is the coupon's cost, not the campaign's.
    coupon_part = (
        select(func.coalesce(func.sum(OrderAdjustment.amount), 0))
        .where(OrderAdjustment.order_id == Order.id, OrderAdjustment.layer == Layer.COUPON)
        .scalar_subquery()
    )
    item_part = (
        select(func.coalesce(func.sum(OrderAdjustment.amount), 0))
        .where(OrderAdjustment.order_id == Order.id, _item_level([campaign_id]))
        .scalar_subquery()
    )
    gift_part = (
        select(func.coalesce(func.sum(FlashSaleTake.quantity * Sku.price), 0))
        .join(Sku, Sku.id == FlashSaleTake.sku_id)
        .where(FlashSaleTake.order_id == Order.id, _gift_takes([campaign_id]))
        .scalar_subquery()
    )
    # An item-level promotion's cost is its own adjustments, a 单品买赠's its gifts; any other
    # campaign's is the order's discount less coupons.
    cost = case(
        (item_part > 0, item_part), (gift_part > 0, gift_part), else_=Order.discount_amount - coupon_part
    )
    orders = (
        await session.execute(
            select(
                func.count(distinct(Order.customer_id)),
                func.count(Order.id),
                func.coalesce(func.sum(Order.paid_amount - Order.refunded_amount), 0),
                func.count(distinct(case((first_paid_here, Order.customer_id)))),
                func.coalesce(func.sum(cost), 0),
                func.coalesce(func.sum(turnover), 0),
            )
            .join(Customer, Customer.id == Order.customer_id)
            .where(in_campaign)
        )
    ).one()
    teams = (
        await session.execute(
            select(
                func.count(GroupBuyTeam.id),
                func.count(case((GroupBuyTeam.status == TeamStatus.SUCCEEDED, GroupBuyTeam.id))),
            ).where(GroupBuyTeam.campaign_id == campaign_id, _within(GroupBuyTeam.opened_at, lower, upper))
        )
    ).one()
    invites = (
        await session.execute(
            select(func.count(InviteRecord.id), func.count(InviteRecord.first_order_id)).where(
                InviteRecord.campaign_id == campaign_id, _within(InviteRecord.registered_at, lower, upper)
            )
        )
    ).one()
    granted = and_(InviteReward.campaign_id == campaign_id, InviteReward.status == RewardStatus.GRANTED)
    rewards = (
        await session.execute(
            select(
                func.count(InviteReward.id),
                func.coalesce(
                    func.sum(case((InviteReward.kind == RewardKind.COUPON, InviteReward.value), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(case((InviteReward.kind == RewardKind.POINTS, InviteReward.value), else_=0)), 0
                ),
            ).where(granted, _within(InviteReward.granted_at, lower, upper) if lower or upper else true())
        )
    ).one()
    return CampaignFigures(
        participants=int(orders[0]),
        orders=int(orders[1]),
        sales=int(orders[2]),
        new_customers=int(orders[3]),
        discount_cost=int(orders[4]),
        reward_cost=int(rewards[1]),
        reward_points=int(rewards[2]),
        turnover=int(orders[5]),
        teams_opened=int(teams[0]),
        teams_succeeded=int(teams[1]),
        invites=int(invites[0]),
        first_orders=int(invites[1]),
        rewards_granted=int(rewards[0]),
    )
