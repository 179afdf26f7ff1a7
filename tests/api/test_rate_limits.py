"""Rate limits in cost points: in process, in Redis (shared by processes), and failing open without Redis."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from gql.gate.limits import COUNTERS
from models.enums import Role
from services.cache import RedisCache
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.conftest import REDIS_URL, unavailable

ALIASES = " ".join(f"v{i}: viewer {{ role }}" for i in range(10))
TEN_POINTS = f"{{ {ALIASES} }}"  # ten objects: 10 points


async def _spend(api: Api, times: int) -> list[dict[str, object]]:
    bodies = []
    for _ in range(times):
        r = await api.execute(TEN_POINTS)
        bodies.append(r.body)
    return bodies


async def test_bucket_empties_then_throttles_with_retry_after() -> None:
    # anonymous, no visitor id: the client address's bucket (tests/api/test_visitor_limits.py)
    async with gated_api(
        cost_budget_anonymous=30, rate_limit_anonymous_ip_burst=30, rate_restore_anonymous_ip=1.0
    ) as api:
        bodies = await _spend(api, 3)
        left = [b["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] for b in bodies]  # type: ignore[index]
        assert left == [20, 10, 0]
        assert bodies[0]["extensions"] == {  # Shopify's shape
            "cost": {
                "requestedQueryCost": 10,
                "maximumAvailable": 30,
                "throttleStatus": {"currentlyAvailable": 20, "restoreRate": 1.0},
            }
        }
        executions = COUNTERS.executions
        r = await api.http.post("/graphql", json={"query": TEN_POINTS})
        assert r.status_code == 200
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "THROTTLED"
        assert 0 < error["extensions"]["retryAfterSeconds"] <= 10
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["data"] is None
        assert COUNTERS.executions == executions
        # another principal has its own bucket
        r2 = await api.as_hq().execute(TEN_POINTS)
        assert r2.errors == []


async def test_buckets_refill_at_the_restore_rate() -> None:
    async with gated_api(
        cost_budget_anonymous=20, rate_limit_anonymous_ip_burst=20, rate_restore_anonymous_ip=100.0
    ) as api:
        await _spend(api, 2)
        await asyncio.sleep(0.15)  # 15 points back
        r = await api.execute(TEN_POINTS)
        assert r.errors == []


async def test_a_query_above_the_budget_is_refused_not_throttled() -> None:
    async with gated_api(cost_budget_shopper=5) as api:
        r = await api.as_shopper(1).execute(TEN_POINTS)
        assert r.error_codes == ["MAX_COST_EXCEEDED"]
        assert r.errors[0]["extensions"]["cost"] == {"requestedQueryCost": 10, "maximumAvailable": 5}


@pytest.fixture
async def redis_cache() -> AsyncIterator[RedisCache]:
    cache = RedisCache(REDIS_URL)
    if not await cache.ping():
        await cache.close()
        unavailable("Redis", f"no server at {REDIS_URL} (set TEST_REDIS_URL)")
    yield cache
    await cache.close()


async def test_redis_bucket_is_shared_by_processes(redis_cache: RedisCache) -> None:
    budget = {"cost_budget_store_staff": 30, "rate_restore_store_staff": 0.5}
    store = int(uuid.uuid4().int % 1_000_000)  # a principal of its own in the shared Redis
    async with gated_api(cache=redis_cache, **budget) as one, gated_api(cache=redis_cache, **budget) as two:
        staff_one, staff_two = one.as_staff(store), two.as_staff(store)
        assert (await staff_one.execute(TEN_POINTS)).errors == []
        assert (await staff_two.execute(TEN_POINTS)).errors == []
        assert (await staff_one.execute(TEN_POINTS)).errors == []
        r = await staff_two.execute(TEN_POINTS)
        assert r.error_codes == ["THROTTLED"]
    client: Redis = redis_cache.client
    key = f"mallgraph:rl:{Role.STORE_STAFF.value}:test-store_staff-{store}"
    assert await client.exists(key) == 1
    assert 0 < await client.ttl(key) <= 61
    await client.delete(key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Redis of our own, so that stopping it cannot disturb anyone else's."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server", "not on PATH")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def test_redis_stopped_fails_open_and_counts(
    private_redis: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = private_redis
    cache = RedisCache(url)
    for _ in range(50):
        if await cache.ping():
            break
        await asyncio.sleep(0.1)
    tight = {
        "cost_budget_anonymous": 15,
        "rate_limit_anonymous_ip_burst": 15,
        "rate_restore_anonymous_ip": 1.0,
    }
    async with gated_api(cache=cache, **tight) as api:
        assert (await api.execute(TEN_POINTS)).errors == []
        assert (await api.execute(TEN_POINTS)).error_codes == ["THROTTLED"]  # Redis is counting
        process.kill()
        process.wait(timeout=10)
        fail_open = COUNTERS.rate_limit_fail_open
        for _ in range(3):
            r = await api.execute(TEN_POINTS)
            assert r.errors == []
            assert r.data is not None
        assert COUNTERS.rate_limit_fail_open == fail_open + 3
        ready = await api.http.get("/readyz")
        assert ready.json()["status"] == "degraded"
    await cache.close()
