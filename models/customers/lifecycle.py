"""Customer lifecycle segments (活跃 / 沉默 / 流失), the one definition for lists and metrics. Pure.

SPEC §5 and the seed: active = last order less than 30 days ago, silent = 30-60 days, lost =
60-90 days. The seed stops at 90; beyond it we say CHURNED (久未下单): a customer the 60-90 day
win-back campaigns have already missed, kept apart so that LOST stays the list to recall. A
customer who never ordered is NO_ORDERS, not "lost".

Days are calendar days in the business time zone: an order at 23:50 on the 1st is one day old
at 00:10 on the 2nd, as an operator counting on a calendar would say. The boundaries are
half-open: exactly 30 days is SILENT, exactly 60 LOST, exactly 90 CHURNED.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final


class LifecycleSegment(StrEnum):
    ACTIVE = "ACTIVE"
    SILENT = "SILENT"
    LOST = "LOST"
    CHURNED = "CHURNED"
    NO_ORDERS = "NO_ORDERS"


BOUNDARIES: Final[tuple[tuple[LifecycleSegment, int, int | None], ...]] = (
    (LifecycleSegment.ACTIVE, 0, 30),
    (LifecycleSegment.SILENT, 30, 60),
    (LifecycleSegment.LOST, 60, 90),
    (LifecycleSegment.CHURNED, 90, None),
)
"""(segment, first day, first day of the next segment): days since the last order, half-open."""


def days_since(moment: datetime, now: datetime, zone: tzinfo) -> int:
    return (now.astimezone(zone).date() - moment.astimezone(zone).date()).days


def segment_of(last_order_at: datetime | None, now: datetime, zone: tzinfo) -> LifecycleSegment:
    if last_order_at is None:
        return LifecycleSegment.NO_ORDERS
    days = max(0, days_since(last_order_at, now, zone))  # a clock a little ahead is still "today"
    for segment, first, until in BOUNDARIES:
        if days >= first and (until is None or days < until):
            return segment
    raise AssertionError("the boundaries cover every day")  # pragma: no cover


def _midnight(days_ago: int, now: datetime, zone: tzinfo) -> datetime:
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    return datetime.combine(day, time.min, tzinfo=zone)


def segment_window(
    segment: LifecycleSegment, now: datetime, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """The `last_order_at` range [start, end) of a segment, for SQL; None ends are open.

    NO_ORDERS has no window (it is `last_order_at IS NULL`); callers handle it.
    """
    for candidate, first, until in BOUNDARIES:
        if candidate is segment:
            start = None if until is None else _midnight(until - 1, now, zone)
            end = None if first == 0 else _midnight(first - 1, now, zone)
            return start, end
    raise ValueError(f"{segment.value} has no last-order window")
