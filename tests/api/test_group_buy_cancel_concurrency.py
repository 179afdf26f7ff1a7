"""取消参团 racing joins on PostgreSQL, as concurrent requests through the app: the team never holds
more members than its size, its counts match its member rows, and the member is refunded once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from models.campaigns.rows import GroupBuyTeam, GroupBuyTeamMember
from tests.api.campaign_flow import CANCEL_AWAITING_GROUP, JOIN, member_order, pay
from tests.api.conftest import Api, Response
from tests.api.order_flow import key
from tests.api.test_group_buy_cancel import refunds_of, waiting_team
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only


def _outcome(r: Response, field: str) -> str:
    assert r.errors == [], r.errors
    errors = r.data[field]["userErrors"]
    return errors[0]["code"] if errors else "OK"


async def test_cancels_and_joins_race_for_the_freed_slot(api: Api, seed: Seed, db: Database) -> None:
    shop, _, opened, [(_, order_id)] = await waiting_team(api, seed, size=3)  # 2 of 3, both paid
    joiners = [(await seed.customer(f"1350000{i:04d}")).id for i in range(5)]
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    hq = api.as_hq()
    requests = [
        *(api.as_shopper(c).execute(JOIN, input=join) for c in joiners),
        *(
            hq.execute(
                CANCEL_AWAITING_GROUP,
                input={"orderId": order_id, "reason": "客服取消", "idempotencyKey": key()},
            )
            for _ in range(4)
        ),
    ]
    responses = await asyncio.gather(*requests)
    joins = Counter(_outcome(r, "joinTeam") for r in responses[: len(joiners)])
    cancels = Counter(_outcome(r, "cancelAwaitingGroupOrder") for r in responses[len(joiners) :])
    assert cancels == {"OK": 1, "INVALID_TRANSITION": 3}
    # one slot was free from the start and one is freed by the cancel: 1 or 2 joins, never 3
    assert joins["OK"] in (1, 2)
    assert joins["OK"] + joins["TEAM_FULL"] == len(joiners)
    async with db.sessions() as s:
        team = (await s.scalars(select(GroupBuyTeam))).one()
        members = await s.scalar(
            select(func.count()).select_from(GroupBuyTeamMember).where(GroupBuyTeamMember.team_id == team.id)
        )
    assert team.member_count == members == 1 + joins["OK"] <= team.team_size
    assert team.paid_count == 1  # the leader; the joiners have not paid yet
    assert len(await refunds_of(db, order_id)) == 1


async def test_a_cancel_racing_the_last_payment(api: Api, seed: Seed, db: Database) -> None:
    """Either the cancel wins (refunded once, the team still forming) or the team forms first (the
    cancel is INVALID_TRANSITION and nothing is refunded) — never both, never a formed team short."""
    shop, _, opened, [(_, order_id)] = await waiting_team(api, seed, size=3)
    last = (await seed.customer("13500009999")).id
    joined = await api.as_shopper(last).execute(
        JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
    )
    cancel = {"orderId": order_id, "reason": "客服取消", "idempotencyKey": key()}
    paid, cancelled = await asyncio.gather(
        pay(api, last, joined.data["joinTeam"]["order"]["id"]),
        api.as_hq().execute(CANCEL_AWAITING_GROUP, input=cancel),
    )
    async with db.sessions() as s:
        team = (await s.scalars(select(GroupBuyTeam))).one()
    if _outcome(cancelled, "cancelAwaitingGroupOrder") == "OK":
        assert paid["status"] == "AWAITING_GROUP"
        assert (team.status.value, team.member_count, team.paid_count) == ("FORMING", 2, 2)
        assert len(await refunds_of(db, order_id)) == 1
    else:
        assert _outcome(cancelled, "cancelAwaitingGroupOrder") == "INVALID_TRANSITION"
        assert paid["status"] == "PENDING_ACCEPTANCE"
        assert (team.status.value, team.member_count, team.paid_count) == ("SUCCEEDED", 3, 3)
        assert await refunds_of(db, order_id) == []
