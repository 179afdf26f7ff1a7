"""Root fields of product reviews (商品评价): the list, reviewing, replying and moderation."""

from __future__ import annotations

import strawberry

from gql.admin_mutations import run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.common import Connection, UserError
from gql.schema.reviews import (
    CreateReviewInput,
    ReplyToReviewInput,
    Review,
    ReviewFilter,
    ReviewPayload,
    SetReviewHiddenInput,
)
from gql.time_input import half_open
from models.errors import DomainError, ErrorCode
from models.reviews import Review as ReviewRow
from services import reviews
from services.commands import Result, Work
from services.pagination import PageRequest


def _criteria(info: Info, f: ReviewFilter) -> reviews.ReviewCriteria:
    span = f.created_at
    start, end = (None, None)
    if span is not None:
        start, end = half_open(span.from_, span.to, info.context.deps.rules.zone, "filter.createdAt")
    for stars in f.rating or ():
        if not 1 <= stars <= 5:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "ratings are 1 to 5", "filter.rating")
    return reviews.ReviewCriteria(
        product_id=decode_id(f.product_id, "Product", "filter.productId") if f.product_id else None,
        store_ids=tuple(decode_id(s, "Store", "filter.storeIds") for s in f.store_ids or ()),
        ratings=tuple(f.rating or ()),
        has_images=f.has_images,
        replied=f.replied,
        hidden=f.hidden,
        created_from=start,
        created_to=end,
    )


async def _payload(info: Info, result: Result | None, errors: list[UserError]) -> ReviewPayload:
    if result is None:
        return ReviewPayload(review=None, user_errors=errors)
    async with info.context.sessions() as session:
        row = await session.get(ReviewRow, int(result["reviewId"]))
    return ReviewPayload(review=Review.from_row(row) if row else None, user_errors=[])


def _review_id(value: strawberry.ID) -> int:
    return decode_id(value, "Review", "reviewId")


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Reviews, newest first. Public: visible ones; store staff: their stores'; HQ: all.",
    )
    async def reviews(
        self,
        info: Info,
        filter: ReviewFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Review]:
        page = await reviews.list_reviews(
            info.context.sessions,
            info.context.principal,
            _criteria(info, filter or ReviewFilter()),
            PageRequest(first, after, last, before),
        )
        return Connection[Review].of(page, Review.from_row)


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(permission_classes=[Allowed], description="Shopper reviews a completed order line.")
    async def create_review(self, info: Info, input: CreateReviewInput) -> ReviewPayload:
        async def use_case(work: Work) -> Result:
            line_id = decode_id(input.order_line_id, "OrderLine", "orderLineId")
            return await reviews.create_review(work, line_id, input.rating, input.content, input.image_urls)

        return await _payload(info, *await run_admin(info, "createReview", input, use_case))

    @strawberry.mutation(
        permission_classes=[Allowed], description="The store replies to a review (商家回复)."
    )
    async def reply_to_review(self, info: Info, input: ReplyToReviewInput) -> ReviewPayload:
        async def use_case(work: Work) -> Result:
            return await reviews.reply(work, _review_id(input.review_id), input.reply)

        return await _payload(info, *await run_admin(info, "replyToReview", input, use_case))

    @strawberry.mutation(permission_classes=[Allowed], description="HQ hides or shows a review.")
    async def set_review_hidden(self, info: Info, input: SetReviewHiddenInput) -> ReviewPayload:
        async def use_case(work: Work) -> Result:
            return await reviews.set_hidden(work, _review_id(input.review_id), input.hidden)

        return await _payload(info, *await run_admin(info, "setReviewHidden", input, use_case))
