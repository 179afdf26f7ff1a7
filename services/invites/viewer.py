"""邀请有礼, the inviter's side (我的邀请): my invitees, my rewards and the summary of both.

Every function takes the inviter's own customer id (the resolver passes the signed-in shopper's;
nobody else's), so a shopper can only ever read their own invites. Reads only: attribution and
grants stay in services/invites/rewards.py. An invitee's state comes from `models.invite_states`, the one
place that rule lives; the summary applies the same rule to every record of the inviter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from models.campaigns.rows import InviteRecord, InviteReward
from models.customers.rows import Customer
from models.enums import RewardKind, RewardStatus
from models.errors import DomainError, ErrorCode
from models.invite_states import InviteeState, RewardFact, invitee_standing
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate

INVITEES_NEWEST_FIRST = Sort(
    "INVITED_AT",
    (SortKey(InviteRecord.registered_at, True, datetime), SortKey(InviteRecord.id, True)),
    lambda r: (r.registered_at, r.id),
)
MAX_REWARDS = 100


@dataclass(slots=True)
class InviteSummary:
    """Invitees by state (`invited` is their sum) and what invites granted me."""

    by_state: dict[InviteeState, int] = field(default_factory=dict)
    points: int = 0
    """Points granted to me by 邀请有礼 (as inviter or as invitee); already in my balance."""
    coupons: int = 0
    """Coupons granted to me by 邀请有礼."""

    @property
    def invited(self) -> int:
        return sum(self.by_state.values())


async def invitee_page(sessions: SessionFactory, inviter_id: int, request: PageRequest) -> Page[InviteRecord]:
    """The inviter's invite records (one per invitee), newest first; invitees and rewards come by loaders."""
    base = select(InviteRecord).where(InviteRecord.inviter_id == inviter_id)
    return await paginate(sessions, base, INVITEES_NEWEST_FIRST, request)


async def my_rewards(sessions: SessionFactory, customer_id: int, first: int) -> list[InviteReward]:
    """Rewards owed to me (as inviter or invitee), newest first; `first` is 0 to MAX_REWARDS."""
    if not 0 <= first <= MAX_REWARDS:
        code = ErrorCode.PAGE_SIZE_EXCEEDED if first > MAX_REWARDS else ErrorCode.BAD_USER_INPUT
        raise DomainError(code, f"first must be 0 to {MAX_REWARDS}", "first")
    async with sessions() as session:
        rows = await session.scalars(
            select(InviteReward)
            .where(InviteReward.customer_id == customer_id)
            .order_by(InviteReward.created_at.desc(), InviteReward.id.desc())
            .limit(first)
        )
        return list(rows.all())


async def invite_summary(sessions: SessionFactory, inviter_id: int) -> InviteSummary:
    """Two statements: every record's facts (for the state rule) and my granted rewards by kind."""
    facts = (
        select(
            InviteRecord.id,
            Customer.first_paid_at,
            InviteReward.role,
            InviteReward.status,
            InviteReward.granted_at,
        )
        .join(Customer, Customer.id == InviteRecord.invitee_id)
        .outerjoin(InviteReward, InviteReward.invite_record_id == InviteRecord.id)
        .where(InviteRecord.inviter_id == inviter_id)
    )
    granted = (
        select(InviteReward.kind, func.count(), func.coalesce(func.sum(InviteReward.value), 0))
        .where(InviteReward.customer_id == inviter_id, InviteReward.status == RewardStatus.GRANTED)
        .group_by(InviteReward.kind)
    )
    async with sessions() as session:
        rows = (await session.execute(facts)).all()
        totals = (await session.execute(granted)).all()
    paid: dict[int, datetime | None] = {}
    rewards: defaultdict[int, list[RewardFact]] = defaultdict(list)
    for record_id, first_paid_at, role, status, granted_at in rows:
        paid[record_id] = first_paid_at
        if role is not None:
            rewards[record_id].append(RewardFact(role, status, granted_at))
    summary = InviteSummary()
    for record_id, first_paid_at in paid.items():
        state = invitee_standing(first_paid_at, rewards[record_id]).state
        summary.by_state[state] = summary.by_state.get(state, 0) + 1
    for kind, count, value in totals:
        if kind is RewardKind.POINTS:
            summary.points = int(value)
        else:
            summary.coupons = int(count)
    return summary
