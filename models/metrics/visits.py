"""Rules for page-view events posted by the mini-program (`trackEvents`). Pure.

A batch is judged event by event: a bad event is rejected with its index and a reason, the
others are stored. Nothing here knows the database; references (product, store, campaign) are
checked for existence by the service, which adds its own rejections with the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from models.enums import PageType, SourceChannel

MAX_EVENTS: Final = 500
MAX_ID_LENGTH: Final = 64
MAX_DWELL_MS: Final = 24 * 3600 * 1000
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
"""Client clocks run a little fast; an event further in the future is a broken clock."""
MAX_AGE: Final = timedelta(days=30)
"""A batch kept offline longer than this is no longer worth counting."""


class EventRejectReason(StrEnum):
    INVALID_ID = "INVALID_ID"
    """eventId, visitorId or sessionId empty, too long, or with control characters."""
    INVALID_DWELL = "INVALID_DWELL"
    INVALID_TIME = "INVALID_TIME"
    """occurredAt without a time zone, in the future, or older than 30 days."""
    PRODUCT_REQUIRED = "PRODUCT_REQUIRED"
    """A PRODUCT page view must name its product."""
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    UNKNOWN_STORE = "UNKNOWN_STORE"
    UNKNOWN_CAMPAIGN = "UNKNOWN_CAMPAIGN"


@dataclass(frozen=True, slots=True)
class PageView:
    """One event as posted, ids already decoded (None when absent)."""

    event_id: str
    visitor_id: str
    session_id: str
    page_type: PageType
    source: SourceChannel
    dwell_ms: int
    occurred_at: datetime
    product_id: int | None = None
    campaign_id: int | None = None
    store_id: int | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    reason: EventRejectReason
    message: str


def _bad_id(value: str) -> bool:
    return (
        not value or len(value) > MAX_ID_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in value)
    )


def check(event: PageView, now: datetime) -> tuple[EventRejectReason, str] | None:
    """Why the event cannot be stored, or None when it can (references aside)."""
    for name in ("event_id", "visitor_id", "session_id"):
        if _bad_id(getattr(event, name)):
            return EventRejectReason.INVALID_ID, (
                f"{name} must be 1-{MAX_ID_LENGTH} printable characters without spaces"
            )
    if not 0 <= event.dwell_ms <= MAX_DWELL_MS:
        return EventRejectReason.INVALID_DWELL, f"dwellMs must be between 0 and {MAX_DWELL_MS}"
    if event.occurred_at.tzinfo is None:
        return EventRejectReason.INVALID_TIME, "occurredAt needs a time zone offset"
    if event.occurred_at > now + FUTURE_TOLERANCE:
        return EventRejectReason.INVALID_TIME, "occurredAt is in the future"
    if event.occurred_at < now - MAX_AGE:
        return EventRejectReason.INVALID_TIME, "occurredAt is more than 30 days old"
    if event.page_type is PageType.PRODUCT and event.product_id is None:
        return EventRejectReason.PRODUCT_REQUIRED, "a PRODUCT page view needs productId"
    return None
