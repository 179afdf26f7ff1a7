"""GraphQL types of compensation claims (餐损赔付): the claim, the list with counts, inputs, payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.schema.common import Connection, Money, UserError, money
from gql.schema.orders import Order
from models.claims.rows import CompensationClaim
from models.claims.rules import ClaimCause, ClaimState
from models.enums import ActorType

IDEMPOTENCY_HELP = "Optional: the same key + input returns the first result without acting again."
VERSION_HELP = "Fail with VERSION_CONFLICT unless the claim is still at this version."


@strawberry.type(
    description="A compensation claim (餐损赔付) on a store-delivery order: raised by the store or the "
    "buyer, decided by HQ, paid as a price difference (退差价) on the order."
)
class Claim(relay.Node):
    id: relay.NodeID[int]
    cause: ClaimCause
    state: ClaimState
    asked_amount: Money = strawberry.field(description="What the claimant asked for.")
    compensation_amount: Money | None = strawberry.field(description="What HQ approved (set on approval).")
    note: str
    evidence_urls: list[str]
    raised_by_type: ActorType
    verdict_note: str | None
    created_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None
    version: int
    _order_id: strawberry.Private[int]

    @strawberry.field
    async def order(self, info: Info) -> Order:
        row = await info.context.loaders.visible_order.load(self._order_id)
        assert row is not None, "a claim is visible only with its order"
        return Order.from_row(row)

    @classmethod
    def from_row(cls, row: CompensationClaim) -> Claim:
        return cls(
            id=row.id,
            cause=row.cause,
            state=row.state,
            asked_amount=money(row.asked_amount),
            compensation_amount=None if row.compensation_amount is None else money(row.compensation_amount),
            note=row.note,
            evidence_urls=list(row.evidence_urls),
            raised_by_type=row.raised_by_type,
            verdict_note=row.verdict_note,
            created_at=row.created_at,
            decided_at=row.decided_at,
            paid_at=row.paid_at,
            version=row.version,
            _order_id=row.order_id,
        )


@strawberry.type
class ClaimStateCount:
    state: ClaimState
    count: int


@strawberry.type(
    description="Claims in the caller's scope matching the filter, newest first, with keyset cursors (at "
    "most 100 a page)."
)
class ClaimConnection(Connection[Claim]):
    _counts: strawberry.Private[Callable[[], Awaitable[Mapping[ClaimState, int]]]]

    @strawberry.field(
        description="Per state, under every filter but `states` (the tabs; counted only when asked)."
    )
    async def counts(self) -> list[ClaimStateCount]:
        return [ClaimStateCount(state=s, count=n) for s, n in (await self._counts()).items()]


@strawberry.input
class ClaimFilter:
    store_ids: list[strawberry.ID] | None = None
    causes: list[ClaimCause] | None = None
    states: list[ClaimState] | None = None


@strawberry.input
class RaiseClaimInput:
    order_id: strawberry.ID
    cause: ClaimCause
    amount_cents: int = strawberry.field(description="The compensation asked for, in cents.")
    note: str = strawberry.field(description="What happened (at most 500 characters).")
    evidence_urls: list[str] = strawberry.field(default_factory=list, description="At most 9 pictures.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input
class ApproveClaimInput:
    claim_id: strawberry.ID
    amount_cents: int = strawberry.field(
        description="The compensation, at most what the order can still give back (REFUND_EXCEEDS_PAID)."
    )
    note: str | None = None
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input
class RejectClaimInput:
    claim_id: strawberry.ID
    note: str
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input
class PayClaimInput:
    claim_id: strawberry.ID
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class ClaimPayload:
    claim: Claim | None
    order: Order | None
    user_errors: list[UserError]


@strawberry.type(description="Revenue lost to service problems of one cause: compensation paid in the range.")
class ServiceLoss:
    cause: ClaimCause
    amount: Money
    claims: int = strawberry.field(description="How many claims of this cause were paid.")
