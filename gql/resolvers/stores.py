"""Root fields for stores."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.permissions import Allowed
from gql.schema.common import Connection
from gql.schema.stores import Store, StoreFilter
from services import stores as store_service
from services.pagination import PageRequest


@strawberry.type
class StoreQueries:
    @strawberry.field(permission_classes=[Allowed], description="Stores ordered by code.")
    async def stores(
        self,
        info: Info,
        filter: StoreFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Store]:
        f = filter or StoreFilter()
        criteria = store_service.StoreCriteria(
            statuses=tuple(f.status or ()), province=f.province, city=f.city, search=f.search
        )
        page = await store_service.list_stores(
            info.context.sessions, criteria, PageRequest(first, after, last, before)
        )
        return Connection[Store].of(page, Store.from_row)

    @strawberry.field(permission_classes=[Allowed], description="A store by global id or by code.")
    async def store(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Store | None:
        if id is not None:
            row = await info.context.loaders.store.load(decode_id(id, "Store"))
        elif code is not None:
            row = await store_service.store_by_code(info.context.sessions, code)
        else:
            return None
        return Store.from_row(row) if row else None
