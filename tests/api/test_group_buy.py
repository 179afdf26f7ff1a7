"""拼团 through GraphQL: open, join, new-customer teams, limits, success on the last payment, failure
at expiry with refunds once, freed slots, stop, and the cached public page."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from gql.ids import parse_global_id
from models.base import utcnow
from models.enums import PaymentKind
from models.orders.rows import OrderLine
from models.payments import PaymentTransaction
from services.cache import MemoryCache
from services.commands import Deps
from services.config import RulesConfig
from services.db import count_statements
from services.group_buy.cache import page_key
from services.group_buy.page import shared_page
from services.payments import DevPaymentGateway
from services.sweeps import run_sweeps
from tests.api.campaign_flow import (
    CREATE,
    JOIN,
    OPEN,
    PAGE,
    PAGE_WITH_VIEWER,
    STOP,
    created,
    group_input,
    member_order,
    pay,
    team_ok,
)
from tests.api.conftest import Api
from tests.api.order_flow import Shop, key, open_shop
from tests.conftest import Database
from tests.factories import Seed
from tests.integration.test_line_moments import mismatched_lines

STATUS = """query($id: ID!) { node(id: $id) { ... on Order {
  status refundedAmount { cents } paidAmount { cents } } } }"""


async def _team(
    api: Api, seed: Seed, size: int = 3, kind: str = "NORMAL", **group: Any
) -> tuple[Shop, dict[str, Any], dict[str, Any]]:
    shop = await open_shop(seed, stock=100)
    campaign = created(await api.as_hq().execute(CREATE, input=group_input(shop, size, kind, group=group)))
    opened = team_ok(
        await api.as_shopper(shop.customer_id).execute(
            OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
        ),
        "openTeam",
    )
    return shop, campaign, opened


async def _member(api: Api, seed: Seed, phone: str) -> int:
    return (await seed.customer(phone)).id


async def _status(api: Api, order_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.as_hq().execute(STATUS, id=order_id)).data["node"]
    return node


async def test_a_team_forms_when_the_last_member_pays(api: Api, seed: Seed, db: Database) -> None:
    shop, campaign, opened = await _team(api, seed, size=2)
    assert opened["order"]["discountAmount"] == {"cents": 1500 - 990}
    assert opened["order"]["payableAmount"] == {"cents": 990 + 100}  # group price + packaging
    assert opened["shareUrl"].endswith(opened["teamId"])
    leader_paid = await pay(api, shop.customer_id, opened["order"]["id"])
    assert leader_paid["status"] == "AWAITING_GROUP"
    friend = await _member(api, seed, "13700000001")
    joined = team_ok(
        await api.as_shopper(friend).execute(
            JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
        ),
        "joinTeam",
    )
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert page["team"]["memberCount"] == 2
    assert page["team"]["slotsLeft"] == 0
    assert [m["paid"] for m in page["team"]["members"]] == [True, False]
    await pay(api, friend, joined["order"]["id"])
    for order_id in (opened["order"]["id"], joined["order"]["id"]):
        assert (await _status(api, order_id))["status"] == "PENDING_ACCEPTANCE"
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert page["team"]["status"] == "SUCCEEDED"
    async with db.sessions() as session:  # group-buy payments stamp the lines too (migration 0029)
        assert await mismatched_lines(session) == 0
        unpaid = select(func.count()).where(OrderLine.order_paid_at.is_(None))
        assert await session.scalar(unpaid) == 0


async def test_full_teams_new_customer_teams_and_limits(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _team(api, seed, size=2, kind="NEW_USER_LED", perCustomerLimit=1)
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    veteran = await seed.customer("13700000002", first_paid_at=utcnow() - timedelta(days=40))
    r = await api.as_shopper(veteran.id).execute(JOIN, input=join)
    assert [e["code"] for e in r.data["joinTeam"]["userErrors"]] == ["NOT_NEW_CUSTOMER"]
    r = await api.as_shopper(shop.customer_id).execute(JOIN, input=join)
    assert [e["code"] for e in r.data["joinTeam"]["userErrors"]] == ["ALREADY_IN_TEAM"]
    newbie = await _member(api, seed, "13700000003")
    team_ok(await api.as_shopper(newbie).execute(JOIN, input=join), "joinTeam")
    late = await _member(api, seed, "13700000004")
    r = await api.as_shopper(late).execute(JOIN, input=join)
    assert [e["code"] for e in r.data["joinTeam"]["userErrors"]] == ["TEAM_FULL"]
    r = await api.as_shopper(shop.customer_id).execute(
        OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
    )
    assert [e["code"] for e in r.data["openTeam"]["userErrors"]] == ["PURCHASE_LIMIT_EXCEEDED"]
    viewer = await api.as_shopper(late).execute(PAGE_WITH_VIEWER, c=campaign["id"], t=opened["teamId"])
    assert viewer.data["groupBuyPage"]["viewer"] == {"canJoin": False, "reason": "TEAM_FULL"}


async def test_expired_teams_fail_and_refund_paid_members_once(api: Api, seed: Seed, db: Database) -> None:
    shop, _, opened = await _team(api, seed, size=3)
    await pay(api, shop.customer_id, opened["order"]["id"])
    friend = await _member(api, seed, "13700000005")
    joined = team_ok(
        await api.as_shopper(friend).execute(
            JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
        ),
        "joinTeam",
    )
    deps = Deps(db.sessions, api.gateway)
    later = utcnow() + timedelta(hours=25)
    reports = await asyncio.gather(run_sweeps(deps, later), run_sweeps(deps, later))  # two sweepers at once
    assert sum(r.teams_failed for r in reports) == 1
    leader = await _status(api, opened["order"]["id"])
    assert leader["status"] == "CANCELLED"
    assert leader["refundedAmount"] == leader["paidAmount"]
    assert (await _status(api, joined["order"]["id"]))["status"] == "CANCELLED"  # never paid: just cancelled
    async with db.sessions() as s:
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert [r.amount for r in refunds] == [leader["paidAmount"]["cents"]]
    assert api.gateway.refunded_total() == leader["paidAmount"]["cents"]


async def test_an_unpaid_member_who_leaves_frees_the_slot(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _team(api, seed, size=2)
    friend = await _member(api, seed, "13700000006")
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    joined = team_ok(await api.as_shopper(friend).execute(JOIN, input=join), "joinTeam")
    r = await api.as_shopper(friend).execute(
        "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }",
        input={"orderId": joined["order"]["id"], "reason": "不拼了", "idempotencyKey": key()},
    )
    assert r.data["cancelOrder"]["userErrors"] == []
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert page["team"]["memberCount"] == 1  # the cancel invalidated the cached page at once
    other = await _member(api, seed, "13700000007")
    team_ok(await api.as_shopper(other).execute(JOIN, input=join), "joinTeam")


async def test_stop_blocks_new_teams_not_forming_ones(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _team(api, seed, size=2)
    await api.as_hq().execute(STOP, input={"campaignId": campaign["id"]})
    r = await api.as_shopper(shop.customer_id).execute(
        OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
    )
    assert [e["code"] for e in r.data["openTeam"]["userErrors"]] == ["CAMPAIGN_NOT_ONGOING"]
    friend = await _member(api, seed, "13700000008")
    team_ok(
        await api.as_shopper(friend).execute(
            JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
        ),
        "joinTeam",
    )


async def test_the_shared_page_is_served_from_cache_and_follows_joins(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _team(api, seed, size=3)
    first = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    with count_statements() as counter:
        second = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert counter.count == 0
    assert second["team"] == first["team"]
    assert second["team"]["members"] == [
        {"nickname": first["team"]["members"][0]["nickname"], "isLeader": True, "paid": False}
    ]
    friend = await _member(api, seed, "13700000009")
    team_ok(
        await api.as_shopper(friend).execute(
            JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
        ),
        "joinTeam",
    )
    after = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert after["team"]["memberCount"] == 2
    # the campaign page lists forming teams; the viewer part is per viewer and costs SQL only when asked
    listing = (await api.execute(PAGE, c=campaign["id"])).data["groupBuyPage"]
    assert [t["memberCount"] for t in listing["openTeams"]] == [2]
    other = await _member(api, seed, "13700000010")
    mine = await api.as_shopper(other).execute(PAGE_WITH_VIEWER, c=campaign["id"], t=opened["teamId"])
    assert mine.data["groupBuyPage"]["viewer"] == {"canJoin": True, "reason": None}
    png = await api.http.get(f"/campaigns/{_pk(campaign['id'])}/teams/{_pk(opened['teamId'])}/qr.png")
    assert png.content.startswith(b"\x89PNG")


async def test_page_cache_can_be_switched_off(api: Api, seed: Seed, db: Database) -> None:
    """GROUP_BUY_PAGE_CACHE_SECONDS=0: every request builds the page from the database, nothing is stored."""
    _, campaign, opened = await _team(api, seed, size=3)
    cache = MemoryCache()
    deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(group_buy_page_ttl=0), cache)
    now = utcnow()
    for _ in range(2):
        with count_statements() as counter:
            page = await shared_page(deps, _pk(campaign["id"]), _pk(opened["teamId"]), now)
        assert page is not None
        assert counter.count > 0
    assert await cache.get(page_key(_pk(campaign["id"]), _pk(opened["teamId"]), "0")) is None


def _pk(global_id: str) -> int:
    return int(parse_global_id(global_id).node_id)


async def test_viewer_part_is_found_inside_fragments(api: Api, seed: Seed) -> None:
    _, campaign, opened = await _team(api, seed, size=3)
    stranger = await _member(api, seed, "13700000011")
    doc = """query($c: ID!, $t: ID) { groupBuyPage(campaignId: $c, teamId: $t) { ...Page } }
      fragment Page on GroupBuyPage { name ... on GroupBuyPage { viewer { canJoin reason } } }"""
    r = await api.as_shopper(stranger).execute(doc, c=campaign["id"], t=opened["teamId"])
    assert r.data["groupBuyPage"]["viewer"] == {"canJoin": True, "reason": None}
    anonymous = await api.execute(doc, c=campaign["id"], t=opened["teamId"])
    assert anonymous.data["groupBuyPage"]["viewer"] is None
