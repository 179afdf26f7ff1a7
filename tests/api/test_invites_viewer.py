"""邀请有礼, the inviter's side: `viewer.invites` (code, link, QR, invitees by state, rewards), own only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from models.base import utcnow
from models.customers.rows import Customer
from models.orders.rows import Order
from models.orders.states import OrderStatus
from services.commands import Deps
from services.db import count_statements
from services.sweeps import run_sweeps
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

ACCEPT = """mutation($input: AcceptInviteInput!) {
  acceptInvite(input: $input) { accepted userErrors { code message } } }"""
INVITES = """query($first: Int, $after: String) { viewer { invites {
  code shareLink qrUrl
  invitees(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { nickname phone registeredAt state firstOrderAt rewardedAt } } }
  rewards { role kind status reason points couponValue { cents } grantedAt
    coupon { title amount { cents } status } }
  summary { invited registered ordered rewarded voided points coupons } } } }"""
ACCOUNT = "{ viewer { customer { points coupons { amount { cents } status } } } }"


def _campaign() -> dict[str, Any]:
    return {
        "type": "INVITE_REWARD",
        "name": "邀请好友得券",
        **window(),
        "inviteReward": {
            "trigger": "FIRST_ORDER_COMPLETED",
            "inviterRewardKind": "COUPON",
            "inviterRewardValue": 1000,
            "inviteeRewardKind": "POINTS",
            "inviteeRewardValue": 200,
        },
    }


async def _order(
    db: Database, seed: Seed, invitee: Customer, completed: datetime | None, **values: Any
) -> None:
    store = await seed.store()
    _, (sku,) = await seed.product()
    order = await seed.order(store, invitee, [(sku, 1)])
    async with db.sessions() as s, s.begin():
        await s.execute(update(Customer).where(Customer.id == invitee.id).values(first_paid_at=utcnow()))
        if completed is not None:
            values |= {"status": OrderStatus.COMPLETED, "completed_at": completed}
            await s.execute(update(Order).where(Order.id == order.id).values(**values))


async def _world(api: Api, seed: Seed, db: Database) -> dict[str, Customer]:
    """Inviter A with one invitee in each state; inviter B with one of their own."""
    created(await api.as_hq().execute(CREATE, input=_campaign()))
    people = {"a": await seed.customer("13900001000"), "b": await seed.customer("13900002000")}
    for name, phone, nickname, inviter in (
        ("kept", "13900001001", "晴天小猪", "a"),
        ("refunded", "13900001002", "小王", "a"),
        ("waiting", "13900001003", "阿福", "a"),
        ("idle", "13900001004", "大白", "a"),
        ("other", "13900002001", "路人", "b"),
    ):
        people[name] = await seed.customer(
            phone, nickname=nickname, registered_at=utcnow() - timedelta(hours=1)
        )
        r = await api.as_shopper(people[name].id).execute(
            ACCEPT, input={"inviteCode": people[inviter].invite_code}
        )
        assert r.data["acceptInvite"]["accepted"], r.data
    yesterday = utcnow() - timedelta(days=1)
    await _order(db, seed, people["kept"], yesterday)
    await _order(db, seed, people["refunded"], yesterday, refunded_amount=100)
    await _order(db, seed, people["waiting"], None)
    deps = Deps(db.sessions, api.gateway)
    await run_sweeps(deps, utcnow())
    await run_sweeps(deps, utcnow() + timedelta(days=16))  # past the refund window
    return people


async def test_inviter_sees_code_link_invitees_rewards_and_summary(
    api: Api, seed: Seed, db: Database
) -> None:
    people = await _world(api, seed, db)
    a = people["a"]
    r = await api.as_shopper(a.id).execute(INVITES, first=10)
    assert r.errors == [], r.errors
    invites = r.data["viewer"]["invites"]
    assert invites["code"] == a.invite_code
    assert invites["shareLink"] == f"{api.settings.share_base_url}/invites/{a.invite_code}"
    assert invites["qrUrl"] == f"/invites/{a.invite_code}/qr.png"
    nodes = [e["node"] for e in invites["invitees"]["edges"]]
    assert invites["invitees"]["totalCount"] == 4
    assert [(n["nickname"], n["phone"], n["state"]) for n in nodes] == [
        ("大*", "139****1004", "REGISTERED"),
        ("阿*", "139****1003", "FIRST_ORDER"),
        ("小*", "139****1002", "VOIDED"),
        ("晴**猪", "139****1001", "REWARDED"),
    ]
    assert [n["firstOrderAt"] is not None for n in nodes] == [False, True, True, True]
    assert [n["rewardedAt"] is not None for n in nodes] == [False, False, False, True]
    assert invites["summary"] == {
        "invited": 4,
        "registered": 1,
        "ordered": 1,
        "rewarded": 1,
        "voided": 1,
        "points": 0,
        "coupons": 1,
    }
    rewards = [(w["role"], w["kind"], w["status"], w["reason"]) for w in invites["rewards"]]
    assert sorted(rewards) == [
        ("INVITER", "COUPON", "GRANTED", "FRIEND_FIRST_ORDER"),
        ("INVITER", "COUPON", "VOIDED", "FRIEND_FIRST_ORDER"),
    ]
    granted = next(w for w in invites["rewards"] if w["status"] == "GRANTED")
    assert granted["coupon"] == {"title": "邀请有礼优惠券", "amount": {"cents": 1000}, "status": "UNUSED"}
    assert granted["couponValue"] == {"cents": 1000}
    assert granted["points"] is None
    voided = next(w for w in invites["rewards"] if w["status"] == "VOIDED")
    assert voided["coupon"] is None
    assert voided["grantedAt"] is None
    account = await api.as_shopper(a.id).execute(ACCOUNT)
    assert account.data["viewer"]["customer"]["coupons"] == [{"amount": {"cents": 1000}, "status": "UNUSED"}]


async def test_the_invitee_sees_their_own_reward_and_points(api: Api, seed: Seed, db: Database) -> None:
    people = await _world(api, seed, db)
    kept = people["kept"]
    r = await api.as_shopper(kept.id).execute(INVITES)
    invites = r.data["viewer"]["invites"]
    assert invites["invitees"]["totalCount"] == 0
    assert [(w["role"], w["kind"], w["status"], w["reason"], w["points"]) for w in invites["rewards"]] == [
        ("INVITEE", "POINTS", "GRANTED", "INVITED_FIRST_ORDER", 200)
    ]
    assert invites["summary"]["points"] == 200
    assert invites["summary"]["invited"] == 0
    account = await api.as_shopper(kept.id).execute(ACCOUNT)
    assert account.data["viewer"]["customer"] == {"points": 200, "coupons": []}


async def test_a_shopper_sees_only_their_own_invites(api: Api, seed: Seed, db: Database) -> None:
    people = await _world(api, seed, db)
    r = await api.as_shopper(people["b"].id).execute(INVITES)
    invites = r.data["viewer"]["invites"]
    assert invites["code"] == people["b"].invite_code
    assert [e["node"]["nickname"] for e in invites["invitees"]["edges"]] == ["路*"]
    assert invites["summary"]["invited"] == 1
    assert invites["rewards"] == []
    for other in (api.as_hq(), api.as_staff((await seed.store()).id), api):
        assert (await other.execute("{ viewer { invites { code } } }")).data == {"viewer": {"invites": None}}


async def test_invitees_page_by_cursor_in_constant_statements(api: Api, seed: Seed, db: Database) -> None:
    people = await _world(api, seed, db)
    shopper = api.as_shopper(people["a"].id)
    first = await shopper.execute(INVITES, first=2)
    page = first.data["viewer"]["invites"]["invitees"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await shopper.execute(INVITES, first=2, after=page["pageInfo"]["endCursor"])
    names = [
        e["node"]["nickname"] for p in (page, rest.data["viewer"]["invites"]["invitees"]) for e in p["edges"]
    ]
    assert names == ["大*", "阿*", "小*", "晴**猪"]
    counts = []
    for size in (1, 4):
        with count_statements() as counter:
            r = await shopper.execute(INVITES, first=size)
        assert r.errors == []
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    too_many = await shopper.execute("{ viewer { invites { rewards(first: 101) { kind } } } }")
    assert too_many.error_codes == ["PAGE_SIZE_EXCEEDED"]


async def test_the_personal_qr_code_is_public_and_cacheable(api: Api, seed: Seed) -> None:
    inviter = await seed.customer("13900003000")
    for code in (inviter.invite_code, inviter.invite_code.lower()):
        png = await api.http.get(f"/invites/{code}/qr.png")
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
        assert png.headers["cache-control"].startswith("public")
    assert (await api.http.get("/invites/NOSUCH42/qr.png")).status_code == 404
