"""GraphQL types of the catalogue: categories, products (SPU) and SKUs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.schema.common import Money, money
from models.catalog import Category as CategoryRow
from models.catalog import Product as ProductRow
from models.catalog import Sku as SkuRow
from models.enums import ProductStatus


@strawberry.type(description="A category; level 1 has children, level 2 holds products.")
class Category(relay.Node):
    id: relay.NodeID[int]
    name: str
    level: int
    sort_order: int
    _parent_id: strawberry.Private[int | None]

    @strawberry.field
    async def parent(self, info: Info) -> Category | None:
        if self._parent_id is None:
            return None
        row = await info.context.loaders.category.load(self._parent_id)
        return Category.from_row(row) if row else None

    @strawberry.field(description="Sub-categories, in display order.")
    async def children(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.categories_by_parent.load(self.id)
        return [Category.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: CategoryRow) -> Category:
        return cls(
            id=row.id, name=row.name, level=row.level, sort_order=row.sort_order, _parent_id=row.parent_id
        )


@strawberry.type(description="A product (SPU); what is sold is one of its SKUs.")
class Product(relay.Node):
    id: relay.NodeID[int]
    name: str
    subtitle: str | None
    description: str | None
    image_url: str | None
    image_urls: list[str]
    weight_grams: int | None
    status: ProductStatus
    created_at: datetime
    _category_id: strawberry.Private[int]

    @strawberry.field
    async def category(self, info: Info) -> Category:
        row = await info.context.loaders.category.load(self._category_id)
        assert row is not None, "products reference an existing category (foreign key)"
        return Category.from_row(row)

    @strawberry.field
    async def skus(self, info: Info) -> list[Sku]:
        return [Sku.from_row(r) for r in await info.context.loaders.skus_by_product.load(self.id)]

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return cls(
            id=row.id,
            name=row.name,
            subtitle=row.subtitle,
            description=row.description,
            image_url=row.image_url,
            image_urls=list(row.image_urls),
            weight_grams=row.weight_g,
            status=row.status,
            created_at=row.created_at,
            _category_id=row.category_id,
        )


@strawberry.type(description="A sellable variant of a product (规格), with its HQ list price.")
class Sku(relay.Node):
    id: relay.NodeID[int]
    sku_code: str
    barcode: str | None
    spec: str
    price: Money
    original_price: Money
    image_url: str | None
    _product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        row = await info.context.loaders.product.load(self._product_id)
        assert row is not None, "SKUs reference an existing product (foreign key)"
        return Product.from_row(row)

    @classmethod
    def from_row(cls, row: SkuRow) -> Sku:
        return cls(
            id=row.id,
            sku_code=row.sku_code,
            barcode=row.barcode,
            spec=row.spec,
            price=money(row.price),
            original_price=money(row.original_price),
            image_url=row.image_url,
            _product_id=row.product_id,
        )


@strawberry.input(description="Narrow the product list; all given conditions must hold.")
class ProductFilter:
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="A level-1 category includes its sub-categories."
    )
    name: str | None = strawberry.field(default=None, description="Name contains (case-insensitive).")
    on_shelf_at_store: strawberry.ID | None = strawberry.field(
        default=None, description="Only products with at least one SKU on the shelf of this store."
    )
    status: list[ProductStatus] | None = None
