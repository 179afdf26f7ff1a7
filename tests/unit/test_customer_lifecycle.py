"""Lifecycle segments by calendar days in the business time zone, and their SQL windows agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.customers.lifecycle import LifecycleSegment, segment_of, segment_window

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
S = LifecycleSegment


@pytest.mark.parametrize(
    ("days_ago", "segment"),
    [
        (0, S.ACTIVE),
        (29, S.ACTIVE),
        (30, S.SILENT),
        (59, S.SILENT),
        (60, S.LOST),
        (89, S.LOST),
        (90, S.CHURNED),
    ],
)
def test_boundaries(days_ago: int, segment: LifecycleSegment) -> None:
    assert segment_of(NOW - timedelta(days=days_ago), NOW, SH) is segment


def test_days_are_calendar_days_in_the_business_zone() -> None:
    # 23:50 Shanghai on Oct 24 is 30 calendar days before Nov 23, though under 30 × 24 hours ago.
    last = datetime(2026, 10, 24, 23, 50, tzinfo=SH)
    assert NOW - last < timedelta(days=30)
    assert segment_of(last, NOW, SH) is S.SILENT
    # 16:30 UTC on Oct 24 is already Oct 25 in Shanghai: 29 days, still active.
    assert segment_of(datetime(2026, 10, 24, 16, 30, tzinfo=UTC), NOW, SH) is S.ACTIVE


def test_never_ordered_and_clock_skew() -> None:
    assert segment_of(None, NOW, SH) is S.NO_ORDERS
    assert segment_of(NOW + timedelta(minutes=5), NOW, SH) is S.ACTIVE
    with pytest.raises(ValueError, match="NO_ORDERS"):
        segment_window(S.NO_ORDERS, NOW, SH)


@given(minutes_ago=st.integers(-60, 200 * 24 * 60))
def test_windows_agree_with_segment_of(minutes_ago: int) -> None:
    """The SQL filter (windows) and the field (segment_of) can never disagree on a customer."""
    last = NOW - timedelta(minutes=minutes_ago)
    inside = []
    for segment in (S.ACTIVE, S.SILENT, S.LOST, S.CHURNED):
        start, end = segment_window(segment, NOW, SH)
        if (start is None or last >= start) and (end is None or last < end):
            inside.append(segment)
    assert inside == [segment_of(last, NOW, SH)]
