"""The invitee state rule (models/invite_states.py), case by case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import RewardRole, RewardStatus
from models.invite_states import (
    InviteeState,
    RewardFact,
    RewardReason,
    invitee_standing,
    reward_reason,
)

T1 = datetime(2026, 11, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 2, tzinfo=UTC)
INVITER, INVITEE = RewardRole.INVITER, RewardRole.INVITEE
PENDING, GRANTED, VOIDED = RewardStatus.PENDING, RewardStatus.GRANTED, RewardStatus.VOIDED


@pytest.mark.parametrize(
    ("first_paid_at", "rewards", "state", "rewarded_at"),
    [
        (None, [], InviteeState.REGISTERED, None),
        (None, [RewardFact(INVITER, PENDING)], InviteeState.REGISTERED, None),
        (T1, [], InviteeState.FIRST_ORDER, None),
        (T1, [RewardFact(INVITER, PENDING), RewardFact(INVITEE, PENDING)], InviteeState.FIRST_ORDER, None),
        (T1, [RewardFact(INVITER, GRANTED, T2)], InviteeState.REWARDED, T2),
        (None, [RewardFact(INVITER, GRANTED, T2)], InviteeState.REWARDED, T2),  # registration trigger
        (T1, [RewardFact(INVITER, VOIDED), RewardFact(INVITEE, VOIDED)], InviteeState.VOIDED, None),
        # the inviter's cap voided only the inviter's reward: the inviter's reward decides
        (T1, [RewardFact(INVITER, VOIDED), RewardFact(INVITEE, GRANTED, T2)], InviteeState.VOIDED, None),
        # the campaign owed the inviter nothing: the invitee's reward decides
        (T1, [RewardFact(INVITEE, GRANTED, T2)], InviteeState.REWARDED, T2),
        (T1, [RewardFact(INVITEE, VOIDED)], InviteeState.VOIDED, None),
        (T1, [RewardFact(INVITER, GRANTED, T2), RewardFact(INVITER, GRANTED, T1)], InviteeState.REWARDED, T1),
        (T1, [RewardFact(INVITER, GRANTED, T2), RewardFact(INVITER, VOIDED)], InviteeState.REWARDED, T2),
        (T1, [RewardFact(INVITER, PENDING), RewardFact(INVITER, VOIDED)], InviteeState.FIRST_ORDER, None),
    ],
)
def test_invitee_standing(
    first_paid_at: datetime | None,
    rewards: list[RewardFact],
    state: InviteeState,
    rewarded_at: datetime | None,
) -> None:
    standing = invitee_standing(first_paid_at, rewards)
    assert (standing.state, standing.rewarded_at) == (state, rewarded_at)


@pytest.mark.parametrize(
    ("role", "order_id", "reason"),
    [
        (INVITER, None, RewardReason.FRIEND_REGISTERED),
        (INVITER, 7, RewardReason.FRIEND_FIRST_ORDER),
        (INVITEE, None, RewardReason.INVITED_REGISTERED),
        (INVITEE, 7, RewardReason.INVITED_FIRST_ORDER),
    ],
)
def test_reward_reason(role: RewardRole, order_id: int | None, reason: RewardReason) -> None:
    assert reward_reason(role, order_id) is reason
