"""GraphQL types of after-sales (售后): the record, its lines and timeline, inputs and payloads."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.context import Info
from gql.engine import Relation, RowFields, computed
from gql.schema.catalog import Sku
from gql.schema.common import Money, UserError, money
from gql.schema.escalations import AfterSaleEscalation
from gql.schema.order_lines import OrderLine
from gql.schema.orders import Order
from gql.schema.refund_layers import RefundLayers
from gql.schema.stores import Store
from models.after_sales.escalation_rules import check_escalation
from models.after_sales.rows import AfterSale as AfterSaleRow
from models.after_sales.states import (
    AFTER_SALE_ACTORS,
    KIND_ACTIONS,
    SUPPORT_BUYER_ACTIONS,
    AfterSaleAction,
    AfterSaleInitiator,
    AfterSaleStatus,
    AfterSaleType,
    allowed_after_sale_actions,
    support_buyer_action,
)
from models.base import utcnow
from models.enums import ActorType
from models.errors import DomainError, ErrorCode

_CREATING = frozenset({AfterSaleAction.REQUEST, AfterSaleAction.MERCHANT_REFUND})
IDEMPOTENCY_HELP = "Required: the same key + input returns the first result without moving money again."
VERSION_HELP = "Fail with VERSION_CONFLICT unless the after-sale is still at this version."


@strawberry.type(description="Units and money of one order line in an after-sale.")
class AfterSaleLine:
    quantity: int
    amount: Money
    _line_id: strawberry.Private[int]

    @strawberry.field
    async def line(self, info: Info) -> OrderLine:
        row = await info.context.loaders.line.load(self._line_id)
        assert row is not None, "after-sale lines reference an existing order line (foreign key)"
        return OrderLine.from_row(row)


@strawberry.type(description="换货: the SKU sent in place of an exchanged line's units.")
class AfterSaleReplacement:
    _line_id: strawberry.Private[int]
    _sku_id: strawberry.Private[int]

    @strawberry.field
    async def line(self, info: Info) -> OrderLine:
        row = await info.context.loaders.line.load(self._line_id)
        assert row is not None
        return OrderLine.from_row(row)

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        row = await info.context.loaders.sku.load(self._sku_id)
        assert row is not None, "replacements reference an existing SKU (foreign key)"
        return Sku.from_row(row)


@strawberry.type(description="One step of the after-sale timeline.")
class AfterSaleEvent:
    action: AfterSaleAction
    from_status: AfterSaleStatus | None
    to_status: AfterSaleStatus
    actor_type: ActorType
    actor_id: str | None
    payload: JSON
    created_at: datetime


@strawberry.type(description="Whether the viewer may do an after-sale action now (reason: an error code).")
class AfterSaleActionAvailability:
    action: AfterSaleAction
    allowed: bool
    reason: ErrorCode | None


@strawberry.type(description="An after-sale (售后): a buyer's refund or return request, or a store's refund.")
class AfterSale(relay.Node):
    id: relay.NodeID[int]
    after_sale_no: str = strawberry.field(description="The refundNo; also the gateway's refund key.")
    type: AfterSaleType
    initiator: AfterSaleInitiator
    status: AfterSaleStatus
    reason: str
    evidence_urls: list[str]
    refund_amount: Money = strawberry.field(
        description="What is (or will be) returned; includes the fees when the whole order is refunded."
    )
    reject_reason: str | None
    return_carrier: str | None
    return_tracking_no: str | None
    replacement_carrier: str | None = strawberry.field(description="换货: the replacement parcel's carrier.")
    replacement_tracking_no: str | None
    created_at: datetime
    reviewed_at: datetime | None
    return_shipped_at: datetime | None
    replacement_shipped_at: datetime | None
    refunded_at: datetime | None
    closed_at: datetime | None
    version: int
    _order_id: strawberry.Private[int]
    _store_id: strawberry.Private[int | None]

    @strawberry.field
    async def order(self, info: Info) -> Order:
        row = await info.context.loaders.visible_order.load(self._order_id)
        assert row is not None, "an after-sale is visible only with its order"
        return Order.from_row(row)

    @strawberry.field
    async def store(self, info: Info) -> Store | None:
        if self._store_id is None:
            return None
        row = await info.context.loaders.store.load(self._store_id)
        return Store.from_row(row) if row else None

    @strawberry.field
    async def lines(self, info: Info) -> list[AfterSaleLine]:
        rows = await info.context.loaders.after_sale_lines.load(self.id)
        return [
            AfterSaleLine(quantity=r.quantity, amount=money(r.amount), _line_id=r.order_line_id) for r in rows
        ]

    @strawberry.field(
        description="换货: the SKU sent per exchanged line where the buyer chose another spec "
        "(the other lines get their own)."
    )
    async def replacements(self, info: Info) -> list[AfterSaleReplacement]:
        rows = await info.context.loaders.after_sale_replacements.load(self.id)
        return [AfterSaleReplacement(_line_id=r.order_line_id, _sku_id=r.sku_id) for r in rows]

    @strawberry.field(description="客服介入: the escalation to HQ, if any.")
    async def escalation(self, info: Info) -> AfterSaleEscalation | None:
        row = await info.context.loaders.after_sale_escalation.load(self.id)
        return AfterSaleEscalation.from_row(row) if row else None

    @strawberry.field(
        description="The refund split by pricing layer (as if refunded next while open); null when it"
        " closed without a refund."
    )
    async def refund_layers(self, info: Info) -> RefundLayers | None:
        row = await info.context.loaders.refund_layers.load(self.id)
        return RefundLayers.of(row) if row else None

    @strawberry.field(description="Every step, oldest first.")
    async def timeline(self, info: Info) -> list[AfterSaleEvent]:
        rows = await info.context.loaders.after_sale_events.load(self.id)
        return [
            AfterSaleEvent(
                action=r.action,
                from_status=r.from_status,
                to_status=r.to_status,
                actor_type=r.actor_type,
                actor_id=r.actor_id,
                payload=JSON(r.payload),
                created_at=r.created_at,
            )
            for r in rows
        ]

    @strawberry.field(description="The after-sale actions the viewer's client offers, allowed or not.")
    def available_actions(self, info: Info) -> list[AfterSaleActionAvailability]:
        actor = info.context.principal.actor_type
        if actor is None:
            return []
        possible = allowed_after_sale_actions(self.status, self.type)
        # Creating one (REQUEST, MERCHANT_REFUND) is an action on the order, not on this after-sale;
        # only the actions of this type are offered (approveAfterSale and confirmReturnReceived
        # pick the type's own step). The table alone does not tell when an escalation is due or
        # who may escalate from which status: escalateAfterSale answers that.
        kind_actions = KIND_ACTIONS[self.type]
        offered = [
            a
            for a, actors in AFTER_SALE_ACTORS.items()
            if actor in actors and a not in _CREATING and a in kind_actions
        ]

        sla = info.context.deps.rules.after_sale_review_sla
        return [self._availability(a, a in possible, actor, sla) for a in offered]

    def _availability(
        self, action: AfterSaleAction, possible: bool, actor: ActorType, review_sla: timedelta
    ) -> AfterSaleActionAvailability:
        # Of the buyer-supporting verdicts the table allows, HQ's verdict takes the one for where
        # the escalation came from: the goods are back only when it came from a refused return.
        returned = self.return_shipped_at is not None
        if not possible or (
            action in SUPPORT_BUYER_ACTIONS
            and action is not support_buyer_action(self.type, goods_returned=returned)
        ):
            return AfterSaleActionAvailability(
                action=action, allowed=False, reason=ErrorCode.INVALID_TRANSITION
            )
        if action is AfterSaleAction.ESCALATE:  # who may escalate when: the escalation rule itself
            try:
                check_escalation(
                    self.status,
                    actor,
                    created_at=self.created_at,
                    reviewed_at=self.reviewed_at,
                    closed_at=self.closed_at,
                    now=utcnow(),
                    review_sla=review_sla,
                )
            except DomainError as no:
                return AfterSaleActionAvailability(action=action, allowed=False, reason=no.code)
        return AfterSaleActionAvailability(action=action, allowed=True, reason=None)

    @classmethod
    def from_row(cls, row: AfterSaleRow) -> AfterSale:
        return AFTER_SALE_FIELDS(row)


AFTER_SALE_FIELDS = RowFields(
    AfterSale,
    {
        "evidence_urls": computed(list, "evidence_urls"),
        "refund_amount": computed(money, "refund_amount"),
        "_order_id": "order_id",
        "_store_id": "store_id",
    },
    reads={
        "_id": ("id",),
        "order": ("order_id",),
        "store": ("store_id",),
        **dict.fromkeys(("lines", "replacements", "escalation", "refund_layers", "timeline"), ("id",)),
        "available_actions": (
            "status",
            "type",
            "return_shipped_at",
            "created_at",
            "reviewed_at",
            "closed_at",
        ),
    },
    entity=AfterSaleRow,
)
AFTER_SALES_BY_ORDER: Relation[list[AfterSale]] = Relation(
    "after_sales_by_order", AFTER_SALE_FIELDS, many=True
)
"""An order's after-sales (`Order.afterSales`, gql/schema/orders.py, which cannot import this module
when it is made)."""


@strawberry.type(description="What of an order line may still be refunded.")
class RefundableLine:
    refundable_quantity: int
    max_amount: Money = strawberry.field(description="The most that may be refunded for all those units.")
    open_after_sale: bool = strawberry.field(description="An after-sale of this line is in progress.")
    _line_id: strawberry.Private[int]

    @strawberry.field
    async def line(self, info: Info) -> OrderLine:
        row = await info.context.loaders.line.load(self._line_id)
        assert row is not None
        return OrderLine.from_row(row)


@strawberry.type(
    description="Result of an after-sale mutation; when userErrors is not empty nothing changed."
)
class AfterSalePayload:
    after_sale: AfterSale | None
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class AfterSaleLineInput:
    line_id: strawberry.ID
    quantity: int
    amount_cents: int | None = strawberry.field(
        default=None,
        description="Defaults to the pro-rata paid amount of the units; may be lowered, never raised. "
        "An exchange moves no money: leave it out.",
    )
    replacement_sku_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="EXCHANGE only: another SKU of the same product at the same price "
        "(default: the line's own).",
    )


@strawberry.input(
    description="A buyer asks for a refund (仅退款), a return (退款退货), a price difference (退差价) or an "
    "exchange (换货)."
)
class RequestAfterSaleInput:
    order_id: strawberry.ID
    type: AfterSaleType
    lines: list[AfterSaleLineInput]
    reason: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    evidence_urls: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A store refunds on its own (主动退款): money moves at once.")
class RefundLinesInput:
    order_id: strawberry.ID
    lines: list[AfterSaleLineInput]
    reason: str
    type: AfterSaleType = strawberry.field(
        default=AfterSaleType.REFUND_ONLY,
        description="REFUND_ONLY refunds the units; PRICE_DIFFERENCE (退差价) gives each line's amountCents "
        "back on units the buyer keeps (required, at most what a refund of them would give now).",
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)


@strawberry.input
class AfterSaleActionInput:
    after_sale_id: strawberry.ID
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class AfterSaleReasonInput:
    after_sale_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="The buyer ships the goods back.")
class SubmitReturnShipmentInput:
    after_sale_id: strawberry.ID
    carrier: str
    tracking_no: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="The store ships an exchange's replacement parcel.")
class ShipReplacementInput:
    after_sale_id: strawberry.ID
    carrier: str
    tracking_no: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="Narrow the after-sale list; all given conditions must hold.")
class AfterSaleFilter:
    status: list[AfterSaleStatus] | None = None
    type: list[AfterSaleType] | None = None
    initiator: list[AfterSaleInitiator] | None = None
    store_ids: list[strawberry.ID] | None = None
    order_no: str | None = None
    escalated: bool | None = strawberry.field(
        default=None, description="true: only after-sales escalated to HQ (客服介入); false: only the others."
    )
    created_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.type
class AfterSaleStatusCount:
    status: AfterSaleStatus
    count: int


@strawberry.type(description="Counts for the after-sale tabs (the status filter is ignored).")
class AfterSaleStatusCounts:
    total: int
    by_status: list[AfterSaleStatusCount]
