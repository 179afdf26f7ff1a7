"""GraphQL types of an order's parcels (包裹) with their carrier traces, its timeline (操作记录) and
its allocation records; the order itself is in gql/schema/orders.py."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.context import Info
from gql.engine import Relation, RowFields, computed
from gql.schema.order_lines import OrderLine
from gql.schema.stores import STORE_FIELDS, Store
from models.enums import ActorType, TraceState
from models.orders import rows
from models.orders.states import OrderAction, OrderStatus

_STORE: Relation[Store | None] = Relation("store", STORE_FIELDS)


@strawberry.type(description="A carrier tracking event (物流轨迹).")
class ParcelTrace:
    occurred_at: datetime
    location: str | None
    description: str
    state: TraceState

    @classmethod
    def from_row(cls, row: rows.ParcelTrace) -> ParcelTrace:
        return cls(
            occurred_at=row.occurred_at, location=row.location, description=row.description, state=row.state
        )


@strawberry.type(description="How many units of an order line travel in a parcel.")
class ParcelLine:
    quantity: int
    _line_id: strawberry.Private[int]

    @strawberry.field
    async def line(self, info: Info) -> OrderLine:
        row = await info.context.loaders.line.load(self._line_id)
        assert row is not None, "parcel lines reference an existing order line (foreign key)"
        return OrderLine.from_row(row)


@strawberry.type(description="A parcel (包裹) of a split or whole shipment.")
class Parcel(relay.Node):
    id: relay.NodeID[int]
    carrier: str
    tracking_no: str
    shipped_at: datetime
    latest_state: TraceState | None

    @strawberry.field
    async def lines(self, info: Info) -> list[ParcelLine]:
        found = await info.context.loaders.parcel_lines_by_parcel.load(self.id)
        return [ParcelLine(quantity=r.quantity, _line_id=r.order_line_id) for r in found]

    @strawberry.field(description="Tracking events, oldest first.")
    async def traces(self, info: Info) -> list[ParcelTrace]:
        return [ParcelTrace.from_row(r) for r in await info.context.loaders.traces_by_parcel.load(self.id)]

    @classmethod
    def from_row(cls, row: rows.Parcel) -> Parcel:
        return PARCEL_FIELDS(row)


@strawberry.type(description="One entry of the order timeline (操作记录).")
class OrderEvent:
    id: strawberry.ID
    action: OrderAction | None = strawberry.field(
        description="Null for the creation of the order, and for a note that changes no status "
        "(`payload.event`: AFTER_SALE_REQUESTED when the buyer opens an after-sale; BOOKING_ACCEPT_DUE "
        "and BOOKING_PICK_DUE, the sweeper's reminders of a pre-order; CLAIM_RAISED and CLAIM_DECIDED "
        "for a compensation claim, 餐损赔付)."
    )
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor_type: ActorType
    actor_id: str | None
    payload: JSON
    created_at: datetime

    @classmethod
    def from_row(cls, row: rows.OrderEvent) -> OrderEvent:
        return ORDER_EVENT_FIELDS(row)


def _event_id(value: int) -> strawberry.ID:
    return strawberry.ID(str(value))


PARCEL_FIELDS = RowFields(
    Parcel, {}, reads={"_id": ("id",), "lines": ("id",), "traces": ("id",)}, entity=rows.Parcel
)
ORDER_EVENT_FIELDS = RowFields(
    OrderEvent,
    {"id": computed(_event_id, "id"), "payload": computed(JSON, "payload")},
    entity=rows.OrderEvent,
)


@strawberry.type(description="A store rejecting the order (toStore null) or HQ reallocating it (重新分配).")
class AllocationRecord:
    reason: str
    actor_type: ActorType
    actor_id: str | None
    created_at: datetime
    _from_store_id: strawberry.Private[int | None]
    _to_store_id: strawberry.Private[int | None]

    from_store: Store | None = strawberry.field(resolver=_STORE.resolve_by("_from_store_id"))
    to_store: Store | None = strawberry.field(resolver=_STORE.resolve_by("_to_store_id"))
