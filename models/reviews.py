"""Product reviews (商品评价) of completed order lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, id_pk


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_product_created", "product_id", "created_at"),
        Index("ix_reviews_store_created", "store_id", "created_at"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"))
    order_line_id: Mapped[int] = mapped_column(IdType, ForeignKey("order_lines.id"), unique=True)
    """One review per line, enforced by the database."""
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    content: Mapped[str | None] = mapped_column(Text)
    image_urls: Mapped[list[str]] = mapped_column(JsonType, default=list)
    reply: Mapped[str | None] = mapped_column(String(500))
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
