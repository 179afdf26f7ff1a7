"""返券 rules end to end: HQ configures them through GraphQL, the sweeper (at a fixed clock) issues
once per cause for each kind, skips are counted by reason, and bad input has its own code."""

from __future__ import annotations

from datetime import timedelta

from models.base import utcnow
from models.campaigns.rows import InviteRecord, InviteReward
from models.enums import CampaignType, OrderChannel, RewardKind, RewardRole, RewardStatus
from models.orders.states import OrderStatus
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.api.coupon_flow import create_template, store_gid
from tests.api.coupon_issue_flow import (
    CREATE_RULE,
    RULES,
    STOP_RULE,
    UPDATE_RULE,
    codes,
    create_rule,
    held,
    issues,
    ledger_notes,
    payload,
    rule_input,
    sweep,
)
from tests.api.order_flow import key
from tests.api.test_invites import ACCEPT
from tests.conftest import Database
from tests.factories import T0, Seed

NOW = T0 + timedelta(hours=1)


async def test_each_kind_issues_once_per_cause(api: Api, seed: Seed, db: Database) -> None:
    store, other = await seed.store("SH001"), await seed.store("SH002")
    _, (sku,) = await seed.product(prices=(6000,))
    t = {
        name: (await create_template(api, name=name, perCustomerLimit=5))["id"]
        for name in ("新客券", "邀请券", "满额返券", "好评券")
    }
    await create_rule(api, "ON_REGISTRATION", t["新客券"])
    await create_rule(api, "ON_INVITE", t["邀请券"], inviteRole="INVITER")
    await create_rule(
        api,
        "ON_ORDER_COMPLETED",
        t["满额返券"],
        minPaidCents=5000,
        storeIds=[store_gid(store.id)],
        channels=["MINI_PROGRAM"],
    )
    await create_rule(api, "ON_GOOD_REVIEW", t["好评券"], minRating=4)

    old = await seed.customer()  # registered 30 days before T0: before the rule
    new = await seed.customer(registered_at=T0 - timedelta(hours=2))
    big = await seed.order(store, old, [(sku, 1)], status=OrderStatus.COMPLETED, completed_at=T0)
    await seed.order(store, old, [(sku, 1)], status=OrderStatus.COMPLETED, completed_at=T0, payable=4000)
    await seed.order(other, old, [(sku, 1)], status=OrderStatus.COMPLETED, completed_at=T0)
    await seed.order(
        store, old, [(sku, 1)], status=OrderStatus.COMPLETED, completed_at=T0, channel=OrderChannel.POS
    )
    await seed.order(store, old, [(sku, 1)], status=OrderStatus.SHIPPED)
    reviewed = await seed.order(store, new, [(sku, 1), (sku, 2)], status=OrderStatus.COMPLETED)
    first, second = await seed.lines_of(reviewed)
    await seed.review(reviewed, first, 5, created_at=T0)
    await seed.review(reviewed, second, 4, created_at=T0)  # the same order: one coupon
    meh = await seed.order(None, old, [(sku, 1)], status=OrderStatus.SHIPPED)
    await seed.review(meh, (await seed.lines_of(meh))[0], 3, created_at=T0)
    campaign = await seed.campaign(type=CampaignType.INVITE_REWARD)
    async with db.sessions() as s, s.begin():
        record = InviteRecord(campaign_id=campaign.id, inviter_id=old.id, invitee_id=new.id, registered_at=T0)
        s.add(record)
        await s.flush()
        for role, who in ((RewardRole.INVITER, old.id), (RewardRole.INVITEE, new.id)):
            s.add(
                InviteReward(
                    campaign_id=campaign.id,
                    invite_record_id=record.id,
                    customer_id=who,
                    role=role,
                    kind=RewardKind.POINTS,
                    value=100,
                    status=RewardStatus.GRANTED,
                    grant_after=T0,
                    granted_at=T0,
                )
            )

    report = await sweep(api, db, NOW)
    assert report.coupons_issued_by_rules == 4
    assert sorted(await held(db)) == sorted(
        [(new.id, "新客券"), (old.id, "邀请券"), (old.id, "满额返券"), (new.id, "好评券")]
    )
    assert (await sweep(api, db, NOW)).coupons_issued_by_rules == 0  # once per cause
    assert len(await issues(db)) == 4
    assert any(
        n.startswith("返券 ON_ORDER_COMPLETED rule") and n.endswith(f"cause {big.id}")
        for n in await ledger_notes(db)
    )
    assert any(n.endswith(f"cause {reviewed.id}") for n in await ledger_notes(db))


async def test_stock_gone_is_a_counted_skip(api: Api, seed: Seed, db: Database) -> None:
    template = await create_template(api, name="新客专享", totalStock=2, perCustomerLimit=1)
    rule = await create_rule(api, "ON_REGISTRATION", template["id"])
    for i in range(4):
        await seed.customer(registered_at=T0 - timedelta(minutes=10 + i))
    assert (await sweep(api, db, NOW)).coupons_issued_by_rules == 2
    assert [o for _, o, _ in await issues(db)] == ["ISSUED", "ISSUED", "SKIPPED", "SKIPPED"]
    listed = payload(await api.as_hq().execute(RULES, kind=["ON_REGISTRATION"]), "couponIssueRules")
    node = listed["edges"][0]["node"]
    assert node["id"] == rule["id"]
    assert node["figures"] == {
        "issued": 2,
        "skipped": 2,
        "skippedByReason": [{"reason": "OUT_OF_STOCK", "count": 2}],
        "assistsOpen": 0,
        "assistsCompleted": 0,
        "assistsExpired": 0,
    }
    await seed.customer(registered_at=T0 - timedelta(minutes=1))
    await sweep(api, db, NOW)
    assert [o for _, o, _ in await issues(db)][-1] == "SKIPPED"  # skipped once, never retried


async def test_bad_rules_have_their_codes(api: Api, seed: Seed, db: Database) -> None:
    store = await seed.store("SH001")
    template = await create_template(api)
    hq = api.as_hq()

    async def refused(rule: dict[str, object], who: Api = hq) -> list[tuple[str, str]]:
        body = payload(
            await who.execute(CREATE_RULE, input={"rule": rule, "idempotencyKey": key()}),
            "createCouponIssueRule",
        )
        assert body["rule"] is None
        return [(e["code"], ".".join(e["field"][1:])) for e in body["userErrors"]]

    tid = template["id"]
    assert await refused(rule_input("ON_REGISTRATION", tid, minRating=4)) == [
        ("BAD_USER_INPUT", "rule.minRating")
    ]
    assert await refused(rule_input("ON_GOOD_REVIEW", tid)) == [("BAD_USER_INPUT", "rule.minRating")]
    assert await refused(rule_input("ON_GOOD_REVIEW", tid, minRating=6)) == [
        ("BAD_USER_INPUT", "rule.minRating")
    ]
    assert await refused(rule_input("ASSIST", tid, helpersNeeded=0, assistHours=24)) == [
        ("BAD_USER_INPUT", "rule.helpersNeeded")
    ]
    assert await refused(rule_input("ASSIST", tid, helpersNeeded=3)) == [
        ("BAD_USER_INPUT", "rule.assistHours")
    ]
    assert await refused(rule_input("ON_ORDER_COMPLETED", tid, minPaidCents=-1)) == [
        ("BAD_USER_INPUT", "rule.minPaidCents")
    ]
    assert await refused(rule_input("ON_REGISTRATION", tid, endsAt=(T0 - timedelta(days=2)).isoformat())) == [
        ("BAD_USER_INPUT", "rule.endsAt")
    ]
    assert await refused(rule_input("ON_REGISTRATION", "Q291cG9uVGVtcGxhdGU6OTk5")) == [
        ("NOT_FOUND", "rule.templateId")
    ]
    assert await refused(rule_input("ON_REGISTRATION", "garbage")) == [("BAD_USER_INPUT", "rule.templateId")]
    assert await refused(rule_input("ON_ORDER_COMPLETED", tid, storeIds=[store_gid(999)])) == [
        ("NOT_FOUND", "rule.storeIds")
    ]
    staff = api.as_staff(store.id)
    assert await refused(rule_input("ON_REGISTRATION", tid), staff) == [("FORBIDDEN", "rule.templateId")]
    own = await create_template(api, type="STORE", storeIds=[store_gid(store.id)])
    assert await refused(rule_input("ON_ORDER_COMPLETED", own["id"]), staff) == [
        ("FORBIDDEN", "rule.storeIds")
    ]
    made = payload(
        await staff.execute(
            CREATE_RULE,
            input={"rule": rule_input("ON_ORDER_COMPLETED", own["id"], storeIds=[store_gid(store.id)])},
        ),
        "createCouponIssueRule",
    )
    assert made["userErrors"] == []
    rule = await create_rule(api, "ON_REGISTRATION", tid)
    changed = payload(
        await hq.execute(UPDATE_RULE, input={"ruleId": rule["id"], "rule": rule_input("ON_INVITE", tid)}),
        "updateCouponIssueRule",
    )
    assert codes(changed) == ["COUPON_NOT_EDITABLE"]
    renamed = payload(
        await hq.execute(
            UPDATE_RULE,
            input={"ruleId": rule["id"], "rule": rule_input("ON_REGISTRATION", tid, name="新人礼")},
        ),
        "updateCouponIssueRule",
    )
    assert renamed["rule"]["name"] == "新人礼"
    stopped = payload(await hq.execute(STOP_RULE, input={"ruleId": rule["id"]}), "stopCouponIssueRule")
    assert stopped["rule"]["running"] is False
    again = payload(
        await hq.execute(
            UPDATE_RULE, input={"ruleId": rule["id"], "rule": rule_input("ON_REGISTRATION", tid)}
        ),
        "updateCouponIssueRule",
    )
    assert codes(again) == ["COUPON_NOT_EDITABLE"]
    await seed.customer(registered_at=T0)
    assert (await sweep(api, db, NOW)).coupons_issued_by_rules == 0  # a stopped rule issues nothing


async def test_invite_rewards_carry_the_rule_coupon(api: Api, seed: Seed, db: Database) -> None:
    """邀请有礼 decides the reward; the ON_INVITE rule adds its coupon in the same sweep, once."""
    campaign = created(
        await api.as_hq().execute(
            CREATE,
            input={
                "type": "INVITE_REWARD",
                "name": "邀请好友",
                **window(),
                "inviteReward": {
                    "trigger": "INVITEE_REGISTERED",
                    "inviterRewardKind": "POINTS",
                    "inviterRewardValue": 100,
                    "inviteeRewardKind": "POINTS",
                    "inviteeRewardValue": 50,
                },
            },
        )
    )
    template = await create_template(api, name="邀请加赠券", perCustomerLimit=3)
    await create_rule(
        api,
        "ON_INVITE",
        template["id"],
        inviteRole="INVITER",
        inviteCampaignId=campaign["id"],
        startsAt=(utcnow() - timedelta(hours=1)).isoformat(),
    )
    inviter = await seed.customer()
    for _ in range(2):
        invitee = await seed.customer(registered_at=utcnow() - timedelta(minutes=5))
        r = await api.as_shopper(invitee.id).execute(ACCEPT, input={"inviteCode": inviter.invite_code})
        assert r.data["acceptInvite"]["accepted"] is True
    report = await sweep(api, db, utcnow())
    assert (report.rewards_granted, report.coupons_issued_by_rules) == (4, 2)
    assert await held(db) == [(inviter.id, "邀请加赠券"), (inviter.id, "邀请加赠券")]
    assert (await sweep(api, db, utcnow())).coupons_issued_by_rules == 0


async def test_rule_window_and_grace(api: Api, seed: Seed, db: Database) -> None:
    """Causes count from the start to the end; an ended rule is still swept a day for the late ones."""
    template = await create_template(api, perCustomerLimit=1)
    ends = T0 + timedelta(hours=2)
    await create_rule(api, "ON_REGISTRATION", template["id"], endsAt=ends.isoformat())
    inside = await seed.customer(registered_at=T0 + timedelta(hours=1))
    await seed.customer(registered_at=ends + timedelta(minutes=1))  # after the end: never
    assert (await sweep(api, db, ends + timedelta(hours=20))).coupons_issued_by_rules == 1
    assert await held(db) == [(inside.id, template["name"])]
    late = await seed.customer(registered_at=ends - timedelta(minutes=1))
    assert (await sweep(api, db, ends + timedelta(days=2))).coupons_issued_by_rules == 0  # past the grace
    assert [c for c, _ in await held(db)] == [inside.id]
    assert late.id not in [c for c, _, _ in await issues(db)]
