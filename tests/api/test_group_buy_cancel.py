"""取消参团: a paid member waiting for the team (待成团) is cancelled by HQ or by themself — the slot
is freed, the order refunded in full exactly once, stock given back, the team page follows at once;
other shoppers and stores cannot, and a team that formed meanwhile refuses the cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql.ids import parse_global_id
from models.catalog.rows import StoreSku
from models.enums import PaymentKind
from models.payments import PaymentTransaction
from tests.api.campaign_flow import (
    CANCEL_AWAITING_GROUP,
    CREATE,
    JOIN,
    OPEN,
    PAGE,
    created,
    group_input,
    member_order,
    pay,
    team_ok,
)
from tests.api.conftest import Api
from tests.api.order_flow import Shop, key, ok, open_shop, refused
from tests.conftest import Database
from tests.factories import Seed

STATUS = """query($id: ID!) { node(id: $id) { ... on Order {
  status refundedAmount { cents } paidAmount { cents } availableActions { action allowed reason } } } }"""


def _pk(global_id: str) -> int:
    return int(parse_global_id(global_id).node_id)


async def waiting_team(
    api: Api, seed: Seed, size: int = 3, paid_members: int = 1
) -> tuple[Shop, dict[str, Any], dict[str, Any], list[tuple[int, str]]]:
    """A team whose leader and `paid_members` friends have paid (待成团 until the team is full).

    Returns the shop, the campaign, the openTeam payload and (customer id, order id) of each friend.
    """
    shop = await open_shop(seed, stock=100)
    campaign = created(await api.as_hq().execute(CREATE, input=group_input(shop, size)))
    opened = team_ok(
        await api.as_shopper(shop.customer_id).execute(
            OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
        ),
        "openTeam",
    )
    assert (await pay(api, shop.customer_id, opened["order"]["id"]))["status"] == "AWAITING_GROUP"
    friends = []
    for i in range(paid_members):
        friend = (await seed.customer(f"1370000{i:04d}")).id
        joined = team_ok(
            await api.as_shopper(friend).execute(
                JOIN, input={"teamId": opened["teamId"], "order": member_order(shop)}
            ),
            "joinTeam",
        )
        await pay(api, friend, joined["order"]["id"])  # the last payment forms the team
        friends.append((friend, joined["order"]["id"]))
    return shop, campaign, opened, friends


async def refunds_of(db: Database, order_id: str) -> list[int]:
    async with db.sessions() as s:
        rows = await s.scalars(
            select(PaymentTransaction.amount).where(
                PaymentTransaction.kind == PaymentKind.REFUND, PaymentTransaction.order_id == _pk(order_id)
            )
        )
        return list(rows.all())


async def stock_of(db: Database, shop: Shop) -> int:
    async with db.sessions() as s:
        stock = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == shop.a.id, StoreSku.sku_id == shop.apple.id)
        )
        assert stock is not None
        return int(stock)


async def test_hq_cancels_a_waiting_member_once(api: Api, seed: Seed, db: Database) -> None:
    shop, campaign, opened, [(friend, order_id)] = await waiting_team(api, seed, size=3)
    before = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert before["team"]["memberCount"] == 2  # and the page is cached now
    stock = await stock_of(db, shop)
    hq = api.as_hq()
    actions = (await hq.execute(STATUS, id=order_id)).data["node"]["availableActions"]
    assert {"action": "CANCEL", "allowed": True, "reason": None} in actions
    cancel = {"orderId": order_id, "reason": "客服: 顾客要求取消", "idempotencyKey": key()}
    done = ok(await hq.execute(CANCEL_AWAITING_GROUP, input=cancel), "cancelAwaitingGroupOrder")
    assert done["status"] == "CANCELLED"
    assert done["refundedAmount"] == done["paidAmount"]
    assert await stock_of(db, shop) == stock + 1
    again = ok(await hq.execute(CANCEL_AWAITING_GROUP, input=cancel), "cancelAwaitingGroupOrder")
    assert again["version"] == done["version"]  # the same key replays the first answer
    second = await hq.execute(CANCEL_AWAITING_GROUP, input={**cancel, "idempotencyKey": key()})
    assert refused(second, "cancelAwaitingGroupOrder") == ["INVALID_TRANSITION"]
    assert await refunds_of(db, order_id) == [done["paidAmount"]["cents"]]
    assert api.gateway.refunded_total() == done["paidAmount"]["cents"]

    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert (page["team"]["memberCount"], page["team"]["slotsLeft"]) == (1, 2)
    assert page["team"]["members"] == [{**before["team"]["members"][0], "paid": True}]
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    team_ok(await api.as_shopper(friend).execute(JOIN, input=join), "joinTeam")  # may come back
    newcomer = (await seed.customer("13600009999")).id
    team_ok(await api.as_shopper(newcomer).execute(JOIN, input=join), "joinTeam")
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert (page["team"]["memberCount"], page["team"]["slotsLeft"]) == (3, 0)


async def test_the_member_cancels_and_the_leader_hands_over(api: Api, seed: Seed, db: Database) -> None:
    shop, campaign, opened, [(friend, friend_order)] = await waiting_team(api, seed, size=3)
    leader = api.as_shopper(shop.customer_id)
    cancel = {"orderId": opened["order"]["id"], "reason": "不拼了", "idempotencyKey": key()}
    done = ok(await leader.execute(CANCEL_AWAITING_GROUP, input=cancel), "cancelAwaitingGroupOrder")
    assert (done["status"], done["refundedAmount"]) == ("CANCELLED", done["paidAmount"])
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert page["team"]["status"] == "FORMING"
    assert page["team"]["memberCount"] == 1
    assert [(m["isLeader"], m["paid"]) for m in page["team"]["members"]] == [(True, True)]
    # the friend now leads the team; when they leave too, nobody is left and the team fails
    ok(
        await api.as_shopper(friend).execute(
            CANCEL_AWAITING_GROUP, input={"orderId": friend_order, "reason": "算了", "idempotencyKey": key()}
        ),
        "cancelAwaitingGroupOrder",
    )
    page = (await api.execute(PAGE, c=campaign["id"], t=opened["teamId"])).data["groupBuyPage"]
    assert (page["team"]["status"], page["team"]["memberCount"]) == ("FAILED", 0)
    assert len(await refunds_of(db, friend_order)) == 1


async def test_others_cannot_cancel_a_waiting_member(api: Api, seed: Seed) -> None:
    shop, _, _, [(_, order_id)] = await waiting_team(api, seed, size=3)
    stranger = (await seed.customer("13600008888")).id
    cancel = {"orderId": order_id, "reason": "捣乱", "idempotencyKey": key()}
    r = await api.as_shopper(stranger).execute(CANCEL_AWAITING_GROUP, input=cancel)
    assert refused(r, "cancelAwaitingGroupOrder") == ["NOT_FOUND"]
    r = await api.as_shopper(shop.customer_id).execute(  # the leader is in the team, not the order's owner
        "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }",
        input={**cancel, "idempotencyKey": key()},
    )
    assert refused(r, "cancelOrder") == ["NOT_FOUND"]
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(  # the store's generic cancel: the table says no
        "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }",
        input={**cancel, "idempotencyKey": key()},
    )
    assert refused(r, "cancelOrder") == ["FORBIDDEN"]
    actions = (await staff.execute(STATUS, id=order_id)).data["node"]["availableActions"]
    assert {"action": "CANCEL", "allowed": False, "reason": "FORBIDDEN"} in actions
    r = await staff.execute(CANCEL_AWAITING_GROUP, input={**cancel, "idempotencyKey": key()})
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    status = (await api.as_hq().execute(STATUS, id=order_id)).data["node"]
    assert (status["status"], status["refundedAmount"]) == ("AWAITING_GROUP", {"cents": 0})


async def test_a_team_formed_meanwhile_refuses_the_cancel(api: Api, seed: Seed, db: Database) -> None:
    _, _, opened, _ = await waiting_team(api, seed, size=2)  # the friend's payment formed the team
    r = await api.as_hq().execute(
        CANCEL_AWAITING_GROUP,
        input={"orderId": opened["order"]["id"], "reason": "晚了", "idempotencyKey": key()},
    )
    assert refused(r, "cancelAwaitingGroupOrder") == ["INVALID_TRANSITION"]
    assert r.data["cancelAwaitingGroupOrder"]["order"]["status"] == "PENDING_ACCEPTANCE"
    assert await refunds_of(db, opened["order"]["id"]) == []
