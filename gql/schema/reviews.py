"""GraphQL types of product reviews (商品评价), their filter, inputs and payload."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.schema.catalog import Product, Sku
from gql.schema.common import UserError
from gql.schema.customers import Customer
from gql.schema.order_search import DateTimeRange
from gql.schema.store_admin import IDEMPOTENCY_HELP
from gql.schema.stores import Store
from models.enums import Role
from models.reviews import Review as ReviewRow
from models.reviews import masked_nickname


@strawberry.type(description="A shopper's review of a completed order line, with the store's reply.")
class Review(relay.Node):
    id: relay.NodeID[int]
    rating: int = strawberry.field(description="1 to 5 stars.")
    content: str | None
    image_urls: list[str]
    reply: str | None = strawberry.field(description="The store's answer (商家回复).")
    replied_at: datetime | None
    hidden: bool = strawberry.field(description="Hidden by HQ: out of public lists and of the rating.")
    created_at: datetime
    _product_id: strawberry.Private[int]
    _sku_id: strawberry.Private[int]
    _store_id: strawberry.Private[int | None]
    _customer_id: strawberry.Private[int]

    @strawberry.field(description="The author's nickname; masked (张**) outside the back office.")
    async def author_nickname(self, info: Info) -> str:
        row = await info.context.loaders.customer.load(self._customer_id)
        nickname = row.nickname if row else ""
        role = info.context.principal.role
        back_office = role in (Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST)
        own = role is Role.SHOPPER and info.context.principal.customer_id == self._customer_id
        return nickname if back_office or own else masked_nickname(nickname)

    @strawberry.field(description="The author, for callers who may see the customer (null otherwise).")
    async def customer(self, info: Info) -> Customer | None:
        if info.context.principal.is_anonymous:
            return None
        row = await info.context.loaders.visible_customer.load(self._customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field
    async def product(self, info: Info) -> Product:
        row = await info.context.loaders.product.load(self._product_id)
        assert row is not None, "reviews reference an existing product (foreign key)"
        return Product.from_row(row)

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None, "reviews reference an existing SKU (foreign key)"
        return Sku.from_row(row)

    @strawberry.field(description="The store that fulfilled the order (null: the HQ warehouse).")
    async def store(self, info: Info) -> Store | None:
        if self._store_id is None:
            return None
        row = await info.context.loaders.store.load(self._store_id)
        return Store.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ReviewRow) -> Review:
        return cls(
            id=row.id,
            rating=row.rating,
            content=row.content,
            image_urls=list(row.image_urls),
            reply=row.reply,
            replied_at=row.replied_at,
            hidden=row.hidden,
            created_at=row.created_at,
            _product_id=row.product_id,
            _sku_id=row.sku_id,
            _store_id=row.store_id,
            _customer_id=row.customer_id,
        )


@strawberry.input(description="Narrow the review list; every given condition must hold.")
class ReviewFilter:
    product_id: strawberry.ID | None = None
    store_ids: list[strawberry.ID] | None = None
    rating: list[int] | None = strawberry.field(default=None, description="Any of these star counts.")
    has_images: bool | None = None
    replied: bool | None = None
    hidden: bool | None = strawberry.field(default=None, description="Only the back office sees hidden ones.")
    created_at: DateTimeRange | None = None


@strawberry.input(description="Review a line of your completed order (once per line).")
class CreateReviewInput:
    order_line_id: strawberry.ID
    rating: int
    content: str | None = None
    image_urls: list[str] = strawberry.field(default_factory=list, description="At most nine https URLs.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="The store's answer to a review; replying again replaces it.")
class ReplyToReviewInput:
    review_id: strawberry.ID
    reply: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="HQ hides a review (out of public lists and ratings) or shows it again.")
class SetReviewHiddenInput:
    review_id: strawberry.ID
    hidden: bool
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class ReviewPayload:
    review: Review | None
    user_errors: list[UserError]
