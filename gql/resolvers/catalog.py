"""Root fields for the catalogue."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.catalog import Category, Product, ProductFilter
from gql.schema.common import Connection
from services.catalog import reads as catalog_service
from services.pagination import PageRequest


@strawberry.type
class CatalogQueries:
    @strawberry.field(
        permission_classes=[Allowed], description="Top-level categories; use children for level 2."
    )
    async def categories(self, info: Info) -> list[Category]:
        return [
            Category.from_row(r) for r in await catalog_service.top_level_categories(info.context.sessions)
        ]

    @strawberry.field(permission_classes=[Allowed], description="Products ordered by id.")
    async def products(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Product]:
        f = filter or ProductFilter()
        criteria = catalog_service.ProductCriteria(
            category_id=decode_id(f.category_id, "Category", "filter.categoryId") if f.category_id else None,
            name=f.name,
            on_shelf_at_store_id=(
                decode_id(f.on_shelf_at_store, "Store", "filter.onShelfAtStore")
                if f.on_shelf_at_store
                else None
            ),
            statuses=tuple(f.status or ()),
            code=f.code,
        )
        page = await catalog_service.list_products(
            info.context.sessions, criteria, PageRequest(first, after, last, before)
        )
        return Connection[Product].of(page, Product.from_row)

    @strawberry.field(permission_classes=[Allowed])
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        row = await info.context.loaders.product.load(decode_id(id, "Product"))
        return Product.from_row(row) if row else None
