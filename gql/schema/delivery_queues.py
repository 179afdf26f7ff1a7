"""GraphQL types of the store-delivery queues (催单, 配送异常)."""

from __future__ import annotations

import strawberry

from gql.schema.common import UserError
from gql.schema.orders import Order
from models.deliveries.queues import DeliveryQueue


@strawberry.type(
    description="One delivery queue in the caller's scope: how many orders it holds, the most urgent first."
)
class DeliveryQueuePage:
    queue: DeliveryQueue
    total_count: int
    nodes: list[Order] = strawberry.field(
        description="OVERDUE by promised time, NO_RIDER by the time picking ended (oldest first)."
    )


@strawberry.type
class DeliveryQueueCount:
    queue: DeliveryQueue
    count: int


@strawberry.type(description="One order of a batch: the order as it is now, or why it did not change.")
class BatchDeliveryResult:
    order_id: strawberry.ID
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class BatchDeliveryPayload:
    results: list[BatchDeliveryResult]
    user_errors: list[UserError] = strawberry.field(
        description="Errors of the batch as a whole (size, rider)."
    )
