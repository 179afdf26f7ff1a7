"""Product reviews (商品评价): shoppers review completed order lines once; stores reply; HQ moderates.

Visibility: the public (and shoppers, for others' reviews) see reviews that are not hidden; a
shopper also sees their own hidden ones; store staff see every review of their stores; HQ and
analysts see all. A product's rating counts only reviews that are not hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer

from models.action_log import LoggedAction, LoggedEntity
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.principals import Principal
from models.reviews import Review, check_reply, check_review
from services import action_log
from services.commands import Result, Work
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.staff import require_hq

REVIEWS_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(Review.created_at, True, datetime), SortKey(Review.id, True)),
    lambda r: (r.created_at, r.id),
)


class json_array_length(FunctionElement[int]):
    """Length of a JSON array column: `json_array_length` on SQLite, `jsonb_array_length` on PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(json_array_length)
def _json_array_length(element: json_array_length, compiler: Any, **kw: Any) -> str:
    return f"json_array_length({compiler.process(element.clauses, **kw)})"


@compiles(json_array_length, "postgresql")
def _jsonb_array_length(element: json_array_length, compiler: Any, **kw: Any) -> str:
    return f"jsonb_array_length({compiler.process(element.clauses, **kw)})"


def review_visibility(principal: Principal) -> ColumnElement[bool]:
    if principal.sees_all_stores():
        return true()
    if principal.role is Role.STORE_STAFF:
        return Review.store_id.in_(sorted(principal.store_ids)) if principal.store_ids else false()
    if principal.role is Role.SHOPPER and principal.customer_id is not None:
        return or_(Review.hidden.is_(False), Review.customer_id == principal.customer_id)
    return Review.hidden.is_(False)


@dataclass(frozen=True, slots=True)
class ReviewCriteria:
    product_id: int | None = None
    store_ids: tuple[int, ...] = ()
    ratings: tuple[int, ...] = ()
    has_images: bool | None = None
    replied: bool | None = None
    hidden: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Half-open: [created_from, created_to)."""


async def list_reviews(
    sessions: SessionFactory, principal: Principal, c: ReviewCriteria, page: PageRequest
) -> Page[Review]:
    parts: list[ColumnElement[bool]] = [review_visibility(principal)]
    if c.product_id is not None:
        parts.append(Review.product_id == c.product_id)
    if c.store_ids:
        parts.append(Review.store_id.in_(c.store_ids))
    if c.ratings:
        parts.append(Review.rating.in_(c.ratings))
    if c.has_images is not None:
        images = json_array_length(Review.image_urls)
        parts.append(images > 0 if c.has_images else images == 0)
    if c.replied is not None:
        parts.append(Review.reply.is_not(None) if c.replied else Review.reply.is_(None))
    if c.hidden is not None:
        parts.append(Review.hidden.is_(c.hidden))
    if c.created_from is not None:
        parts.append(Review.created_at >= c.created_from)
    if c.created_to is not None:
        parts.append(Review.created_at < c.created_to)
    return await paginate(sessions, select(Review).where(and_(*parts)), REVIEWS_NEWEST_FIRST, page)


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int = 0
    total: int = 0

    @property
    def average(self) -> float | None:
        """Mean stars to two decimals; None without reviews (not 0, which would read as terrible)."""
        return round(self.total / self.count, 2) if self.count else None


async def rating_summaries(sessions: SessionFactory, product_ids: Sequence[int]) -> dict[int, RatingSummary]:
    """Count and star total of the visible reviews of each product, in one grouped query."""
    stmt = (
        select(Review.product_id, func.count(Review.id), func.sum(Review.rating))
        .where(Review.product_id.in_(set(product_ids)), Review.hidden.is_(False))
        .group_by(Review.product_id)
    )
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    return {int(pid): RatingSummary(int(n), int(total or 0)) for pid, n, total in rows}


async def create_review(
    work: Work, order_line_id: int, rating: int, content: str | None, image_urls: Sequence[str]
) -> Result:
    """A shopper reviews a line of their own completed order, once (评价)."""
    if work.principal.role is not Role.SHOPPER or work.principal.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only the buyer reviews an order line")
    text = check_review(rating, content, image_urls)
    row = (
        await work.session.execute(
            select(OrderLine, Order)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.id == order_line_id, Order.customer_id == work.principal.customer_id)
        )
    ).first()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "order line not found", "orderLineId")
    line, order = row
    if order.status is not OrderStatus.COMPLETED:
        raise DomainError(
            ErrorCode.ORDER_NOT_COMPLETED,
            f"only completed orders can be reviewed (this one is {order.status.value})",
            "orderLineId",
        )
    if await work.session.scalar(select(Review.id).where(Review.order_line_id == line.id)) is not None:
        raise DomainError(ErrorCode.ALREADY_REVIEWED, "this line has been reviewed", "orderLineId")
    review = Review(
        order_id=order.id,
        order_line_id=line.id,
        product_id=line.product_id,
        sku_id=line.sku_id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        rating=rating,
        content=text,
        image_urls=list(image_urls),
        hidden=False,
        created_at=work.now,
    )
    try:
        async with work.session.begin_nested():
            work.session.add(review)
            await work.session.flush()
    except IntegrityError:  # the same line reviewed twice at once: the unique index decides
        raise DomainError(ErrorCode.ALREADY_REVIEWED, "this line has been reviewed", "orderLineId") from None
    return {"reviewId": review.id}


async def _review(work: Work, review_id: int) -> Review:
    review = await work.session.scalar(select(Review).where(Review.id == review_id).with_for_update())
    if review is None:
        raise DomainError(ErrorCode.NOT_FOUND, "review not found", "reviewId")
    return review


async def reply(work: Work, review_id: int, text: str) -> Result:
    """The store answers a review (商家回复); replying again replaces the answer."""
    reply_text = check_reply(text)
    review = await _review(work, review_id)
    staff = work.principal.role is Role.STORE_STAFF
    if work.principal.role is not Role.HQ_ADMIN and not (
        staff and review.store_id in work.principal.store_ids
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "review not found", "reviewId")
    diff = action_log.changes_between(review, {"reply": reply_text})
    if diff:
        review.reply = reply_text
        review.replied_at = work.now
        action_log.record(work, LoggedEntity.REVIEW, review.id, LoggedAction.REPLY, diff, review.store_id)
    return {"reviewId": review.id}


async def set_hidden(work: Work, review_id: int, hidden: bool) -> Result:
    """HQ hides a review (spam, abuse, personal data) or shows it again; hidden ones leave ratings."""
    require_hq(work.principal)
    review = await _review(work, review_id)
    if review.hidden is not hidden:
        action = LoggedAction.HIDE if hidden else LoggedAction.SHOW
        action_log.record(
            work, LoggedEntity.REVIEW, review.id, action, {"hidden": [review.hidden, hidden]}, review.store_id
        )
        review.hidden = hidden
    return {"reviewId": review.id}
