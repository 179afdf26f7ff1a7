"""`trackEvents`: the mini-program's page views, anonymous or signed in as a shopper."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import user_error
from gql.schema.visits import RejectedEvent, TrackEventsPayload, VisitEventInput
from models.errors import DomainError
from models.metrics.visits import MAX_EVENTS, EventRejectReason, PageView, Rejection
from services.visits import track_events

_ID_TYPES = (
    ("product_id", "Product", EventRejectReason.UNKNOWN_PRODUCT),
    ("store_id", "Store", EventRejectReason.UNKNOWN_STORE),
    ("campaign_id", "Campaign", EventRejectReason.UNKNOWN_CAMPAIGN),
)


def page_view(index: int, event: VisitEventInput) -> PageView | Rejection:
    """The event with its ids decoded, or why an id could not be read."""
    ids: dict[str, int | None] = {}
    for name, type_name, reason in _ID_TYPES:
        raw = getattr(event, name)
        try:
            ids[name] = None if raw is None else decode_id(str(raw), type_name)
        except DomainError as error:
            return Rejection(index, reason, error.message)
    return PageView(
        event_id=event.event_id,
        visitor_id=event.visitor_id,
        session_id=event.session_id,
        page_type=event.page_type,
        source=event.source,
        dwell_ms=event.dwell_ms,
        occurred_at=event.occurred_at,
        **ids,
    )


@strawberry.type
class VisitMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description=f"Record page views (at most {MAX_EVENTS} a call). Bad events are rejected one by one "
        "with their index and reason, the others stored; an eventId already stored is ignored.",
    )
    async def track_events(self, info: Info, events: list[VisitEventInput]) -> TrackEventsPayload:
        ctx = info.context
        items = [page_view(i, e) for i, e in enumerate(events)]
        try:
            result = await track_events(ctx.deps, ctx.principal, items)
        except DomainError as error:
            return TrackEventsPayload(accepted=0, duplicates=0, rejected=[], user_errors=[user_error(error)])
        return TrackEventsPayload(
            accepted=result["accepted"],
            duplicates=result["duplicates"],
            rejected=[
                RejectedEvent(index=r["index"], reason=EventRejectReason(r["reason"]), message=r["message"])
                for r in result["rejected"]
            ],
            user_errors=[],
        )
