"""A member leaving a forming team (`models.group_buy_membership`): counts from the seats that
stay, one leader while anyone stays (the earliest joiner inherits), failure when nobody stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import TeamStatus
from models.group_buy_membership import Seat, member_leaves

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@st.composite
def teams(draw: st.DrawFn) -> tuple[list[Seat], int]:
    """A forming team (1..10 seats, leader first to join) and the index of the member who leaves."""
    size = draw(st.integers(1, 10))
    offsets = sorted(draw(st.lists(st.integers(0, 50), min_size=size, max_size=size)))
    seats = [
        Seat(i + 1, 100 + i, T0 + timedelta(minutes=m), i == 0, draw(st.booleans()))
        for i, m in enumerate(offsets)
    ]
    return seats, draw(st.integers(0, size - 1))


@given(teams())
def test_leaving_keeps_counts_and_one_leader(team: tuple[list[Seat], int]) -> None:
    seats, leaving = team
    others = [s for i, s in enumerate(seats) if i != leaving]
    after = member_leaves(TeamStatus.FORMING, others)
    assert after.member_count == len(seats) - 1
    assert after.paid_count == sum(s.paid for s in seats) - int(seats[leaving].paid)
    assert 0 <= after.paid_count <= after.member_count
    if not others:
        assert (after.status, after.leader) == (TeamStatus.FAILED, None)
        return
    assert after.status is TeamStatus.FORMING
    assert after.leader in others
    if seats[leaving].is_leader:  # the earliest remaining member inherits
        assert after.leader == min(others, key=lambda s: (s.joined_at, s.member_id))
    else:
        assert after.leader == seats[0]


@pytest.mark.parametrize("status", [TeamStatus.SUCCEEDED, TeamStatus.FAILED])
def test_only_a_forming_team_can_be_left(status: TeamStatus) -> None:
    with pytest.raises(ValueError, match="forming"):
        member_leaves(status, [])
