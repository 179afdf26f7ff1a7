"""Campaigns under real concurrency on PostgreSQL: team slots, racing sweepers, rewards granted once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gql.ids import encode_id
from models.base import utcnow
from models.campaigns.rows import GroupBuyTeam, GroupBuyTeamMember, InviteReward
from models.campaigns.scope import CampaignOptIn
from models.coupons.rows import CustomerCoupon
from models.enums import RewardStatus
from services.commands import Deps
from services.invites.rewards import grant_rewards
from tests.api.campaign_flow import CREATE, JOIN, OPEN, created, group_input, member_order, team_ok
from tests.api.conftest import Api
from tests.api.order_flow import open_shop
from tests.api.test_campaign_opt_ins import OPT_IN, OPT_OUT
from tests.api.test_invites import ACCEPT, _campaign
from tests.api.test_price_cut import cut_input
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


async def test_team_of_four_and_nine_joiners(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    campaign = created(await api.as_hq().execute(CREATE, input=group_input(shop, team_size=4)))
    opened = team_ok(
        await api.as_shopper(shop.customer_id).execute(
            OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
        ),
        "openTeam",
    )
    joiners = [(await seed.customer(f"1360000{i:04d}")).id for i in range(8)]  # N + 5 = 3 free slots + 5
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    responses = await asyncio.gather(*(api.as_shopper(c).execute(JOIN, input=join) for c in joiners))
    outcomes = Counter(
        "OK" if not r.data["joinTeam"]["userErrors"] else r.data["joinTeam"]["userErrors"][0]["code"]
        for r in responses
    )
    assert outcomes == {"OK": 3, "TEAM_FULL": 5}
    async with db.sessions() as s:
        team = (await s.scalars(select(GroupBuyTeam))).one()
        members = await s.scalar(select(func.count()).select_from(GroupBuyTeamMember))
    assert (team.member_count, members) == (4, 4)


async def test_racing_reward_sweepers_grant_once(api: Api, seed: Seed, db: Database) -> None:
    created(await api.as_hq().execute(CREATE, input=_campaign("INVITEE_REGISTERED")))
    inviter = await seed.customer("13500000001")
    for i in range(5):
        invitee = await seed.customer(f"1350000100{i}", registered_at=utcnow() - timedelta(hours=1))
        await api.as_shopper(invitee.id).execute(ACCEPT, input={"inviteCode": inviter.invite_code})
    deps = Deps(db.sessions, api.gateway)
    granted = await asyncio.gather(*(grant_rewards(deps, utcnow()) for _ in range(6)))
    assert sum(granted) == 10
    async with db.sessions() as s:
        statuses = Counter((await s.scalars(select(InviteReward.status))).all())
        coupons = await s.scalar(select(func.count()).select_from(CustomerCoupon))
    assert statuses == {RewardStatus.GRANTED: 10}
    assert coupons == 5


async def test_racing_opt_ins_and_outs_leave_one_consistent_row(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    campaign = created(
        await api.as_hq().execute(CREATE, input={**cut_input(shop, 1200, stores=[shop.a.id]), "optIn": True})
    )
    staff = api.as_staff(shop.a.id)
    docs = [OPT_IN if i % 2 == 0 else OPT_OUT for i in range(12)]
    inputs = [{"campaignId": campaign["id"], "storeId": encode_id("Store", shop.a.id)} for _ in docs]
    responses = await asyncio.gather(*(staff.execute(d, input=i) for d, i in zip(docs, inputs, strict=True)))
    for r in responses:
        assert r.errors == [], r.errors
        assert next(iter(r.data.values()))["userErrors"] == []
    async with db.sessions() as s:
        rows = (await s.scalars(select(CampaignOptIn))).all()
    assert len(rows) == 1
    assert rows[0].opted_out_at is None or rows[0].opted_out_at >= rows[0].opted_in_at
