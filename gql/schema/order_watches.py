"""GraphQL input and payload of the watch list mutations (`watchOrder`, `unwatchOrder`)."""

from __future__ import annotations

import strawberry

from gql.schema.common import UserError
from gql.schema.orders import Order


@strawberry.input(description="An order to put on, or take off, the caller's own watch list (关注).")
class WatchOrderInput:
    order_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional: the same key + input returns the first result (both mutations are "
        "idempotent anyway: watching a watched order changes nothing).",
    )


@strawberry.type(description="The order and whether the caller now watches it; or userErrors (NOT_FOUND).")
class WatchOrderPayload:
    order: Order | None
    watched: bool = strawberry.field(
        description="Whether the order is on the caller's list now (false when refused)."
    )
    user_errors: list[UserError]
