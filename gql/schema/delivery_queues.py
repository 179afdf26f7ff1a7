"""GraphQL types of the store-delivery queues (催单, 配送异常)."""

from __future__ import annotations

import strawberry

from gql.schema.common import Connection, UserError
from gql.schema.orders import Order
from models.deliveries.queues import DeliveryQueue


@strawberry.type(
    description="One page of a delivery queue in the caller's scope, the most urgent first, with keyset "
    "cursors (at most 100 a page): OVERDUE by promised time, NO_RIDER by the time picking ended."
)
class DeliveryQueuePage(Connection[Order]):
    queue: DeliveryQueue

    @strawberry.field(description="The page's orders (the nodes of `edges`).")
    def nodes(self) -> list[Order]:
        return [edge.node for edge in self.edges]


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
