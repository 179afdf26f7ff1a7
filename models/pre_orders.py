"""Pre-orders (预订单): an order placed for a booked time, and its booking state. Pure, no I/O.

A store that takes pre-orders (`Store.takes_pre_orders`) lets a shopper book a time instead of
being refused while it is closed; it may book ahead while open too. The booked time must be

* at least `MIN_LEAD` from now (BOOKING_TOO_SOON): the store needs time to accept and pick;
* inside the store's business hours, read on the business clock (BOOKING_OUTSIDE_HOURS) — so at or
  after its next opening whenever it is closed now;
* at most the store's `pre_order_days` ahead (BOOKING_TOO_FAR).

A booked order in a status where the store still owes it something (`OPEN_STATUSES`) has a
booking state: NOT_YET more than `SOON` before its time, SOON within `SOON` of it, OVERDUE once
the time has passed. Orders without a booked time, or past those statuses, have none.

Two reminders come from the sweeper, once each: an acceptance reminder when the store opens for
a pre-order placed while it was closed (`accept_from`), and a picking reminder `PICKING_LEAD`
before the booked time for an accepted order not yet out of the door.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final

from models.errors import DomainError, ErrorCode
from models.orders.states import OrderStatus
from models.stores.hours import next_opening, within_hours

MIN_LEAD: Final = timedelta(minutes=30)
SOON: Final = timedelta(minutes=60)
PICKING_LEAD: Final = timedelta(minutes=45)
MIN_DAYS: Final = 1
MAX_DAYS: Final = 14
"""Bounds of a store's `pre_order_days` setting (how far ahead a shopper may book)."""

OPEN_STATUSES: Final = frozenset(
    {
        OrderStatus.PENDING_ACCEPTANCE,
        OrderStatus.PENDING_ALLOCATION,
        OrderStatus.PENDING_SHIPMENT,
        OrderStatus.PENDING_PICKUP,
    }
)
"""Statuses in which the store still owes a booked order its goods: those have a booking state."""

ACCEPT_STATUSES: Final = frozenset({OrderStatus.PENDING_ACCEPTANCE})
PICK_STATUSES: Final = frozenset({OrderStatus.PENDING_SHIPMENT, OrderStatus.PENDING_PICKUP})
"""Statuses in which the acceptance / the picking reminder is still worth sending."""


class BookingState(StrEnum):
    NOT_YET = "NOT_YET"
    """More than `SOON` before the booked time (未到时)."""
    SOON = "SOON"
    """Within `SOON` of the booked time (即将到时)."""
    OVERDUE = "OVERDUE"
    """The booked time has passed and the store has not yet handed the goods over (已超时)."""


BOOKING_LABELS: Final[Mapping[BookingState, str]] = {
    BookingState.NOT_YET: "未到时",
    BookingState.SOON: "即将到时",
    BookingState.OVERDUE: "已超时",
}
BOOKING_ALIASES: Final[Mapping[str, BookingState]] = {label: s for s, label in BOOKING_LABELS.items()}


def booking_state(booked_for: datetime | None, status: OrderStatus, now: datetime) -> BookingState | None:
    """The booking state of an order at `now`; None without a booked time or outside OPEN_STATUSES."""
    if booked_for is None or status not in OPEN_STATUSES:
        return None
    if booked_for <= now:
        return BookingState.OVERDUE
    if booked_for <= now + SOON:
        return BookingState.SOON
    return BookingState.NOT_YET


@dataclass(frozen=True, slots=True)
class Booking:
    """What a new order carries: the booked time, and when the store may first accept it (its next
    opening when it is closed at placement; None when it is open and accepts as usual)."""

    booked_for: datetime
    accept_from: datetime | None


def check_booking(
    *,
    takes_pre_orders: bool,
    max_days: int,
    hours: Sequence[Mapping[str, Any]],
    booked_for: datetime,
    now: datetime,
    zone: tzinfo,
    field: str = "bookedFor",
) -> Booking:
    """Validate a booked time (aware) against the store's setting and hours, or raise a coded error."""
    if not takes_pre_orders:
        raise DomainError(
            ErrorCode.PRE_ORDERS_NOT_TAKEN, "this store does not take pre-orders (预订单)", field
        )
    if booked_for.tzinfo is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a booked time needs a time zone offset", field)
    if booked_for < now + MIN_LEAD:
        minutes = int(MIN_LEAD.total_seconds() // 60)
        raise DomainError(ErrorCode.BOOKING_TOO_SOON, f"book at least {minutes} minutes ahead", field)
    if booked_for > now + timedelta(days=max_days):
        raise DomainError(
            ErrorCode.BOOKING_TOO_FAR, f"this store takes bookings at most {max_days} days ahead", field
        )
    if not within_hours(hours, booked_for, zone):
        opens = next_opening(hours, booked_for, zone)
        raise DomainError(
            ErrorCode.BOOKING_OUTSIDE_HOURS,
            f"the store is closed at {booked_for.astimezone(zone):%Y-%m-%d %H:%M}",
            field,
            extensions={"nextOpeningAt": None if opens is None else opens.isoformat()},
        )
    accept_from = None if within_hours(hours, now, zone) else next_opening(hours, now, zone)
    return Booking(booked_for, accept_from)


SLOT_STEP: Final = timedelta(minutes=30)
MAX_SLOTS: Final = 48


def booking_slots(
    *, hours: Sequence[Mapping[str, Any]], max_days: int, now: datetime, zone: tzinfo, limit: int
) -> list[datetime]:
    """The next bookable times (UTC) on the half hour of the business clock, earliest first, at most
    `limit`: each one `check_booking` accepts at `now` (ahead by MIN_LEAD, inside the hours, within
    `max_days`). For a shopper's time picker; any other valid time may be booked as well."""
    local = (now + MIN_LEAD).astimezone(zone)
    step = int(SLOT_STEP.total_seconds() // 60)
    base = local.replace(tzinfo=None, second=0, microsecond=0)
    extra = -base.minute % step
    if extra == 0 and (local.second or local.microsecond):
        extra = step
    wall = base + timedelta(minutes=extra)  # the first half hour at or after now + MIN_LEAD
    end = now + timedelta(days=max_days)
    slots: list[datetime] = []
    while len(slots) < limit:
        moment = wall.replace(tzinfo=zone).astimezone(UTC)
        if moment > end:
            break
        if moment >= now + MIN_LEAD and within_hours(hours, moment, zone):
            slots.append(moment)
        wall += SLOT_STEP
    return slots


def check_max_days(value: Any, field: str) -> int:
    """A store's `pre_order_days` setting: an integer from MIN_DAYS to MAX_DAYS."""
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_DAYS <= value <= MAX_DAYS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{MIN_DAYS} to {MAX_DAYS} days", field)
    return value
