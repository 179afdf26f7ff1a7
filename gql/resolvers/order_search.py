"""Root fields of the admin order list."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.permissions import Allowed
from gql.schema.common import Connection
from gql.schema.orders import Order
from services import order_search
from services.pagination import PageRequest


@strawberry.type
class OrderSearchQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Orders the caller may see, newest first: HQ and analysts all, staff their stores, "
        "shoppers their own.",
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Order]:
        page = await order_search.list_orders(
            info.context.sessions, info.context.principal, PageRequest(first, after, last, before)
        )
        return Connection[Order].of(page, Order.from_row)
