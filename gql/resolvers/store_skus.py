"""Root fields of store listings (门店商品): the back-office list, one listing, batch shelf, batch sync."""

from __future__ import annotations

import strawberry

from gql.admin_mutations import given, run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.catalog import StoreSku
from gql.schema.catalog_admin import (
    SetShelfInput,
    SetShelfPayload,
    SetStoreSkuInput,
    StoreSkuFilter,
    StoreSkuPayload,
    SyncRowError,
    SyncStoreSkusInput,
    SyncStoreSkusPayload,
)
from gql.schema.common import Connection
from models.catalog.rows import StoreSku as StoreSkuRow
from models.errors import DomainError, ErrorCode
from services.commands import Result, Work
from services.pagination import PageRequest
from services.stores import sku_sync as store_sku_sync
from services.stores import skus as store_skus

_LISTING_FIELDS = {
    "price_override_cents": "price_override",
    "stock": "stock",
    "purchase_limit": "purchase_limit",
    "on_shelf": "on_shelf",
}


def _sku_id_of_row(value: strawberry.ID, i: int) -> int:
    """A row's SKU id; an undecodable one names no SKU (id 0), so it is that row's NOT_FOUND."""
    try:
        return decode_id(value, "Sku", f"items.{i}.skuId")
    except DomainError:
        return 0


@strawberry.type
class StoreSkuQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Listings by SKU: HQ and analysts every store's, store staff their stores'.",
    )
    async def store_skus(
        self,
        info: Info,
        filter: StoreSkuFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[StoreSku]:
        f = filter or StoreSkuFilter()
        criteria = store_skus.ListingCriteria(
            store_id=decode_id(f.store_id, "Store", "filter.storeId") if f.store_id else None,
            shelf_states=tuple(f.shelf_state or ()),
            search=f.search,
            category_id=decode_id(f.category_id, "Category", "filter.categoryId") if f.category_id else None,
        )
        page = await store_skus.list_listings(
            info.context.sessions, info.context.principal, criteria, PageRequest(first, after, last, before)
        )
        return Connection[StoreSku].of(page, StoreSku.from_row)


@strawberry.type
class StoreSkuMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Create or change a store's listing: price override, stock, purchase limit, shelf.",
    )
    async def set_store_sku(self, info: Info, input: SetStoreSkuInput) -> StoreSkuPayload:
        async def use_case(work: Work) -> Result:
            changes = given(input, _LISTING_FIELDS)
            for name in ("stock", "on_shelf"):
                if name in changes and changes[name] is None:
                    raise DomainError(ErrorCode.BAD_USER_INPUT, f"{name} cannot be null", name)
            store_id = decode_id(input.store_id, "Store", "storeId")
            return await store_skus.set_listing(
                work, store_id, decode_id(input.sku_id, "Sku", "skuId"), changes
            )

        result, errors = await run_admin(info, "setStoreSku", input, use_case)
        if result is None:
            return StoreSkuPayload(store_sku=None, user_errors=errors)
        async with info.context.sessions() as session:
            row = await session.get(StoreSkuRow, int(result["storeSkuId"]))
        return StoreSkuPayload(store_sku=StoreSku.from_row(row) if row else None, user_errors=[])

    @strawberry.mutation(
        permission_classes=[Allowed], description="Batch 上架 / 下架 (at most 5,000 SKUs), all or nothing."
    )
    async def set_store_skus_on_shelf(self, info: Info, input: SetShelfInput) -> SetShelfPayload:
        async def use_case(work: Work) -> Result:
            store_id = decode_id(input.store_id, "Store", "storeId")
            ids = [decode_id(s, "Sku", f"skuIds.{i}") for i, s in enumerate(input.sku_ids)]
            return await store_skus.set_shelf(work, store_id, ids, input.on_shelf)

        result, errors = await run_admin(info, "setStoreSkusOnShelf", input, use_case)
        return SetShelfPayload(changed=int(result["changed"]) if result else 0, user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Batch price/stock sync (价格/库存同步) of up to 5,000 rows in one transaction.",
    )
    async def sync_store_skus(self, info: Info, input: SyncStoreSkusInput) -> SyncStoreSkusPayload:
        async def use_case(work: Work) -> Result:
            items = [
                store_sku_sync.SyncItem(
                    barcode=item.barcode,
                    sku_id=None if item.sku_id is None else _sku_id_of_row(item.sku_id, i),
                    price=item.price_cents,
                    stock=item.stock,
                )
                for i, item in enumerate(input.items)
            ]
            store_id = decode_id(input.store_id, "Store", "storeId")
            return await store_sku_sync.sync_store_skus(
                work, store_id, items, all_or_nothing=input.all_or_nothing
            )

        result, errors = await run_admin(info, "syncStoreSkus", input, use_case)
        if result is None:  # refused: the rows at fault are also listed with their index
            rows = [
                SyncRowError(index=int(e.field[2]), code=e.code, field=e.field, message=e.message)
                for e in errors
                if e.field and len(e.field) > 2 and e.field[1] == "items" and e.field[2].isdigit()
            ]
            return SyncStoreSkusPayload(
                received=len(input.items),
                updated=0,
                created=0,
                unchanged=0,
                row_errors=rows,
                user_errors=errors,
            )
        return SyncStoreSkusPayload(
            received=int(result["received"]),
            updated=int(result["updated"]),
            created=int(result["created"]),
            unchanged=int(result["unchanged"]),
            row_errors=[
                SyncRowError(
                    index=int(e["index"]),
                    code=ErrorCode(e["code"]),
                    field=["input", *str(e["field"]).split(".")] if e["field"] else None,
                    message=str(e["message"]),
                )
                for e in result["rowErrors"]
            ],
            user_errors=[],
        )
