"""The pre-order rules (models/pre_orders.py): booking a time and the booking states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import DomainError, ErrorCode
from models.orders.states import OrderStatus
from models.pre_orders import (
    MIN_LEAD,
    OPEN_STATUSES,
    SOON,
    Booking,
    BookingState,
    booking_slots,
    booking_state,
    check_booking,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
HOURS = [{"weekday": d, "open": "10:00", "close": "22:00"} for d in range(1, 8)]


def _book(when: datetime, *, takes: bool = True, days: int = 2, now: datetime = NOW) -> Booking:
    return check_booking(
        takes_pre_orders=takes, max_days=days, hours=HOURS, booked_for=when, now=now, zone=SH
    )


def _code(when: datetime, **kw: object) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        _book(when, **kw)  # type: ignore[arg-type]
    return caught.value.code


def test_a_booking_while_closed_waits_for_the_opening() -> None:
    booked = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)  # 11:30 local
    booking = _book(booked)
    assert booking.booked_for == booked
    assert booking.accept_from == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    # booked while open: accepted as usual
    assert _book(booked, now=datetime(2026, 12, 7, 2, 30, tzinfo=UTC)).accept_from is None


def test_bad_bookings_have_their_own_codes() -> None:
    assert _code(datetime(2026, 12, 7, 3, 0, tzinfo=UTC), takes=False) is ErrorCode.PRE_ORDERS_NOT_TAKEN
    assert _code(NOW + MIN_LEAD - timedelta(minutes=1)) is ErrorCode.BOOKING_TOO_SOON
    assert _code(datetime(2026, 12, 7, 15, 0, tzinfo=UTC)) is ErrorCode.BOOKING_OUTSIDE_HOURS  # 23:00
    assert _code(NOW + timedelta(days=2, hours=3)) is ErrorCode.BOOKING_TOO_FAR
    assert _book(NOW + timedelta(days=2, hours=3), days=3)


@given(
    offset=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    status=st.sampled_from(list(OrderStatus)),
)
def test_booking_states_partition_time(offset: int, status: OrderStatus) -> None:
    """Exactly one state for a booked order the store still owes, by where its time lies from now."""
    booked = NOW + timedelta(minutes=offset)
    state = booking_state(booked, status, NOW)
    if status not in OPEN_STATUSES:
        assert state is None
    elif booked <= NOW:
        assert state is BookingState.OVERDUE
    elif booked <= NOW + SOON:
        assert state is BookingState.SOON
    else:
        assert state is BookingState.NOT_YET
    assert booking_state(None, status, NOW) is None


@given(st.integers(min_value=0, max_value=4 * 24 * 60))
def test_an_accepted_booking_is_inside_the_hours_and_horizon(offset: int) -> None:
    booked = NOW + timedelta(minutes=offset)
    try:
        booking = _book(booked)
    except DomainError:
        return
    local = booked.astimezone(SH)
    assert 10 <= local.hour < 22
    assert MIN_LEAD <= booked - NOW <= timedelta(days=2)
    assert booking.accept_from is None or booking.accept_from <= booked


@given(st.integers(min_value=0, max_value=3 * 24 * 60 * 60), st.integers(min_value=0, max_value=48))
def test_every_booking_slot_is_bookable(seconds: int, limit: int) -> None:
    now = NOW + timedelta(seconds=seconds)
    slots = booking_slots(hours=HOURS, max_days=2, now=now, zone=SH, limit=limit)
    assert len(slots) <= limit
    assert slots == sorted(set(slots))
    for slot in slots:
        assert slot.astimezone(SH).minute in (0, 30)
        assert slot.second == 0
        assert (
            check_booking(
                takes_pre_orders=True, max_days=2, hours=HOURS, booked_for=slot, now=now, zone=SH
            ).booked_for
            == slot
        )


def test_slots_start_at_the_next_opening() -> None:
    slots = booking_slots(hours=HOURS, max_days=2, now=NOW, zone=SH, limit=3)
    assert [s.astimezone(SH).strftime("%H:%M") for s in slots] == ["10:00", "10:30", "11:00"]
    late = datetime(2026, 12, 7, 13, 45, tzinfo=UTC)  # 21:45 local: nothing left today
    assert booking_slots(hours=HOURS, max_days=2, now=late, zone=SH, limit=1)[0] == datetime(
        2026, 12, 8, 2, 0, tzinfo=UTC
    )
