"""Batch after-sale mutations: decode the ids, run each item (services/after_sales/batches.py), and
answer per item with the after-sale as it is now."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import request_of, user_error
from gql.schema.after_sale_batches import (
    BatchAfterSaleInput,
    BatchAfterSalePayload,
    BatchAfterSaleResult,
    BatchRejectAfterSalesInput,
)
from gql.schema.after_sales import AfterSale
from gql.schema.common import UserError
from models.after_sales.rows import AfterSale as AfterSaleRow
from models.errors import DomainError
from services.after_sales import batches
from services.scoping import after_sale_visibility


async def _batch(
    info: Info,
    operation: str,
    input_: BatchAfterSaleInput | BatchRejectAfterSalesInput,
    step: batches.Step,
) -> BatchAfterSalePayload:
    try:
        ids = [decode_id(v, "AfterSale", f"afterSaleIds.{i}") for i, v in enumerate(input_.after_sale_ids)]
        outcomes = await batches.run_batch(
            info.context.deps,
            info.context.principal,
            operation,
            ids,
            step,
            idempotency_key=input_.idempotency_key,
            request=request_of(input_),
        )
    except DomainError as error:
        return BatchAfterSalePayload(results=[], succeeded=0, failed=0, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        rows = (
            await session.scalars(
                select(AfterSaleRow).where(
                    AfterSaleRow.id.in_(ids), after_sale_visibility(info.context.principal)
                )
            )
        ).all()
    by_id = {row.id: AfterSale.from_row(row) for row in rows}
    results = []
    for given, outcome in zip(input_.after_sale_ids, outcomes, strict=True):
        errors: list[UserError] = [] if outcome.error is None else [user_error(outcome.error)]
        results.append(
            BatchAfterSaleResult(
                after_sale_id=given, after_sale=by_id.get(outcome.after_sale_id), user_errors=errors
            )
        )
    failed = sum(1 for o in outcomes if o.error is not None)
    return BatchAfterSalePayload(
        results=results, succeeded=len(outcomes) - failed, failed=failed, user_errors=[]
    )


@strawberry.type
class AfterSaleBatchMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="批量审核: approve each after-sale as `approveAfterSale` would, each on its own.",
    )
    async def batch_approve_after_sales(
        self, info: Info, input: BatchAfterSaleInput
    ) -> BatchAfterSalePayload:
        return await _batch(info, "batchApproveAfterSales", input, batches.approve)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="批量拒绝: reject each after-sale with the reason, as `rejectAfterSale` would.",
    )
    async def batch_reject_after_sales(
        self, info: Info, input: BatchRejectAfterSalesInput
    ) -> BatchAfterSalePayload:
        return await _batch(info, "batchRejectAfterSales", input, batches.rejecting(input.reason))

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="批量退款: pay each after-sale whose next step pays — approve a refund-only or price "
        "difference in review, confirm a return that arrived; any other is INVALID_TRANSITION.",
    )
    async def batch_refund_after_sales(self, info: Info, input: BatchAfterSaleInput) -> BatchAfterSalePayload:
        return await _batch(info, "batchRefundAfterSales", input, batches.refund)
