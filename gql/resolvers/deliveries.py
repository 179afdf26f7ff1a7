"""Mutations of store delivery (O2O): picking, riders and delivery (services/deliveries/lifecycle.py)."""

from __future__ import annotations

import dataclasses

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import order_mutation, run, user_error, visible_order
from gql.schema.delivery_inputs import (
    AssignOwnRiderInput,
    BatchDeliveryAction,
    BatchDeliveryInput,
    DeliveryStepInput,
    FollowUpDeliveryInput,
)
from gql.schema.delivery_queues import (
    BatchDeliveryPayload,
    BatchDeliveryResult,
    DeliveryQueueCount,
    DeliveryQueuePage,
)
from gql.schema.order_mutations import OrderPayload
from gql.schema.orders import Order
from models.base import utcnow
from models.deliveries.queues import DeliveryQueue
from models.deliveries.stages import DeliveryStage
from models.errors import DomainError, ErrorCode
from services.commands import Result, Work
from services.deliveries import lifecycle as deliveries
from services.deliveries import queues as delivery_queues
from services.pagination import PageRequest


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
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DeliveryQueuePage:
        page = await delivery_queues.list_queue(
            info.context.sessions,
            info.context.principal,
            queue,
            utcnow(),
            info.context.deps.rules.no_rider_after,
            PageRequest(first, after, last, before),
            store_ids=_store_ids(store_ids),
            stages=stages,
        )
        return DeliveryQueuePage.of(page, Order.from_row, queue=queue)

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

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="催单处理: record that the store contacted the rider or the buyer, or sent the buyer "
        "the delivery's progress (a DELIVERY_FOLLOW_UP event on the staff's and the buyer's feeds).",
    )
    async def follow_up_delivery(self, info: Info, input: FollowUpDeliveryInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await deliveries.follow_up(work, _order_id(input.order_id), input.kind, input.note)

        return await order_mutation(info, "followUpDelivery", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="配送异常 batch: ask the platform again, or give the store's own rider, for up to 50 "
        "orders; each order is its own transaction with its own result.",
    )
    async def batch_delivery_action(self, info: Info, input: BatchDeliveryInput) -> BatchDeliveryPayload:
        if not 1 <= len(input.order_ids) <= MAX_BATCH:
            error = DomainError(ErrorCode.BAD_USER_INPUT, f"give 1 to {MAX_BATCH} orders", "orderIds")
            return BatchDeliveryPayload(results=[], user_errors=[user_error(error)])
        own = input.action is BatchDeliveryAction.ASSIGN_OWN_RIDER
        if own and not (input.rider_name and input.rider_phone):
            error = DomainError(
                ErrorCode.BAD_USER_INPUT, "ASSIGN_OWN_RIDER needs riderName and riderPhone", "riderName"
            )
            return BatchDeliveryPayload(results=[], user_errors=[user_error(error)])
        results = []
        for i, raw in enumerate(dict.fromkeys(input.order_ids)):

            async def use_case(work: Work, raw: strawberry.ID = raw, i: int = i) -> Result:
                order_id = decode_id(raw, "Order", f"orderIds.{i}")
                if own:
                    return await deliveries.assign_own_rider(
                        work, order_id, input.rider_name or "", input.rider_phone or ""
                    )
                return await deliveries.request_platform_rider(work, order_id)

            try:
                result = await run(info, "batchDeliveryAction", _Item(raw, input.action.value), use_case)
            except DomainError as error:
                results.append(BatchDeliveryResult(order_id=raw, order=None, user_errors=[user_error(error)]))
                continue
            order = await visible_order(info, int(result["orderId"]))
            results.append(BatchDeliveryResult(order_id=raw, order=order, user_errors=[]))
        return BatchDeliveryPayload(results=results, user_errors=[])


MAX_BATCH = 50


@dataclasses.dataclass(frozen=True, slots=True)
class _Item:
    """One order of a batch, as the command runner records it (no idempotency key)."""

    order_id: str
    action: str
