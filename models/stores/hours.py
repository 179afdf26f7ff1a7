"""Business hours (营业时间) and per-time-slot delivery fees (分时段运费) of a store. Pure, no I/O.

Both are wall-clock times in the business time zone, so "08:00-22:00" means eight in the morning
in Shanghai whatever the server's zone. A range whose close is not after its open runs overnight
into the next day ("22:00-02:00" on Friday covers Saturday 00:00-02:00 too); "24:00" is the end of
the day. A store with no ranges at all is never open by the clock (24-hour stores say
"00:00-24:00"), because telling shoppers an unconfigured store is open would be a lie.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final

from models.enums import StoreStatus
from models.errors import DomainError, ErrorCode

MINUTES_PER_DAY: Final = 24 * 60
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
MAX_RANGES: Final = 28
"""Four ranges a day is plenty (morning, lunch, afternoon, evening); more is a client bug."""
MAX_FEE_SLOTS: Final = 12
MAX_FEE_CENTS: Final = 100_000
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _minutes(value: str, field: str) -> int:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{value!r} is not a time of day HH:MM", field)
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _length(open_: int, close: int) -> int:
    """Minutes a range lasts; a close at or before the open runs past midnight."""
    return close - open_ if close > open_ else MINUTES_PER_DAY - open_ + close


@dataclass(frozen=True, slots=True)
class HoursRange:
    weekday: int
    """1 = Monday … 7 = Sunday (ISO), the day the range opens."""
    open: int
    """Minutes after midnight."""
    close: int

    @property
    def start(self) -> int:
        """Minutes after Monday 00:00."""
        return (self.weekday - 1) * MINUTES_PER_DAY + self.open

    @property
    def length(self) -> int:
        return _length(self.open, self.close)

    def covers(self, minute_of_week: int) -> bool:
        return (minute_of_week - self.start) % MINUTES_PER_WEEK < self.length


def _overlap(a_start: int, a_len: int, b_start: int, b_len: int, period: int) -> bool:
    return (b_start - a_start) % period < a_len or (a_start - b_start) % period < b_len


def parse_business_hours(raw: Sequence[Mapping[str, Any]], field: str = "businessHours") -> list[HoursRange]:
    """Validate stored or submitted ranges: known weekdays, HH:MM times, no overlaps (also overnight)."""
    if len(raw) > MAX_RANGES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_RANGES} ranges", field)
    ranges: list[HoursRange] = []
    for i, item in enumerate(raw):
        weekday = item.get("weekday")
        if not isinstance(weekday, int) or not 1 <= weekday <= 7:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "weekday is 1 (Monday) to 7", f"{field}.{i}.weekday")
        open_ = _minutes(item.get("open", ""), f"{field}.{i}.open")
        close = _minutes(item.get("close", ""), f"{field}.{i}.close")
        if open_ == MINUTES_PER_DAY:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "a range cannot open at 24:00", f"{field}.{i}.open")
        if open_ == close:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                "open and close are equal: use 00:00-24:00 for a whole day",
                f"{field}.{i}.close",
            )
        candidate = HoursRange(weekday, open_, close)
        for j, other in enumerate(ranges):
            if _overlap(candidate.start, candidate.length, other.start, other.length, MINUTES_PER_WEEK):
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"overlaps range {j}", f"{field}.{i}")
        ranges.append(candidate)
    return ranges


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_json(ranges: Sequence[HoursRange]) -> list[dict[str, Any]]:
    """What the `business_hours` column stores, sorted by weekday and opening time."""
    return [
        {"weekday": r.weekday, "open": _clock(r.open), "close": _clock(r.close)}
        for r in sorted(ranges, key=lambda r: (r.weekday, r.open))
    ]


def _minute_of_week(when: datetime, zone: tzinfo) -> int:
    local = when.astimezone(zone)
    return (local.isoweekday() - 1) * MINUTES_PER_DAY + local.hour * 60 + local.minute


def within_hours(hours: Sequence[Mapping[str, Any]], when: datetime, zone: tzinfo) -> bool:
    """Whether `when` (aware) falls in one of the ranges, read on the business clock."""
    minute = _minute_of_week(when, zone)
    return any(r.covers(minute) for r in parse_business_hours(hours))


def is_open_at(status: StoreStatus, hours: Sequence[Mapping[str, Any]], when: datetime, zone: tzinfo) -> bool:
    """Open = the store is OPEN (not paused or closed by HQ) and `when` is inside its hours."""
    return status is StoreStatus.OPEN and within_hours(hours, when, zone)


def next_opening(hours: Sequence[Mapping[str, Any]], when: datetime, zone: tzinfo) -> datetime | None:
    """When a store closed at `when` (aware) next opens by its hours: the nearest start of a range
    after `when`, read on the business clock, in UTC; None when it has no hours at all (it never
    opens by the clock). Only meaningful while `within_hours` is false — a range starting in the
    current minute already covers it. Overnight ranges open on the day they are listed under, and
    days without a range are simply skipped (at most a week ahead)."""
    ranges = parse_business_hours(hours)
    if not ranges:
        return None
    local = when.astimezone(zone)
    minute = _minute_of_week(when, zone)
    ahead = min((r.start - minute) % MINUTES_PER_WEEK or MINUTES_PER_WEEK for r in ranges)
    # wall-clock arithmetic, then the zone's offset at that wall time (DST-safe)
    wall = local.replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=ahead)
    return wall.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class FeeSlot:
    """A daily time slot with its own delivery fee (peak hours, late night, ...)."""

    start: int
    end: int
    fee: int

    @property
    def length(self) -> int:
        return _length(self.start, self.end)

    def covers(self, minute_of_day: int) -> bool:
        return (minute_of_day - self.start) % MINUTES_PER_DAY < self.length


def parse_fee_slots(raw: Sequence[Mapping[str, Any]], field: str = "deliveryFeeSlots") -> list[FeeSlot]:
    if len(raw) > MAX_FEE_SLOTS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_FEE_SLOTS} fee slots", field)
    slots: list[FeeSlot] = []
    for i, item in enumerate(raw):
        start = _minutes(item.get("start", ""), f"{field}.{i}.start")
        end = _minutes(item.get("end", ""), f"{field}.{i}.end")
        fee = item.get("fee")
        if start in (MINUTES_PER_DAY, end):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "a slot needs a start before its end", f"{field}.{i}")
        if not isinstance(fee, int) or isinstance(fee, bool) or not 0 <= fee <= MAX_FEE_CENTS:
            raise DomainError(
                ErrorCode.INVALID_PRICE, f"fee is 0 to {MAX_FEE_CENTS} cents", f"{field}.{i}.feeCents"
            )
        slot = FeeSlot(start, end, fee)
        for j, other in enumerate(slots):
            if _overlap(slot.start, slot.length, other.start, other.length, MINUTES_PER_DAY):
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"overlaps slot {j}", f"{field}.{i}")
        slots.append(slot)
    return slots


def fee_slots_json(slots: Sequence[FeeSlot]) -> list[dict[str, Any]]:
    return [
        {"start": _clock(s.start), "end": _clock(s.end), "fee": s.fee}
        for s in sorted(slots, key=lambda s: s.start)
    ]


def delivery_fee_at(base_fee: int, slots: Sequence[Mapping[str, Any]], when: datetime, zone: tzinfo) -> int:
    """The fee of the slot `when` falls in (business clock), else the store's base delivery fee."""
    local = when.astimezone(zone)
    minute = local.hour * 60 + local.minute
    for slot in parse_fee_slots(slots):
        if slot.covers(minute):
            return slot.fee
    return base_fee
