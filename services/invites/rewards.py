"""邀请有礼: attributing an invitee to an inviter once, and granting rewards exactly once.

* A new customer accepts an invite code once (`accept_invite`): the invite record is unique per
  invitee, so attribution can never move or repeat.
* Rewards are rows owed (PENDING) with a `grant_after`: at once for INVITEE_REGISTERED; for
  FIRST_ORDER_COMPLETED, the end of the first completed order's refund window (no reward farming).
* The sweep grants them: a reward whose triggering order was refunded is VOIDED, the inviter's cap
  is respected, points are added or a coupon minted (unique per reward) — PENDING → GRANTED is a
  conditional update, so two sweepers at once still grant once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from models.after_sales.refund_policy import refund_deadline
from models.campaigns.rows import Campaign, InviteRecord, InviteReward, InviteRule
from models.coupons.rows import CouponLedgerAction, CouponStatus, CustomerCoupon
from models.coupons.rules import CouponIssueCause, CouponThreshold, CouponType
from models.customers.rows import Customer
from models.enums import CampaignType, InviteTrigger, RewardKind, RewardRole, RewardStatus
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.commands import Deps, Result, Work, run_command
from services.coupons import ledger

COUPON_VALIDITY = timedelta(days=30)
NEW_CUSTOMER_GRACE = timedelta(days=7)
"""An invite must be accepted within this long of registering: old customers are not "invited"."""


async def _running_campaign(work: Work) -> tuple[Campaign, InviteRule] | None:
    now = work.now
    row = (
        await work.session.execute(
            select(Campaign, InviteRule)
            .join(InviteRule, InviteRule.campaign_id == Campaign.id)
            .where(
                Campaign.type == CampaignType.INVITE_REWARD,
                Campaign.starts_at <= now,
                Campaign.ends_at > now,
                or_(Campaign.stopped_at.is_(None), Campaign.stopped_at > now),
            )
            .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.INVITE_NOT_ACCEPTED, message, "inviteCode")


async def accept_invite(work: Work, invite_code: str) -> Result:
    """The invitee (a shopper) accepts an invite code right after registering (被邀请人注册)."""
    if work.principal.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a signed-in shopper accepts invites")
    invitee = await work.session.scalar(
        select(Customer).where(Customer.id == work.principal.customer_id).with_for_update()
    )
    inviter = await work.session.scalar(
        select(Customer).where(Customer.invite_code == invite_code.strip().upper())
    )
    if invitee is None or inviter is None:
        raise _refuse("unknown invite code")
    if inviter.id == invitee.id:
        raise _refuse("you cannot invite yourself")
    if invitee.invited_by_id is not None or await work.session.scalar(
        select(InviteRecord.id).where(InviteRecord.invitee_id == invitee.id)
    ):
        raise _refuse("you were already invited")
    if invitee.first_paid_at is not None or work.now - invitee.registered_at > NEW_CUSTOMER_GRACE:
        raise _refuse("invites are for new customers")
    running = await _running_campaign(work)
    if running is None:
        raise _refuse("no invite campaign is running")
    campaign, rule = running
    invitee.invited_by_id = inviter.id
    record = InviteRecord(
        campaign_id=campaign.id, inviter_id=inviter.id, invitee_id=invitee.id, registered_at=work.now
    )
    work.session.add(record)
    await work.session.flush()
    if rule.trigger is InviteTrigger.INVITEE_REGISTERED:
        _owe_rewards(work, record, rule, inviter.id, invitee.id, None, work.now)
    return {"inviteRecordId": record.id, "customerId": invitee.id}


def _owe_rewards(
    work: Work,
    record: InviteRecord,
    rule: InviteRule,
    inviter_id: int,
    invitee_id: int,
    order_id: int | None,
    grant_after: datetime,
) -> None:
    for role, customer_id, kind, value in (
        (RewardRole.INVITER, inviter_id, rule.inviter_reward_kind, rule.inviter_reward_value),
        (RewardRole.INVITEE, invitee_id, rule.invitee_reward_kind, rule.invitee_reward_value),
    ):
        if value > 0:
            work.session.add(
                InviteReward(
                    campaign_id=record.campaign_id,
                    invite_record_id=record.id,
                    customer_id=customer_id,
                    role=role,
                    kind=kind,
                    value=value,
                    status=RewardStatus.PENDING,
                    order_id=order_id,
                    grant_after=grant_after,
                    created_at=work.now,
                )
            )


async def note_first_orders(deps: Deps, now: datetime) -> int:
    """Sweep: for FIRST_ORDER_COMPLETED campaigns, owe rewards once an invitee's first order completes."""

    async def note(work: Work) -> Result:
        pending = (
            await work.session.execute(
                select(InviteRecord, InviteRule)
                .join(InviteRule, InviteRule.campaign_id == InviteRecord.campaign_id)
                .where(
                    InviteRecord.first_order_id.is_(None),
                    InviteRule.trigger == InviteTrigger.FIRST_ORDER_COMPLETED,
                )
                .limit(200)
                .with_for_update(of=InviteRecord, skip_locked=True)
            )
        ).all()
        noted = 0
        rules = work.deps.rules
        for record, rule in pending:
            first = (
                await work.session.execute(
                    select(Order.id, Order.completed_at)
                    .where(Order.customer_id == record.invitee_id, Order.status == OrderStatus.COMPLETED)
                    .order_by(Order.completed_at, Order.id)
                    .limit(1)
                )
            ).first()
            if first is None or first.completed_at is None:
                continue
            record.first_order_id = first.id
            grant_after = refund_deadline(first.completed_at, rules.refund_window.days, rules.zone)
            _owe_rewards(work, record, rule, record.inviter_id, record.invitee_id, first.id, grant_after)
            noted += 1
        return {"noted": noted}

    result = await run_command(deps, SYSTEM_PRINCIPAL, "noteFirstOrders", note, actor=SYSTEM, now=now)
    return int(result["noted"])


async def grant_rewards(deps: Deps, now: datetime, limit: int = 200) -> int:
    """Sweep: grant (or void) the rewards whose time has come; each exactly once."""

    async def grant(work: Work) -> Result:
        due = (
            await work.session.scalars(
                select(InviteReward)
                .where(InviteReward.status == RewardStatus.PENDING, InviteReward.grant_after <= work.now)
                .order_by(InviteReward.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        granted = 0
        for reward in due:
            verdict = await _verdict(work, reward)
            claimed = await work.session.execute(
                update(InviteReward)
                .where(InviteReward.id == reward.id, InviteReward.status == RewardStatus.PENDING)
                .values(status=verdict, granted_at=work.now if verdict is RewardStatus.GRANTED else None)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1 or verdict is not RewardStatus.GRANTED:  # type: ignore[attr-defined]
                continue
            await _pay(work, reward)
            granted += 1
        return {"granted": granted}

    result = await run_command(deps, SYSTEM_PRINCIPAL, "grantRewards", grant, actor=SYSTEM, now=now)
    return int(result["granted"])


async def _verdict(work: Work, reward: InviteReward) -> RewardStatus:
    if reward.order_id is not None:
        order = await work.session.get(Order, reward.order_id)
        if order is None or order.refunded_amount > 0 or order.status is not OrderStatus.COMPLETED:
            return RewardStatus.VOIDED  # refunded inside the window: no reward
    if reward.role is RewardRole.INVITER:
        cap = await work.session.scalar(
            select(InviteRule.cap_per_inviter).where(InviteRule.campaign_id == reward.campaign_id)
        )
        if cap is not None:
            granted = await work.session.scalar(
                select(func.count())
                .select_from(InviteReward)
                .where(
                    InviteReward.campaign_id == reward.campaign_id,
                    InviteReward.customer_id == reward.customer_id,
                    InviteReward.role == RewardRole.INVITER,
                    InviteReward.status == RewardStatus.GRANTED,
                )
            )
            if int(granted or 0) >= cap:
                return RewardStatus.VOIDED
    return RewardStatus.GRANTED


async def _pay(work: Work, reward: InviteReward) -> None:
    if reward.kind is RewardKind.POINTS:
        await work.session.execute(
            update(Customer)
            .where(Customer.id == reward.customer_id)
            .values(points=Customer.points + reward.value)
        )
        return
    coupon = CustomerCoupon(
        code=ledger.new_code(),
        customer_id=reward.customer_id,
        type=CouponType.CAMPAIGN,
        amount=reward.value,
        threshold_kind=CouponThreshold.AMOUNT,
        min_spend=0,
        title="邀请有礼优惠券",
        campaign_id=reward.campaign_id,
        invite_reward_id=reward.id,
        issue_cause=CouponIssueCause.INVITE,
        status=CouponStatus.UNUSED,
        issued_at=work.now,
        expires_at=work.now + COUPON_VALIDITY,
    )
    work.session.add(coupon)
    await work.session.flush()
    ledger.record(work, coupon, CouponLedgerAction.ISSUED, note=f"邀请有礼 reward {reward.id}")
