"""Inputs and payloads of catalogue administration: categories, products, SKUs and store listings.

Amounts are integer cents (分). In update inputs a field left out keeps its value and an explicit
null clears a clearable one (a store's price override, a purchase limit).
"""

from __future__ import annotations

import strawberry

from gql.schema.catalog import Category, Product, Sku, StoreSku
from gql.schema.common import UserError
from gql.schema.store_admin import IDEMPOTENCY_HELP
from models.catalog.rules import ShelfState
from models.enums import ProductStatus
from models.errors import ErrorCode


@strawberry.input(description="A new category: top level without parentId, else under a top-level one.")
class CreateCategoryInput:
    name: str
    parent_id: strawberry.ID | None = None
    sort_order: int | None = strawberry.field(default=None, description="Default: after its siblings.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input
class UpdateCategoryInput:
    category_id: strawberry.ID
    name: str | None = None
    sort_order: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Move under another top-level category, or to the top level (parentId null).")
class MoveCategoryInput:
    category_id: strawberry.ID
    parent_id: strawberry.ID | None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="The display order of one level: every category of the level, once.")
class ReorderCategoriesInput:
    parent_id: strawberry.ID | None
    category_ids: list[strawberry.ID]
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Delete an empty category (no sub-categories, no products).")
class DeleteCategoryInput:
    category_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class CategoryPayload:
    category: Category | None
    user_errors: list[UserError]


@strawberry.type
class ReorderCategoriesPayload:
    categories: list[Category] = strawberry.field(description="The level in its new order.")
    user_errors: list[UserError]


@strawberry.type
class DeleteCategoryPayload:
    deleted_category_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input(description="A SKU (规格) of a new product.")
class NewSkuInput:
    spec: str
    price_cents: int
    original_price_cents: int
    barcode: str | None = None
    sku_code: str | None = strawberry.field(default=None, description="Default: P<product id>-<n>.")
    image_url: str | None = None
    weight_grams: int | None = None


@strawberry.input(description="A new product (SPU) with its SKUs; it starts as a DRAFT unless status says.")
class CreateProductInput:
    category_id: strawberry.ID = strawberry.field(description="A second-level category.")
    name: str
    skus: list[NewSkuInput]
    subtitle: str | None = None
    description: str | None = None
    image_urls: list[str] = strawberry.field(
        default_factory=list, description="https URLs; the first is the cover."
    )
    weight_grams: int | None = None
    status: ProductStatus = strawberry.field(
        default=ProductStatus.DRAFT, description="ACTIVE needs the audit to pass (NOT_LISTABLE otherwise)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Change a product; ARCHIVED (删除) takes it off every shelf.")
class UpdateProductInput:
    product_id: strawberry.ID
    category_id: strawberry.ID | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    subtitle: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    image_urls: list[str] | None = strawberry.UNSET
    weight_grams: int | None = strawberry.UNSET
    status: ProductStatus | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.input
class CreateSkuInput:
    product_id: strawberry.ID
    spec: str
    price_cents: int
    original_price_cents: int
    barcode: str | None = None
    sku_code: str | None = None
    image_url: str | None = None
    weight_grams: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Change a SKU: spec, codes, HQ price and original price, image, weight.")
class UpdateSkuInput:
    sku_id: strawberry.ID
    spec: str | None = strawberry.UNSET
    barcode: str | None = strawberry.UNSET
    sku_code: str | None = strawberry.UNSET
    price_cents: int | None = strawberry.UNSET
    original_price_cents: int | None = strawberry.UNSET
    image_url: str | None = strawberry.UNSET
    weight_grams: int | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class SkuPayload:
    sku: Sku | None
    user_errors: list[UserError]


@strawberry.input(description="Create or change a SKU's listing in a store (created off the shelf).")
class SetStoreSkuInput:
    store_id: strawberry.ID
    sku_id: strawberry.ID
    price_override_cents: int | None = strawberry.field(
        default=strawberry.UNSET, description="null: HQ price."
    )
    stock: int | None = strawberry.UNSET
    purchase_limit: int | None = strawberry.field(default=strawberry.UNSET, description="null: no limit.")
    on_shelf: bool | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class StoreSkuPayload:
    store_sku: StoreSku | None
    user_errors: list[UserError]


@strawberry.input(description="Batch 上架 / 下架 of listed SKUs (at most 5,000), all or nothing.")
class SetShelfInput:
    store_id: strawberry.ID
    sku_ids: list[strawberry.ID]
    on_shelf: bool
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class SetShelfPayload:
    changed: int = strawberry.field(description="Listings whose shelf state changed.")
    user_errors: list[UserError]


@strawberry.input(
    description="One row of a sync: the SKU by barcode or by id (exactly one), price and/or stock."
)
class SyncStoreSkuItem:
    barcode: str | None = None
    sku_id: strawberry.ID | None = None
    price_cents: int | None = strawberry.field(default=None, description="The store's selling price.")
    stock: int | None = None


@strawberry.input(
    description="Batch price/stock sync (价格/库存同步), up to 5,000 rows in one transaction. allOrNothing "
    "(default): one bad row refuses the batch, every bad row listed; false: good rows apply, bad ones are "
    "reported in rowErrors. SKUs the store does not list yet get a listing off the shelf."
)
class SyncStoreSkusInput:
    store_id: strawberry.ID
    items: list[SyncStoreSkuItem]
    all_or_nothing: bool = True
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type(description="A row that was not applied; `index` is its position in `items` (from 0).")
class SyncRowError:
    index: int
    code: ErrorCode
    field: list[str] | None
    message: str


@strawberry.type(description="userErrors non-empty: nothing was applied. rowErrors: rows skipped.")
class SyncStoreSkusPayload:
    received: int
    updated: int = strawberry.field(description="Listings whose price or stock changed.")
    created: int = strawberry.field(description="New listings (off the shelf).")
    unchanged: int
    row_errors: list[SyncRowError]
    user_errors: list[UserError]


@strawberry.input(description="Narrow a store's listings (商品查询 with the store's shelf states).")
class StoreSkuFilter:
    store_id: strawberry.ID | None = None
    shelf_state: list[ShelfState] | None = None
    search: str | None = strawberry.field(
        default=None, description="Product name contains, or an exact barcode / SKU code."
    )
    category_id: strawberry.ID | None = None
