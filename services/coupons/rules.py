"""返券 rules in the back office: create, update, stop, list, and each rule's counts.

HQ manages every rule. Store staff manage rules whose template is a 商家券 (STORE) of their own
stores, and their order / review rules must be scoped to their own stores. Once a rule has
handled a cause its kind and template are fixed (COUPON_NOT_EDITABLE); the rest (name, window,
scope, thresholds, assist settings) may change and applies to causes from then on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import Campaign
from models.coupons.issue_rules import (
    AssistStatus,
    InviteRole,
    IssueOutcome,
    IssueRuleKind,
    RuleShape,
    SkipReason,
    validate_rule,
)
from models.coupons.issues import CouponAssist, CouponIssue, CouponIssueRule
from models.coupons.rows import CouponTemplate
from models.coupons.rules import CouponType
from models.enums import ActorType, CampaignType, OrderChannel
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Result, Work
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in

RULES_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(CouponIssueRule.created_at, True, datetime), SortKey(CouponIssueRule.id, True)),
    lambda r: (r.created_at, r.id),
)
_STORE_SCOPED = frozenset({IssueRuleKind.ON_ORDER_COMPLETED, IssueRuleKind.ON_GOOD_REVIEW})


@dataclass(frozen=True, slots=True)
class RuleDraft:
    name: str
    kind: IssueRuleKind
    template_id: int
    starts_at: datetime | None = None
    """None: now."""
    ends_at: datetime | None = None
    store_ids: tuple[int, ...] | None = None
    channels: tuple[OrderChannel, ...] | None = None
    min_paid: int | None = None
    min_rating: int | None = None
    invite_role: InviteRole | None = None
    invite_campaign_id: int | None = None
    helpers_needed: int | None = None
    assist_hours: int | None = None

    def shape(self, now: datetime) -> RuleShape:
        return RuleShape(
            kind=self.kind,
            starts_at=self.starts_at or now,
            ends_at=self.ends_at,
            store_ids=None if self.store_ids is None else frozenset(self.store_ids),
            channels=None if self.channels is None else frozenset(c.value for c in self.channels),
            min_paid=self.min_paid,
            min_rating=self.min_rating,
            invite_role=self.invite_role,
            invite_campaign_id=self.invite_campaign_id,
            helpers_needed=self.helpers_needed,
            assist_hours=self.assist_hours,
        )


def _under_rule(error: DomainError) -> DomainError:
    """Settings errors name their field inside the `rule` input (`rule.minRating`)."""
    if error.field and error.field != "ruleId":
        error.field = f"rule.{error.field}"
    return error


async def _check(work: Work, d: RuleDraft) -> RuleDraft:
    name = d.name.strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "name is required (at most 64 characters)", "name")
    validate_rule(d.shape(work.now))
    t = await work.session.get(CouponTemplate, d.template_id)
    if t is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon template not found", "templateId")
    if t.stopped_at is not None:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "the template is stopped", "templateId")
    if d.store_ids:
        found = set(
            (await work.session.scalars(select(Store.id).where(Store.id.in_(set(d.store_ids))))).all()
        )
        if missing := sorted(set(d.store_ids) - found):
            raise DomainError(ErrorCode.NOT_FOUND, f"unknown ids {missing}", "storeIds")
    if d.invite_campaign_id is not None:
        kind = await work.session.scalar(select(Campaign.type).where(Campaign.id == d.invite_campaign_id))
        if kind is not CampaignType.INVITE_REWARD:
            raise DomainError(ErrorCode.NOT_FOUND, "no such invite campaign", "inviteCampaignId")
    if work.actor.type is ActorType.STAFF:
        mine = work.principal.store_ids
        if t.type is not CouponType.STORE or not set(t.store_ids or ()) <= mine:
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "store staff issue store coupons (商家券) of their own stores only",
                "templateId",
            )
        if d.kind in _STORE_SCOPED and not (d.store_ids and set(d.store_ids) <= mine):
            raise DomainError(ErrorCode.FORBIDDEN, "scope the rule to your own stores", "storeIds")
    return dataclasses.replace(d, name=name, starts_at=d.starts_at or work.now)


def _apply(row: CouponIssueRule, d: RuleDraft, now: datetime) -> None:
    assert d.starts_at is not None
    row.name, row.kind, row.template_id = d.name, d.kind, d.template_id
    row.starts_at, row.ends_at = d.starts_at, d.ends_at
    row.store_ids = None if d.store_ids is None else sorted(set(d.store_ids))
    row.channels = None if d.channels is None else sorted({c.value for c in d.channels})
    row.min_paid, row.min_rating = d.min_paid, d.min_rating
    row.invite_role, row.invite_campaign_id = d.invite_role, d.invite_campaign_id
    row.helpers_needed, row.assist_hours = d.helpers_needed, d.assist_hours
    row.updated_at = now


async def create(work: Work, draft: RuleDraft) -> Result:
    try:
        d = await _check(work, draft)
    except DomainError as error:
        raise _under_rule(error) from None
    row = CouponIssueRule(created_by=(work.principal.subject or "")[:64], created_at=work.now)
    _apply(row, d, work.now)
    work.session.add(row)
    await work.session.flush()
    return {"ruleId": row.id}


async def _locked(work: Work, rule_id: int) -> CouponIssueRule:
    row = await work.session.scalar(
        select(CouponIssueRule).where(CouponIssueRule.id == rule_id).with_for_update()
    )
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon issue rule not found", "ruleId")
    if work.actor.type is ActorType.STAFF:
        t = await work.session.get(CouponTemplate, row.template_id)
        if (
            t is None
            or t.type is not CouponType.STORE
            or not set(t.store_ids or ()) <= work.principal.store_ids
        ):
            raise DomainError(ErrorCode.FORBIDDEN, "not a rule of your stores' coupons", "ruleId")
    return row


async def update(work: Work, rule_id: int, draft: RuleDraft) -> Result:
    """Replace the settings; the kind and, once a cause was handled, the template stay."""
    row = await _locked(work, rule_id)
    if row.stopped_at is not None:
        raise DomainError(ErrorCode.COUPON_NOT_EDITABLE, "the rule is stopped", "ruleId")
    try:
        d = await _check(work, dataclasses.replace(draft, starts_at=draft.starts_at or row.starts_at))
        if d.kind is not row.kind:
            raise DomainError(ErrorCode.COUPON_NOT_EDITABLE, "a rule's kind cannot change", "kind")
        used = await work.session.scalar(select(CouponIssue.id).where(CouponIssue.rule_id == row.id).limit(1))
        if used is not None and d.template_id != row.template_id:
            raise DomainError(
                ErrorCode.COUPON_NOT_EDITABLE, "the template cannot change once the rule issued", "templateId"
            )
    except DomainError as error:
        raise _under_rule(error) from None
    _apply(row, d, work.now)
    return {"ruleId": row.id}


async def stop(work: Work, rule_id: int) -> Result:
    """No more issues for new causes and no new assists; open assists may still complete."""
    row = await _locked(work, rule_id)
    if row.stopped_at is None:
        row.stopped_at = row.updated_at = work.now
    return {"ruleId": row.id}


async def list_rules(
    sessions: SessionFactory, principal: Principal, kinds: Sequence[IssueRuleKind], page: PageRequest
) -> Page[CouponIssueRule]:
    """Newest first, optionally of some kinds."""
    require_signed_in(principal)
    stmt = select(CouponIssueRule)
    if kinds:
        stmt = stmt.where(CouponIssueRule.kind.in_(kinds))
    return await paginate(sessions, stmt, RULES_NEWEST_FIRST, page)


@dataclass(frozen=True, slots=True)
class RuleFigures:
    issued: int
    skipped: dict[SkipReason, int]
    assists: dict[AssistStatus, int]
    """ASSIST rules: assists by status (an OPEN one past its end counts as EXPIRED)."""


async def figures(session: AsyncSession, rule_id: int, now: datetime) -> RuleFigures:
    rows = (
        await session.execute(
            select(CouponIssue.outcome, CouponIssue.skip_reason, func.count())
            .where(CouponIssue.rule_id == rule_id)
            .group_by(CouponIssue.outcome, CouponIssue.skip_reason)
        )
    ).all()
    issued = sum(int(n) for outcome, _, n in rows if outcome is IssueOutcome.ISSUED)
    skipped = {SkipReason(str(r)): int(n) for outcome, r, n in rows if outcome is IssueOutcome.SKIPPED}
    a = CouponAssist
    assists = {
        AssistStatus(str(status)): int(n)
        for status, n in (
            await session.execute(
                select(a.status, func.count()).where(a.rule_id == rule_id).group_by(a.status)
            )
        ).all()
    }
    overdue = int(
        await session.scalar(
            select(func.count()).where(
                a.rule_id == rule_id, a.status == AssistStatus.OPEN, a.expires_at <= now
            )
        )
        or 0
    )
    if overdue:
        assists[AssistStatus.OPEN] -= overdue
        assists[AssistStatus.EXPIRED] = assists.get(AssistStatus.EXPIRED, 0) + overdue
    return RuleFigures(issued, skipped, assists)
