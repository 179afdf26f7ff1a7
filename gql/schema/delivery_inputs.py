"""Inputs of the store-delivery mutations (gql/resolvers/deliveries.py)."""

from __future__ import annotations

from enum import Enum

import strawberry

from gql.schema.order_mutations import IDEMPOTENCY_HELP, VERSION_HELP
from models.deliveries.queues import FollowUp


@strawberry.input(description="A store-delivery step on one order (拣货完成, 骑手取货, 送达, 呼叫骑手).")
class DeliveryStepInput:
    order_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="自配: the store's own rider takes a PICKED order (or replaces its rider).")
class AssignOwnRiderInput:
    order_id: strawberry.ID
    rider_name: str
    rider_phone: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(
    description="催单处理: record a follow-up of a store-delivery order on its way (timeline and feeds)."
)
class FollowUpDeliveryInput:
    order_id: strawberry.ID
    kind: FollowUp
    note: str = strawberry.field(
        default="", description="At most 200 characters; the buyer sees it with SENT_PROGRESS."
    )


@strawberry.enum(description="A step taken on many orders of the 配送异常 queue at once.")
class BatchDeliveryAction(Enum):
    REQUEST_PLATFORM_RIDER = "REQUEST_PLATFORM_RIDER"
    ASSIGN_OWN_RIDER = "ASSIGN_OWN_RIDER"


@strawberry.input(description="One step on up to 50 orders; each order succeeds or fails on its own.")
class BatchDeliveryInput:
    order_ids: list[strawberry.ID]
    action: BatchDeliveryAction
    rider_name: str | None = strawberry.field(
        default=None, description="ASSIGN_OWN_RIDER: the store's rider."
    )
    rider_phone: str | None = None
