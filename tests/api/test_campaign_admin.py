"""Campaign administration: validation per field, what stays editable, stop, list and scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gql.ids import encode_id
from models.base import utcnow
from tests.api.campaign_flow import CREATE, STOP, UPDATE, created, group_input, spend_input, window
from tests.api.conftest import Api, Response
from tests.api.order_flow import open_shop
from tests.factories import Seed

LIST = """query($f: CampaignFilter) { campaigns(first: 20, filter: $f) {
  totalCount edges { node { name type status stats { participants orders sales { cents } } } } } }"""


def _codes(r: Any, field: str = "createCampaign") -> list[tuple[str, list[str] | None]]:
    assert r.errors == [], r.errors
    return [(e["code"], e["field"]) for e in r.data[field]["userErrors"]]


async def test_each_type_is_created_with_its_settings(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    tiers: list[dict[str, Any]] = [
        {"threshold": 9900, "reductionCents": 1000},
        {
            "threshold": 19900,
            "reductionCents": 3000,
            "giftSkuId": encode_id("Sku", shop.pear.id),
            "giftQuantity": 1,
        },
    ]
    spend = created(await hq.execute(CREATE, input=spend_input(tiers)))
    assert spend["status"] == "ONGOING"
    assert [t["threshold"] for t in spend["spendReward"]["tiers"]] == [9900, 19900]
    assert spend["spendReward"]["tiers"][1]["giftSku"]["skuCode"] == shop.pear.sku_code
    assert spend["shareUrl"].endswith(f"/campaigns/{spend['id']}")
    group = created(await hq.execute(CREATE, input=group_input(shop)))
    assert group["groupBuy"]["skus"] == [
        {"groupPrice": {"cents": 990}, "sku": {"skuCode": shop.apple.sku_code}}
    ]
    invite = {
        "type": "INVITE_REWARD",
        "name": "邀请有礼",
        **window(),
        "inviteReward": {
            "trigger": "FIRST_ORDER_COMPLETED",
            "inviterRewardKind": "COUPON",
            "inviterRewardValue": 500,
            "inviteeRewardKind": "POINTS",
            "inviteeRewardValue": 100,
            "capPerInviter": 3,
        },
    }
    assert created(await hq.execute(CREATE, input=invite))["inviteReward"]["capPerInviter"] == 3
    png = await api.http.get(spend["qrCodeUrl"])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert (await api.http.get("/campaigns/999999/qr.png")).status_code == 404


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda i: {**i, "endsAt": i["startsAt"]}, "BAD_USER_INPUT", ["input", "endsAt"]),
        (
            lambda i: {**i, "groupBuy": {**i["groupBuy"], "teamSize": 1}},
            "BAD_USER_INPUT",
            ["input", "groupBuy", "teamSize"],
        ),
        (
            lambda i: {
                **i,
                "groupBuy": {
                    **i["groupBuy"],
                    "skus": [{**i["groupBuy"]["skus"][0], "groupPriceCents": 1600}],
                },
            },
            "BAD_USER_INPUT",
            ["input", "groupBuy", "skus", "0", "groupPrice"],
        ),
        (
            lambda i: {
                **i,
                "spendReward": {
                    "thresholdKind": "AMOUNT",
                    "tiers": [{"threshold": 100, "reductionCents": 10}],
                },
            },
            "BAD_USER_INPUT",
            ["input", "spendReward"],
        ),
        (lambda i: {**i, "groupBuy": None}, "BAD_USER_INPUT", ["input", "groupBuy"]),
        (lambda i: {**i, "name": " "}, "BAD_USER_INPUT", ["input", "name"]),
    ],
)
async def test_group_buy_validation(api: Api, seed: Seed, change: Any, code: str, field: list[str]) -> None:
    shop = await open_shop(seed)
    r = await api.as_hq().execute(CREATE, input=change(group_input(shop)))
    assert _codes(r) == [(code, field)]


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ([{"threshold": 100, "reductionCents": 10}, {"threshold": 100, "reductionCents": 20}], "threshold"),
        ([{"threshold": 100, "reductionCents": 100}], "reduction"),
        ([{"threshold": 100, "reductionCents": 0}], "reduction"),
        ([{"threshold": 100, "reductionCents": 30}, {"threshold": 200, "reductionCents": 20}], None),
    ],
)
async def test_tier_validation(api: Api, seed: Seed, tiers: list[dict[str, Any]], field: str | None) -> None:
    await open_shop(seed)
    r = await api.as_hq().execute(CREATE, input=spend_input(tiers))
    errors = r.data["createCampaign"]["userErrors"]
    assert [e["code"] for e in errors] == ["BAD_USER_INPUT"]
    if field:
        assert errors[0]["field"][-1] == field


async def test_started_campaigns_freeze_what_customers_rely_on(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    group = created(await hq.execute(CREATE, input=group_input(shop)))
    spend = created(await hq.execute(CREATE, input=spend_input([{"threshold": 5000, "reductionCents": 500}])))
    later = (utcnow() + timedelta(days=5)).isoformat()
    price = [{"skuId": encode_id("Sku", shop.apple.id), "groupPriceCents": 890}]
    r = await hq.execute(
        UPDATE, input={"campaignId": group["id"], "name": "新名字", "endsAt": later, "groupPrices": price}
    )
    assert r.data["updateCampaign"]["campaign"]["name"] == "新名字"
    assert r.data["updateCampaign"]["campaign"]["groupBuy"]["skus"][0]["groupPrice"] == {"cents": 890}
    tiers = """mutation($input: SetSpendRewardTiersInput!) {
        setSpendRewardTiers(input: $input) { userErrors { code } } }"""
    new_tiers = {"thresholdKind": "AMOUNT", "tiers": [{"threshold": 100, "reductionCents": 1}]}
    r = await hq.execute(tiers, input={"campaignId": spend["id"], "spendReward": new_tiers})
    assert r.data["setSpendRewardTiers"]["userErrors"] == [{"code": "CAMPAIGN_NOT_EDITABLE"}]
    stopped = await hq.execute(STOP, input={"campaignId": group["id"]})
    assert stopped.data["stopCampaign"]["campaign"]["status"] == "STOPPED"
    r = await hq.execute(UPDATE, input={"campaignId": group["id"], "name": "again"})
    assert _codes(r, "updateCampaign") == [("CAMPAIGN_NOT_EDITABLE", None)]
    r = await hq.execute(STOP, input={"campaignId": group["id"]})
    assert _codes(r, "stopCampaign") == [("CAMPAIGN_NOT_EDITABLE", None)]
    # not started yet: tiers may still change
    future = spend_input(
        [{"threshold": 5000, "reductionCents": 500}], **window(hours_before=-24, hours_after=72)
    )
    upcoming = created(await hq.execute(CREATE, input=future))
    assert upcoming["status"] == "NOT_STARTED"
    r = await hq.execute(tiers, input={"campaignId": upcoming["id"], "spendReward": new_tiers})
    assert r.data["setSpendRewardTiers"]["userErrors"] == []


async def test_list_filters_and_staff_scope(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    created(
        await hq.execute(
            CREATE, input=group_input(shop, name="A店拼团", storeIds=[encode_id("Store", shop.a.id)])
        )
    )
    created(
        await hq.execute(
            CREATE, input=spend_input([{"threshold": 5000, "reductionCents": 500}], name="全店满减")
        )
    )
    ended = created(
        await hq.execute(
            CREATE, input=spend_input([{"threshold": 5000, "reductionCents": 500}], name="旧活动")
        )
    )
    await hq.execute(STOP, input={"campaignId": ended["id"]})

    def names(r: Response) -> list[str]:
        return sorted(e["node"]["name"] for e in r.data["campaigns"]["edges"])

    assert names(await hq.execute(LIST)) == ["A店拼团", "全店满减", "旧活动"]
    assert names(await hq.execute(LIST, f={"status": ["ONGOING"]})) == ["A店拼团", "全店满减"]
    assert names(await hq.execute(LIST, f={"type": ["GROUP_BUY"]})) == ["A店拼团"]
    assert names(await hq.execute(LIST, f={"name": "满减"})) == ["全店满减"]
    assert names(await api.as_staff(shop.b.id).execute(LIST)) == [
        "全店满减",
        "旧活动",
    ]  # not A's own campaign
    # store staff create campaigns only for their stores
    r = await api.as_staff(shop.b.id).execute(CREATE, input=group_input(shop))
    assert _codes(r) == [("FORBIDDEN", ["input", "storeIds"])]
    mine = group_input(shop, name="B店拼团", storeIds=[encode_id("Store", shop.b.id)])
    assert created(await api.as_staff(shop.b.id).execute(CREATE, input=mine))["allStores"] is False
    r = await api.as_shopper(shop.customer_id).execute(LIST)
    assert r.error_codes == ["FORBIDDEN"]
