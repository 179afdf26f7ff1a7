"""The support log's entries (操作日志 by customer): one step of an order or of an after-sale."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from models.enums import ActorType


@strawberry.type(description="One step on a customer's order or after-sale, as its timeline recorded it.")
class SupportLogEntry:
    at: datetime
    order_id: strawberry.ID
    order_no: str
    after_sale_no: str | None = strawberry.field(
        description="Set for a step of an after-sale (its action, statuses), null for the order's own."
    )
    action: str | None = strawberry.field(
        description="The OrderAction or AfterSaleAction; null for placing the order and for notes "
        "(`payload.event`)."
    )
    from_status: str | None
    to_status: str
    actor_type: ActorType
    actor_id: str | None
    payload: JSON
