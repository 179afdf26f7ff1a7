"""Pure campaign rules: 满减赠 tiers, 拼团 eligibility and expiry, campaign validation. No I/O.

Services load rows, turn them into these small values, and ask; the answers carry error codes so
that the API can say exactly why (TEAM_FULL, NOT_NEW_CUSTOMER, ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import CampaignStatus, GroupBuyKind, TeamStatus, ThresholdKind
from models.errors import DomainError, ErrorCode
from models.pricing import allocate

MAX_TIERS = 5


@dataclass(frozen=True, slots=True)
class Tier:
    id: int
    threshold: int
    """Cents of eligible goods (AMOUNT) or units (QUANTITY)."""
    reduction: int
    gift_sku_id: int | None = None
    gift_quantity: int = 0
    percent_off: int = 0
    """满额折扣 / 满件折扣 / 多买多折 tiers: the percentage off instead of `reduction`."""


@dataclass(frozen=True, slots=True)
class TierOutcome:
    reached: Tier | None
    next_tier: Tier | None
    missing: int
    """How much more (cents or units) reaches `next_tier`; 0 when there is none."""


def reached_tier(kind: ThresholdKind, tiers: Sequence[Tier], amount: int, quantity: int) -> TierOutcome:
    """The highest tier the eligible goods reach, and what the next one would take ("再买 ¥12 减 ¥20")."""
    measure = amount if kind is ThresholdKind.AMOUNT else quantity
    ordered = sorted(tiers, key=lambda t: t.threshold)
    reached = None
    for tier in ordered:
        if measure >= tier.threshold:
            reached = tier
    above = [t for t in ordered if t.threshold > measure]
    next_tier = above[0] if above else None
    return TierOutcome(reached, next_tier, next_tier.threshold - measure if next_tier else 0)


def discount_shares(eligible_amounts: Sequence[int], reduction: int) -> list[int]:
    """The reduction spread over the eligible lines pro rata (exact cents, never above a line's amount)."""
    return allocate(min(reduction, sum(eligible_amounts)), list(eligible_amounts))


def validate_tiers(kind: ThresholdKind, tiers: Sequence[Tier]) -> None:
    """Each tier gives something, thresholds are distinct and increasing tiers give at least as much."""
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"give 1 to {MAX_TIERS} tiers", "spendReward.tiers")
    seen: set[int] = set()
    for i, tier in enumerate(sorted(tiers, key=lambda t: t.threshold)):
        field = f"spendReward.tiers.{i}"
        if tier.threshold <= 0:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "threshold must be positive", f"{field}.threshold")
        if tier.threshold in seen:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "two tiers share a threshold", f"{field}.threshold")
        seen.add(tier.threshold)
        if tier.reduction < 0 or (tier.reduction == 0 and tier.gift_sku_id is None):
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "a tier gives a reduction or a gift", f"{field}.reduction"
            )
        if kind is ThresholdKind.AMOUNT and tier.reduction >= tier.threshold:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the reduction must be below the threshold", f"{field}.reduction"
            )
        if tier.gift_sku_id is not None and tier.gift_quantity <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "a gift needs a positive quantity", f"{field}.giftQuantity"
            )
    ordered = sorted(tiers, key=lambda t: t.threshold)
    for lower, higher in itertools.pairwise(ordered):
        if higher.reduction < lower.reduction:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                f"the tier at {higher.threshold} gives less than the one at {lower.threshold}",
                "spendReward.tiers",
            )


def validate_percent_tiers(tiers: Sequence[tuple[int, int]], field: str) -> None:
    """(threshold, percent off) tiers: 1 to MAX_TIERS, thresholds positive and distinct, 1 to 99 %
    off, and a higher threshold never gives less."""
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"give 1 to {MAX_TIERS} tiers", f"{field}.tiers")
    ordered = sorted(tiers)
    for i, (threshold, percent) in enumerate(tiers):
        if threshold <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "threshold must be positive", f"{field}.tiers.{i}.threshold"
            )
        if not 1 <= percent <= 99:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "percentOff is 1 to 99", f"{field}.tiers.{i}.percentOff"
            )
    for (low, low_pct), (high, high_pct) in itertools.pairwise(ordered):
        if low == high:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "two tiers share a threshold", f"{field}.tiers")
        if high_pct < low_pct:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                f"the tier at {high} gives less than the one at {low}",
                f"{field}.tiers",
            )


def validate_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the campaign must end after it starts", "endsAt")


def team_expires_at(campaign_ends_at: datetime, opened_at: datetime, validity_hours: int) -> datetime:
    return min(campaign_ends_at, opened_at + timedelta(hours=validity_hours))


@dataclass(frozen=True, slots=True)
class TeamView:
    status: TeamStatus
    team_size: int
    member_count: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Joiner:
    customer_id: int
    has_paid_order: bool
    """Has the customer ever paid an order (老客)? NEW_USER_LED teams take only new customers."""
    orders_in_campaign: int
    in_team: bool


def check_can_open(campaign_status: CampaignStatus, joiner: Joiner, per_customer_limit: int | None) -> None:
    if campaign_status is not CampaignStatus.ONGOING:
        raise DomainError(
            ErrorCode.CAMPAIGN_NOT_ONGOING, f"the campaign is {campaign_status.value}", "campaignId"
        )
    _check_limit(joiner, per_customer_limit)


def check_can_join(
    campaign_status: CampaignStatus,
    kind: GroupBuyKind,
    team: TeamView,
    joiner: Joiner,
    per_customer_limit: int | None,
    now: datetime,
) -> None:
    """Why this customer may not join this team now (raises), checked in the order a shopper cares."""
    if team.status is not TeamStatus.FORMING or now >= team.expires_at:
        raise DomainError(ErrorCode.TEAM_CLOSED, "this team is no longer forming", "teamId")
    if campaign_status not in (CampaignStatus.ONGOING, CampaignStatus.STOPPED):
        raise DomainError(
            ErrorCode.CAMPAIGN_NOT_ONGOING, f"the campaign is {campaign_status.value}", "teamId"
        )
    if joiner.in_team:
        raise DomainError(ErrorCode.ALREADY_IN_TEAM, "you are already in this team", "teamId")
    if team.member_count >= team.team_size:
        raise DomainError(ErrorCode.TEAM_FULL, "this team is full", "teamId")
    if kind is GroupBuyKind.NEW_USER_LED and joiner.has_paid_order:
        raise DomainError(
            ErrorCode.NOT_NEW_CUSTOMER, "only new customers may join this team (老带新)", "teamId"
        )
    _check_limit(joiner, per_customer_limit)


def _check_limit(joiner: Joiner, per_customer_limit: int | None) -> None:
    if per_customer_limit is not None and joiner.orders_in_campaign >= per_customer_limit:
        raise DomainError(
            ErrorCode.PURCHASE_LIMIT_EXCEEDED,
            f"at most {per_customer_limit} group-buy orders per customer in this campaign",
            "campaignId",
        )


def mask_nickname(nickname: str) -> str:
    """小王 → 小*, 晴天小猪 → 晴**猪: recognisable to friends, not a full name on a public page."""
    if len(nickname) <= 1:
        return "*"
    if len(nickname) == 2:
        return nickname[0] + "*"
    return nickname[0] + "*" * (len(nickname) - 2) + nickname[-1]
