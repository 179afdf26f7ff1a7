"""Where a campaign applies: its store scope and, for an opt-in (报名制) campaign, the stores that
opted in. One rule for every campaign type priced at checkout.

A store's opt-in is one row per (campaign, store): opting in sets `opted_in_at` and clears
`opted_out_at`; opting out sets `opted_out_at`. The store takes part while `opted_out_at` is null.
Orders are priced when placed, so opting out of a running campaign changes new orders only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, String, and_, exists, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime
from models.campaigns.rows import Campaign, CampaignStore
from models.enums import CampaignStatus, CampaignType
from models.errors import DomainError, ErrorCode

OPT_IN_TYPES = frozenset(
    {
        CampaignType.PRICE_CUT,
        CampaignType.FLASH_SALE,
        CampaignType.PRODUCT_DISCOUNT,
        CampaignType.SPEND_REWARD,
        CampaignType.ORDER_DISCOUNT,
        CampaignType.MULTI_BUY_DISCOUNT,
        CampaignType.BUNDLE_PRICE,
        CampaignType.BUY_GIFT,
    }
)
"""The campaign types priced at checkout, the ones HQ may run as opt-in."""


class CampaignOptIn(Base):
    __tablename__ = "campaign_opt_ins"

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id"), primary_key=True, index=True)
    opted_in_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    changed_by: Mapped[str | None] = mapped_column(String(64))


def applies_at_store(
    store_id: int | None, all_stores: bool, in_scope: bool, opt_in: bool, opted_in: bool
) -> bool:
    """Does a campaign apply to an order of this store? `in_scope`: the store is listed in the
    campaign's stores; `opted_in`: the store has opted in and not out. An order without a store
    (HQ) takes only campaigns of every store that need no opt-in."""
    if store_id is None:
        return all_stores and not opt_in
    return (all_stores or in_scope) and (not opt_in or opted_in)


def applies_at_store_clause(store_id: int | None) -> ColumnElement[bool]:
    """`applies_at_store` as a SQL condition on `Campaign`, for the queries that load campaigns."""
    if store_id is None:
        return and_(Campaign.all_stores.is_(True), Campaign.opt_in.is_(False))
    in_scope = exists().where(CampaignStore.campaign_id == Campaign.id, CampaignStore.store_id == store_id)
    opted_in = Campaign.id.in_(
        select(CampaignOptIn.campaign_id).where(
            CampaignOptIn.store_id == store_id, CampaignOptIn.opted_out_at.is_(None)
        )
    )
    return and_(
        or_(Campaign.all_stores.is_(True), in_scope),
        or_(Campaign.opt_in.is_(False), opted_in),
    )


def check_can_opt(campaign_type: CampaignType, opt_in: bool, status: CampaignStatus, in_scope: bool) -> None:
    """Why a store may not opt in to (or out of) this campaign now (raises)."""
    if not opt_in or campaign_type not in OPT_IN_TYPES:
        raise DomainError(ErrorCode.CAMPAIGN_NOT_OPT_IN, "this campaign is not open to opt-in", "campaignId")
    if status in (CampaignStatus.ENDED, CampaignStatus.STOPPED):
        raise DomainError(ErrorCode.CAMPAIGN_ENDED, f"the campaign is {status.value}", "campaignId")
    if not in_scope:
        raise DomainError(
            ErrorCode.STORE_NOT_IN_CAMPAIGN, "the campaign is not open to this store", "storeId"
        )


def check_opt_in_setting(campaign_type: CampaignType, opt_in: bool, by_hq: bool) -> None:
    """An opt-in campaign is HQ's, of a type priced at checkout."""
    if not opt_in:
        return
    if not by_hq:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ runs opt-in campaigns", "optIn")
    if campaign_type not in OPT_IN_TYPES:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"a {campaign_type.value} campaign cannot be opt-in", "optIn"
        )
