"""Root fields for one order: lookup, and every mutation of the order state machine (SPEC §3)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import order_mutation, run, user_error, visible_order
from gql.resolvers.order_prefetch import prefetch_order, visible_order_prefetched
from gql.schema.order_mutations import (
    AcceptOrderInput,
    AddParcelTraceInput,
    CancelAllocatedOrderInput,
    CancelOrderInput,
    ConfirmReceiptInput,
    OrderPayload,
    ParcelTracePayload,
    PayOrderInput,
    PlaceOrderInput,
    ReallocateOrderInput,
    RejectOrderInput,
    SetMerchantOrderNoInput,
    ShipOrderInput,
    VerifyPickupInput,
)
from gql.schema.order_records import Parcel
from gql.schema.orders import Order
from gql.time_input import business_time
from models.errors import DomainError, ErrorCode
from models.orders.states import OrderStatus
from services import shipping
from services.checkout import placing as checkout
from services.commands import Result, Work
from services.orders import lifecycle as order_service
from services.orders import payments as order_payments


@strawberry.type
class OrderQueries:
    @strawberry.field(permission_classes=[Allowed], description="One order by global id or by order number.")
    async def order(
        self, info: Info, id: strawberry.ID | None = None, order_no: str | None = None
    ) -> Order | None:
        if (id is None) == (order_no is None):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "give exactly one of id and orderNo", "id")
        if id is not None:
            row = await visible_order_prefetched(info, decode_id(id, "Order"))
            return None if row is None else Order.from_row(row)
        assert order_no is not None
        row = await order_service.find_order_by_no(info.context.sessions, info.context.principal, order_no)
        if row is None:
            return None
        await prefetch_order(info, row)
        return Order.from_row(row)


def _order_id(value: strawberry.ID) -> int:
    return decode_id(value, "Order", "orderId")


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        permission_classes=[Allowed], description="Shopper places an order (stock is reserved)."
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            cmd = checkout.PlaceOrder(
                store_id=decode_id(input.store_id, "Store", "storeId") if input.store_id else None,
                fulfillment=input.fulfillment,
                lines=tuple(
                    checkout.CartLine(decode_id(line.sku_id, "Sku", f"lines.{i}.skuId"), line.quantity)
                    for i, line in enumerate(input.lines)
                ),
                consignee=checkout.ConsigneeInput(**vars(input.consignee)),
                channel=input.channel,
                buyer_remark=input.buyer_remark,
                coupon_ids=tuple(
                    decode_id(c, "Coupon", f"couponIds.{i}") for i, c in enumerate(input.coupon_ids)
                ),
                booked_for=(
                    None
                    if input.booked_for is None
                    else business_time(input.booked_for, work.deps.rules.zone)
                ),
            )
            return await checkout.place_order(work, cmd)

        return await order_mutation(info, "placeOrder", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Store (its orders) or HQ sets the merchant order number (商家订单号).",
    )
    async def set_merchant_order_no(self, info: Info, input: SetMerchantOrderNoInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.set_merchant_order_no(
                work,
                _order_id(input.order_id),
                input.merchant_order_no,
                expected_version=input.expected_version,
            )

        return await order_mutation(info, "setMerchantOrderNo", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Shopper pays an unpaid order.")
    async def pay_order(self, info: Info, input: PayOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_payments.start_payment(work, _order_id(input.order_id), input.payment_method)

        return await order_mutation(info, "payOrder", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Cancel; a paid order is refunded in full."
    )
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.cancel(
                work, _order_id(input.order_id), input.reason, expected_version=input.expected_version
            )

        return await order_mutation(info, "cancelOrder", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="HQ cancels a 待分配 order (full refund).")
    async def cancel_allocated_order(self, info: Info, input: CancelAllocatedOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.cancel(
                work,
                _order_id(input.order_id),
                input.reason,
                expected_version=input.expected_version,
                only_from=OrderStatus.PENDING_ALLOCATION,
            )

        return await order_mutation(info, "cancelAllocatedOrder", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Store accepts (接单).")
    async def accept_order(self, info: Info, input: AcceptOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.accept(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "acceptOrder", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Store rejects (拒单) → 待分配.")
    async def reject_order(self, info: Info, input: RejectOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.reject(
                work, _order_id(input.order_id), input.reason, expected_version=input.expected_version
            )

        return await order_mutation(info, "rejectOrder", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="HQ reallocates a 待分配 order to a store."
    )
    async def reallocate_order(self, info: Info, input: ReallocateOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.reallocate(
                work,
                _order_id(input.order_id),
                decode_id(input.to_store_id, "Store", "toStoreId"),
                input.note,
                expected_version=input.expected_version,
            )

        return await order_mutation(info, "reallocateOrder", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Ship one or more parcels.")
    async def ship_order(self, info: Info, input: ShipOrderInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            parcels = tuple(
                shipping.ParcelInput(
                    carrier=p.carrier,
                    tracking_no=p.tracking_no,
                    lines=tuple(
                        (decode_id(line.line_id, "OrderLine", f"parcels.{i}.lines.{j}.lineId"), line.quantity)
                        for j, line in enumerate(p.lines)
                    ),
                )
                for i, p in enumerate(input.parcels)
            )
            return await shipping.ship(
                work, _order_id(input.order_id), parcels, expected_version=input.expected_version
            )

        return await order_mutation(info, "shipOrder", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Record a carrier tracking event of a parcel."
    )
    async def add_parcel_trace(self, info: Info, input: AddParcelTraceInput) -> ParcelTracePayload:
        async def use_case(work: Work) -> Result:
            trace = shipping.TraceInput(input.occurred_at, input.description, input.state, input.location)
            return await shipping.add_trace(work, decode_id(input.parcel_id, "Parcel", "parcelId"), trace)

        try:
            result = await run(info, "addParcelTrace", input, use_case)
        except DomainError as error:
            return ParcelTracePayload(parcel=None, order=None, user_errors=[user_error(error)])
        row = await info.context.loaders.parcel.load(int(result["parcelId"]))
        return ParcelTracePayload(
            parcel=Parcel.from_row(row) if row else None,
            order=await visible_order(info, int(result["orderId"])),
            user_errors=[],
        )

    @strawberry.mutation(permission_classes=[Allowed], description="Verify the pickup code (核销).")
    async def verify_pickup(self, info: Info, input: VerifyPickupInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.verify_pickup(
                work, _order_id(input.order_id), input.code, expected_version=input.expected_version
            )

        return await order_mutation(info, "verifyPickup", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Buyer confirms receipt (确认收货).")
    async def confirm_receipt(self, info: Info, input: ConfirmReceiptInput) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.confirm_receipt(
                work, _order_id(input.order_id), expected_version=input.expected_version
            )

        return await order_mutation(info, "confirmReceipt", input, use_case)
