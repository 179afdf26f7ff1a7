"""Root fields of store opt-in: the invitations a store sees, opting in and out."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import run, user_error
from gql.schema.campaign_opt_ins import CampaignOptIn, CampaignOptInInput, CampaignOptInPayload
from models.base import utcnow
from models.campaigns.scope import CampaignOptIn as OptInRow
from models.errors import DomainError
from services.campaigns import opt_ins as campaign_opt_ins
from services.commands import Result, Work


def _ids(input: CampaignOptInInput) -> tuple[int, int]:
    return decode_id(input.campaign_id, "Campaign", "campaignId"), decode_id(
        input.store_id, "Store", "storeId"
    )


async def _payload(
    info: Info, operation: str, input: CampaignOptInInput, opt_in: bool
) -> CampaignOptInPayload:
    async def use_case(work: Work) -> Result:
        campaign_id, store_id = _ids(input)
        if opt_in:
            return await campaign_opt_ins.opt_in(work, campaign_id, store_id)
        return await campaign_opt_ins.opt_out(work, campaign_id, store_id)

    try:
        result = await run(info, operation, input, use_case)
    except DomainError as error:
        return CampaignOptInPayload(opt_in=None, user_errors=[user_error(error)])
    campaign_id, store_id = int(result["campaignId"]), int(result["storeId"])
    async with info.context.sessions() as session:
        row = await session.get(OptInRow, (campaign_id, store_id))
    return CampaignOptInPayload(opt_in=CampaignOptIn.of(campaign_id, store_id, row), user_errors=[])


@strawberry.type
class CampaignOptInQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="HQ's opt-in campaigns open to this store (not ended), with its standing; "
        "staff: their own stores only.",
    )
    async def campaign_invitations(self, info: Info, store_id: strawberry.ID) -> list[CampaignOptIn]:
        store = decode_id(store_id, "Store", "storeId")
        async with info.context.sessions() as session:
            found = await campaign_opt_ins.invitations(session, info.context.principal, store, utcnow())
        return [CampaignOptIn.of(c.id, store, row) for c, row in found]


@strawberry.type
class CampaignOptInMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Opt a store in to an opt-in campaign (staff: their stores).",
    )
    async def opt_in_campaign(self, info: Info, input: CampaignOptInInput) -> CampaignOptInPayload:
        return await _payload(info, "optInCampaign", input, True)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Opt a store out: the campaign stops applying there to new orders.",
    )
    async def opt_out_campaign(self, info: Info, input: CampaignOptInInput) -> CampaignOptInPayload:
        return await _payload(info, "optOutCampaign", input, False)
