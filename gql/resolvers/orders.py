"""Root fields for one order (lookups and, with the order-handling issue, its mutations)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.permissions import Allowed
from gql.schema.orders import Order
from models.errors import DomainError, ErrorCode
from services import orders as order_service


@strawberry.type
class OrderQueries:
    @strawberry.field(permission_classes=[Allowed], description="One order by global id or by order number.")
    async def order(
        self, info: Info, id: strawberry.ID | None = None, order_no: str | None = None
    ) -> Order | None:
        if (id is None) == (order_no is None):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "give exactly one of id and orderNo", "id")
        if id is not None:
            row = await info.context.loaders.visible_order.load(decode_id(id, "Order"))
        else:
            assert order_no is not None
            row = await order_service.find_order_by_no(
                info.context.sessions, info.context.principal, order_no
            )
        return Order.from_row(row) if row else None
