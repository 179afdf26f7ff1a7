"""Product reviews (商品评价) of completed order lines, and the rules of what a review may hold.

Hidden reviews (HQ moderation) stay in the table and in the back office, but leave the public
lists and the product's rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, id_pk
from models.errors import DomainError, ErrorCode


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


MAX_REVIEW_TEXT: Final = 500
MAX_REVIEW_IMAGES: Final = 9
MAX_REPLY_TEXT: Final = 500


def check_review(rating: int, content: str | None, image_urls: Sequence[str]) -> str | None:
    """A rating of 1-5 stars, at most 500 characters and nine images (the mini-program's grid)."""
    if not 1 <= rating <= 5:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a rating is 1 to 5 stars", "rating")
    text = (content or "").strip()
    if len(text) > MAX_REVIEW_TEXT:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_REVIEW_TEXT} characters", "content")
    if len(image_urls) > MAX_REVIEW_IMAGES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_REVIEW_IMAGES} images", "imageUrls")
    for i, url in enumerate(image_urls):
        if not url.startswith("https://") or len(url) > 300:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "images are https URLs of ≤ 300 characters", f"imageUrls.{i}"
            )
    return text or None


def check_reply(reply: str) -> str:
    text = reply.strip()
    if not text or len(text) > MAX_REPLY_TEXT:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"a reply is 1 to {MAX_REPLY_TEXT} characters", "reply")
    return text


def masked_nickname(nickname: str) -> str:
    """How reviews name their author in public: the first character and two stars (张**)."""
    return f"{nickname[:1]}**" if nickname else "**"
