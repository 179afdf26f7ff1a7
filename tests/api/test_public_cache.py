"""Public pages over GET by hash: caching headers, 304s, hits that run nothing, private answers for
tokens and `viewer`, and invalidation after every event that changes a page."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import orjson

from gql.app import Resources, create_app
from gql.gate.limits import COUNTERS
from gql.ids import encode_id
from gql.settings import load_settings
from services.cache import RedisCache
from services.db import count_statements
from services.payments import DevPaymentGateway
from tests.api.campaign_flow import (
    CREATE,
    JOIN,
    OPEN,
    PAGE,
    PAGE_WITH_VIEWER,
    STOP,
    UPDATE,
    created,
    group_input,
    member_order,
    pay,
    team_ok,
)
from tests.api.conftest import Api
from tests.api.order_flow import Shop, key, open_shop
from tests.conftest import REDIS_URL, Database, unavailable
from tests.factories import Seed

PRODUCTS = "query { products(first: 5) { edges { node { name skus { price { cents } } } } } }"
UPDATE_PRODUCT = """mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
  product { id } userErrors { code message } } }"""
UPDATE_SKU = """mutation($input: UpdateSkuInput!) { updateSku(input: $input) {
  sku { id } userErrors { code } } }"""


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def _register(api: Api, query: str) -> None:
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}
    r = await api.http.post("/graphql", json={"query": query, "extensions": apq})
    assert r.status_code == 200, r.text


async def _get(
    api: Api, query: str, *, token: str | None = None, etag: str | None = None, **variables: Any
) -> httpx.Response:
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}
    params = {"extensions": orjson.dumps(apq).decode(), "variables": orjson.dumps(variables).decode()}
    headers = {"accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if etag:
        headers["if-none-match"] = etag
    return await api.http.get("/graphql", params=params, headers=headers)


async def _page(api: Api, seed: Seed) -> tuple[Shop, dict[str, Any], dict[str, Any]]:
    shop = await open_shop(seed, stock=100)
    campaign = created(await api.as_hq().execute(CREATE, input=group_input(shop, 3)))
    opened = team_ok(
        await api.as_shopper(shop.customer_id).execute(
            OPEN, input={"campaignId": campaign["id"], "order": member_order(shop)}
        ),
        "openTeam",
    )
    await _register(api, PAGE)
    return shop, campaign, opened


async def test_a_hit_runs_nothing_and_revalidates_with_304(api: Api, seed: Seed) -> None:
    _, campaign, opened = await _page(api, seed)
    ids = {"c": campaign["id"], "t": opened["teamId"]}
    first = await _get(api, PAGE, **ids)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=10, s-maxage=10, stale-while-revalidate=30"
    assert first.headers["vary"] == "Authorization"
    etag = first.headers["etag"]
    body = first.json()
    assert body["data"]["groupBuyPage"]["team"]["memberCount"] == 1
    assert "extensions" not in body  # no caller's own bucket in a shared answer
    before = COUNTERS.snapshot()
    with count_statements() as statements:
        again = await _get(api, PAGE, c=ids["c"], t=ids["t"])  # same variables, other order: one key
        unchanged = await _get(api, PAGE, etag=etag, **ids)
    assert statements.count == 0
    after = COUNTERS.snapshot()
    assert (after["executions"], after["parses"], after["validations"]) == (
        before["executions"],
        before["parses"],
        before["validations"],
    )
    assert again.content == first.content
    assert again.headers["etag"] == etag
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert "public" in unchanged.headers["cache-control"]
    other = await _get(api, PAGE, etag='"not-it"', **ids)
    assert other.status_code == 200


async def test_a_crowd_arriving_at_a_cold_page_computes_it_once(api: Api, seed: Seed) -> None:
    _, campaign, opened = await _page(api, seed)
    before = COUNTERS.executions
    answers = await asyncio.gather(
        *(_get(api, PAGE, c=campaign["id"], t=opened["teamId"]) for _ in range(20))
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert COUNTERS.executions == before + 1


async def test_tokens_and_viewer_make_answers_private(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _page(api, seed)
    ids = {"c": campaign["id"], "t": opened["teamId"]}
    await _register(api, PAGE_WITH_VIEWER)
    stranger = (await seed.customer("13700000011")).id
    leader = api.as_shopper(shop.customer_id)
    assert leader.token is not None
    mine = await _get(api, PAGE_WITH_VIEWER, token=leader.token, **ids)
    theirs = await _get(api, PAGE_WITH_VIEWER, token=api.as_shopper(stranger).token, **ids)
    for answer in (mine, theirs):
        assert answer.headers["cache-control"] == "private, no-store"
        assert "etag" not in answer.headers
    assert mine.json()["data"]["groupBuyPage"]["viewer"] == {"canJoin": False, "reason": "ALREADY_IN_TEAM"}
    assert theirs.json()["data"]["groupBuyPage"]["viewer"] == {"canJoin": True, "reason": None}
    # the shared page, asked with a token: private as well, and not taken from the cache
    shared_with_token = await _get(api, PAGE, token=leader.token, **ids)
    assert shared_with_token.headers["cache-control"] == "private, no-store"
    assert "cost" in shared_with_token.json()["extensions"]
    # anonymous: `viewer` anywhere keeps a document out of the cache; the shared one has no viewer in it
    anonymous_viewer = await _get(api, PAGE_WITH_VIEWER, **ids)
    assert anonymous_viewer.headers["cache-control"] == "private, no-store"
    shared = await _get(api, PAGE, **ids)
    assert "public" in shared.headers["cache-control"]
    assert b"viewer" not in shared.content
    assert b"ALREADY_IN_TEAM" not in shared.content
    # a root field outside the public list: private
    await _register(api, "query { viewer { role } }")
    assert (await _get(api, "query { viewer { role } }")).headers["cache-control"] == "private, no-store"


async def _computed(api: Api, query: str, **variables: Any) -> dict[str, Any]:
    """The page, checking that it was computed (not served from the cache)."""
    before = COUNTERS.executions
    r = await _get(api, query, **variables)
    assert r.status_code == 200
    assert "public" in r.headers["cache-control"]
    assert COUNTERS.executions == before + 1, "served from the cache after an invalidating event"
    answer: dict[str, Any] = r.json()["data"]
    return answer


async def _cached(api: Api, query: str, **variables: Any) -> None:
    before = COUNTERS.executions
    assert (await _get(api, query, **variables)).status_code == 200
    assert COUNTERS.executions == before


async def test_every_event_invalidates_the_cached_page(api: Api, seed: Seed) -> None:
    shop, campaign, opened = await _page(api, seed)
    ids = {"c": campaign["id"], "t": opened["teamId"]}
    assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["memberCount"] == 1
    await _cached(api, PAGE, **ids)

    friend = (await seed.customer("13700000021")).id
    join = {"teamId": opened["teamId"], "order": member_order(shop)}
    joined = team_ok(await api.as_shopper(friend).execute(JOIN, input=join), "joinTeam")
    assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["memberCount"] == 2  # join
    await _cached(api, PAGE, **ids)

    await pay(api, shop.customer_id, opened["order"]["id"])
    members = (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["members"]  # pay
    assert [m["paid"] for m in members] == [True, False]
    await _cached(api, PAGE, **ids)

    cancel = "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }"
    r = await api.as_shopper(friend).execute(
        cancel, input={"orderId": joined["order"]["id"], "reason": "不拼了", "idempotencyKey": key()}
    )
    assert r.data["cancelOrder"]["userErrors"] == []
    assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["memberCount"] == 1  # leave
    await _cached(api, PAGE, **ids)

    price = [{"skuId": encode_id("Sku", shop.apple.id), "groupPriceCents": 890}]
    r = await api.as_hq().execute(UPDATE, input={"campaignId": campaign["id"], "groupPrices": price})
    assert r.data["updateCampaign"]["userErrors"] == []
    skus = (await _computed(api, PAGE, **ids))["groupBuyPage"]["skus"]  # group price change
    assert [s["groupPrice"] for s in skus] == [{"cents": 890}]
    await _cached(api, PAGE, **ids)

    r = await api.as_hq().execute(STOP, input={"campaignId": campaign["id"]})
    assert r.data["stopCampaign"]["userErrors"] == []
    assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["status"] == "STOPPED"  # stop

    listable = {"imageUrls": ["https://img.example/apple.jpg"], "weightGrams": 500}
    r = await api.as_hq().execute(
        UPDATE_PRODUCT, input={"productId": encode_id("Product", shop.apple.product_id), **listable}
    )
    assert r.data["updateProduct"]["userErrors"] == []
    await _register(api, PRODUCTS)
    await _computed(api, PRODUCTS)
    await _cached(api, PRODUCTS)
    r = await api.as_hq().execute(
        UPDATE_SKU, input={"skuId": encode_id("Sku", shop.apple.id), "priceCents": 1290}
    )
    assert r.data["updateSku"]["userErrors"] == []
    browse = await _computed(api, PRODUCTS)  # a catalogue price change
    prices = [s["price"]["cents"] for e in browse["products"]["edges"] for s in e["node"]["skus"]]
    assert 1290 in prices
    assert (await _computed(api, PAGE, **ids))["groupBuyPage"] is not None  # pages show prices too


async def test_the_group_buy_page_costs_what_it_does(api: Api, seed: Seed) -> None:
    _, campaign, opened = await _page(api, seed)
    r = await api.execute(PAGE_WITH_VIEWER, c=campaign["id"], t=opened["teamId"])
    assert 0 < r.body["extensions"]["cost"]["requestedQueryCost"] <= 20


async def test_answers_kept_in_redis_are_shared_and_invalidated(db: Database, seed: Seed) -> None:
    cache = RedisCache(REDIS_URL)
    if not await cache.ping():
        await cache.close()
        unavailable("Redis", f"no server at {REDIS_URL} (set TEST_REDIS_URL)")
    stale = [k async for k in cache.client.scan_iter("mg:*")]  # a previous run's pages and versions
    if stale:
        await cache.client.delete(*stale)
    settings = load_settings(database_url=db.url, environment="test")
    gateway = DevPaymentGateway()
    resources = Resources(settings, db.engine, db.sessions, cache, gateway)
    app = create_app(resources=resources)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            api = Api(http, settings, gateway)
            shop, campaign, opened = await _page(api, seed)
            ids = {"c": campaign["id"], "t": opened["teamId"]}
            assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["memberCount"] == 1
            await _cached(api, PAGE, **ids)
            assert [k async for k in cache.client.scan_iter("mg:pp:*")] != []
            friend = (await seed.customer("13700000031")).id
            join = {"teamId": opened["teamId"], "order": member_order(shop)}
            team_ok(await api.as_shopper(friend).execute(JOIN, input=join), "joinTeam")
            assert (await _computed(api, PAGE, **ids))["groupBuyPage"]["team"]["memberCount"] == 2
            await _cached(api, PAGE, **ids)
    finally:
        await cache.close()
