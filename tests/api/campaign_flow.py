"""Documents and steps for campaign tests: create campaigns through GraphQL, open and join teams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.base import utcnow
from tests.api.conftest import Api, Response
from tests.api.order_flow import Shop, key, mutation

CAMPAIGN_FIELDS = """id type name status startsAt endsAt allStores shareUrl qrCodeUrl
  spendReward { thresholdKind productScope
    tiers { threshold reduction { cents } giftQuantity giftSku { skuCode } } }
  groupBuy { kind teamSize validityHours perCustomerLimit skus { groupPrice { cents } sku { skuCode } } }
  inviteReward { trigger inviterRewardKind inviterRewardValue inviteeRewardKind inviteeRewardValue
    capPerInviter }"""
CREATE = f"""mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{
  campaign {{ {CAMPAIGN_FIELDS} }} userErrors {{ code field message }} }} }}"""
UPDATE = """mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) {
  campaign { name endsAt groupBuy { skus { groupPrice { cents } } } } userErrors { code field message } } }"""
STOP = """mutation($input: StopCampaignInput!) { stopCampaign(input: $input) {
  campaign { status stoppedAt } userErrors { code field message } } }"""
TEAM_PAYLOAD = """order { id status payableAmount { cents } discountAmount { cents } }
  teamId shareUrl userErrors { code field message }"""
OPEN = f"mutation($input: OpenTeamInput!) {{ openTeam(input: $input) {{ {TEAM_PAYLOAD} }} }}"
JOIN = f"mutation($input: JoinTeamInput!) {{ joinTeam(input: $input) {{ {TEAM_PAYLOAD} }} }}"
PAGE = """query($c: ID!, $t: ID) { groupBuyPage(campaignId: $c, teamId: $t) {
  name kind status teamSize serverTime shareUrl qrCodeUrl
  skus { skuId productName groupPrice { cents } price { cents } }
  team { id status teamSize memberCount slotsLeft expiresAt members { nickname isLeader paid } }
  openTeams { id memberCount slotsLeft } } }"""
CANCEL_AWAITING_GROUP = mutation("cancelAwaitingGroupOrder", "CancelAwaitingGroupOrderInput")
PAGE_WITH_VIEWER = PAGE.replace("openTeams {", "viewer { canJoin reason } openTeams {")


def window(hours_before: float = 1, hours_after: float = 48) -> dict[str, str]:
    now = utcnow()
    return {
        "startsAt": (now - timedelta(hours=hours_before)).isoformat(),
        "endsAt": (now + timedelta(hours=hours_after)).isoformat(),
    }


def created(r: Response) -> dict[str, Any]:
    assert r.errors == [], r.errors
    payload = r.data["createCampaign"]
    assert payload["userErrors"] == [], payload["userErrors"]
    campaign: dict[str, Any] = payload["campaign"]
    return campaign


def spend_input(tiers: list[dict[str, Any]], kind: str = "AMOUNT", **extra: Any) -> dict[str, Any]:
    return {
        "type": "SPEND_REWARD",
        "name": "满减狂欢",
        **window(),
        "spendReward": {"thresholdKind": kind, "tiers": tiers, **extra.pop("spend", {})},
        "idempotencyKey": key(),
        **extra,
    }


def group_input(shop: Shop, team_size: int = 3, kind: str = "NORMAL", **extra: Any) -> dict[str, Any]:
    return {
        "type": "GROUP_BUY",
        "name": "三人拼苹果",
        **window(),
        "groupBuy": {
            "kind": kind,
            "teamSize": team_size,
            "validityHours": 24,
            "skus": [{"skuId": encode_id("Sku", shop.apple.id), "groupPriceCents": 990}],
            **extra.pop("group", {}),
        },
        "idempotencyKey": key(),
        **extra,
    }


def member_order(shop: Shop, quantity: int = 1) -> dict[str, Any]:
    return {
        "skuId": encode_id("Sku", shop.apple.id),
        "quantity": quantity,
        "fulfillment": "SELF_PICKUP",
        "storeId": encode_id("Store", shop.a.id),
        "consignee": {"name": "团员", "phone": "13800138000"},
    }


def team_ok(r: Response, field: str) -> dict[str, Any]:
    assert r.errors == [], r.errors
    payload: dict[str, Any] = r.data[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def pay(api: Api, customer_id: int, order_id: str) -> dict[str, Any]:
    r = await api.as_shopper(customer_id).execute(
        "mutation($input: PayOrderInput!) { payOrder(input: $input) { "
        "order { status } userErrors { code } } }",
        input={"orderId": order_id, "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()},
    )
    assert r.data["payOrder"]["userErrors"] == [], r.data
    payload: dict[str, Any] = r.data["payOrder"]["order"]
    return payload
