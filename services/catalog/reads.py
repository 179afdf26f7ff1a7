"""Catalogue reads: category tree and product search."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select

from models.catalog.rows import Category, Product, Sku, StoreSku
from models.enums import ProductStatus
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate

PRODUCTS_BY_ID = Sort("ID", (SortKey(Product.id, False),), lambda p: (p.id,))


@dataclass(frozen=True, slots=True)
class ProductCriteria:
    category_id: int | None = None
    """A level-1 category includes its children."""
    name: str | None = None
    on_shelf_at_store_id: int | None = None
    statuses: tuple[ProductStatus, ...] = ()
    code: str | None = None
    """A SKU's barcode or SKU code, exactly (商品查询 by 条码/编码)."""


async def top_level_categories(sessions: SessionFactory) -> list[Category]:
    async with sessions() as session:
        stmt = select(Category).where(Category.parent_id.is_(None)).order_by(Category.sort_order, Category.id)
        return list((await session.scalars(stmt)).all())


async def list_products(
    sessions: SessionFactory, criteria: ProductCriteria, page: PageRequest
) -> Page[Product]:
    stmt = select(Product)
    if criteria.category_id is not None:
        children = select(Category.id).where(Category.parent_id == criteria.category_id)
        stmt = stmt.where(or_(Product.category_id == criteria.category_id, Product.category_id.in_(children)))
    if criteria.name:
        stmt = stmt.where(func.lower(Product.name).contains(criteria.name.lower(), autoescape=True))
    if criteria.statuses:
        stmt = stmt.where(Product.status.in_(criteria.statuses))
    if criteria.code:
        code = criteria.code.strip()
        stmt = stmt.where(
            exists(
                select(Sku.id).where(
                    Sku.product_id == Product.id, or_(Sku.barcode == code, Sku.sku_code == code)
                )
            )
        )
    if criteria.on_shelf_at_store_id is not None:
        stmt = stmt.where(
            exists(
                select(StoreSku.id)
                .join(Sku, Sku.id == StoreSku.sku_id)
                .where(
                    Sku.product_id == Product.id,
                    StoreSku.store_id == criteria.on_shelf_at_store_id,
                    StoreSku.on_shelf.is_(True),
                )
            )
        )
    return await paginate(sessions, stmt, PRODUCTS_BY_ID, page)
