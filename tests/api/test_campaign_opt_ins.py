"""Store opt-in (报名) to HQ's opt-in campaigns: invitations, opting in and out, pricing only at
the stores that opted in, who may opt, the refusals, and the one applicability rule in SQL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from gql.ids import encode_id
from models.base import utcnow
from models.campaigns.rows import Campaign, CampaignStore
from models.campaigns.scope import CampaignOptIn, applies_at_store, applies_at_store_clause
from models.enums import CampaignType
from tests.api.campaign_flow import CREATE, STOP, created, group_input, spend_input
from tests.api.conftest import Api
from tests.api.order_flow import Shop, key, open_shop
from tests.api.test_order_discounts import order_discount_input
from tests.api.test_price_cut import _preview, cut_input
from tests.conftest import Database
from tests.factories import Seed

OPT_FIELDS = "optIn { optedIn optedInAt optedOutAt store { code } campaign { name optIn } }"
OPT_IN = f"""mutation($input: CampaignOptInInput!) {{ optInCampaign(input: $input) {{
  {OPT_FIELDS} userErrors {{ code field message }} }} }}"""
OPT_OUT = OPT_IN.replace("optInCampaign", "optOutCampaign")
INVITATIONS = """query($store: ID!) { campaignInvitations(storeId: $store) {
  optedIn optedInAt campaign { name optIn status } } }"""
OPT_INS = """query($id: ID!) { campaign(id: $id) { optIn optIns { optedIn optedInAt optedOutAt
  store { code } } } }"""


def _opt(campaign: dict[str, Any], store_id: int) -> dict[str, Any]:
    return {"campaignId": campaign["id"], "storeId": encode_id("Store", store_id), "idempotencyKey": key()}


async def _ok(api: Api, doc: str, campaign: dict[str, Any], store_id: int) -> dict[str, Any]:
    r = await api.execute(doc, input=_opt(campaign, store_id))
    assert r.errors == [], r.errors
    payload = next(iter(r.data.values()))
    assert payload["userErrors"] == [], payload["userErrors"]
    opt: dict[str, Any] = payload["optIn"]
    return opt


async def _refused(api: Api, doc: str, campaign: dict[str, Any], store_id: int) -> tuple[str, list[str]]:
    r = await api.execute(doc, input=_opt(campaign, store_id))
    assert r.errors == [], r.errors
    payload = next(iter(r.data.values()))
    assert payload["optIn"] is None
    error = payload["userErrors"][0]
    return error["code"], error["field"]


async def _opt_in_cut(api: Api, shop: Shop) -> dict[str, Any]:
    stores = [shop.a.id, shop.b.id]
    return created(
        await api.as_hq().execute(CREATE, input={**cut_input(shop, 1200, stores=stores), "optIn": True})
    )


async def test_an_opt_in_price_applies_only_where_the_store_opted_in(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed, stock=50)  # apples 15.00 at stores A and B, both in scope
    campaign = await _opt_in_cut(api, shop)
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": 0}  # nobody opted in yet
    staff_a = api.as_staff(shop.a.id)
    invited = await staff_a.execute(INVITATIONS, store=encode_id("Store", shop.a.id))
    assert invited.data["campaignInvitations"] == [
        {
            "optedIn": False,
            "optedInAt": None,
            "campaign": {"name": "爆品价", "optIn": True, "status": "ONGOING"},
        }
    ]
    joined = await _ok(staff_a, OPT_IN, campaign, shop.a.id)
    assert joined["optedIn"] is True
    assert joined["store"] == {"code": "SHA"}
    first_at = joined["optedInAt"]
    assert (await _ok(staff_a, OPT_IN, campaign, shop.a.id))["optedInAt"] == first_at  # already in: kept
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": 600}
    assert (await _preview(api, shop, 2, shop.b.id))["discountAmount"] == {"cents": 0}  # B did not opt in
    seen = (await api.as_hq().execute(OPT_INS, id=campaign["id"])).data["campaign"]
    assert seen["optIns"] == [
        {"optedIn": True, "optedInAt": first_at, "optedOutAt": None, "store": {"code": "SHA"}}
    ]
    left = await _ok(staff_a, OPT_OUT, campaign, shop.a.id)
    assert left["optedIn"] is False
    assert left["optedOutAt"] is not None
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": 0}
    back = await _ok(staff_a, OPT_IN, campaign, shop.a.id)
    assert back["optedIn"] is True
    assert back["optedOutAt"] is None


async def test_an_opt_out_never_precedes_the_opt_in_it_ends(api: Api, seed: Seed, db: Database) -> None:
    """An opt-in that started after the opt-out may commit first; the row still reads in, then out."""
    shop = await open_shop(seed, stock=50)
    campaign = await _opt_in_cut(api, shop)
    staff_a = api.as_staff(shop.a.id)
    await _ok(staff_a, OPT_IN, campaign, shop.a.id)
    later = utcnow() + timedelta(seconds=5)  # the opt-in's clock ran ahead of the opt-out's
    async with db.sessions() as s, s.begin():
        await s.execute(update(CampaignOptIn).values(opted_in_at=later))
    left = await _ok(staff_a, OPT_OUT, campaign, shop.a.id)
    assert left["optedIn"] is False
    assert left["optedOutAt"] == left["optedInAt"]
    async with db.sessions() as s:
        row = (await s.scalars(select(CampaignOptIn))).one()
    assert row.opted_out_at == row.opted_in_at == later


@pytest.mark.parametrize(
    ("make", "cents"),
    [
        (lambda: order_discount_input([(1000, 10)]), 300),  # 30.00 at 9折
        (lambda: spend_input([{"threshold": 2000, "reductionCents": 500}]), 500),  # 满20减5
    ],
    ids=["ORDER_DISCOUNT", "SPEND_REWARD"],
)
async def test_an_opt_in_order_promotion_applies_only_where_opted_in(
    api: Api, seed: Seed, make: Callable[[], dict[str, Any]], cents: int
) -> None:
    shop = await open_shop(seed, stock=50)
    campaign = created(await api.as_hq().execute(CREATE, input={**make(), "optIn": True}))
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": 0}
    await _ok(api.as_staff(shop.a.id), OPT_IN, campaign, shop.a.id)
    assert (await _preview(api, shop, 2))["discountAmount"] == {"cents": cents}
    assert (await _preview(api, shop, 2, shop.b.id))["discountAmount"] == {"cents": 0}


async def test_staff_opt_only_their_own_stores(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    campaign = await _opt_in_cut(api, shop)
    staff_b = api.as_staff(shop.b.id)
    assert await _refused(staff_b, OPT_IN, campaign, shop.a.id) == ("FORBIDDEN", ["input", "storeId"])
    assert await _refused(staff_b, OPT_OUT, campaign, shop.a.id) == ("FORBIDDEN", ["input", "storeId"])
    foreign = await staff_b.execute(INVITATIONS, store=encode_id("Store", shop.a.id))
    assert foreign.error_codes == ["FORBIDDEN"]
    shopper = await api.as_shopper(shop.customer_id).execute(OPT_IN, input=_opt(campaign, shop.a.id))
    assert shopper.error_codes == ["FORBIDDEN"]
    own = await staff_b.execute(OPT_INS, id=campaign["id"])  # staff see their own stores' opt-ins
    assert own.data["campaign"]["optIns"] == []
    r = await api.as_staff(shop.a.id).execute(
        CREATE, input={**cut_input(shop, 1200, stores=[shop.a.id]), "optIn": True}
    )
    assert r.data["createCampaign"]["userErrors"][0]["code"] == "FORBIDDEN"  # opt-in is HQ's
    await _ok(api.as_hq(), OPT_IN, campaign, shop.b.id)  # HQ may act for any store
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CampaignOptIn)) == 1


async def test_opting_in_is_refused_outside_an_open_opt_in_campaign(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    other = await seed.store("SHC")
    hq = api.as_hq()
    plain = created(await hq.execute(CREATE, input=cut_input(shop, 1200)))
    assert await _refused(hq, OPT_IN, plain, shop.a.id) == ("CAMPAIGN_NOT_OPT_IN", ["input", "campaignId"])
    scoped = await _opt_in_cut(api, shop)
    assert await _refused(hq, OPT_IN, scoped, other.id) == ("STORE_NOT_IN_CAMPAIGN", ["input", "storeId"])
    r = await hq.execute(STOP, input={"campaignId": scoped["id"], "idempotencyKey": key()})
    assert r.data["stopCampaign"]["userErrors"] == []
    assert await _refused(hq, OPT_IN, scoped, shop.a.id) == ("CAMPAIGN_ENDED", ["input", "campaignId"])
    assert (await hq.execute(INVITATIONS, store=encode_id("Store", shop.a.id))).data[
        "campaignInvitations"
    ] == []
    group = await hq.execute(CREATE, input={**group_input(shop), "optIn": True})
    error = group.data["createCampaign"]["userErrors"][0]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["input", "optIn"])
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CampaignOptIn)) == 0


async def test_the_sql_condition_is_the_pure_rule(seed: Seed, db: Database) -> None:
    """Every combination of scope, opt-in and a store's standing (in, out, never) agrees."""
    store, elsewhere = await seed.store("SHX"), await seed.store("SHY")
    now = utcnow()
    expected: dict[int, tuple[bool, bool]] = {}
    async with db.sessions() as s, s.begin():
        for all_stores, in_scope, opt_in, standing in itertools.product(
            (False, True), (False, True), (False, True), ("never", "in", "out")
        ):
            c = Campaign(
                type=CampaignType.PRICE_CUT,
                name="x",
                all_stores=all_stores,
                opt_in=opt_in,
                starts_at=now,
                ends_at=now.replace(year=now.year + 1),
                created_at=now,
                updated_at=now,
            )
            s.add(c)
            await s.flush()
            s.add(CampaignStore(campaign_id=c.id, store_id=store.id if in_scope else elsewhere.id))
            if standing != "never":
                s.add(
                    CampaignOptIn(
                        campaign_id=c.id,
                        store_id=store.id,
                        opted_in_at=now,
                        opted_out_at=now if standing == "out" else None,
                    )
                )
            expected[c.id] = (
                applies_at_store(store.id, all_stores, in_scope, opt_in, standing == "in"),
                applies_at_store(None, all_stores, in_scope, opt_in, standing == "in"),
            )
    async with db.sessions() as s:
        at_store = set(await s.scalars(select(Campaign.id).where(applies_at_store_clause(store.id))))
        no_store = set(await s.scalars(select(Campaign.id).where(applies_at_store_clause(None))))
    assert at_store == {c for c, (yes, _) in expected.items() if yes}
    assert no_store == {c for c, (_, yes) in expected.items() if yes}
