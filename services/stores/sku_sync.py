"""Batch price/stock sync (价格/库存批量同步): a store's POS or ERP pushes up to 5,000 rows a call.

One call is one transaction. Every row is checked before anything is written (shape, value
ranges, barcode or SKU id resolves, no SKU twice); by default a single bad row refuses the whole
batch with every bad row's index, so a half-applied price list can never reach the shelves.
With `all_or_nothing=False` the good rows are applied and the bad ones reported.

The cost does not grow with the row count in statements: the SKUs are resolved with one query
per key kind, the listings are read and locked with one, changed listings are written with one
executemany UPDATE, new ones with one bulk INSERT, and their action-log entries with another.
A SKU the store does not list yet gets a listing that is off the shelf: the sync brings price
and stock, the decision to sell stays with the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from models.action_log import LoggedAction, LoggedEntity
from models.catalog.rows import Sku, StoreSku
from models.catalog.rules import BatchRejected, check_batch_size, check_price, check_stock
from models.errors import DomainError, ErrorCode
from models.stores.rows import Store
from services import action_log
from services.commands import Result, Work
from services.staff import require_store_access


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One row: the SKU by barcode or by id (exactly one), and the new price and/or stock."""

    barcode: str | None = None
    sku_id: int | None = None
    price: int | None = None
    """The store's selling price in cents (its price override)."""
    stock: int | None = None


def _shape_error(i: int, item: SyncItem) -> DomainError | None:
    if (item.barcode is None) == (item.sku_id is None):
        return DomainError(ErrorCode.BAD_USER_INPUT, "give exactly one of barcode and skuId", f"items.{i}")
    if item.price is None and item.stock is None:
        return DomainError(ErrorCode.BAD_USER_INPUT, "give a price, a stock or both", f"items.{i}")
    try:
        if item.price is not None:
            check_price(item.price, f"items.{i}.priceCents")
        if item.stock is not None:
            check_stock(item.stock, f"items.{i}.stock")
    except DomainError as error:
        return error
    return None


async def _resolve(work: Work, items: Sequence[SyncItem], errors: dict[int, DomainError]) -> dict[int, int]:
    """Row index → SKU id for every row without an error yet; unknown or repeated SKUs become errors."""
    barcodes = {it.barcode for i, it in enumerate(items) if i not in errors and it.barcode is not None}
    ids = {it.sku_id for i, it in enumerate(items) if i not in errors and it.sku_id is not None}
    by_barcode: dict[str, int] = {}
    if barcodes:
        rows = await work.session.execute(select(Sku.barcode, Sku.id).where(Sku.barcode.in_(barcodes)))
        by_barcode = {str(code): int(sku_id) for code, sku_id in rows.all()}
    known: set[int] = set()
    if ids:
        known = set((await work.session.scalars(select(Sku.id).where(Sku.id.in_(ids)))).all())
    resolved: dict[int, int] = {}
    first_row: dict[int, int] = {}
    for i, item in enumerate(items):
        if i in errors:
            continue
        if item.barcode is not None:
            sku_id, field = by_barcode.get(item.barcode), f"items.{i}.barcode"
            missing = f"unknown barcode {item.barcode}"
        else:
            sku_id, field = (item.sku_id if item.sku_id in known else None), f"items.{i}.skuId"
            missing = "unknown SKU id"
        if sku_id is None:
            errors[i] = DomainError(ErrorCode.NOT_FOUND, missing, field)
        elif sku_id in first_row:
            errors[i] = DomainError(
                ErrorCode.BAD_USER_INPUT, f"the same SKU as row {first_row[sku_id]}", field
            )
        else:
            first_row[sku_id] = i
            resolved[i] = sku_id
    return resolved


def _row_error(i: int, error: DomainError) -> dict[str, Any]:
    return {"index": i, "code": error.code.value, "field": error.field, "message": error.message}


async def sync_store_skus(
    work: Work, store_id: int, items: Sequence[SyncItem], *, all_or_nothing: bool = True
) -> Result:
    require_store_access(work.principal, store_id)
    check_batch_size(len(items))
    if await work.session.get(Store, store_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    errors: dict[int, DomainError] = {}
    for i, item in enumerate(items):
        error = _shape_error(i, item)
        if error is not None:
            errors[i] = error
    resolved = await _resolve(work, items, errors)
    if errors and all_or_nothing:
        raise BatchRejected([errors[i] for i in sorted(errors)])
    stmt = (
        select(StoreSku)
        .where(StoreSku.store_id == store_id, StoreSku.sku_id.in_(set(resolved.values())))
        .order_by(StoreSku.sku_id)
        .with_for_update()
    )
    listings = {row.sku_id: row for row in (await work.session.scalars(stmt)).all()} if resolved else {}
    updates: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for i, sku_id in resolved.items():
        item, listing = items[i], listings.get(sku_id)
        if listing is None:
            inserts.append(
                {
                    "store_id": store_id,
                    "sku_id": sku_id,
                    "price_override": item.price,
                    "stock": item.stock or 0,
                    "on_shelf": False,
                    "purchase_limit": None,
                    "updated_at": work.now,
                }
            )
            continue
        price = listing.price_override if item.price is None else item.price
        stock = listing.stock if item.stock is None else item.stock
        diff = action_log.changes_between(listing, {"price_override": price, "stock": stock})
        if diff:
            updates.append(
                {"id": listing.id, "price_override": price, "stock": stock, "updated_at": work.now}
            )
            logs.append(
                action_log.entry(work, LoggedEntity.STORE_SKU, listing.id, LoggedAction.SYNC, diff, store_id)
            )
    if updates:
        await work.session.execute(update(StoreSku), updates)
    if inserts:
        created = await work.session.execute(
            insert(StoreSku).returning(StoreSku.id, StoreSku.sku_id), inserts
        )
        new_ids = {int(sku_id): int(new_id) for new_id, sku_id in created.all()}
        for row in inserts:
            new_id = new_ids[row["sku_id"]]
            changes = {"price_override": [None, row["price_override"]], "stock": [None, row["stock"]]}
            logs.append(
                action_log.entry(work, LoggedEntity.STORE_SKU, new_id, LoggedAction.CREATE, changes, store_id)
            )
    await action_log.record_many(work, logs)
    return {
        "storeId": store_id,
        "received": len(items),
        "updated": len(updates),
        "created": len(inserts),
        "unchanged": len(resolved) - len(updates) - len(inserts),
        "rowErrors": [_row_error(i, errors[i]) for i in sorted(errors)],
    }
