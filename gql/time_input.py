"""How the back-office fields read datetimes from clients: one without an offset is business time.

The SPA sends "2026-11-01T00:00:00" meaning midnight in the store's zone; reading it as UTC would
shift every range by eight hours. (The order filters follow the same rule in models/order_filters.)
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from models.errors import DomainError, ErrorCode


def business_time(moment: datetime, zone: tzinfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def half_open(
    start: datetime | None, end: datetime | None, zone: tzinfo, field: str
) -> tuple[datetime | None, datetime | None]:
    """[start, end) with naive ends read in `zone`; an empty range is a client error."""
    start = None if start is None else business_time(start, zone)
    end = None if end is None else business_time(end, zone)
    if start is not None and end is not None and start >= end:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "the range is empty: its end must come after its start", field
        )
    return start, end
