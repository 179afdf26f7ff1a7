"""The public group-buy page of the mini-program: a shared part cached for everyone, a viewer part never.

The shared part (campaign, SKUs with group and regular prices, the team and its masked members, or
the teams still forming) is the same for every viewer, so it is cached as JSON and served without
SQL; the statuses that depend on the clock are derived when rendering, never cached. Whether *this*
viewer may join is computed per request from their own rows and is never cached across viewers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import (
    Campaign,
    GroupBuyRule,
    GroupBuySku,
    GroupBuyTeam,
    GroupBuyTeamMember,
    campaign_status,
)
from models.campaigns.rules import Joiner, TeamView, check_can_join, check_can_open, mask_nickname
from models.catalog.rows import Product, Sku
from models.customers.rows import Customer
from models.enums import CampaignType, GroupBuyKind, TeamStatus
from models.errors import DomainError
from models.principals import Principal
from services.commands import Deps
from services.group_buy.cache import campaign_version, page_key

OPEN_TEAMS_SHOWN = 10


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _team(team: GroupBuyTeam, members: list[tuple[GroupBuyTeamMember, Customer]]) -> dict[str, Any]:
    return {
        "id": team.id,
        "status": team.status.value,
        "teamSize": team.team_size,
        "memberCount": team.member_count,
        "paidCount": team.paid_count,
        "openedAt": _iso(team.opened_at),
        "expiresAt": _iso(team.expires_at),
        "members": [
            {
                "nickname": mask_nickname(customer.nickname),
                "avatarUrl": customer.avatar_url,
                "isLeader": member.is_leader,
                "joinedAt": _iso(member.joined_at),
                "paid": member.paid_at is not None,
            }
            for member, customer in members
        ],
    }


async def _members(
    session: AsyncSession, team_ids: list[int]
) -> dict[int, list[tuple[GroupBuyTeamMember, Customer]]]:
    rows = (
        await session.execute(
            select(GroupBuyTeamMember, Customer)
            .join(Customer, Customer.id == GroupBuyTeamMember.customer_id)
            .where(GroupBuyTeamMember.team_id.in_(team_ids))
            .order_by(GroupBuyTeamMember.joined_at, GroupBuyTeamMember.id)
        )
    ).all()
    out: dict[int, list[tuple[GroupBuyTeamMember, Customer]]] = {t: [] for t in team_ids}
    for member, customer in rows:
        out[member.team_id].append((member, customer))
    return out


async def build_shared(
    session: AsyncSession, campaign_id: int, team_id: int | None, now: datetime
) -> dict[str, Any] | None:
    found = (
        await session.execute(
            select(Campaign, GroupBuyRule)
            .join(GroupBuyRule, GroupBuyRule.campaign_id == Campaign.id)
            .where(Campaign.id == campaign_id, Campaign.type == CampaignType.GROUP_BUY)
        )
    ).one_or_none()
    if found is None:
        return None
    campaign, rule = found
    skus = (
        await session.execute(
            select(GroupBuySku, Sku, Product)
            .join(Sku, Sku.id == GroupBuySku.sku_id)
            .join(Product, Product.id == Sku.product_id)
            .where(GroupBuySku.campaign_id == campaign.id)
            .order_by(Sku.id)
        )
    ).all()
    page: dict[str, Any] = {
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "description": campaign.description,
            "kind": rule.kind.value,
            "teamSize": rule.team_size,
            "validityHours": rule.validity_hours,
            "perCustomerLimit": rule.per_customer_limit,
            "startsAt": _iso(campaign.starts_at),
            "endsAt": _iso(campaign.ends_at),
            "stoppedAt": _iso(campaign.stopped_at),
        },
        "skus": [
            {
                "id": sku.id,
                "productId": product.id,
                "productName": product.name,
                "spec": sku.spec,
                "imageUrl": sku.image_url or product.image_url,
                "groupPrice": g.group_price,
                "price": sku.price,
                "originalPrice": sku.original_price,
            }
            for g, sku, product in skus
        ],
        "team": None,
        "openTeams": [],
    }
    if team_id is not None:
        team = await session.get(GroupBuyTeam, team_id)
        if team is None or team.campaign_id != campaign.id:
            return None
        page["team"] = _team(team, (await _members(session, [team.id]))[team.id])
    else:
        forming = (
            await session.scalars(
                select(GroupBuyTeam)
                .where(
                    GroupBuyTeam.campaign_id == campaign.id,
                    GroupBuyTeam.status == TeamStatus.FORMING,
                    GroupBuyTeam.expires_at > now,
                )
                .order_by(GroupBuyTeam.expires_at, GroupBuyTeam.id)
                .limit(OPEN_TEAMS_SHOWN)
            )
        ).all()
        members = await _members(session, [t.id for t in forming])
        page["openTeams"] = [_team(t, members[t.id]) for t in forming]
    return page


async def shared_page(
    deps: Deps, campaign_id: int, team_id: int | None, now: datetime
) -> dict[str, Any] | None:
    """The shared part: from the cache when possible (no SQL), else built and cached."""
    version = await campaign_version(deps.cache, campaign_id)
    key = page_key(campaign_id, team_id, version)
    raw = await deps.cache.get(key)
    if raw is not None:
        cached: dict[str, Any] = orjson.loads(raw)
        return cached
    async with deps.sessions() as session:
        page = await build_shared(session, campaign_id, team_id, now)
    if page is not None and deps.rules.group_buy_page_ttl > 0:
        await deps.cache.set(key, orjson.dumps(page), deps.rules.group_buy_page_ttl)

    return page


def page_campaign_status(page: dict[str, Any], now: datetime) -> Any:
    c = page["campaign"]
    stopped = datetime.fromisoformat(c["stoppedAt"]) if c["stoppedAt"] else None
    return campaign_status(
        datetime.fromisoformat(c["startsAt"]), datetime.fromisoformat(c["endsAt"]), stopped, now
    )


async def viewer_verdict(
    session: AsyncSession, principal: Principal, page: dict[str, Any], now: datetime
) -> tuple[bool, str | None]:
    """May this viewer join the page's team (or open one)? (allowed, reason code). Never cached."""
    if principal.customer_id is None:
        return False, "UNAUTHENTICATED"
    customer = await session.get(Customer, principal.customer_id)
    if customer is None:
        return False, "NOT_FOUND"
    c, team = page["campaign"], page["team"]
    in_campaign = await session.scalar(
        select(func.count())
        .select_from(GroupBuyTeamMember)
        .join(GroupBuyTeam, GroupBuyTeam.id == GroupBuyTeamMember.team_id)
        .where(
            GroupBuyTeam.campaign_id == c["id"],
            GroupBuyTeam.status != TeamStatus.FAILED,
            GroupBuyTeamMember.customer_id == customer.id,
        )
    )
    in_team = team is not None and any(
        m
        for m in await session.scalars(
            select(GroupBuyTeamMember.id).where(
                GroupBuyTeamMember.team_id == team["id"], GroupBuyTeamMember.customer_id == customer.id
            )
        )
    )
    joiner = Joiner(customer.id, customer.first_paid_at is not None, int(in_campaign or 0), in_team)
    status = page_campaign_status(page, now)
    try:
        if team is None:
            check_can_open(status, joiner, c["perCustomerLimit"])
        else:
            view = TeamView(
                TeamStatus(team["status"]),
                team["teamSize"],
                team["memberCount"],
                datetime.fromisoformat(team["expiresAt"]),
            )
            check_can_join(status, GroupBuyKind(c["kind"]), view, joiner, c["perCustomerLimit"], now)
    except DomainError as no:
        return False, no.code.value
    return True, None
