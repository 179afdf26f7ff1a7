"""Mutations of store delivery (O2O): picking, riders and delivery (services/deliveries.py)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.mutations import order_mutation
from gql.permissions import Allowed
from gql.schema.delivery_inputs import AssignOwnRiderInput, DeliveryStepInput
from gql.schema.order_mutations import OrderPayload
from services import deliveries
from services.commands import Result, Work


def _order_id(value: strawberry.ID) -> int:
    return decode_id(value, "Order", "orderId")


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
