"""Inputs and payloads of the after-sale batch actions (批量审核、批量拒绝、批量退款)."""

from __future__ import annotations

import strawberry

from gql.schema.after_sales import AfterSale
from gql.schema.common import UserError

_IDS_HELP = "1 to 50 after-sales, each once; each is acted on in its own transaction."
_KEY_HELP = (
    "Optional: item i is keyed `<key>:<its id>`, so replaying the batch replays each item's answer "
    "(24 h) instead of acting again."
)


@strawberry.input(description="Approve (批量审核) or refund (批量退款) several after-sales.")
class BatchAfterSaleInput:
    after_sale_ids: list[strawberry.ID] = strawberry.field(description=_IDS_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY_HELP)


@strawberry.input(description="Reject several after-sales with one reason (批量拒绝).")
class BatchRejectAfterSalesInput:
    after_sale_ids: list[strawberry.ID] = strawberry.field(description=_IDS_HELP)
    reason: str
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY_HELP)


@strawberry.type(description="What happened to one after-sale of a batch.")
class BatchAfterSaleResult:
    after_sale_id: strawberry.ID = strawberry.field(description="As given in the input.")
    after_sale: AfterSale | None = strawberry.field(description="As it is now; null when not visible.")
    user_errors: list[UserError] = strawberry.field(
        description="Empty when this item was done; else why not (its own code), the others unaffected."
    )


@strawberry.type(description="Per-item results in input order; a refused batch has userErrors only.")
class BatchAfterSalePayload:
    results: list[BatchAfterSaleResult]
    succeeded: int
    failed: int
    user_errors: list[UserError] = strawberry.field(
        description="Errors of the batch as a whole (size, repeated ids); then nothing was done."
    )
