"""Inputs of the store-delivery mutations (gql/resolvers/deliveries.py)."""

from __future__ import annotations

import strawberry

from gql.schema.order_mutations import IDEMPOTENCY_HELP, VERSION_HELP


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
