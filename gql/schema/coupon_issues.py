"""GraphQL types of 返券: coupon-issuing rules with their counts, and 助力 assists with progress."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from gql.ids import encode_id
from gql.schema.common import Money, UserError, money
from gql.schema.coupons import Coupon, CouponTemplate
from models.base import utcnow
from models.coupons.issue_rules import AssistStatus, InviteRole, IssueRuleKind, SkipReason, rule_running
from models.coupons.issues import CouponIssueRule as RuleRow
from models.reviews import masked_nickname
from services.coupons import rules
from services.coupons.assists import AssistView


@strawberry.type(description="How many causes a rule skipped for one reason.")
class SkipCount:
    reason: SkipReason
    count: int


@strawberry.type(description="What a 返券 rule did: coupons issued, causes skipped by reason, assists.")
class CouponIssueRuleFigures:
    issued: int
    skipped: int
    skipped_by_reason: list[SkipCount] = strawberry.field(description="Reasons with a count, by reason.")
    assists_open: int
    assists_completed: int
    assists_expired: int = strawberry.field(description="Includes OPEN assists past their end.")


@strawberry.type(
    description="A 返券 rule: which template's coupon is issued on which cause (once per cause)."
)
class CouponIssueRule:
    id: strawberry.ID
    name: str
    kind: IssueRuleKind
    template: CouponTemplate
    starts_at: datetime
    ends_at: datetime | None
    running: bool = strawberry.field(description="Started, not ended, not stopped.")
    store_ids: list[strawberry.ID] | None = strawberry.field(
        description="Order / review rules: null, every store."
    )
    channels: list[str] | None
    min_paid: Money | None = strawberry.field(description="ON_ORDER_COMPLETED: paid, net of refunds.")
    min_rating: int | None
    invite_role: InviteRole | None = strawberry.field(description="ON_INVITE: null, both roles.")
    invite_campaign_id: strawberry.ID | None
    helpers_needed: int | None
    assist_hours: int | None
    stopped_at: datetime | None
    created_at: datetime
    _row_id: strawberry.Private[int]

    @strawberry.field(description="Issued and skipped counts, and assists by status.")
    async def figures(self, info: Info) -> CouponIssueRuleFigures:
        async with info.context.sessions() as session:
            f = await rules.figures(session, self._row_id, utcnow())
        return CouponIssueRuleFigures(
            issued=f.issued,
            skipped=sum(f.skipped.values()),
            skipped_by_reason=[SkipCount(reason=r, count=n) for r, n in sorted(f.skipped.items())],
            assists_open=f.assists.get(AssistStatus.OPEN, 0),
            assists_completed=f.assists.get(AssistStatus.COMPLETED, 0),
            assists_expired=f.assists.get(AssistStatus.EXPIRED, 0),
        )

    @classmethod
    def from_row(cls, row: RuleRow, template: CouponTemplate) -> CouponIssueRule:
        return cls(
            id=strawberry.ID(encode_id("CouponIssueRule", row.id)),
            name=row.name,
            kind=row.kind,
            template=template,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            running=rule_running(row.starts_at, row.ends_at, row.stopped_at, utcnow()),
            store_ids=None
            if row.store_ids is None
            else [strawberry.ID(encode_id("Store", s)) for s in row.store_ids],
            channels=row.channels,
            min_paid=money(row.min_paid) if row.min_paid is not None else None,
            min_rating=row.min_rating,
            invite_role=row.invite_role,
            invite_campaign_id=strawberry.ID(encode_id("Campaign", row.invite_campaign_id))
            if row.invite_campaign_id
            else None,
            helpers_needed=row.helpers_needed,
            assist_hours=row.assist_hours,
            stopped_at=row.stopped_at,
            created_at=row.created_at,
            _row_id=row.id,
        )


@strawberry.type(description="An ASSIST rule a shopper may start (发起助力).")
class AssistOffer:
    rule_id: strawberry.ID
    name: str
    helpers_needed: int
    assist_hours: int
    ends_at: datetime | None
    template: CouponTemplate


@strawberry.type(description="A helper of an assist (nickname masked: 张**).")
class AssistHelper:
    nickname: str
    joined_at: datetime


@strawberry.type(description="助力: a shopper's assist and its progress toward the coupon.")
class Assist:
    id: strawberry.ID
    rule_id: strawberry.ID
    name: str
    status: AssistStatus = strawberry.field(description="An OPEN assist past its end reads EXPIRED.")
    helpers_needed: int
    helper_count: int
    remaining: int = strawberry.field(description="Helpers still needed (0 once COMPLETED).")
    started_at: datetime
    expires_at: datetime
    completed_at: datetime | None
    template: CouponTemplate
    started_by_me: bool
    helped_by_me: bool
    helpers: list[AssistHelper]
    coupon: Coupon | None = strawberry.field(description="The starter's coupon (only the starter sees it).")
    skip_reason: SkipReason | None = strawberry.field(
        description="COMPLETED but no coupon: why (e.g. the stock ran out meanwhile)."
    )

    @classmethod
    def of(cls, v: AssistView, viewer_id: int | None) -> Assist:
        a, now = v.assist, utcnow()
        mine = viewer_id is not None and viewer_id == a.starter_id
        return cls(
            id=strawberry.ID(encode_id("Assist", a.id)),
            rule_id=strawberry.ID(encode_id("CouponIssueRule", a.rule_id)),
            name=v.rule.name,
            status=a.status_at(now),
            helpers_needed=a.helpers_needed,
            helper_count=a.helper_count,
            remaining=a.helpers_needed - a.helper_count,
            started_at=a.started_at,
            expires_at=a.expires_at,
            completed_at=a.completed_at,
            template=CouponTemplate.from_row(v.template),
            started_by_me=mine,
            helped_by_me=viewer_id is not None and any(h.helper_id == viewer_id for h, _ in v.helpers),
            helpers=[AssistHelper(nickname=masked_nickname(n), joined_at=h.joined_at) for h, n in v.helpers],
            coupon=Coupon.from_row(v.coupon, now) if mine and v.coupon else None,
            skip_reason=v.issue.skip_reason if v.issue else None,
        )


@strawberry.type
class CouponIssueRulePayload:
    rule: CouponIssueRule | None
    user_errors: list[UserError]


@strawberry.type
class AssistPayload:
    assist: Assist | None
    user_errors: list[UserError]
