"""Root fields for customers (顾客管理)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.permissions import Allowed
from gql.schema.common import Connection
from gql.schema.customers import Customer
from services import customers as customer_service
from services.pagination import PageRequest


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Customers, newest registration first. Store staff see the customers of their stores.",
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        page = await customer_service.list_customers(
            info.context.sessions, info.context.principal, PageRequest(first, after, last, before)
        )
        return Connection[Customer].of(page, Customer.from_row)

    @strawberry.field(
        permission_classes=[Allowed], description="A customer the caller may see (shoppers: themselves)."
    )
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        row = await info.context.loaders.visible_customer.load(decode_id(id, "Customer"))
        return Customer.from_row(row) if row else None
