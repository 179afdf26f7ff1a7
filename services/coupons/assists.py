"""助力 (assists): a shopper starts one for an ASSIST rule and shares it; when the rule's N-th other
customer joins in time the starter gets the rule's coupon, exactly once.

Every join locks the assist row first, so concurrent joins queue: helpers are counted one at a
time, the N-th completes the assist and issues (through `issuing.issue_for_cause`, cause = the
assist), later ones get ASSIST_COMPLETED. The unique (assist, helper) row keeps a helper from
counting twice; the CHECK keeps the count within N. An OPEN assist past its end reads EXPIRED at
once, and the sweep writes it EXPIRED with one conditional UPDATE (any number of sweepers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.coupons.issue_rules import (
    SKIP_ERRORS,
    AssistStatus,
    IssueRuleKind,
    check_can_help,
    rule_running,
    skip_reason,
)
from models.coupons.issues import CouponAssist, CouponAssistHelper, CouponIssue, CouponIssueRule
from models.coupons.rows import CouponTemplate, CustomerCoupon
from models.customers.rows import Customer
from models.errors import DomainError, ErrorCode
from services.commands import Result, Work
from services.coupons.claiming import held_of
from services.coupons.issuing import issue_for_cause, locked_template
from services.db import SessionFactory

MAX_LISTED = 50


def _shopper(work: Work) -> int:
    if work.principal.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "sign in as a shopper")
    return work.principal.customer_id


def _open_key(rule_id: int, starter_id: int) -> str:
    return f"{rule_id}:{starter_id}"


def _close(assist: CouponAssist, status: AssistStatus, now: datetime) -> None:
    assist.status, assist.open_key = status, None
    if status is AssistStatus.COMPLETED:
        assist.completed_at = now
    else:
        assist.expired_at = now


async def start(work: Work, rule_id: int) -> Result:
    """Start (发起助力) an assist of a running ASSIST rule; the shopper's open one if they have it."""
    starter_id = _shopper(work)
    rule = await work.session.get(CouponIssueRule, rule_id)
    if rule is None or rule.kind is not IssueRuleKind.ASSIST:
        raise DomainError(ErrorCode.NOT_FOUND, "assist offer not found", "ruleId")
    if not rule_running(rule.starts_at, rule.ends_at, rule.stopped_at, work.now):
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this assist offer is not running", "ruleId")
    # one start at a time per shopper: the open-assist check below cannot race
    await work.session.execute(select(Customer.id).where(Customer.id == starter_id).with_for_update())
    current = await work.session.scalar(
        select(CouponAssist).where(CouponAssist.open_key == _open_key(rule.id, starter_id))
    )
    if current is not None and current.status_at(work.now) is AssistStatus.OPEN:
        return {"assistId": current.id}
    if current is not None:
        _close(current, AssistStatus.EXPIRED, work.now)
        await work.session.flush()
    t = await work.session.get(CouponTemplate, rule.template_id)
    assert t is not None
    assert rule.helpers_needed is not None
    assert rule.assist_hours is not None
    held = await held_of(work.session, t.id, starter_id)
    reason = skip_reason(
        t.stopped_at is not None,
        t.valid_until,
        t.issued_count + t.reserved_count,
        t.total_stock,
        held,
        t.per_customer_limit,
        work.now,
    )
    if reason is not None:
        raise DomainError(
            SKIP_ERRORS[reason], f"this coupon cannot be issued to you ({reason.value})", "ruleId"
        )
    ends = work.now + timedelta(hours=rule.assist_hours)
    assist = CouponAssist(
        rule_id=rule.id,
        starter_id=starter_id,
        status=AssistStatus.OPEN,
        open_key=_open_key(rule.id, starter_id),
        helpers_needed=rule.helpers_needed,
        helper_count=0,
        started_at=work.now,
        expires_at=min(ends, rule.ends_at) if rule.ends_at is not None else ends,
    )
    work.session.add(assist)
    await work.session.flush()
    return {"assistId": assist.id}


async def join(work: Work, assist_id: int) -> Result:
    """Help (助力) someone's assist: counted once; the N-th helper completes it and the starter's
    coupon is issued in the same transaction."""
    helper_id = _shopper(work)
    assist = await work.session.scalar(
        select(CouponAssist).where(CouponAssist.id == assist_id).with_for_update()
    )
    if assist is None:
        raise DomainError(ErrorCode.NOT_FOUND, "assist not found", "assistId")
    helped = await work.session.scalar(
        select(CouponAssistHelper.id).where(
            CouponAssistHelper.assist_id == assist.id, CouponAssistHelper.helper_id == helper_id
        )
    )
    check_can_help(
        assist.status,
        assist.expires_at,
        assist.starter_id,
        helper_id,
        assist.helper_count,
        assist.helpers_needed,
        helped is not None,
        work.now,
    )
    work.session.add(CouponAssistHelper(assist_id=assist.id, helper_id=helper_id, joined_at=work.now))
    assist.helper_count += 1
    if assist.helper_count >= assist.helpers_needed:
        _close(assist, AssistStatus.COMPLETED, work.now)
        rule = await work.session.get(CouponIssueRule, assist.rule_id)
        assert rule is not None
        await issue_for_cause(
            work, rule, await locked_template(work, rule.template_id), assist.id, assist.starter_id
        )
    await work.session.flush()
    return {"assistId": assist.id}


async def expire_assists(sessions: SessionFactory, now: datetime) -> int:
    """Sweep: OPEN assists past their end become EXPIRED (no coupon); each once, whoever sweeps."""
    async with sessions() as session, session.begin():
        done = await session.execute(
            update(CouponAssist)
            .where(CouponAssist.status == AssistStatus.OPEN, CouponAssist.expires_at <= now)
            .values(status=AssistStatus.EXPIRED, open_key=None, expired_at=now)
            .execution_options(synchronize_session=False)
        )
    return int(done.rowcount)  # type: ignore[attr-defined]


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssistView:
    assist: CouponAssist
    rule: CouponIssueRule
    template: CouponTemplate
    issue: CouponIssue | None
    coupon: CustomerCoupon | None
    helpers: Sequence[tuple[CouponAssistHelper, str]]
    """Each helper with their nickname, in joining order."""


async def views(session: AsyncSession, assists: Sequence[CouponAssist]) -> list[AssistView]:
    """The assists with their rule, template, issue outcome, coupon and helpers (a query each kind)."""
    if not assists:
        return []
    ids = [a.id for a in assists]
    rules = {
        r.id: r
        for r in (
            await session.scalars(
                select(CouponIssueRule).where(CouponIssueRule.id.in_({a.rule_id for a in assists}))
            )
        ).all()
    }
    templates = {
        t.id: t
        for t in (
            await session.scalars(
                select(CouponTemplate).where(CouponTemplate.id.in_({r.template_id for r in rules.values()}))
            )
        ).all()
    }
    issues = {
        (i.rule_id, i.cause_id): i
        for i in (
            await session.scalars(
                select(CouponIssue).where(CouponIssue.rule_id.in_(set(rules)), CouponIssue.cause_id.in_(ids))
            )
        ).all()
    }
    coupon_ids = [i.coupon_id for i in issues.values() if i.coupon_id is not None]
    coupons = {
        c.id: c
        for c in (
            await session.scalars(select(CustomerCoupon).where(CustomerCoupon.id.in_(coupon_ids)))
        ).all()
    }
    helpers: dict[int, list[tuple[CouponAssistHelper, str]]] = {i: [] for i in ids}
    for h, nickname in (
        await session.execute(
            select(CouponAssistHelper, Customer.nickname)
            .join(Customer, Customer.id == CouponAssistHelper.helper_id)
            .where(CouponAssistHelper.assist_id.in_(ids))
            .order_by(CouponAssistHelper.joined_at, CouponAssistHelper.id)
        )
    ).all():
        helpers[h.assist_id].append((h, nickname))
    out = []
    for a in assists:
        rule = rules[a.rule_id]
        issue = issues.get((a.rule_id, a.id))
        coupon = coupons.get(issue.coupon_id) if issue and issue.coupon_id else None
        out.append(AssistView(a, rule, templates[rule.template_id], issue, coupon, helpers[a.id]))
    return out


async def mine(session: AsyncSession, customer_id: int) -> list[AssistView]:
    """The shopper's own assists (我的助力), newest first."""
    rows = (
        await session.scalars(
            select(CouponAssist)
            .where(CouponAssist.starter_id == customer_id)
            .order_by(CouponAssist.started_at.desc(), CouponAssist.id.desc())
            .limit(MAX_LISTED)
        )
    ).all()
    return await views(session, rows)


async def one(session: AsyncSession, assist_id: int) -> AssistView | None:
    row = await session.get(CouponAssist, assist_id)
    return (await views(session, [row]))[0] if row else None


async def offers(session: AsyncSession, now: datetime) -> list[tuple[CouponIssueRule, CouponTemplate]]:
    """Running ASSIST rules with their templates: what a shopper may start."""
    rows = (
        await session.execute(
            select(CouponIssueRule, CouponTemplate)
            .join(CouponTemplate, CouponTemplate.id == CouponIssueRule.template_id)
            .where(CouponIssueRule.kind == IssueRuleKind.ASSIST, CouponIssueRule.stopped_at.is_(None))
            .order_by(CouponIssueRule.id.desc())
            .limit(MAX_LISTED)
        )
    ).all()
    return [(r, t) for r, t in rows if rule_running(r.starts_at, r.ends_at, r.stopped_at, now)]
