"""GraphQL types of 客服介入 (after-sales escalated to HQ): the escalation, the queue, inputs, payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql.context import Info
from gql.schema.common import Connection, UserError
from gql.schema.orders import Order
from models.after_sales.escalation_rules import EscalationState, EscalationVerdict
from models.after_sales.rows import AfterSaleEscalation as EscalationRow
from models.after_sales.states import AfterSaleStatus, AfterSaleType
from models.enums import ActorType

if TYPE_CHECKING:
    from gql.schema.after_sales import AfterSale

IDEMPOTENCY_HELP = "Optional: the same key + input returns the first result without acting again."


@strawberry.type(
    description="客服介入: an after-sale handed to HQ customer service by the buyer (after a rejection, "
    "or a request unanswered past the review time) or by the store, and HQ's verdict."
)
class AfterSaleEscalation(relay.Node):
    id: relay.NodeID[int]
    state: EscalationState
    from_status: AfterSaleStatus = strawberry.field(description="The after-sale's status when escalated.")
    raised_by_type: ActorType
    reason: str
    evidence: str | None
    verdict_note: str | None
    created_at: datetime
    decided_at: datetime | None
    version: int
    _after_sale_id: strawberry.Private[int]
    _order_id: strawberry.Private[int]

    @strawberry.field
    async def after_sale(self, info: Info) -> Annotated[AfterSale, strawberry.lazy("gql.schema.after_sales")]:
        from gql.schema.after_sales import AfterSale

        row = await info.context.loaders.visible_after_sale.load(self._after_sale_id)
        assert row is not None, "an escalation is visible only with its after-sale"
        return AfterSale.from_row(row)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        row = await info.context.loaders.visible_order.load(self._order_id)
        assert row is not None, "an escalation is visible only with its order"
        return Order.from_row(row)

    @classmethod
    def from_row(cls, row: EscalationRow) -> AfterSaleEscalation:
        return cls(
            id=row.id,
            state=row.state,
            from_status=row.from_status,
            raised_by_type=row.raised_by_type,
            reason=row.reason,
            evidence=row.evidence,
            verdict_note=row.verdict_note,
            created_at=row.created_at,
            decided_at=row.decided_at,
            version=row.version,
            _after_sale_id=row.after_sale_id,
            _order_id=row.order_id,
        )


@strawberry.type
class EscalationStateCount:
    state: EscalationState
    count: int


@strawberry.type(
    description="Escalations in the caller's scope matching the filter, oldest first (a queue), with keyset "
    "cursors (at most 100 a page)."
)
class AfterSaleEscalationConnection(Connection[AfterSaleEscalation]):
    _counts: strawberry.Private[Callable[[], Awaitable[Mapping[EscalationState, int]]]]

    @strawberry.field(
        description="Per state, under every filter but `states` (the tabs; counted only when asked)."
    )
    async def counts(self) -> list[EscalationStateCount]:
        return [EscalationStateCount(state=s, count=n) for s, n in (await self._counts()).items()]


@strawberry.input
class EscalationFilter:
    states: list[EscalationState] | None = None
    store_ids: list[strawberry.ID] | None = None
    raised_by: list[ActorType] | None = strawberry.field(default=None, description="CUSTOMER or STAFF.")
    types: list[AfterSaleType] | None = strawberry.field(default=None, description="The after-sales' types.")


@strawberry.input(description="Hand an after-sale to HQ customer service (客服介入).")
class EscalateAfterSaleInput:
    after_sale_id: strawberry.ID
    reason: str = strawberry.field(description="Why HQ should step in (at most 200 characters).")
    evidence: str | None = strawberry.field(default=None, description="What backs it (at most 1000).")
    expected_version: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="HQ's verdict on a PENDING escalation.")
class DecideEscalationInput:
    escalation_id: strawberry.ID
    verdict: EscalationVerdict
    note: str = strawberry.field(description="The verdict's explanation, shown to both sides.")
    expected_version: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class EscalationPayload:
    escalation: AfterSaleEscalation | None
    user_errors: list[UserError]
