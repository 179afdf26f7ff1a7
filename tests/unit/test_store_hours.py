"""Business hours and time-slot fees, read on the business clock (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import StoreStatus
from models.errors import DomainError, ErrorCode
from models.stores.hours import (
    delivery_fee_at,
    hours_json,
    is_open_at,
    next_opening,
    parse_business_hours,
    parse_fee_slots,
    within_hours,
)

SH = ZoneInfo("Asia/Shanghai")
WEEKDAYS = [{"weekday": d, "open": "08:00", "close": "22:00"} for d in range(1, 8)]


def sh(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_hours_are_read_on_the_business_clock_not_utc() -> None:
    # 2026-11-23 is a Monday. 23:30 UTC on Sunday is 07:30 Monday in Shanghai: not yet open.
    assert not within_hours(WEEKDAYS, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), SH)
    assert within_hours(WEEKDAYS, datetime(2026, 11, 23, 0, 0, tzinfo=UTC), SH)  # 08:00 Shanghai
    assert within_hours(WEEKDAYS, sh(2026, 11, 23, 21, 59), SH)
    assert not within_hours(WEEKDAYS, sh(2026, 11, 23, 22, 0), SH)  # close is exclusive
    # the same instant seen from another zone configuration
    assert not within_hours(WEEKDAYS, datetime(2026, 11, 23, 0, 0, tzinfo=UTC), ZoneInfo("Europe/Berlin"))


def test_split_days_and_overnight_ranges() -> None:
    hours = [
        {"weekday": 5, "open": "08:00", "close": "13:30"},
        {"weekday": 5, "open": "16:00", "close": "02:00"},  # Friday night into Saturday
        {"weekday": 7, "open": "20:00", "close": "24:00"},
    ]
    friday, saturday, sunday, monday = (sh(2026, 11, d, 0, 0) for d in (27, 28, 29, 30))
    assert within_hours(hours, friday.replace(hour=12), SH)
    assert not within_hours(hours, friday.replace(hour=14), SH)
    assert within_hours(hours, saturday.replace(hour=1, minute=59), SH)
    assert not within_hours(hours, saturday.replace(hour=2), SH)
    assert within_hours(hours, sunday.replace(hour=23, minute=59), SH)
    assert not within_hours(hours, monday, SH)


def test_open_needs_status_open_and_no_hours_means_closed() -> None:
    at = sh(2026, 11, 23, 12, 0)
    assert is_open_at(StoreStatus.OPEN, WEEKDAYS, at, SH)
    assert not is_open_at(StoreStatus.PAUSED, WEEKDAYS, at, SH)
    assert not is_open_at(StoreStatus.CLOSED, WEEKDAYS, at, SH)
    assert not is_open_at(StoreStatus.OPEN, [], at, SH)
    around_the_clock = [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)]
    assert is_open_at(StoreStatus.OPEN, around_the_clock, sh(2026, 11, 23, 3, 0), SH)


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 0, "open": "08:00", "close": "22:00"}], "businessHours.0.weekday"),
        ([{"weekday": 1, "open": "8:00", "close": "22:00"}], "businessHours.0.open"),
        ([{"weekday": 1, "open": "08:00", "close": "25:00"}], "businessHours.0.close"),
        ([{"weekday": 1, "open": "08:00", "close": "08:00"}], "businessHours.0.close"),
        ([{"weekday": 1, "open": "24:00", "close": "08:00"}], "businessHours.0.open"),
        (
            [
                {"weekday": 1, "open": "08:00", "close": "12:00"},
                {"weekday": 1, "open": "11:00", "close": "14:00"},
            ],
            "businessHours.1",
        ),
        (  # Monday night runs into Tuesday morning's range
            [
                {"weekday": 1, "open": "20:00", "close": "09:00"},
                {"weekday": 2, "open": "08:00", "close": "12:00"},
            ],
            "businessHours.1",
        ),
        (  # Sunday night into Monday wraps the week
            [
                {"weekday": 7, "open": "20:00", "close": "09:00"},
                {"weekday": 1, "open": "08:00", "close": "12:00"},
            ],
            "businessHours.1",
        ),
    ],
)
def test_bad_hours_name_the_range(hours: list[dict[str, object]], field: str) -> None:
    with pytest.raises(DomainError) as error:
        parse_business_hours(hours)
    assert (error.value.code, error.value.field) == (ErrorCode.BAD_USER_INPUT, field)


def test_hours_are_normalised_sorted() -> None:
    raw = [
        {"weekday": 2, "open": "09:00", "close": "18:00"},
        {"weekday": 1, "open": "16:00", "close": "21:00"},
    ]
    assert hours_json(parse_business_hours(raw)) == [
        {"weekday": 1, "open": "16:00", "close": "21:00"},
        {"weekday": 2, "open": "09:00", "close": "18:00"},
    ]


def test_delivery_fee_by_time_slot() -> None:
    slots = [
        {"start": "11:00", "end": "13:00", "fee": 800},  # lunch peak
        {"start": "22:00", "end": "06:00", "fee": 1200},  # late night, across midnight
    ]
    assert delivery_fee_at(500, slots, sh(2026, 11, 23, 12, 0), SH) == 800
    assert delivery_fee_at(500, slots, sh(2026, 11, 23, 13, 0), SH) == 500
    assert delivery_fee_at(500, slots, sh(2026, 11, 23, 23, 0), SH) == 1200
    assert delivery_fee_at(500, slots, sh(2026, 11, 24, 5, 59), SH) == 1200
    assert delivery_fee_at(500, [], sh(2026, 11, 24, 5, 59), SH) == 500
    # 04:00 UTC is noon in Shanghai
    assert delivery_fee_at(500, slots, datetime(2026, 11, 23, 4, 0, tzinfo=UTC), SH) == 800


def test_bad_fee_slots() -> None:
    with pytest.raises(DomainError) as error:
        parse_fee_slots([{"start": "11:00", "end": "13:00", "fee": -1}])
    assert (error.value.code, error.value.field) == (ErrorCode.INVALID_PRICE, "deliveryFeeSlots.0.feeCents")
    with pytest.raises(DomainError) as error:
        parse_fee_slots(
            [{"start": "11:00", "end": "13:00", "fee": 1}, {"start": "12:00", "end": "14:00", "fee": 1}]
        )
    assert error.value.field == "deliveryFeeSlots.1"


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@given(
    weekday=st.integers(1, 7),
    open_=st.integers(0, 24 * 60 - 1),
    length=st.integers(1, 24 * 60 - 1),
    probe=st.integers(0, 7 * 24 * 60 - 1),
)
def test_a_range_covers_exactly_its_length(weekday: int, open_: int, length: int, probe: int) -> None:
    """Whatever the range (overnight included), a minute is inside iff it is within `length` of opening."""
    close = (open_ + length) % (24 * 60)
    hours = [{"weekday": weekday, "open": clock(open_), "close": clock(close) if close else "24:00"}]
    monday = sh(2026, 11, 23, 0, 0)
    at = monday.replace(day=23 + probe // (24 * 60), hour=(probe // 60) % 24, minute=probe % 60)
    start = (weekday - 1) * 24 * 60 + open_
    assert within_hours(hours, at, SH) == ((probe - start) % (7 * 24 * 60) < length)


def test_next_opening_on_the_business_clock() -> None:
    # 2026-11-23 is a Monday; the shop keeps 08:00-22:00 every day
    assert next_opening(WEEKDAYS, sh(2026, 11, 23, 22, 0), SH) == sh(2026, 11, 24, 8, 0)
    assert next_opening(WEEKDAYS, sh(2026, 11, 24, 7, 59), SH) == sh(2026, 11, 24, 8, 0)
    assert next_opening(WEEKDAYS, sh(2026, 11, 24, 3, 30), SH) == sh(2026, 11, 24, 8, 0)
    # seconds do not push the opening a minute late; the answer is UTC
    found = next_opening(WEEKDAYS, sh(2026, 11, 24, 7, 59).replace(second=59), SH)
    assert found == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert found is not None
    assert found.tzinfo is UTC
    # read in another business zone, the same instant is another wall clock
    berlin = ZoneInfo("Europe/Berlin")
    assert next_opening(WEEKDAYS, datetime(2026, 11, 23, 21, 30, tzinfo=UTC), berlin) == datetime(
        2026, 11, 24, 7, 0, tzinfo=UTC
    )


def test_next_opening_skips_days_without_hours_and_knows_overnight_ranges() -> None:
    # open Friday 16:00 to Saturday 02:00 only, and Monday 09:00-12:00
    hours = [
        {"weekday": 5, "open": "16:00", "close": "02:00"},
        {"weekday": 1, "open": "09:00", "close": "12:00"},
    ]
    saturday_night = sh(2026, 11, 28, 2, 0)  # the overnight range just closed
    assert next_opening(hours, saturday_night, SH) == sh(2026, 11, 30, 9, 0)  # Monday, Sunday skipped
    assert next_opening(hours, sh(2026, 11, 24, 12, 0), SH) == sh(2026, 11, 27, 16, 0)  # Tuesday → Friday
    # only one range a week: closed right after it, the next opening is a week later
    weekly = [{"weekday": 3, "open": "10:00", "close": "11:00"}]
    assert next_opening(weekly, sh(2026, 11, 25, 11, 0), SH) == sh(2026, 12, 2, 10, 0)
    # no hours at all: never opens by the clock
    assert next_opening([], sh(2026, 11, 25, 11, 0), SH) is None


@given(
    ranges=st.lists(
        st.tuples(st.integers(1, 7), st.integers(0, 24 * 60 - 1), st.integers(1, 6 * 60)),
        min_size=1,
        max_size=4,
    ),
    probe=st.integers(0, 7 * 24 * 60 - 1),
)
def test_next_opening_is_the_first_open_minute_after_a_closed_one(
    ranges: list[tuple[int, int, int]], probe: int
) -> None:
    """From a closed minute, every minute before the answer is closed and the answer is open."""
    hours: list[dict[str, object]] = []
    for weekday, open_, length in ranges:
        close = (open_ + length) % (24 * 60)
        candidate = {"weekday": weekday, "open": clock(open_), "close": clock(close) if close else "24:00"}
        try:
            parse_business_hours([*hours, candidate])
        except DomainError:
            continue  # overlapping: leave it out
        hours.append(candidate)
    at = sh(2026, 11, 23, 0, 0) + timedelta(minutes=probe)
    if within_hours(hours, at, SH):
        return
    found = next_opening(hours, at, SH)
    assert found is not None
    assert within_hours(hours, found, SH)
    assert timedelta(0) < found - at <= timedelta(days=7)
    assert not within_hours(hours, found - timedelta(minutes=1), SH)
