"""Limits that fit a crowd: every anonymous request draws from its client address's bucket (sized for
a NAT), a signed visitor id adds a bucket of its own inside that budget, so minting ids buys nothing;
ids are rate-limited on issue, and the client address comes from X-Forwarded-For only when the peer
is a trusted proxy (`mallgraph serve`'s uvicorn options)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn

from cli import proxy_options
from gql.app import Resources, create_app
from gql.gate.rate_limit import new_visitor_id, verified_visitor
from gql.settings import load_settings
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.payments import DevPaymentGateway
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.api.live_server import free_port

ALIASES = " ".join(f"v{i}: viewer {{ role }}" for i in range(10))
TEN_POINTS = f"{{ {ALIASES} }}"
TIGHT: dict[str, Any] = {
    "cost_budget_anonymous": 30,
    "rate_restore_anonymous": 0.01,
    "rate_limit_anonymous_ip_burst": 30,
    "rate_restore_anonymous_ip": 0.01,
}
"""Three ten-point queries per bucket, and next to no refill while a test runs."""


async def _visitor(api: Api) -> str:
    r = await api.http.post("/visitor-id")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    visitor: str = r.json()["visitorId"]
    return visitor


async def _codes(api: Api, visitor: str | None = None) -> list[str]:
    headers = {"x-visitor-id": visitor} if visitor else {}
    r = await api.http.post("/graphql", json={"query": TEN_POINTS}, headers=headers)
    return [e["extensions"]["code"] for e in r.json().get("errors") or []]


def test_visitor_ids_are_signed() -> None:
    secret = "a-secret-of-at-least-thirty-two-characters"
    visitor = new_visitor_id(secret)
    assert verified_visitor(secret, visitor) is not None
    assert verified_visitor("another-secret-of-at-least-thirty-two-chars", visitor) is None
    random_part = visitor.split(".")[1]
    forged = f"v1.{random_part[:-1]}{'A' if random_part[-1] != 'A' else 'B'}.{visitor.split('.')[2]}"
    for bad in (forged, "v1.abc", "", "x" * 65, visitor + "x", visitor.replace("v1.", "v2.")):
        assert verified_visitor(secret, bad) is None


async def test_a_crowd_behind_one_address_is_served_while_an_abuser_is_throttled() -> None:
    nat = {**TIGHT, "rate_limit_anonymous_ip_burst": 850}  # the address's budget: the crowd's 820 + 30
    async with gated_api(visitor_id_issue_burst=100, **nat) as api:
        crowd = [await _visitor(api) for _ in range(40)]
        assert len(set(crowd)) == 40
        for _ in range(2):  # 40 visitors × 20 points: within the address's budget, 2/3 of each id's
            assert [await _codes(api, v) for v in crowd] == [[]] * 40
        abuser = crowd[0]
        assert await _codes(api, abuser) == []
        for _ in range(3):  # refused by its own bucket: the address's budget is not spent on it
            assert await _codes(api, abuser) == ["THROTTLED"]
        assert await _codes(api, crowd[1]) == []  # the others keep their own buckets
        # without an id, or with one this app did not sign: the address's bucket alone, 30 points left
        forged = abuser[:-2] + ("AA" if not abuser.endswith("AA") else "BB")
        assert [await _codes(api, v) for v in (None, forged, "garbage", None)] == [
            [],
            [],
            [],
            ["THROTTLED"],
        ]


async def test_minting_visitor_ids_does_not_raise_an_addresses_budget() -> None:
    async with gated_api(visitor_id_issue_burst=100, **TIGHT) as api:  # the address holds 30 points
        minted = [await _visitor(api) for _ in range(10)]
        codes = [await _codes(api, v) for v in minted]  # ten fresh ids, ten points each
        assert codes == [[]] * 3 + [["THROTTLED"]] * 7
        assert await _codes(api) == ["THROTTLED"]  # and nothing left without an id either
        assert await _codes(api, await _visitor(api)) == ["THROTTLED"]
        r = await api.http.post("/graphql", json={"query": TEN_POINTS}, headers={"x-visitor-id": minted[0]})
        status = r.json()["extensions"]["cost"]["throttleStatus"]
        assert status["currentlyAvailable"] < 10  # the refusal names the address's bucket, the short one
        assert float(r.headers["retry-after"]) >= 1


async def test_visitor_ids_are_rate_limited_on_issue() -> None:
    async with gated_api(visitor_id_issue_burst=3, visitor_id_issue_rate=0.01) as api:
        for _ in range(3):
            await _visitor(api)
        r = await api.http.post("/visitor-id")
        assert r.status_code == 429
        assert r.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert int(r.headers["retry-after"]) >= 1
        assert (await api.http.get("/visitor-id")).status_code == 405


async def test_the_address_bucket_is_sized_for_a_nat() -> None:
    async with gated_api() as api:  # the defaults: 20,000 points for one address
        codes = await asyncio.gather(*(_codes(api) for _ in range(150)))
        assert codes == [[]] * 150  # 1,500 points: more than one visitor's budget of 1,000


@asynccontextmanager
async def _served(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app under uvicorn on loopback with `mallgraph serve`'s proxy options."""
    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", environment="test", **overrides)
    engine = create_engine(settings.database_url)
    resources = Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    port = free_port()
    config = uvicorn.Config(
        create_app(resources=resources),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        **proxy_options(settings),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        await task
        await engine.dispose()


async def _as_forwarded(http: httpx.AsyncClient, address: str) -> list[str]:
    r = await http.post("/graphql", json={"query": TEN_POINTS}, headers={"x-forwarded-for": address})
    return [e["extensions"]["code"] for e in r.json().get("errors") or []]


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    async with _served(forwarded_allow_ips="127.0.0.1", **TIGHT) as http:  # the proxy is us
        assert [await _as_forwarded(http, "203.0.113.7") for _ in range(4)][-1] == ["THROTTLED"]
        assert await _as_forwarded(http, "203.0.113.8") == []  # another client behind the proxy
    async with _served(forwarded_allow_ips="192.0.2.1", **TIGHT) as http:  # we are not that proxy
        assert [await _as_forwarded(http, "203.0.113.7") for _ in range(4)][-1] == ["THROTTLED"]
        assert await _as_forwarded(http, "203.0.113.8") == ["THROTTLED"]  # the header is ignored
