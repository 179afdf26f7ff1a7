"""GraphQL types of 邀请有礼 seen by the inviter (我的邀请): code, share link, QR, invitees, rewards.

An `InviteCenter` is built only for the signed-in shopper and carries only their customer id, so
every field below reads that shopper's own invites. Invitees are other customers: their nickname
and phone are always masked here. Relations (the invitee, a record's rewards, a reward's coupon)
come through the request's loaders, so a page costs the same few statements at any size.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from gql.http.qr import invite_link, invite_qr_path
from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.common import Connection, Money, money
from gql.schema.coupons import Coupon
from models.campaigns.rows import InviteRecord
from models.campaigns.rows import InviteReward as InviteRewardRow
from models.campaigns.rules import mask_nickname
from models.enums import RewardKind, RewardRole, RewardStatus
from models.invite_states import (
    InviteeStanding,
    InviteeState,
    RewardFact,
    RewardReason,
    invitee_standing,
    reward_reason,
)
from models.pii import mask_phone
from services.invites.viewer import MAX_REWARDS, invite_summary, invitee_page, my_rewards
from services.pagination import PageRequest

strawberry.enum(RewardRole, description="INVITER 邀请人, INVITEE 被邀请人.")
strawberry.enum(
    InviteeState,
    description="REGISTERED 已注册, FIRST_ORDER 已下单 (reward not decided yet), REWARDED 已奖励, "
    "VOIDED 奖励作废 (first order refunded, or the inviter's cap reached).",
)
strawberry.enum(
    RewardReason,
    description="Why a reward is owed: FRIEND_REGISTERED / FRIEND_FIRST_ORDER (to the inviter), "
    "INVITED_REGISTERED / INVITED_FIRST_ORDER (to the invitee).",
)


@strawberry.type(description="Someone I invited (被邀请人); nickname and phone masked.")
class Invitee:
    registered_at: datetime = strawberry.field(description="When they registered and accepted my code.")
    _record_id: strawberry.Private[int]
    _invitee_id: strawberry.Private[int]

    async def _row_standing(self, info: Info) -> tuple[datetime | None, InviteeStanding]:
        loaders = info.context.loaders
        customer = await loaders.customer.load(self._invitee_id)
        rewards = await loaders.invite_rewards_by_record.load(self._record_id)
        first_paid_at = customer.first_paid_at if customer is not None else None
        facts = [RewardFact(r.role, r.status, r.granted_at) for r in rewards]
        return first_paid_at, invitee_standing(first_paid_at, facts)

    @strawberry.field(description="Masked (晴**猪).")
    async def nickname(self, info: Info) -> str:
        customer = await info.context.loaders.customer.load(self._invitee_id)
        return mask_nickname(customer.nickname) if customer is not None else "*"

    @strawberry.field(description="Masked (138****1234); null when unknown.")
    async def phone(self, info: Info) -> str | None:
        customer = await info.context.loaders.customer.load(self._invitee_id)
        return mask_phone(customer.phone) if customer is not None and customer.phone else None

    @strawberry.field(description="Derived from their first payment and the rewards of this invite.")
    async def state(self, info: Info) -> InviteeState:
        return (await self._row_standing(info))[1].state

    @strawberry.field(description="Their first paid order (首单); null before it.")
    async def first_order_at(self, info: Info) -> datetime | None:
        return (await self._row_standing(info))[0]

    @strawberry.field(description="When my reward for this invite was granted; null unless REWARDED.")
    async def rewarded_at(self, info: Info) -> datetime | None:
        return (await self._row_standing(info))[1].rewarded_at

    @classmethod
    def from_row(cls, row: InviteRecord) -> Invitee:
        return cls(registered_at=row.registered_at, _record_id=row.id, _invitee_id=row.invitee_id)


@strawberry.type(description="A reward owed to me by 邀请有礼, as inviter or as invitee.")
class InviteReward:
    role: RewardRole
    kind: RewardKind
    status: RewardStatus = strawberry.field(description="PENDING until granted (after any refund window).")
    reason: RewardReason
    points: int | None = strawberry.field(description="POINTS rewards: points added to my balance.")
    coupon_value: Money | None = strawberry.field(description="COUPON rewards: the coupon's face value.")
    granted_at: datetime | None
    created_at: datetime
    _id: strawberry.Private[int]

    @strawberry.field(description="The coupon a granted COUPON reward put in my account.")
    async def coupon(self, info: Info) -> Coupon | None:
        if self.kind is not RewardKind.COUPON or self.status is not RewardStatus.GRANTED:
            return None
        row = await info.context.loaders.coupon_by_invite_reward.load(self._id)
        return Coupon.from_row(row) if row is not None else None

    @classmethod
    def from_row(cls, row: InviteRewardRow) -> InviteReward:
        points = row.kind is RewardKind.POINTS
        return cls(
            role=row.role,
            kind=row.kind,
            status=row.status,
            reason=reward_reason(row.role, row.order_id),
            points=row.value if points else None,
            coupon_value=None if points else money(row.value),
            granted_at=row.granted_at,
            created_at=row.created_at,
            _id=row.id,
        )


@strawberry.type(description="My invitees by state (invited = the sum) and what invites granted me.")
class InviteSummary:
    invited: int
    registered: int = strawberry.field(description="Invitees still without a paid order.")
    ordered: int = strawberry.field(description="Invitees with a first order whose reward is not decided.")
    rewarded: int
    voided: int
    points: int = strawberry.field(description="Points granted to me by invites (already in my balance).")
    coupons: int = strawberry.field(description="Coupons granted to me by invites.")


@strawberry.type(description="我的邀请: my invite code, my share link and QR, my invitees and rewards.")
class InviteCenter:
    code: str = strawberry.field(description="My invite code (邀请码); a new customer enters it once.")
    _customer_id: strawberry.Private[int]

    @strawberry.field(description="My personal share link (per inviter, whatever campaign is running).")
    def share_link(self, info: Info) -> str:
        return invite_link(info.context.settings, self.code)

    @strawberry.field(description="PNG QR code of my share link, relative to the API's origin.")
    def qr_url(self) -> str:
        return invite_qr_path(self.code)

    @strawberry.field(description="The friends I invited, newest first.")
    async def invitees(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Invitee]:
        page = await invitee_page(
            info.context.sessions, self._customer_id, PageRequest(first, after, last, before)
        )
        return Connection[Invitee].of(page, Invitee.from_row)

    @strawberry.field(description=f"My rewards, newest first (at most {MAX_REWARDS}).")
    async def rewards(self, info: Info, first: int = 20) -> list[InviteReward]:
        rows = await my_rewards(info.context.sessions, self._customer_id, first)
        return [InviteReward.from_row(r) for r in rows]

    @strawberry.field(description="Counts by invitee state and what invites granted me.")
    async def summary(self, info: Info) -> InviteSummary:
        s = await invite_summary(info.context.sessions, self._customer_id)
        return InviteSummary(
            invited=s.invited,
            registered=s.by_state.get(InviteeState.REGISTERED, 0),
            ordered=s.by_state.get(InviteeState.FIRST_ORDER, 0),
            rewarded=s.by_state.get(InviteeState.REWARDED, 0),
            voided=s.by_state.get(InviteeState.VOIDED, 0),
            points=s.points,
            coupons=s.coupons,
        )
