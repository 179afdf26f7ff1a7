"""Invite records and rewards (邀请有礼), written after the orders they depend on.

An invited customer registered while an invite campaign ran gets a record (once per invitee).
Rewards follow the campaign's trigger: at registration, or when the invitee's first paid order
completes; the latter wait out the refund window (grant_after) and are voided when that order
was refunded inside it — exactly the rule the reward sweep applies.
"""

from __future__ import annotations

import random

from bench.generator.common import REFUND_WINDOW, Batch, Ids, between, dt, dt_opt
from bench.generator.world import CustomerInfo, InviteCampaign, World
from models.coupons.rows import CouponStatus
from models.coupons.rules import CouponIssueCause, CouponRestorePolicy, CouponThreshold, CouponType
from models.enums import InviteTrigger, RewardKind, RewardRole, RewardStatus
from models.orders.states import OrderStatus

_GRANTED = RewardStatus.GRANTED.value
_PENDING = RewardStatus.PENDING.value
_VOIDED = RewardStatus.VOIDED.value
COUPON_DAYS = 30


def build_invites(rng: random.Random, ids: Ids, world: World) -> Batch:
    batch = Batch()
    granted_per_inviter: dict[tuple[int, int], int] = {}
    for invitee in world.customers:
        if invitee.invited_by is None:
            continue
        campaign = next((c for c in world.invite if c.active_at(invitee.registered)), None)
        if campaign is None:
            continue
        first = invitee.first_order
        record_id = ids.next("invite_records")
        batch.add(
            "invite_records",
            (
                record_id,
                campaign.id,
                invitee.invited_by,
                invitee.id,
                dt(invitee.registered),
                first.order_id if first is not None else None,
            ),
        )
        reward = _reward_state(rng, campaign, invitee, world.now)
        if reward is None:
            continue
        created, grant_after, status, granted, order_id = reward
        key = (campaign.id, invitee.invited_by)
        for role, customer_id, kind, value in (
            (RewardRole.INVITER, invitee.invited_by, campaign.inviter_kind, campaign.inviter_value),
            (RewardRole.INVITEE, invitee.id, campaign.invitee_kind, campaign.invitee_value),
        ):
            row_status, row_granted = status, granted
            if role is RewardRole.INVITER and status != _VOIDED:
                count = granted_per_inviter.get(key, 0)
                if campaign.cap is not None and count >= campaign.cap:
                    row_status, row_granted = _VOIDED, None
                else:
                    granted_per_inviter[key] = count + 1
            reward_id = ids.next("invite_rewards")
            batch.add(
                "invite_rewards",
                (
                    reward_id,
                    campaign.id,
                    record_id,
                    customer_id,
                    role.value,
                    kind.value,
                    value,
                    row_status,
                    order_id,
                    dt(grant_after),
                    dt_opt(row_granted),
                    dt(created),
                ),
            )
            if row_status == _GRANTED and row_granted is not None and kind is RewardKind.COUPON:
                _coupon(batch, ids, reward_id, campaign.id, customer_id, value, row_granted, world.now)
    return batch


def _coupon(
    batch: Batch,
    ids: Ids,
    reward_id: int,
    campaign_id: int,
    customer_id: int,
    value: int,
    granted: float,
    now: float,
) -> None:
    """The coupon a granted COUPON reward minted (as `services.invites.rewards` does), expired after 30
    days."""
    expires = granted + COUPON_DAYS * 86_400
    coupon_id = ids.next("customer_coupons")
    batch.add(
        "customer_coupons",
        (
            coupon_id,
            customer_id,
            value,
            0,
            "邀请有礼优惠券",
            campaign_id,
            reward_id,
            CouponStatus.EXPIRED.value if expires <= now else CouponStatus.UNUSED.value,
            dt(granted),
            dt(expires),
            None,
            f"INV{coupon_id}",
            None,
            CouponType.CAMPAIGN.value,
            None,
            None,
            CouponThreshold.AMOUNT.value,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            CouponIssueCause.INVITE.value,
            CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION.value,
            None,
        ),
    )


def _reward_state(
    rng: random.Random, campaign: InviteCampaign, invitee: CustomerInfo, now: float
) -> tuple[float, float, str, float | None, int | None] | None:
    """(created, grant_after, status, granted_at, order id) of the pair of rewards, or None yet."""
    if campaign.trigger is InviteTrigger.INVITEE_REGISTERED:
        at = invitee.registered
        return at, at, _GRANTED, min(now, at + between(rng, 5, 120)), None
    first = invitee.first_order
    if first is None or first.status != OrderStatus.COMPLETED.value or first.completed is None:
        return None
    grant_after = first.completed + REFUND_WINDOW
    if first.refunded is not None and first.refunded <= grant_after:
        return first.completed, grant_after, _VOIDED, None, first.order_id
    if grant_after <= now:
        return (
            first.completed,
            grant_after,
            _GRANTED,
            min(now, grant_after + between(rng, 60, 3600)),
            first.order_id,
        )
    return first.completed, grant_after, _PENDING, None, first.order_id
