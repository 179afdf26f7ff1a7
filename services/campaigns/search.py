"""The campaign list (营销活动列表): filter by type, derived status, name and time window, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from models.campaigns.rows import Campaign, CampaignStore
from models.enums import CampaignStatus, CampaignType, Role
from models.principals import Principal
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in

CAMPAIGNS_NEWEST_FIRST = Sort(
    "STARTS_AT",
    (SortKey(Campaign.starts_at, True, datetime), SortKey(Campaign.id, True)),
    lambda c: (c.starts_at, c.id),
)


@dataclass(frozen=True, slots=True)
class CampaignCriteria:
    types: tuple[CampaignType, ...] = ()
    statuses: tuple[CampaignStatus, ...] = ()
    name: str | None = None
    active_from: datetime | None = None
    active_to: datetime | None = None
    """Campaigns whose [starts, ends) overlaps [active_from, active_to)."""


def status_condition(status: CampaignStatus, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of `models.campaigns.rows.campaign_status` (a test checks they agree)."""
    stopped = and_(
        Campaign.stopped_at.is_not(None), Campaign.stopped_at < Campaign.ends_at, Campaign.stopped_at <= now
    )
    match status:
        case CampaignStatus.STOPPED:
            return stopped
        case CampaignStatus.NOT_STARTED:
            return and_(~stopped, Campaign.starts_at > now)
        case CampaignStatus.ONGOING:
            return and_(~stopped, Campaign.starts_at <= now, Campaign.ends_at > now)
        case CampaignStatus.ENDED:
            return and_(~stopped, Campaign.ends_at <= now)


def campaign_visibility(principal: Principal) -> ColumnElement[bool]:
    """HQ and analysts see every campaign; staff those open to all stores or to one of theirs."""
    role = require_signed_in(principal)
    if principal.sees_all_stores():
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        mine = select(CampaignStore.campaign_id).where(
            CampaignStore.store_id.in_(sorted(principal.store_ids))
        )
        return or_(Campaign.all_stores.is_(True), Campaign.id.in_(mine))
    return false()


async def list_campaigns(
    sessions: SessionFactory,
    principal: Principal,
    criteria: CampaignCriteria,
    page: PageRequest,
    now: datetime,
) -> Page[Campaign]:
    stmt = select(Campaign).where(campaign_visibility(principal))
    if criteria.types:
        stmt = stmt.where(Campaign.type.in_(criteria.types))
    if criteria.statuses:
        stmt = stmt.where(or_(*(status_condition(s, now) for s in criteria.statuses)))
    if criteria.name:
        stmt = stmt.where(Campaign.name.contains(criteria.name, autoescape=True))
    if criteria.active_from is not None:
        stmt = stmt.where(Campaign.ends_at > criteria.active_from)
    if criteria.active_to is not None:
        stmt = stmt.where(Campaign.starts_at < criteria.active_to)
    return await paginate(sessions, stmt, CAMPAIGNS_NEWEST_FIRST, page)
