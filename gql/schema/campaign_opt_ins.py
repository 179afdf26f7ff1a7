"""Store opt-in (报名) to HQ's opt-in campaigns: one store's standing, the inputs and payload."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from gql.schema.campaign_inputs import KEY_HELP
from gql.schema.campaigns import Campaign
from gql.schema.common import UserError
from gql.schema.stores import Store
from models.campaigns.scope import CampaignOptIn as OptInRow
from models.principals import Principal


@strawberry.type(description="One store's opt-in to an opt-in campaign (报名).")
class CampaignOptIn:
    campaign_id: strawberry.Private[int]
    store_id: strawberry.Private[int]
    opted_in: bool = strawberry.field(description="The campaign applies at this store to new orders.")
    opted_in_at: datetime | None = strawberry.field(description="When it last opted in; null: never.")
    opted_out_at: datetime | None = strawberry.field(description="When it opted out, if it is out.")

    @strawberry.field
    async def campaign(self, info: Info) -> Campaign | None:
        row = await info.context.loaders.campaign.load(self.campaign_id)
        return Campaign.from_row(row) if row else None

    @strawberry.field
    async def store(self, info: Info) -> Store | None:
        row = await info.context.loaders.store.load(self.store_id)
        return Store.from_row(row) if row else None

    @classmethod
    def of(cls, campaign_id: int, store_id: int, row: OptInRow | None) -> CampaignOptIn:
        return cls(
            campaign_id=campaign_id,
            store_id=store_id,
            opted_in=row is not None and row.opted_out_at is None,
            opted_in_at=row.opted_in_at if row else None,
            opted_out_at=row.opted_out_at if row else None,
        )


def visible_opt_ins(principal: Principal, rows: list[OptInRow]) -> list[CampaignOptIn]:
    """HQ sees every store's opt-in, staff their own stores'."""
    return [
        CampaignOptIn.of(r.campaign_id, r.store_id, r)
        for r in rows
        if principal.sees_all_stores() or r.store_id in principal.store_ids
    ]


@strawberry.input(description="Opt a store in to (or out of) an opt-in campaign.")
class CampaignOptInInput:
    campaign_id: strawberry.ID
    store_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class CampaignOptInPayload:
    opt_in: CampaignOptIn | None
    user_errors: list[UserError]
