from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gql.app import Resources, create_app
from gql.settings import load_settings
from services.cache import RedisCache
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed


async def test_livez_and_readyz(api: Api) -> None:
    assert (await api.http.get("/livez")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200
    dialect = "sqlite" if "sqlite" in api.settings.database_url else "postgresql"
    assert ready.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "dialect": dialect},
            "cache": {"backend": "memory", "status": "ok"},
            "eventBus": {"backend": "memory", "status": "ok", "subscribers": 0},
        },
    }


@pytest.fixture
async def http_with_dead_redis(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(database_url=db.url, environment="test")
    resources = Resources(
        settings, db.engine, db.sessions, RedisCache("redis://127.0.0.1:1/0", socket_timeout=0.2)
    )
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        yield http
    await resources.cache.close()


async def test_cache_down_is_degraded_but_serving(http_with_dead_redis: httpx.AsyncClient) -> None:
    ready = await http_with_dead_redis.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["cache"] == {"backend": "redis", "status": "down"}
    r = await http_with_dead_redis.post("/graphql", json={"query": "{ categories { name } }"})
    body = r.json()
    # served, with the cost report every response carries (issue 8); the rate limiter failed open
    assert {k: v for k, v in body.items() if k != "extensions"} == {"data": {"categories": []}}
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10


async def test_graphiql_is_served_to_browsers(api: Api) -> None:
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


async def test_malformed_json_body_is_a_400_and_answers_are_utf8(api: Api, seed: Seed) -> None:
    bad = await api.http.post("/graphql", content=b'{"query": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400
    await seed.store("SH001", name="上海徐汇店")
    ok = await api.http.post("/graphql", json={"query": "{ stores(first: 5) { edges { node { name } } } }"})
    assert ok.status_code == 200
    assert "上海徐汇店".encode() in ok.content  # UTF-8, not \\u escapes
    assert ok.json()["data"]["stores"]["edges"][0]["node"]["name"] == "上海徐汇店"


async def test_a_served_process_freezes_its_start_up_heap(tmp_path: Path) -> None:
    """The app that opens its own resources (what uvicorn runs) exempts them from full collections."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/served.db", environment="test", sweep_interval_seconds=0
    )
    gc.unfreeze()
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000  # the modules, types and schema of the process
    finally:
        gc.unfreeze()  # the rest of this test session keeps the collector as it was
