"""Both cache backends behave alike; an unreachable Redis degrades to misses instead of errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from services.cache import Cache, MemoryCache, RedisCache
from tests.conftest import REDIS_URL, unavailable


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield MemoryCache(max_entries=3)
        return
    redis = RedisCache(REDIS_URL)
    if not await redis.ping():
        await redis.close()
        unavailable("Redis", f"no answer at {REDIS_URL} (set TEST_REDIS_URL)")
    yield redis
    await redis.close()


async def test_set_get_delete_expire(cache: Cache) -> None:
    key = f"test:{uuid.uuid4().hex}"
    assert await cache.get(key) is None
    await cache.set(key, b"value", ttl_seconds=0.2)
    assert await cache.get(key) == b"value"
    await cache.delete(key)
    assert await cache.get(key) is None
    await cache.set(key, b"short", ttl_seconds=0.05)
    await asyncio.sleep(0.15)
    assert await cache.get(key) is None
    assert await cache.ping() is True


async def test_memory_cache_is_bounded() -> None:
    cache = MemoryCache(max_entries=2)
    for k in "abc":
        await cache.set(k, k.encode(), 60)
    assert await cache.get("a") is None
    assert await cache.get("c") == b"c"


async def test_unreachable_redis_misses_quietly() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", socket_timeout=0.2)
    try:
        assert await cache.ping() is False
        await cache.set("k", b"v", 10)
        assert await cache.get("k") is None
        await cache.delete("k")
    finally:
        await cache.close()
