"""拼团: opening and joining teams (each member places a GROUP_BUY order at the group price),
success when the last member pays, failure at expiry with every paid member refunded once.

Slots are taken with a conditional UPDATE on the locked team row (and a CHECK backs it), so N+5
concurrent joins of a team of N produce exactly N members. Teams are always locked before their
orders (see `services.orders.transitions.lock_team_of`), so joins, payments, cancellations and the expiry
sweep never deadlock one another.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from models.campaigns.rows import (
    Campaign,
    CampaignStore,
    GroupBuyRule,
    GroupBuySku,
    GroupBuyTeam,
    GroupBuyTeamMember,
)
from models.campaigns.rules import Joiner, TeamView, check_can_join, check_can_open, team_expires_at
from models.customers.rows import Customer
from models.enums import CampaignType, Fulfillment, OrderType, TeamStatus
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.orders.states import OrderAction, OrderStatus
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.checkout.placing import check_delivery, shopper
from services.checkout.quoting import CartLine, ConsigneeInput, PlaceOrder, quote
from services.commands import Deps, Result, Work, run_command
from services.group_buy.cache import invalidate_team_page
from services.orders.creation import create_order
from services.orders.lifecycle import apply_system_action
from services.orders.transitions import transition_order
from services.stock import reserve_stock


@dataclass(frozen=True, slots=True)
class MemberOrder:
    """What a member buys: one campaign SKU, fulfilled by a store of the campaign (or the HQ warehouse)."""

    sku_id: int
    quantity: int
    store_id: int | None
    fulfillment: Fulfillment
    consignee: ConsigneeInput
    buyer_remark: str | None = None


async def _campaign(work: Work, campaign_id: int) -> tuple[Campaign, GroupBuyRule]:
    found = (
        await work.session.execute(
            select(Campaign, GroupBuyRule)
            .join(GroupBuyRule, GroupBuyRule.campaign_id == Campaign.id)
            .where(Campaign.id == campaign_id, Campaign.type == CampaignType.GROUP_BUY)
        )
    ).one_or_none()
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "group-buy campaign not found", "campaignId")
    return found[0], found[1]


async def _joiner(work: Work, customer: Customer, campaign_id: int, team_id: int | None) -> Joiner:
    in_campaign = await work.session.scalar(
        select(func.count())
        .select_from(GroupBuyTeamMember)
        .join(GroupBuyTeam, GroupBuyTeam.id == GroupBuyTeamMember.team_id)
        .where(
            GroupBuyTeam.campaign_id == campaign_id,
            GroupBuyTeam.status != TeamStatus.FAILED,
            GroupBuyTeamMember.customer_id == customer.id,
        )
    )
    in_team = team_id is not None and (
        await work.session.scalar(
            select(GroupBuyTeamMember.id).where(
                GroupBuyTeamMember.team_id == team_id, GroupBuyTeamMember.customer_id == customer.id
            )
        )
        is not None
    )
    return Joiner(customer.id, customer.first_paid_at is not None, int(in_campaign or 0), in_team)


async def _place(
    work: Work, customer: Customer, campaign: Campaign, want: MemberOrder, team_id: int
) -> Order:
    """The member's GROUP_BUY order: store price on the line, the gap to the group price as its discount."""
    group_price = await work.session.scalar(
        select(GroupBuySku.group_price).where(
            GroupBuySku.campaign_id == campaign.id, GroupBuySku.sku_id == want.sku_id
        )
    )
    if group_price is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "that SKU is not part of this group buy", "skuId")
    if want.store_id is not None and not campaign.all_stores:
        scoped = await work.session.get(CampaignStore, (campaign.id, want.store_id))
        if scoped is None:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "that store does not take part in this campaign", "storeId"
            )
    cmd = PlaceOrder(
        store_id=want.store_id,
        fulfillment=want.fulfillment,
        lines=(CartLine(want.sku_id, want.quantity),),
        consignee=want.consignee,
        buyer_remark=want.buyer_remark,
    )
    store_priced = await quote(work.session, cmd, work.now, discounts=[0], zone=work.deps.rules.zone)
    line = store_priced.lines[0]
    discount = max(0, (line.unit_price - group_price) * line.quantity)
    q = dataclasses.replace(
        store_priced, lines=[dataclasses.replace(line, discount=discount)], campaign_id=campaign.id
    )
    check_delivery(q, cmd, work)
    await reserve_stock(work.session, q.store.id if q.store else None, q.stock_items)
    return await create_order(work, cmd, customer, q, order_type=OrderType.GROUP_BUY, team_id=team_id)


async def open_team(work: Work, campaign_id: int, want: MemberOrder) -> Result:
    """A shopper opens a team (开团) and places the leader's order."""
    customer = await shopper(work)
    campaign, rule = await _campaign(work, campaign_id)
    check_can_open(
        campaign.status_at(work.now),
        await _joiner(work, customer, campaign.id, None),
        rule.per_customer_limit,
    )
    team = GroupBuyTeam(
        campaign_id=campaign.id,
        leader_customer_id=customer.id,
        store_id=want.store_id,
        status=TeamStatus.FORMING,
        team_size=rule.team_size,
        member_count=1,
        paid_count=0,
        opened_at=work.now,
        expires_at=team_expires_at(campaign.ends_at, work.now, rule.validity_hours),
    )
    work.session.add(team)
    await work.session.flush()
    order = await _place(work, customer, campaign, want, team.id)
    work.session.add(
        GroupBuyTeamMember(
            team_id=team.id, customer_id=customer.id, order_id=order.id, is_leader=True, joined_at=work.now
        )
    )
    invalidate_team_page(work, campaign.id, team.id)
    return {"orderId": order.id, "teamId": team.id, "campaignId": campaign.id}


async def join_team(work: Work, team_id: int, want: MemberOrder) -> Result:
    """A shopper joins a forming team (参团): one slot, atomically, or TEAM_FULL."""
    customer = await shopper(work)
    team = await work.session.scalar(select(GroupBuyTeam).where(GroupBuyTeam.id == team_id).with_for_update())
    if team is None:
        raise DomainError(ErrorCode.NOT_FOUND, "team not found", "teamId")
    campaign, rule = await _campaign(work, team.campaign_id)
    view = TeamView(team.status, team.team_size, team.member_count, team.expires_at)
    joiner = await _joiner(work, customer, campaign.id, team.id)
    check_can_join(campaign.status_at(work.now), rule.kind, view, joiner, rule.per_customer_limit, work.now)
    taken = await work.session.execute(
        update(GroupBuyTeam)
        .where(
            GroupBuyTeam.id == team.id,
            GroupBuyTeam.status == TeamStatus.FORMING,
            GroupBuyTeam.member_count < GroupBuyTeam.team_size,
        )
        .values(member_count=GroupBuyTeam.member_count + 1, version=GroupBuyTeam.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.TEAM_FULL, "this team is full", "teamId")
    order = await _place(work, customer, campaign, want, team.id)
    work.session.add(
        GroupBuyTeamMember(team_id=team.id, customer_id=customer.id, order_id=order.id, joined_at=work.now)
    )
    invalidate_team_page(work, campaign.id, team.id)
    return {"orderId": order.id, "teamId": team.id, "campaignId": campaign.id}


async def member_paid(work: Work, order: Order) -> None:
    """After a member's PAY_GROUP_BUY: count it; the last payment makes the team (成团)."""
    if order.team_id is None or order.status is not OrderStatus.AWAITING_GROUP:
        return
    team = await work.session.scalar(
        select(GroupBuyTeam).where(GroupBuyTeam.id == order.team_id).with_for_update()
    )
    member = await work.session.scalar(
        select(GroupBuyTeamMember).where(GroupBuyTeamMember.order_id == order.id)
    )
    if team is None or member is None or member.paid_at is not None:
        return
    member.paid_at = work.now
    team.paid_count += 1
    team.version += 1
    invalidate_team_page(work, team.campaign_id, team.id)
    if team.status is not TeamStatus.FORMING or team.paid_count < team.team_size:
        return
    team.status, team.succeeded_at = TeamStatus.SUCCEEDED, work.now
    system = dataclasses.replace(work, actor=SYSTEM)
    member_orders = (
        await work.session.scalars(
            select(Order)
            .join(GroupBuyTeamMember, GroupBuyTeamMember.order_id == Order.id)
            .where(GroupBuyTeamMember.team_id == team.id)
            .order_by(Order.id)
            .with_for_update()
        )
    ).all()
    for member_order in member_orders:
        if member_order.status is OrderStatus.AWAITING_GROUP:
            await transition_order(
                system, member_order, OrderAction.TEAM_SUCCEEDED, payload={"teamId": team.id}
            )


async def expire_team(work: Work, team_id: int) -> bool:
    """Fail a team past its time: every member's order is cancelled, paid ones refunded in full."""
    team = await work.session.scalar(
        select(GroupBuyTeam).where(GroupBuyTeam.id == team_id).with_for_update(skip_locked=True)
    )
    if team is None or team.status is not TeamStatus.FORMING or team.expires_at > work.now:
        return False
    team.status, team.failed_at = TeamStatus.FAILED, work.now
    team.version += 1
    order_ids = (
        await work.session.scalars(
            select(GroupBuyTeamMember.order_id).where(GroupBuyTeamMember.team_id == team.id)
        )
    ).all()
    for order_id in sorted(order_ids):
        await apply_system_action(work, order_id, OrderAction.TEAM_FAILED)
    invalidate_team_page(work, team.campaign_id, team.id)
    return True


async def expire_teams(deps: Deps, now: datetime, limit: int = 200) -> int:
    """Sweep: fail the forming teams whose time is up, each in its own transaction."""
    async with deps.sessions() as session:
        due = (
            await session.scalars(
                select(GroupBuyTeam.id)
                .where(GroupBuyTeam.status == TeamStatus.FORMING, GroupBuyTeam.expires_at <= now)
                .order_by(GroupBuyTeam.expires_at, GroupBuyTeam.id)
                .limit(limit)
            )
        ).all()
    failed = 0
    for team_id in due:

        async def fail(work: Work, team_id: int = team_id) -> Result:
            return {"failed": await expire_team(work, team_id)}

        result = await run_command(deps, SYSTEM_PRINCIPAL, "expireTeam", fail, actor=SYSTEM, now=now)
        failed += bool(result["failed"])
    return failed
