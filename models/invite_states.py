"""Where an invitee stands, seen by the inviter (邀请有礼 → 我的邀请): one pure rule, no I/O.

The state is derived, never stored: from the invitee's first payment and the rewards owed for the
invite record. The inviter's own reward decides; when the campaign owed the inviter nothing, the
invitee's reward does. A granted reward wins over everything, a reward counts as voided only when
every reward considered is voided, and otherwise the invitee's first paid order moves them on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.enums import RewardRole, RewardStatus


class InviteeState(StrEnum):
    REGISTERED = "REGISTERED"
    """Accepted the invite at registration; no paid order yet."""
    FIRST_ORDER = "FIRST_ORDER"
    """Paid a first order; the reward is not decided yet (trigger, refund window)."""
    REWARDED = "REWARDED"
    """The reward for this invite was granted."""
    VOIDED = "VOIDED"
    """The reward was voided: the first order was refunded, or the inviter's cap was reached."""


@dataclass(frozen=True, slots=True)
class RewardFact:
    """What the rule reads of one reward row of an invite record."""

    role: RewardRole
    status: RewardStatus
    granted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InviteeStanding:
    state: InviteeState
    rewarded_at: datetime | None
    """When the deciding reward was granted (the earliest, if several); None unless REWARDED."""


def invitee_standing(first_paid_at: datetime | None, rewards: Iterable[RewardFact]) -> InviteeStanding:
    """The invitee's state for the inviter: REWARDED > VOIDED (all voided) > FIRST_ORDER > REGISTERED."""
    facts = list(rewards)
    deciding = [f for f in facts if f.role is RewardRole.INVITER] or facts
    granted = [f.granted_at for f in deciding if f.status is RewardStatus.GRANTED]
    if granted:
        times = [t for t in granted if t is not None]
        return InviteeStanding(InviteeState.REWARDED, min(times) if times else None)
    if deciding and all(f.status is RewardStatus.VOIDED for f in deciding):
        return InviteeStanding(InviteeState.VOIDED, None)
    if first_paid_at is not None:
        return InviteeStanding(InviteeState.FIRST_ORDER, None)
    return InviteeStanding(InviteeState.REGISTERED, None)


class RewardReason(StrEnum):
    FRIEND_REGISTERED = "FRIEND_REGISTERED"
    """I invited a friend who registered (inviter, registration trigger)."""
    FRIEND_FIRST_ORDER = "FRIEND_FIRST_ORDER"
    """A friend I invited completed their first order (inviter, first-order trigger)."""
    INVITED_REGISTERED = "INVITED_REGISTERED"
    """I registered with someone's invite code (invitee, registration trigger)."""
    INVITED_FIRST_ORDER = "INVITED_FIRST_ORDER"
    """My first order after accepting an invite completed (invitee, first-order trigger)."""


def reward_reason(role: RewardRole, order_id: int | None) -> RewardReason:
    """Why a reward is owed: its role, and whether an order triggered it (only first orders do)."""
    if role is RewardRole.INVITER:
        return RewardReason.FRIEND_REGISTERED if order_id is None else RewardReason.FRIEND_FIRST_ORDER
    return RewardReason.INVITED_REGISTERED if order_id is None else RewardReason.INVITED_FIRST_ORDER
