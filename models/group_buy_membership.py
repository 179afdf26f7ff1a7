"""Pure rule of a member leaving a forming 拼团 team (cancelled, paid or not). No I/O.

Invariants, whatever the team looked like: `0 <= paid_count <= member_count <= team_size`; a team
that keeps members keeps exactly one leader — the leaving leader hands over to the earliest
remaining member (by join time, then id), so the team page always has a 团长 and the team keeps its
slots, its expiry and its remaining paid members; a team left with nobody fails. Leaving never
makes a team succeed (it only lowers the counts) and only a FORMING team can be left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.enums import TeamStatus


@dataclass(frozen=True, slots=True)
class Seat:
    """One member of the team as the rule needs it."""

    member_id: int
    customer_id: int
    joined_at: datetime
    is_leader: bool
    paid: bool


@dataclass(frozen=True, slots=True)
class Departure:
    """The team after `leaver` left: new counts, status, and who leads now (None: nobody left)."""

    member_count: int
    paid_count: int
    status: TeamStatus
    leader: Seat | None


def member_leaves(status: TeamStatus, others: Sequence[Seat]) -> Departure:
    """The team once a member is gone; `others` are the members who stay (read under the team's
    row lock, which every join also takes, so the counts are those of the seats, never a guess).

    Raises ValueError on a team that is not FORMING (the caller checks that first).
    """
    if status is not TeamStatus.FORMING:
        raise ValueError(f"only a forming team can be left, not a {status.value} one")
    remaining = sorted(others, key=lambda s: (s.joined_at, s.member_id))
    leader = next((s for s in remaining if s.is_leader), None)
    if leader is None and remaining:
        leader = remaining[0]
    return Departure(
        member_count=len(remaining),
        paid_count=sum(s.paid for s in remaining),
        status=TeamStatus.FORMING if remaining else TeamStatus.FAILED,
        leader=leader,
    )
