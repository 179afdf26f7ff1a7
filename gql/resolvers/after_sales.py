"""Root fields of after-sales (售后退款): the list with tab counts, one record, and every action."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import after_sale_mutation
from gql.schema.after_sales import (
    AfterSale,
    AfterSaleActionInput,
    AfterSaleFilter,
    AfterSaleLineInput,
    AfterSalePayload,
    AfterSaleReasonInput,
    AfterSaleStatusCount,
    AfterSaleStatusCounts,
    RefundLinesInput,
    RequestAfterSaleInput,
    ShipReplacementInput,
    SubmitReturnShipmentInput,
)
from gql.schema.common import Connection
from models.after_sales.states import AfterSaleType
from services.after_sales import exchanges
from services.after_sales import lifecycle as after_sales
from services.after_sales import search as after_sale_search
from services.commands import Result, Work
from services.pagination import PageRequest


def after_sale_criteria(f: AfterSaleFilter | None) -> after_sale_search.AfterSaleCriteria:
    f = f or AfterSaleFilter()
    return after_sale_search.AfterSaleCriteria(
        statuses=tuple(f.status or ()),
        types=tuple(f.type or ()),
        initiators=tuple(f.initiator or ()),
        store_ids=tuple(decode_id(s, "Store", "filter.storeIds") for s in f.store_ids or ()),
        order_no=f.order_no,
        escalated=f.escalated,
        created_from=f.created_from,
        created_to=f.created_to,
    )


def _asks(lines: list[AfterSaleLineInput]) -> list[after_sales.LineAsk]:
    return [
        after_sales.LineAsk(
            decode_id(line.line_id, "OrderLine", f"lines.{i}.lineId"),
            line.quantity,
            line.amount_cents,
            None
            if line.replacement_sku_id is None
            else decode_id(line.replacement_sku_id, "Sku", f"lines.{i}.replacementSkuId"),
        )
        for i, line in enumerate(lines)
    ]


def _id(value: strawberry.ID) -> int:
    return decode_id(value, "AfterSale", "afterSaleId")


@strawberry.type
class AfterSaleQueries:
    @strawberry.field(
        permission_classes=[Allowed], description="After-sales the caller may see, newest first."
    )
    async def after_sales(
        self,
        info: Info,
        filter: AfterSaleFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AfterSale]:
        page = await after_sale_search.list_after_sales(
            info.context.sessions,
            info.context.principal,
            after_sale_criteria(filter),
            PageRequest(first, after, last, before),
        )
        return Connection[AfterSale].of(page, AfterSale.from_row)

    @strawberry.field(permission_classes=[Allowed], description="Counts per status for the after-sale tabs.")
    async def after_sale_status_counts(
        self, info: Info, filter: AfterSaleFilter | None = None
    ) -> AfterSaleStatusCounts:
        counts = await after_sale_search.count_by_status(
            info.context.sessions, info.context.principal, after_sale_criteria(filter)
        )
        return AfterSaleStatusCounts(
            total=sum(counts.values()),
            by_status=[AfterSaleStatusCount(status=s, count=n) for s, n in counts.items()],
        )

    @strawberry.field(permission_classes=[Allowed])
    async def after_sale(self, info: Info, id: strawberry.ID) -> AfterSale | None:
        row = await info.context.loaders.visible_after_sale.load(_id(id))
        return AfterSale.from_row(row) if row else None


@strawberry.type
class AfterSaleMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Buyer asks for a refund, a return, a price difference or an exchange (换货).",
    )
    async def request_after_sale(self, info: Info, input: RequestAfterSaleInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            order_id = decode_id(input.order_id, "Order", "orderId")
            if input.type is AfterSaleType.EXCHANGE:
                return await exchanges.request_exchange(
                    work, order_id, _asks(input.lines), input.reason, input.evidence_urls
                )
            return await after_sales.request(
                work, order_id, input.type, _asks(input.lines), input.reason, input.evidence_urls
            )

        return await after_sale_mutation(info, "requestAfterSale", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Store refunds lines on its own (主动退款)."
    )
    async def refund_lines(self, info: Info, input: RefundLinesInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            order_id = decode_id(input.order_id, "Order", "orderId")
            return await after_sales.refund_lines(
                work, order_id, _asks(input.lines), input.reason, input.type
            )

        return await after_sale_mutation(info, "refundLines", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Buyer withdraws a request.")
    async def withdraw_after_sale(self, info: Info, input: AfterSaleActionInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.withdraw(
                work, _id(input.after_sale_id), expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "withdrawAfterSale", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Buyer gives the return parcel's tracking."
    )
    async def submit_return_shipment(self, info: Info, input: SubmitReturnShipmentInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.submit_return(
                work,
                _id(input.after_sale_id),
                input.carrier,
                input.tracking_no,
                expected_version=input.expected_version,
            )

        return await after_sale_mutation(info, "submitReturnShipment", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Store approves (refund-only pays at once)."
    )
    async def approve_after_sale(self, info: Info, input: AfterSaleActionInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.approve(
                work, _id(input.after_sale_id), expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "approveAfterSale", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Store rejects a request, with the reason."
    )
    async def reject_after_sale(self, info: Info, input: AfterSaleReasonInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.reject(
                work, _id(input.after_sale_id), input.reason, expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "rejectAfterSale", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Store got the goods back: the refund is paid."
    )
    async def confirm_return_received(self, info: Info, input: AfterSaleActionInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.confirm_return_received(
                work, _id(input.after_sale_id), expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "confirmReturnReceived", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Returned goods damaged or wrong: no refund."
    )
    async def refuse_return_receipt(self, info: Info, input: AfterSaleReasonInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await after_sales.refuse_return_receipt(
                work, _id(input.after_sale_id), input.reason, expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "refuseReturnReceipt", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="换货: the store ships the replacement (stock taken; OUT_OF_STOCK changes nothing).",
    )
    async def ship_replacement(self, info: Info, input: ShipReplacementInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await exchanges.ship_replacement(
                work,
                _id(input.after_sale_id),
                input.carrier,
                input.tracking_no,
                expected_version=input.expected_version,
            )

        return await after_sale_mutation(info, "shipReplacement", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="换货: the buyer received the replacement (EXCHANGED)."
    )
    async def confirm_replacement_received(self, info: Info, input: AfterSaleActionInput) -> AfterSalePayload:
        async def use_case(work: Work) -> Result:
            return await exchanges.confirm_replacement(
                work, _id(input.after_sale_id), expected_version=input.expected_version
            )

        return await after_sale_mutation(info, "confirmReplacementReceived", input, use_case)
