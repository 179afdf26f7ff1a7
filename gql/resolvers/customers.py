"""Root fields for customers (客户管理): the filtered list and one customer's detail."""

from __future__ import annotations

from datetime import datetime, tzinfo

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.common import Connection
from gql.schema.customers import Customer, CustomerFilter
from gql.schema.order_search import CentsRange, DateTimeRange
from gql.time_input import half_open
from models.base import utcnow
from models.errors import DomainError, ErrorCode
from services import customers as customer_service
from services.pagination import PageRequest


def _span(span: DateTimeRange | None, zone: tzinfo, field: str) -> tuple[datetime | None, datetime | None]:
    return (None, None) if span is None else half_open(span.from_, span.to, zone, field)


def _cents(span: CentsRange | None) -> tuple[int | None, int | None]:
    if span is None:
        return None, None
    if (span.min is not None and span.min < 0) or (span.max is not None and span.max < 0):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "amounts are not negative", "filter.spent")
    return span.min, span.max


def customer_criteria(f: CustomerFilter, zone: tzinfo) -> customer_service.CustomerCriteria:
    registered_from, registered_to = _span(f.registered_at, zone, "filter.registeredAt")
    last_from, last_to = _span(f.last_order_at, zone, "filter.lastOrderAt")
    spent_min, spent_max = _cents(f.spent)
    return customer_service.CustomerCriteria(
        registered_from=registered_from,
        registered_to=registered_to,
        member_levels=tuple(f.member_level or ()),
        is_new=f.is_new,
        last_order_from=last_from,
        last_order_to=last_to,
        spent_min=spent_min,
        spent_max=spent_max,
        phone=f.phone,
        segment=f.lifecycle_segment,
        nickname=f.nickname,
    )


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Customers, newest registration first. Store staff see the customers of their stores.",
    )
    async def customers(
        self,
        info: Info,
        filter: CustomerFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        zone = info.context.deps.rules.zone
        page = await customer_service.list_customers(
            info.context.sessions,
            info.context.principal,
            customer_criteria(filter or CustomerFilter(), zone),
            PageRequest(first, after, last, before),
            now=utcnow(),
            zone=zone,
        )
        return Connection[Customer].of(page, Customer.from_row)

    @strawberry.field(
        permission_classes=[Allowed], description="A customer the caller may see (shoppers: themselves)."
    )
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        row = await info.context.loaders.visible_customer.load(decode_id(id, "Customer"))
        return Customer.from_row(row) if row else None
