"""返券: issuing a rule's coupon once per cause, and the sweep that finds each rule's new causes.

The once-only guard is the unique (rule, cause) row of `coupon_issues`, written with
INSERT … ON CONFLICT DO NOTHING in the same transaction as the coupon (a conflict rolls the coupon
back). On PostgreSQL the sweep also takes a per-rule advisory lock (a second sweeper skips the
rule this round), so several sweepers share the work instead of queueing on the same causes. The
template row is locked (`FOR UPDATE`) as 领券 locks it: stock and per-customer limits hold across
claims, sweeps and assists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from models.campaigns.rows import InviteReward
from models.coupons.issue_rules import GRACE, IssueOutcome, IssueRuleKind, SkipReason, skip_reason
from models.coupons.issues import CouponIssue, CouponIssueRule
from models.coupons.rows import CouponTemplate
from models.coupons.rules import CouponIssueCause
from models.customers.rows import Customer
from models.enums import RewardRole, RewardStatus
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from models.reviews import Review
from services.commands import Deps, Result, Work, run_command
from services.coupons import ledger
from services.coupons.claiming import held_of
from services.metrics.sql import dialect_of

BATCH = 200
_LOCK_SPACE = 0x5245  # "RE" (返券): the first key of the two-key advisory lock, the rule id the second


class _Taken(Exception):
    """Another transaction handled the cause first: roll this coupon back."""


async def locked_template(work: Work, template_id: int) -> CouponTemplate:
    t = await work.session.scalar(
        select(CouponTemplate).where(CouponTemplate.id == template_id).with_for_update()
    )
    assert t is not None  # a rule's template is never deleted (it has a rule: the FK)
    return t


async def _record(
    work: Work, rule: CouponIssueRule, cause_id: int, customer_id: int, **outcome: object
) -> bool:
    insert = postgresql.insert if dialect_of(work.session) == "postgresql" else sqlite.insert
    stmt = (
        insert(CouponIssue)
        .values(rule_id=rule.id, cause_id=cause_id, customer_id=customer_id, created_at=work.now, **outcome)
        .on_conflict_do_nothing(index_elements=["rule_id", "cause_id"])
        .returning(CouponIssue.id)
    )
    return (await work.session.scalar(stmt)) is not None


async def issue_for_cause(
    work: Work, rule: CouponIssueRule, t: CouponTemplate, cause_id: int, customer_id: int
) -> IssueOutcome | SkipReason | None:
    """Issue `rule`'s coupon for one cause, or record why not; None when the cause was handled before.

    `t` is the rule's template, locked by the caller."""
    held = await held_of(work.session, t.id, customer_id)
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
        done = await _record(
            work, rule, cause_id, customer_id, outcome=IssueOutcome.SKIPPED, skip_reason=reason
        )
        return reason if done else None
    try:
        async with work.session.begin_nested():
            note = f"返券 {rule.kind.value} rule {rule.id} cause {cause_id}"
            cause = CouponIssueCause.ASSIST if rule.kind is IssueRuleKind.ASSIST else CouponIssueCause.RULE
            coupon = await ledger.issue(work, t, customer_id, cause, note=note)
            if not await _record(
                work, rule, cause_id, customer_id, outcome=IssueOutcome.ISSUED, coupon_id=coupon.id
            ):
                raise _Taken
    except _Taken:
        await work.session.refresh(t)
        return None
    return IssueOutcome.ISSUED


def _within(column: SQLColumnExpression[Any], rule: CouponIssueRule) -> ColumnElement[bool]:
    """The cause happened while the rule ran (from its start to its end)."""
    since = column >= rule.starts_at
    return since if rule.ends_at is None else and_(since, column < rule.ends_at)


def causes_of(rule: CouponIssueRule) -> Select[int, int]:
    """(cause id, customer id) of the rule's kind in its window and scope, not yet handled."""
    handled = exists().where(CouponIssue.rule_id == rule.id)
    stmt: Select[int, int]
    if rule.kind is IssueRuleKind.ON_REGISTRATION:
        stmt = select(Customer.id, Customer.id).where(
            _within(Customer.registered_at, rule), ~handled.where(CouponIssue.cause_id == Customer.id)
        )
        return stmt.order_by(Customer.id)
    if rule.kind is IssueRuleKind.ON_INVITE:
        r = InviteReward
        stmt = select(r.id, r.customer_id).where(
            r.status == RewardStatus.GRANTED,
            _within(r.granted_at, rule),
            ~handled.where(CouponIssue.cause_id == r.id),
        )
        if rule.invite_role is not None:
            stmt = stmt.where(r.role == RewardRole(rule.invite_role.value))
        if rule.invite_campaign_id is not None:
            stmt = stmt.where(r.campaign_id == rule.invite_campaign_id)
        return stmt.order_by(r.id)
    if rule.kind is IssueRuleKind.ON_ORDER_COMPLETED:
        stmt = select(Order.id, Order.customer_id).where(
            Order.status == OrderStatus.COMPLETED,
            _within(Order.completed_at, rule),
            Order.paid_amount - Order.refunded_amount >= (rule.min_paid or 0),
            ~handled.where(CouponIssue.cause_id == Order.id),
        )
        if rule.store_ids is not None:
            stmt = stmt.where(Order.store_id.in_(rule.store_ids))
        if rule.channels is not None:
            stmt = stmt.where(Order.channel.in_(rule.channels))
        return stmt.order_by(Order.id)
    if rule.kind is IssueRuleKind.ON_GOOD_REVIEW:
        stmt = select(Review.order_id, func.min(Review.customer_id)).where(
            Review.rating >= (rule.min_rating or 5),
            Review.hidden.is_(False),
            _within(Review.created_at, rule),
            ~handled.where(CouponIssue.cause_id == Review.order_id),
        )
        if rule.store_ids is not None:
            stmt = stmt.where(Review.store_id.in_(rule.store_ids))
        return stmt.group_by(Review.order_id).order_by(Review.order_id)
    raise ValueError(f"{rule.kind.value} rules are run by their assists, not swept")


async def _try_lock(work: Work, rule_id: int) -> bool:
    if dialect_of(work.session) != "postgresql":
        return True  # SQLite runs one write transaction at a time
    return bool(await work.session.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_SPACE, rule_id))))


async def run_rule(work: Work, rule_id: int, limit: int = BATCH) -> Result:
    """One batch of one rule's new causes, in the caller's transaction."""
    if not await _try_lock(work, rule_id):
        return {"issued": 0, "skipped": 0}
    rule = await work.session.get(CouponIssueRule, rule_id)
    if rule is None or rule.stopped_at is not None:
        return {"issued": 0, "skipped": 0}
    causes = (await work.session.execute(causes_of(rule).limit(limit))).all()
    issued = skipped = 0
    if causes:
        t = await locked_template(work, rule.template_id)
        for cause_id, customer_id in causes:
            outcome = await issue_for_cause(work, rule, t, int(cause_id), int(customer_id))
            issued += outcome is IssueOutcome.ISSUED
            skipped += isinstance(outcome, SkipReason)
    return {"issued": issued, "skipped": skipped}


async def swept_rule_ids(deps: Deps, now: datetime) -> Sequence[int]:
    """Rules the sweep runs: started, not stopped, not ended more than GRACE ago; assists aside."""
    async with deps.sessions() as session:
        return (
            await session.scalars(
                select(CouponIssueRule.id)
                .where(
                    CouponIssueRule.kind != IssueRuleKind.ASSIST,
                    CouponIssueRule.stopped_at.is_(None),
                    CouponIssueRule.starts_at <= now,
                    (CouponIssueRule.ends_at.is_(None)) | (CouponIssueRule.ends_at > now - GRACE),
                )
                .order_by(CouponIssueRule.id)
            )
        ).all()


async def issue_by_rules(deps: Deps, now: datetime) -> int:
    """Sweep: each running rule issues for its new causes (a batch per rule per run); coupons issued."""
    issued = 0
    for rule_id in await swept_rule_ids(deps, now):

        async def one(work: Work, rule_id: int = rule_id) -> Result:
            return await run_rule(work, rule_id)

        result = await run_command(deps, SYSTEM_PRINCIPAL, "issueByRule", one, actor=SYSTEM, now=now)
        issued += int(result["issued"])
    return issued
