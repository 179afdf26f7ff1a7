"""The UTC offsets an aggregate's time buckets use inside a range: the zone's own, to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.analytics.dimensions import steps_within

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC")
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC))


@given(zone=st.sampled_from(ZONES), start=MOMENTS, length=st.integers(1, 400 * 86400), at=st.floats(0, 1))
def test_the_steps_of_a_range_give_the_zone_offset_of_each_moment_in_it(
    zone: str, start: datetime, length: int, at: float
) -> None:
    tz = ZoneInfo(zone)
    end = start + timedelta(seconds=length)
    cuts, offsets = steps_within(tz, (start, end))
    assert len(cuts) == len(offsets) + 1
    assert cuts[0] <= start
    assert end <= cuts[-1]
    moment = start + timedelta(seconds=int(length * at) if at < 1 else length - 1)
    step = max(i for i, cut in enumerate(cuts[:-1]) if cut <= moment)
    expected = moment.astimezone(tz).utcoffset()
    assert expected is not None
    assert offsets[step] == int(expected.total_seconds())


def test_a_range_without_a_change_has_one_constant_offset() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    span = (datetime(2026, 11, 6, 16, tzinfo=UTC), datetime(2026, 12, 6, 16, tzinfo=UTC))
    assert steps_within(shanghai, span)[1] == [8 * 3600]
    new_york = ZoneInfo("America/New_York")  # DST ends on 2026-11-01
    span = (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
    assert steps_within(new_york, span)[1] == [-4 * 3600, -5 * 3600]
