"""`supportLog`: the steps on a customer's orders and after-sales, found by their phone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import encode_id
from gql.schema.support_log import SupportLogEntry
from gql.time_input import half_open
from services import support_log


@strawberry.type
class SupportLogQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="操作日志 for support: the steps on the orders (and their after-sales) whose buyer or "
        "consignee has this whole phone number, within the caller's order scope and [from, to) "
        "(without an offset: business time), newest first, at most `first` (1 to 100). A partial "
        "number is BAD_USER_INPUT; analysts may not search by phone (FORBIDDEN).",
    )
    async def support_log(
        self,
        info: Info,
        phone: str,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int = 50,
    ) -> list[SupportLogEntry]:
        start, end = half_open(from_, to, info.context.deps.rules.zone, "to")
        found = await support_log.customer_log(
            info.context.sessions, info.context.principal, phone, start, end, first
        )
        return [
            SupportLogEntry(
                at=e.at,
                order_id=strawberry.ID(encode_id("Order", e.order_id)),
                order_no=e.order_no,
                after_sale_no=e.after_sale_no,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                actor_type=e.actor_type,
                actor_id=e.actor_id,
                payload=JSON(e.payload),
            )
            for e in found
        ]
