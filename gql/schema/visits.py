"""GraphQL input and payload of `trackEvents` (page views posted by the mini-program)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.common import UserError
from models.enums import PageType, SourceChannel
from models.metrics.visits import MAX_EVENTS, EventRejectReason

strawberry.enum(PageType, description="Kind of mini-program page viewed.")
strawberry.enum(
    SourceChannel,
    description="Where the visit came from: DIRECT, SEARCH, SHARE (分享), QR_CODE (扫码), "
    "OFFICIAL_ACCOUNT (公众号), MOMENTS_AD (朋友圈广告), OTHER.",
)
strawberry.enum(EventRejectReason, description="Why one event of a batch was not stored.")


@strawberry.input(description="One page view. The customer is taken from the token, never from the event.")
class VisitEventInput:
    event_id: str = strawberry.field(
        description="Client-generated unique id (1-64 characters): a re-sent event is ignored."
    )
    visitor_id: str = strawberry.field(description="Device / mini-program visitor id (openid-like).")
    session_id: str
    page_type: PageType
    occurred_at: datetime = strawberry.field(
        description="Client time with an offset; at most 5 minutes ahead and 30 days old."
    )
    source: SourceChannel = SourceChannel.DIRECT
    dwell_ms: int = strawberry.field(default=0, description="Time spent on the page, in milliseconds.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for PRODUCT pages."
    )
    campaign_id: strawberry.ID | None = None
    store_id: strawberry.ID | None = strawberry.field(default=None, description="The store being browsed.")


@strawberry.type(description="An event of the batch that was not stored, and why.")
class RejectedEvent:
    index: int = strawberry.field(description="0-based position in `events`.")
    reason: EventRejectReason
    message: str


@strawberry.type(description="Outcome of a batch: accepted + duplicates + rejected = events posted.")
class TrackEventsPayload:
    accepted: int = strawberry.field(description="Events stored now.")
    duplicates: int = strawberry.field(description="Events already stored (same eventId), ignored.")
    rejected: list[RejectedEvent]
    user_errors: list[UserError] = strawberry.field(
        description=f"Batch-level problems (more than {MAX_EVENTS} events: BATCH_TOO_LARGE); nothing stored."
    )
