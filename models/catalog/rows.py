"""Catalogue: two-level categories, products (SPU), SKUs and per-store listings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import ProductStatus


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        # NULLs are distinct in a unique constraint, so top-level names need their own index.
        Index(
            "uq_categories_top_level_name",
            "name",
            unique=True,
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
        CheckConstraint("level IN (1, 2)", name="two_levels"),
        CheckConstraint("(level = 1) = (parent_id IS NULL)", name="level_matches_parent"),
    )

    id: Mapped[int] = id_pk()
    parent_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


class Product(Base):
    """An SPU. Its name is snapshotted onto order lines, so renaming never rewrites history."""

    __tablename__ = "products"

    id: Mapped[int] = id_pk()
    category_id: Mapped[int] = mapped_column(IdType, ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    subtitle: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(300))
    image_urls: Mapped[list[str]] = mapped_column(JsonType, default=list)
    weight_g: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ProductStatus] = mapped_column(enum_type(ProductStatus), default=ProductStatus.ACTIVE)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()

    skus: Mapped[list[Sku]] = relationship(back_populates="product", lazy="raise", order_by="Sku.id")


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (CheckConstraint("price >= 0 AND original_price >= 0", name="prices_non_negative"),)

    id: Mapped[int] = id_pk()
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("products.id"), index=True)
    sku_code: Mapped[str] = mapped_column(String(40), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(32), unique=True)
    spec: Mapped[str] = mapped_column(String(100))
    """Human-readable specification, e.g. "500g/袋" or "红色 L"."""
    price: Mapped[int] = mapped_column(Integer)
    original_price: Mapped[int] = mapped_column(Integer)
    image_url: Mapped[str | None] = mapped_column(String(300))
    weight_g: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    product: Mapped[Product] = relationship(back_populates="skus", lazy="raise")


class StoreSku(Base):
    """A SKU listed in one store. Sold out (stock 0) is not the same as off the shelf."""

    __tablename__ = "store_skus"
    __table_args__ = (
        UniqueConstraint("store_id", "sku_id"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("price_override IS NULL OR price_override >= 0", name="price_non_negative"),
        Index("ix_store_skus_sku_id", "sku_id"),
    )

    id: Mapped[int] = id_pk()
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id"))
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))
    price_override: Mapped[int | None] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    on_shelf: Mapped[bool] = mapped_column(Boolean, default=True)
    purchase_limit: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=None, nullable=True)

    @property
    def sold_out(self) -> bool:
        return self.stock == 0
