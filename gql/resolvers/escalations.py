"""Root fields of 客服介入: the escalation queue with counts, escalating, and HQ's verdict."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import UseCase, run, user_error
from gql.schema.escalations import (
    AfterSaleEscalation,
    AfterSaleEscalationConnection,
    DecideEscalationInput,
    EscalateAfterSaleInput,
    EscalationFilter,
    EscalationPayload,
)
from models.errors import DomainError
from services.after_sales import escalations
from services.commands import Result, Work
from services.pagination import PageRequest


def _criteria(f: EscalationFilter | None) -> escalations.EscalationCriteria:
    f = f or EscalationFilter()
    return escalations.EscalationCriteria(
        store_ids=tuple(decode_id(s, "Store", "filter.storeIds") for s in f.store_ids or ()),
        states=tuple(f.states or ()),
        raised_by=tuple(f.raised_by or ()),
        types=tuple(f.types or ()),
    )


async def _mutation(info: Info, operation: str, input_: object, use_case: UseCase) -> EscalationPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return EscalationPayload(escalation=None, user_errors=[user_error(error)])
    ctx = info.context
    row = await escalations.visible_escalation(ctx.sessions, ctx.principal, int(result["escalationId"]))
    return EscalationPayload(escalation=AfterSaleEscalation.from_row(row) if row else None, user_errors=[])


@strawberry.type
class EscalationQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="客服介入: after-sales escalated to HQ in the caller's scope, oldest first, with "
        "counts per state (HQ's queue: states [PENDING]).",
    )
    async def after_sale_escalations(
        self,
        info: Info,
        filter: EscalationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AfterSaleEscalationConnection:
        criteria = _criteria(filter)
        ctx = info.context
        page = await escalations.list_escalations(
            ctx.sessions, ctx.principal, criteria, PageRequest(first, after, last, before)
        )
        return AfterSaleEscalationConnection.of(
            page,
            AfterSaleEscalation.from_row,
            _counts=lambda: escalations.count_escalations(ctx.sessions, ctx.principal, criteria),
        )


@strawberry.type
class EscalationMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="客服介入: the buyer (a rejected request, or one unanswered past the review time) or the "
        "store (a request in review) hands an after-sale to HQ (ESCALATED).",
    )
    async def escalate_after_sale(self, info: Info, input: EscalateAfterSaleInput) -> EscalationPayload:
        async def use_case(work: Work) -> Result:
            return await escalations.escalate(
                work,
                decode_id(input.after_sale_id, "AfterSale", "afterSaleId"),
                input.reason,
                input.evidence,
                expected_version=input.expected_version,
            )

        return await _mutation(info, "escalateAfterSale", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="HQ decides a PENDING escalation: SUPPORT_BUYER (the after-sale proceeds as approved; "
        "a refund is paid) or SUPPORT_STORE (CLOSED).",
    )
    async def decide_escalation(self, info: Info, input: DecideEscalationInput) -> EscalationPayload:
        async def use_case(work: Work) -> Result:
            return await escalations.decide(
                work,
                decode_id(input.escalation_id, "AfterSaleEscalation", "escalationId"),
                input.verdict,
                input.note,
                expected_version=input.expected_version,
            )

        return await _mutation(info, "decideEscalation", input, use_case)
