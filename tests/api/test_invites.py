"""邀请有礼: attribution once, rewards by trigger, granted once after the refund window, caps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models.base import utcnow
from models.campaigns.rows import InviteReward
from models.coupons.rows import CustomerCoupon
from models.customers.rows import Customer
from models.enums import RewardStatus
from models.orders.rows import Order
from services.commands import Deps
from services.sweeps import run_sweeps
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

ACCEPT = """mutation($input: AcceptInviteInput!) {
  acceptInvite(input: $input) { accepted userErrors { code message } } }"""


def _campaign(trigger: str, cap: int | None = None) -> dict[str, Any]:
    return {
        "type": "INVITE_REWARD",
        "name": "邀请好友得券",
        **window(),
        "inviteReward": {
            "trigger": trigger,
            "inviterRewardKind": "COUPON",
            "inviterRewardValue": 1000,
            "inviteeRewardKind": "POINTS",
            "inviteeRewardValue": 200,
            "capPerInviter": cap,
        },
    }


async def _rewards(db: Database) -> list[tuple[int, str, str]]:
    async with db.sessions() as s:
        rows = (await s.scalars(select(InviteReward).order_by(InviteReward.id))).all()
    return [(r.customer_id, r.role.value, r.status.value) for r in rows]


async def _fresh(seed: Seed, phone: str) -> Customer:
    return await seed.customer(phone, registered_at=utcnow() - timedelta(hours=1))


async def test_registration_rewards_are_granted_once(api: Api, seed: Seed, db: Database) -> None:
    created(await api.as_hq().execute(CREATE, input=_campaign("INVITEE_REGISTERED")))
    inviter = await seed.customer("13900000001")
    invitee = await _fresh(seed, "13900000002")
    r = await api.as_shopper(invitee.id).execute(ACCEPT, input={"inviteCode": inviter.invite_code})
    assert r.data["acceptInvite"] == {"accepted": True, "userErrors": []}
    again = await api.as_shopper(invitee.id).execute(ACCEPT, input={"inviteCode": inviter.invite_code})
    assert [e["code"] for e in again.data["acceptInvite"]["userErrors"]] == ["INVITE_NOT_ACCEPTED"]
    deps = Deps(db.sessions, api.gateway)
    reports = await asyncio.gather(run_sweeps(deps, utcnow()), run_sweeps(deps, utcnow()))
    assert sum(r.rewards_granted for r in reports) == 2
    assert await _rewards(db) == [(inviter.id, "INVITER", "GRANTED"), (invitee.id, "INVITEE", "GRANTED")]
    async with db.sessions() as s:
        coupons = (await s.scalars(select(CustomerCoupon))).all()
        points = await s.scalar(select(Customer.points).where(Customer.id == invitee.id))
        invited_by = await s.scalar(select(Customer.invited_by_id).where(Customer.id == invitee.id))
    assert [(c.customer_id, c.amount) for c in coupons] == [(inviter.id, 1000)]
    assert points == 200
    assert invited_by == inviter.id


async def test_who_may_be_invited(api: Api, seed: Seed) -> None:
    created(await api.as_hq().execute(CREATE, input=_campaign("INVITEE_REGISTERED")))
    inviter = await seed.customer("13900000003")
    old = await seed.customer("13900000004", registered_at=utcnow() - timedelta(days=30))
    for who, code in ((inviter.id, inviter.invite_code), (old.id, inviter.invite_code), (old.id, "NOPE")):
        r = await api.as_shopper(who).execute(ACCEPT, input={"inviteCode": code})
        assert [e["code"] for e in r.data["acceptInvite"]["userErrors"]] == ["INVITE_NOT_ACCEPTED"]


async def test_first_order_rewards_wait_for_the_refund_window(api: Api, seed: Seed, db: Database) -> None:
    created(await api.as_hq().execute(CREATE, input=_campaign("FIRST_ORDER_COMPLETED", cap=1)))
    inviter = await seed.customer("13900000005")
    store = await seed.store()
    _, (sku,) = await seed.product()
    kept = await _fresh(seed, "13900000006")
    refunded = await _fresh(seed, "13900000007")
    for invitee in (kept, refunded):
        await api.as_shopper(invitee.id).execute(ACCEPT, input={"inviteCode": inviter.invite_code})
    completed = utcnow() - timedelta(days=1)
    for invitee in (kept, refunded):
        order = await seed.order(store, invitee, [(sku, 1)])
        async with db.sessions() as s, s.begin():
            values: dict[str, Any] = {"status": "COMPLETED", "completed_at": completed}
            if invitee is refunded:
                values["refunded_amount"] = 500
            await s.execute(update(Order).where(Order.id == order.id).values(**values))
    deps = Deps(db.sessions, api.gateway)
    report = await run_sweeps(deps, utcnow())
    assert report.invite_first_orders == 2
    assert report.rewards_granted == 0  # not before the refund window has passed
    assert {status for *_, status in await _rewards(db)} == {"PENDING"}
    report = await run_sweeps(deps, utcnow() + timedelta(days=16))
    statuses = await _rewards(db)
    granted = [r for r in statuses if r[2] == RewardStatus.GRANTED.value]
    # the refunded order's rewards are void; the inviter's cap of one is reached by the kept one
    assert sorted(granted) == sorted([(inviter.id, "INVITER", "GRANTED"), (kept.id, "INVITEE", "GRANTED")])
    assert (refunded.id, "INVITEE", "VOIDED") in statuses
