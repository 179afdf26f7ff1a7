"""餐损赔付 (compensation claims): causes, states, the state table and the money rule. Pure.

A claim is raised by the store or the buyer on a store-delivery order; HQ approves it with an
amount (exact cents, at most what the order can still give back) or rejects it; an approved claim
is paid as a price difference (退差价) spread over the order's lines, so it moves money only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

from models.enums import ActorType
from models.errors import DomainError, ErrorCode


class ClaimCause(StrEnum):
    RIDER_LATE = "RIDER_LATE"  # 骑手超时
    DAMAGED = "DAMAGED"  # 餐品损坏
    SYSTEM = "SYSTEM"  # 系统故障
    LOCATION = "LOCATION"  # 定位错误


class ClaimState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    PAID = "PAID"
    REJECTED = "REJECTED"


class ClaimAction(StrEnum):
    RAISE = "RAISE"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    PAY = "PAY"


C, S = ClaimAction, ClaimState
CLAIM_TRANSITIONS: Final[Mapping[tuple[ClaimState | None, ClaimAction], ClaimState]] = {
    (None, C.RAISE): S.PENDING,
    (S.PENDING, C.APPROVE): S.APPROVED,
    (S.PENDING, C.REJECT): S.REJECTED,
    (S.APPROVED, C.PAY): S.PAID,
}
CLAIM_ACTORS: Final[Mapping[ClaimAction, frozenset[ActorType]]] = {
    C.RAISE: frozenset({ActorType.STAFF, ActorType.CUSTOMER, ActorType.HQ}),
    C.APPROVE: frozenset({ActorType.HQ}),
    C.REJECT: frozenset({ActorType.HQ}),
    C.PAY: frozenset({ActorType.HQ}),
}
FINAL_CLAIM_STATES: Final = frozenset({S.PAID, S.REJECTED})


def next_claim_state(state: ClaimState | None, action: ClaimAction, actor: ActorType) -> ClaimState:
    """The state after `action`, or FORBIDDEN / INVALID_TRANSITION."""
    if actor not in CLAIM_ACTORS[action]:
        raise DomainError(ErrorCode.FORBIDDEN, f"{actor.value} may not {action.value} a claim")
    after = CLAIM_TRANSITIONS.get((state, action))
    if after is None:
        where = state.value if state else "nothing"
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"a claim in {where} cannot {action.value}", "claimId"
        )
    return after


def check_compensation(amount: int, refundable: int, field: str = "amountCents") -> int:
    """An approved amount: positive cents, at most what the order can still give back."""
    if amount <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "compensation is a positive number of cents", field)
    if amount > refundable:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAID,
            f"at most {refundable} cents: what the order can still give back",
            field,
        )
    return amount


def allocate(amount: int, room: Sequence[int]) -> list[int]:
    """Spread `amount` over lines in order, each taking at most its `room`; the parts sum to
    `amount` exactly (the caller checked `amount <= sum(room)`)."""
    parts = []
    left = amount
    for space in room:
        take = min(max(space, 0), left)
        parts.append(take)
        left -= take
    assert left == 0, "amount exceeds the room of the lines"
    return parts
