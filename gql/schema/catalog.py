"""GraphQL types of the catalogue: categories, products (SPU) and SKUs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.engine import Relation, RowFields, computed
from gql.ids import decode_id
from gql.schema.common import Money, money
from gql.schema.stores import Store
from models.catalog.rows import Category as CategoryRow
from models.catalog.rows import Product as ProductRow
from models.catalog.rows import Sku as SkuRow
from models.catalog.rows import StoreSku as StoreSkuRow
from models.catalog.rules import AuditReason, ShelfState, audit_product, shelf_state
from models.enums import ProductStatus

strawberry.enum(
    ShelfState,
    description="ON_SALE; SOLD_OUT (on the shelf, stock 0: automatic, back on sale when stock arrives); "
    "OFF_SHELF (下架, the store's decision).",
)
strawberry.enum(AuditReason, description="Why a product may not be listed (商品审核).")


@strawberry.type(description="Result of the required-information audit (商品审核).")
class ProductAudit:
    listable: bool = strawberry.field(description="True when nothing is missing (status aside).")
    reasons: list[AuditReason]


@strawberry.type(description="Stars of a product's visible reviews.")
class ProductRating:
    count: int
    average: float | None = strawberry.field(
        description="Mean of 1-5 stars to two decimals; null: no reviews."
    )


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
    updated_at: datetime
    _category_id: strawberry.Private[int]
    _row: strawberry.Private[ProductRow]

    @strawberry.field
    async def category(self, info: Info) -> Category:
        row = await info.context.loaders.category.load(self._category_id)
        assert row is not None, "products reference an existing category (foreign key)"
        return Category.from_row(row)

    @strawberry.field
    async def skus(self, info: Info) -> list[Sku]:
        return [Sku.from_row(r) for r in await info.context.loaders.skus_by_product.load(self.id)]

    @strawberry.field(description="What keeps the product off the shelves, if anything.")
    async def audit(self, info: Info) -> ProductAudit:
        skus = await info.context.loaders.skus_by_product.load(self.id)
        reasons = audit_product(self._row, skus)
        return ProductAudit(listable=not reasons, reasons=reasons)

    @strawberry.field(description="Rating over the product's visible reviews (one batched query per page).")
    async def rating(self, info: Info) -> ProductRating:
        summary = await info.context.loaders.product_rating.load(self.id)
        return ProductRating(count=summary.count, average=summary.average)

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return PRODUCT_FIELDS(row)


def _itself(row: ProductRow) -> ProductRow:
    return row


# `reads`: what the fields computed by functions and the resolvers read off the row, for narrowed
# relation loaders (gql/engine/narrowed.py). `audit` reads the whole row (`_row`): selecting it reads all.
PRODUCT_FIELDS = RowFields(
    Product,
    {
        "_row": _itself,
        "image_urls": lambda r: list(r.image_urls),
        "weight_grams": "weight_g",
        "_category_id": "category_id",
    },
    reads={
        "_id": ("id",),
        "image_urls": ("image_urls",),
        "category": ("category_id",),
        "skus": ("id",),
        "rating": ("id",),
    },
    entity=ProductRow,
)
# SKUs and order lines reference an existing product (a foreign key).
PRODUCT: Relation[Product] = Relation("product", PRODUCT_FIELDS, required=True)


@strawberry.type(description="A sellable variant of a product (规格), with its HQ list price.")
class Sku(relay.Node):
    id: relay.NodeID[int]
    sku_code: str
    barcode: str | None
    spec: str
    price: Money
    original_price: Money
    image_url: str | None
    weight_grams: int | None
    _product_id: strawberry.Private[int]

    product: Product = strawberry.field(resolver=PRODUCT.resolve_by("_product_id"))

    @strawberry.field(description="This SKU's listing in a store: its price there, stock and shelf state.")
    async def listing(self, info: Info, store_id: strawberry.ID) -> StoreSku | None:
        key = (decode_id(store_id, "Store", "storeId"), self.id)
        row = await info.context.loaders.listing.load(key)
        return StoreSku.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: SkuRow) -> Sku:
        return SKU_FIELDS(row)


SKU_FIELDS = RowFields(
    Sku,
    {
        "price": computed(money, "price"),
        "original_price": computed(money, "original_price"),
        "weight_grams": "weight_g",
        "_product_id": "product_id",
    },
    reads={"_id": ("id",), "product": ("product_id",), "listing": ("id",)},
    entity=SkuRow,
)


@strawberry.type(description="A SKU listed in a store (门店商品): its price there, stock and shelf state.")
class StoreSku(relay.Node):
    id: relay.NodeID[int]
    price_override: Money | None = strawberry.field(description="The store's own price; null: the HQ price.")
    stock: int
    on_shelf: bool = strawberry.field(description="上架 (the store's decision); sold out does not change it.")
    purchase_limit: int | None = strawberry.field(description="Most units one order may hold (限购).")
    updated_at: datetime | None
    _store_id: strawberry.Private[int]
    _sku_id: strawberry.Private[int]

    @strawberry.field(description="True at stock 0 (售罄), whether or not the listing is on the shelf.")
    def sold_out(self) -> bool:
        return self.stock <= 0

    @strawberry.field
    def shelf_state(self) -> ShelfState:
        return shelf_state(self.on_shelf, self.stock)

    @strawberry.field(description="What a shopper pays here: the store's price, else the HQ price.")
    async def price(self, info: Info) -> Money:
        if self.price_override is not None:
            return self.price_override
        sku = await info.context.loaders.sku.load(self._sku_id)
        assert sku is not None, "listings reference an existing SKU (foreign key)"
        return money(sku.price)

    @strawberry.field
    async def store(self, info: Info) -> Store:
        row = await info.context.loaders.store.load(self._store_id)
        assert row is not None, "listings reference an existing store (foreign key)"
        return Store.from_row(row)

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None, "listings reference an existing SKU (foreign key)"
        return Sku.from_row(row)

    @classmethod
    def from_row(cls, row: StoreSkuRow) -> StoreSku:
        return cls(
            id=row.id,
            price_override=None if row.price_override is None else money(row.price_override),
            stock=row.stock,
            on_shelf=row.on_shelf,
            purchase_limit=row.purchase_limit,
            updated_at=row.updated_at,
            _store_id=row.store_id,
            _sku_id=row.sku_id,
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
    code: str | None = strawberry.field(default=None, description="A SKU's barcode or SKU code, exactly.")


# Order lines reference an existing SKU (a foreign key).
SKU: Relation[Sku] = Relation("sku", SKU_FIELDS, required=True)
