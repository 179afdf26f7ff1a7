"""Mutations of store delivery (O2O): picking, riders and delivery (services/deliveries.py)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.mutations import order_mutation
from gql.permissions import Allowed
from gql.schema.delivery_inputs import AssignOwnRiderInput, DeliveryStepInput
from gql.schema.delivery_queues import DeliveryQueueCount, DeliveryQueuePage
from gql.schema.order_mutations import OrderPayload
from gql.schema.orders import Order
from models.base import utcnow
from models.delivery_queues import DeliveryQueue
from models.delivery_stages import DeliveryStage
from models.errors import DomainError, ErrorCode
from services import deliveries, delivery_queues
from services.commands import Result, Work


def _order_id(value: strawberry.ID) -> int:
    return decode_id(value, "Order", "orderId")


def _store_ids(values: list[strawberry.ID] | None) -> list[int] | None:
    return [decode_id(v, "Store", "storeIds") for v in values] if values else None


@strawberry.type
class DeliveryQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="A store-delivery queue in the caller's scope: OVERDUE (催单: past the promised time, "
        "not yet at the door) or NO_RIDER (配送异常: picked, no rider after the configured minutes). "
        "Orders leave it by themselves once delivered or given a rider.",
    )
    async def delivery_queue(
        self,
        info: Info,
        queue: DeliveryQueue,
        store_ids: list[strawberry.ID] | None = None,
        stages: list[DeliveryStage] | None = None,
        first: int = 20,
    ) -> DeliveryQueuePage:
        if not 1 <= first <= delivery_queues.MAX_PAGE:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"first is 1 to {delivery_queues.MAX_PAGE}", "first")
        total, rows = await delivery_queues.list_queue(
            info.context.sessions,
            info.context.principal,
            queue,
            utcnow(),
            info.context.deps.rules.no_rider_after,
            store_ids=_store_ids(store_ids),
            stages=stages,
            first=first,
        )
        return DeliveryQueuePage(queue=queue, total_count=total, nodes=[Order.from_row(r) for r in rows])

    @strawberry.field(
        permission_classes=[Allowed], description="How many orders each delivery queue holds now."
    )
    async def delivery_queue_counts(
        self, info: Info, store_ids: list[strawberry.ID] | None = None
    ) -> list[DeliveryQueueCount]:
        counts = await delivery_queues.count_queues(
            info.context.sessions,
            info.context.principal,
            utcnow(),
            info.context.deps.rules.no_rider_after,
            _store_ids(store_ids),
        )
        return [DeliveryQueueCount(queue=q, count=n) for q, n in counts.items()]


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(permission_classes=[Allowed], description="拣货完成: PICKING → PICKED (待配送).")
    async def finish_picking(self, info: Info, input: DeliveryStepInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.finish_picking(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "finishPicking", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="自配: the store's own rider takes a PICKED order → RIDER_ASSIGNED; on an order "
        "already with a rider (a platform's too: its request is called off) the rider is replaced.",
    )
    async def assign_own_rider(self, info: Info, input: AssignOwnRiderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.assign_own_rider(
                work,
                _order_id(input.order_id),
                input.rider_name,
                input.rider_phone,
                expected_version=input.expected_version,
            )

        return await order_mutation(info, "assignOwnRider", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="呼叫骑手: ask the courier platform for a rider for a PICKED order; its signed "
        "callbacks then move the order (RIDER_ASSIGNED, DELIVERING, DELIVERED).",
    )
    async def request_platform_rider(self, info: Info, input: DeliveryStepInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.request_platform_rider(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "requestPlatformRider", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="The rider took the goods: RIDER_ASSIGNED → DELIVERING (已发货).",
    )
    async def mark_order_delivering(self, info: Info, input: DeliveryStepInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.mark_delivering(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "markOrderDelivering", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="送达: DELIVERING → DELIVERED.")
    async def mark_order_delivered(self, info: Info, input: DeliveryStepInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.mark_delivered(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "markOrderDelivered", input, use_case)
