"""Root fields of compensation claims (餐损赔付): the list with counts and the four steps."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import UseCase, run, user_error, visible_order
from gql.schema.claims import (
    ApproveClaimInput,
    Claim,
    ClaimConnection,
    ClaimFilter,
    ClaimPayload,
    PayClaimInput,
    RaiseClaimInput,
    RejectClaimInput,
)
from models.errors import DomainError
from services import claims
from services.commands import Result, Work
from services.pagination import PageRequest


def _claim_id(value: strawberry.ID) -> int:
    return decode_id(value, "Claim", "claimId")


def _criteria(f: ClaimFilter | None) -> claims.ClaimCriteria:
    f = f or ClaimFilter()
    return claims.ClaimCriteria(
        store_ids=tuple(decode_id(s, "Store", "filter.storeIds") for s in f.store_ids or ()),
        causes=tuple(f.causes or ()),
        states=tuple(f.states or ()),
    )


async def _mutation(info: Info, operation: str, input_: object, use_case: UseCase) -> ClaimPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return ClaimPayload(claim=None, order=None, user_errors=[user_error(error)])
    ctx = info.context
    row = await claims.visible_claim(ctx.sessions, ctx.principal, int(result["claimId"]))
    return ClaimPayload(
        claim=Claim.from_row(row) if row else None,
        order=await visible_order(info, int(result["orderId"])),
        user_errors=[],
    )


@strawberry.type
class ClaimQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Compensation claims (餐损赔付) in the caller's scope, newest first, "
        "with counts per state.",
    )
    async def claims(
        self,
        info: Info,
        filter: ClaimFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ClaimConnection:
        criteria = _criteria(filter)
        ctx = info.context
        page = await claims.list_claims(
            ctx.sessions, ctx.principal, criteria, PageRequest(first, after, last, before)
        )
        return ClaimConnection.of(
            page, Claim.from_row, _counts=lambda: claims.count_claims(ctx.sessions, ctx.principal, criteria)
        )


@strawberry.type
class ClaimMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="The store or the buyer raises a claim on a store-delivery order (state PENDING).",
    )
    async def raise_claim(self, info: Info, input: RaiseClaimInput) -> ClaimPayload:
        async def use_case(work: Work) -> Result:
            return await claims.raise_claim(
                work,
                decode_id(input.order_id, "Order", "orderId"),
                input.cause,
                input.amount_cents,
                input.note,
                input.evidence_urls,
            )

        return await _mutation(info, "raiseClaim", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="HQ approves a PENDING claim with the compensation (APPROVED).",
    )
    async def approve_claim(self, info: Info, input: ApproveClaimInput) -> ClaimPayload:
        async def use_case(work: Work) -> Result:
            return await claims.approve_claim(
                work,
                _claim_id(input.claim_id),
                input.amount_cents,
                input.note,
                expected_version=input.expected_version,
            )

        return await _mutation(info, "approveClaim", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="HQ rejects a PENDING claim (REJECTED).")
    async def reject_claim(self, info: Info, input: RejectClaimInput) -> ClaimPayload:
        async def use_case(work: Work) -> Result:
            return await claims.reject_claim(
                work, _claim_id(input.claim_id), input.note, expected_version=input.expected_version
            )

        return await _mutation(info, "rejectClaim", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="HQ pays an APPROVED claim as a price difference on the order (PAID).",
    )
    async def pay_claim(self, info: Info, input: PayClaimInput) -> ClaimPayload:
        async def use_case(work: Work) -> Result:
            return await claims.pay_claim(
                work, _claim_id(input.claim_id), expected_version=input.expected_version
            )

        return await _mutation(info, "payClaim", input, use_case)
