"""Per-store listings (门店商品): price override, stock, shelf, purchase limit; batch on/off shelf.

A listing goes on a shelf only if its product is ACTIVE and passes the required-information
audit. Sold out is not a state anyone sets: it is stock 0 on a listing that stays on the shelf
(`models/catalog_rules.shelf_state`). Batch shelf changes are all-or-nothing; a refused row is
named by its index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update

from models.action_log import LoggedAction, LoggedEntity
from models.catalog.rows import Category, Product, Sku, StoreSku
from models.catalog.rules import (
    AuditReason,
    BatchRejected,
    ShelfState,
    audit_product,
    check_batch_size,
    check_price,
    check_purchase_limit,
    check_stock,
    not_listable,
)
from models.enums import ProductStatus, Role
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from models.stores.rows import Store
from services import action_log
from services.commands import Result, Work
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in
from services.staff import require_store_access

LISTINGS_BY_SKU = Sort(
    "SKU", (SortKey(StoreSku.sku_id, False), SortKey(StoreSku.id, False)), lambda r: (r.sku_id, r.id)
)


def listing_visibility(principal: Principal) -> ColumnElement[bool]:
    """The back office's view of listings (stock levels): HQ and analysts all, staff their stores."""
    role = require_signed_in(principal)
    if principal.sees_all_stores():
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        return StoreSku.store_id.in_(sorted(principal.store_ids))
    return false()


@dataclass(frozen=True, slots=True)
class ListingCriteria:
    store_id: int | None = None
    shelf_states: tuple[ShelfState, ...] = ()
    search: str | None = None
    """Product name contains, or exact barcode / SKU code (商品查询)."""
    category_id: int | None = None
    """A level-1 category includes its children."""


def _state(state: ShelfState) -> ColumnElement[bool]:
    if state is ShelfState.OFF_SHELF:
        return StoreSku.on_shelf.is_(False)
    in_stock = StoreSku.stock > 0 if state is ShelfState.ON_SALE else StoreSku.stock <= 0
    return and_(StoreSku.on_shelf.is_(True), in_stock)


async def list_listings(
    sessions: SessionFactory, principal: Principal, c: ListingCriteria, page: PageRequest
) -> Page[StoreSku]:
    parts = [listing_visibility(principal)]
    if c.store_id is not None:
        parts.append(StoreSku.store_id == c.store_id)
    if c.shelf_states:
        parts.append(or_(*(_state(s) for s in c.shelf_states)))
    if c.search or c.category_id is not None:
        sku = select(Sku.id).join(Product, Product.id == Sku.product_id)
        if c.search:
            text = c.search.strip()
            sku = sku.where(
                or_(
                    func.lower(Product.name).contains(text.lower(), autoescape=True),
                    Sku.barcode == text,
                    Sku.sku_code == text,
                )
            )
        if c.category_id is not None:
            children = select(Category.id).where(Category.parent_id == c.category_id)
            sku = sku.where(or_(Product.category_id == c.category_id, Product.category_id.in_(children)))
        parts.append(StoreSku.sku_id.in_(sku))
    return await paginate(sessions, select(StoreSku).where(and_(*parts)), LISTINGS_BY_SKU, page)


async def audit_reasons(work: Work, product_ids: Sequence[int]) -> dict[int, list[AuditReason]]:
    """Why each product may not go on a shelf (empty: it may): inactive or failing the audit."""
    products = (await work.session.scalars(select(Product).where(Product.id.in_(product_ids)))).all()
    skus = (await work.session.scalars(select(Sku).where(Sku.product_id.in_(product_ids)))).all()
    reasons: dict[int, list[AuditReason]] = {}
    for product in products:
        found = audit_product(product, [s for s in skus if s.product_id == product.id])
        if product.status is not ProductStatus.ACTIVE:
            found.insert(0, AuditReason.PRODUCT_NOT_ACTIVE)
        reasons[product.id] = found
    return reasons


async def set_listing(work: Work, store_id: int, sku_id: int, changes: Mapping[str, Any]) -> Result:
    """Create or change one listing. `price_override` None returns to the HQ price."""
    require_store_access(work.principal, store_id)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "price_override":
            values[name] = None if value is None else check_price(value, "priceOverrideCents")
        elif name == "stock":
            values[name] = check_stock(value, "stock")
        elif name == "purchase_limit":
            values[name] = check_purchase_limit(value, "purchaseLimit")
        elif name == "on_shelf":
            values[name] = bool(value)
        else:
            raise KeyError(name)
    if await work.session.get(Store, store_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    sku = await work.session.get(Sku, sku_id)
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "SKU not found", "skuId")
    stmt = select(StoreSku).where(StoreSku.store_id == store_id, StoreSku.sku_id == sku_id)
    listing = await work.session.scalar(stmt.with_for_update())
    action = LoggedAction.UPDATE
    if listing is None:
        listing = StoreSku(store_id=store_id, sku_id=sku_id, stock=0, on_shelf=False, updated_at=work.now)
        work.session.add(listing)
        action = LoggedAction.CREATE
    if values.get("on_shelf") and not listing.on_shelf:
        reasons = (await audit_reasons(work, [sku.product_id]))[sku.product_id]
        if reasons:
            raise not_listable(f"SKU {sku.sku_code}", reasons, "onShelf")
    diff = action_log.changes_between(listing, values)
    for name in diff:
        setattr(listing, name, values[name])
    if diff or action is LoggedAction.CREATE:
        listing.updated_at = work.now
        await work.session.flush()
        if action is LoggedAction.UPDATE and set(diff) == {"on_shelf"}:
            action = LoggedAction.SHELF_ON if listing.on_shelf else LoggedAction.SHELF_OFF
        action_log.record(work, LoggedEntity.STORE_SKU, listing.id, action, diff, store_id)
    return {"storeSkuId": listing.id}


async def set_shelf(work: Work, store_id: int, sku_ids: Sequence[int], on_shelf: bool) -> Result:
    """Batch 上架/下架 of listed SKUs, all or nothing."""
    require_store_access(work.principal, store_id)
    check_batch_size(len(sku_ids), "skuIds")
    if await work.session.get(Store, store_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    stmt = (
        select(StoreSku, Sku.product_id)
        .join(Sku, Sku.id == StoreSku.sku_id)
        .where(StoreSku.store_id == store_id, StoreSku.sku_id.in_(set(sku_ids)))
        .order_by(StoreSku.id)
        .with_for_update(of=StoreSku)
    )
    listings = {row.sku_id: (row, product_id) for row, product_id in (await work.session.execute(stmt)).all()}
    reasons = await audit_reasons(work, sorted({p for _, p in listings.values()})) if on_shelf else {}
    errors: list[DomainError] = []
    for i, sku_id in enumerate(sku_ids):
        found = listings.get(sku_id)
        if found is None:
            errors.append(DomainError(ErrorCode.NOT_FOUND, f"SKU {sku_id} is not listed here", f"skuIds.{i}"))
        elif reasons.get(found[1]):
            errors.append(not_listable(f"SKU {sku_id}", reasons[found[1]], f"skuIds.{i}"))
    if errors:
        raise BatchRejected(errors, "skuIds")
    changing = [row for row, _ in listings.values() if row.on_shelf is not on_shelf]
    if changing:
        await work.session.execute(
            update(StoreSku)
            .where(StoreSku.id.in_([row.id for row in changing]))
            .values(on_shelf=on_shelf, updated_at=work.now)
            .execution_options(synchronize_session=False)
        )
        action = LoggedAction.SHELF_ON if on_shelf else LoggedAction.SHELF_OFF
        await action_log.record_many(
            work,
            [
                action_log.entry(
                    work,
                    LoggedEntity.STORE_SKU,
                    row.id,
                    action,
                    {"on_shelf": [not on_shelf, on_shelf]},
                    store_id,
                )
                for row in changing
            ],
        )
    return {"storeId": store_id, "changed": len(changing)}
