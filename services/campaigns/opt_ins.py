"""Store opt-in (报名) to HQ's opt-in campaigns: the invitations a store sees, opting in and out.

Staff act for their own stores only (FORBIDDEN otherwise), HQ for any. A store opts in or out
until the campaign ends or is stopped; each is one upsert of the (campaign, store) row, so
concurrent requests leave exactly one row. Opting in again while in keeps the first time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import UtcDateTime
from models.campaigns.rows import Campaign, CampaignStore
from models.campaigns.scope import OPT_IN_TYPES, CampaignOptIn, check_can_opt
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Result, Work
from services.metrics.sql import dialect_of

MAX_INVITATIONS = 200


def check_own_store(principal: Principal, store_id: int) -> None:
    if not principal.sees_all_stores() and store_id not in principal.store_ids:
        raise DomainError(ErrorCode.FORBIDDEN, "only your own stores", "storeId")


def _in_scope(store_id: int) -> Any:
    return or_(
        Campaign.all_stores.is_(True),
        exists().where(CampaignStore.campaign_id == Campaign.id, CampaignStore.store_id == store_id),
    )


async def _open_campaign(work: Work, campaign_id: int, store_id: int) -> Campaign:
    """The campaign, locked against a concurrent stop (shared lock), once the store may opt."""
    check_own_store(work.principal, store_id)
    if await work.session.get(Store, store_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    campaign = await work.session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update(read=True)
    )
    if campaign is None:
        raise DomainError(ErrorCode.NOT_FOUND, "campaign not found", "campaignId")
    in_scope = bool(await work.session.scalar(select(_in_scope(store_id)).where(Campaign.id == campaign_id)))
    check_can_opt(campaign.type, campaign.opt_in, campaign.status_at(work.now), in_scope)
    return campaign


async def opt_in(work: Work, campaign_id: int, store_id: int) -> Result:
    await _open_campaign(work, campaign_id, store_id)
    insert = postgresql.insert if dialect_of(work.session) == "postgresql" else sqlite.insert
    stmt = insert(CampaignOptIn).values(
        campaign_id=campaign_id, store_id=store_id, opted_in_at=work.now, changed_by=work.actor.id
    )
    await work.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["campaign_id", "store_id"],
            set_={"opted_in_at": work.now, "opted_out_at": None, "changed_by": work.actor.id},
            where=CampaignOptIn.opted_out_at.is_not(None),
        )
    )
    return {"campaignId": campaign_id, "storeId": store_id}


async def opt_out(work: Work, campaign_id: int, store_id: int) -> Result:
    """Stops the campaign applying at the store to orders placed from now on (none if not in).

    Requests take their clock when they start, so an opt-in that started later may commit first;
    the opt-out time is then its opt-in time, never before it.
    """
    await _open_campaign(work, campaign_id, store_id)
    now = literal(work.now, UtcDateTime())
    await work.session.execute(
        update(CampaignOptIn)
        .where(
            CampaignOptIn.campaign_id == campaign_id,
            CampaignOptIn.store_id == store_id,
            CampaignOptIn.opted_out_at.is_(None),
        )
        .values(
            opted_out_at=case((CampaignOptIn.opted_in_at > now, CampaignOptIn.opted_in_at), else_=now),
            changed_by=work.actor.id,
        )
    )
    return {"campaignId": campaign_id, "storeId": store_id}


async def invitations(
    session: AsyncSession, principal: Principal, store_id: int, now: datetime
) -> list[tuple[Campaign, CampaignOptIn | None]]:
    """The opt-in campaigns open to this store (in its scope, not ended or stopped), soonest
    first, each with the store's opt-in row if it has one."""
    check_own_store(principal, store_id)
    rows = (
        await session.execute(
            select(Campaign, CampaignOptIn)
            .outerjoin(
                CampaignOptIn,
                (CampaignOptIn.campaign_id == Campaign.id) & (CampaignOptIn.store_id == store_id),
            )
            .where(
                Campaign.opt_in.is_(True),
                Campaign.type.in_(OPT_IN_TYPES),
                Campaign.ends_at > now,
                or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
                _in_scope(store_id),
            )
            .order_by(Campaign.starts_at, Campaign.id)
            .limit(MAX_INVITATIONS)
        )
    ).all()
    return [(c, o) for c, o in rows]
