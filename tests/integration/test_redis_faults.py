"""A hung Redis (not a stopped one) behaves like a down one after one timeout, and recovers.

Our own redis-server on a free port is frozen with SIGSTOP: its socket still accepts
connections, but nothing answers — what a Redis stuck in a long command or a swap storm looks
like. The assertions count network attempts through the breaker rather than wall-clock time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gql.gate.limits import COUNTERS
from gql.gate.rate_limit import RateLimiter
from services.cache import RedisCache
from services.event_bus import EventNotice, RedisBus, Resync
from services.redis_breaker import BreakerState, RedisBreaker
from tests.api.gated_app import gated_api
from tests.api.live_server import free_port
from tests.live.cluster import PrivateRedis

TIMEOUT = 0.2
COOL_DOWN = 0.5


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis.log")
    await server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def _hang(server: PrivateRedis) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def _resume(server: PrivateRedis) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)


def _state(breaker: RedisBreaker) -> BreakerState:
    return breaker.state  # read afresh: each call may change it


def _gauge() -> float | None:
    return REGISTRY.get_sample_value("mallgraph_redis_breaker_state", {"breaker": "redis"})


async def test_cache_limiter_and_bus_fail_open_at_once_then_recover(
    redis_server: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    breaker = RedisBreaker(cool_down=COOL_DOWN)
    cache = RedisCache(redis_server.url, socket_timeout=TIMEOUT, breaker=breaker)
    limiter = RateLimiter.for_cache(cache, enabled=True)
    bus = RedisBus(redis_server.url, timeout=TIMEOUT, breaker=breaker)
    try:
        await cache.set("k", b"v", 60)
        assert await cache.get("k") == b"v"
        _hang(redis_server)
        caplog.set_level(logging.INFO, logger="mallgraph.redis")

        started = time.perf_counter()
        assert await cache.get("k") is None  # the one call that waits: a timeout, then a miss
        assert time.perf_counter() - started < TIMEOUT * 3
        assert _state(breaker) is BreakerState.OPEN
        assert _gauge() == BreakerState.OPEN
        attempts = breaker.network_calls

        fail_open = COUNTERS.rate_limit_fail_open
        with bus.subscribe(lambda _n: True, max_queue=10) as sub:
            for _ in range(20):
                assert await cache.get("k") is None
                await cache.set("k2", b"v", 60)
                assert (await limiter.take("caller", 10, 100, 10.0)).allowed
                await bus.publish([EventNotice(1, 2, 3, 4, "PLACED")])
            assert isinstance(sub.get_nowait(), Resync)  # local subscribers re-read the table
        assert not await cache.ping()
        assert not await bus.ping()
        assert breaker.network_calls == attempts  # none of the 100 calls above touched the network
        assert breaker.short_circuits >= 80
        assert COUNTERS.rate_limit_fail_open == fail_open + 20
        opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
        assert len(opened) == 1  # one line for the change of state, none per call

        # Still hung after the cool-down: one probe goes out, times out, and the breaker reopens.
        await asyncio.sleep(COOL_DOWN)
        assert await cache.get("k") is None
        assert breaker.network_calls == attempts + 1
        assert _state(breaker) is BreakerState.OPEN

        _resume(redis_server)
        await asyncio.sleep(COOL_DOWN)
        assert await cache.get("k") == b"v"  # the probe finds Redis answering: closed again
        assert _state(breaker) is BreakerState.CLOSED
        assert _gauge() == BreakerState.CLOSED
        assert (await limiter.take("caller", 10, 100, 10.0)).available is not None  # counted again
        assert any("circuit closed" in r.getMessage() for r in caplog.records)
    finally:
        _resume(redis_server)
        await bus.close()
        await cache.close()


async def test_requests_do_not_wait_on_a_hung_redis(redis_server: PrivateRedis) -> None:
    breaker = RedisBreaker(cool_down=60)  # stays open for the whole test
    cache = RedisCache(redis_server.url, socket_timeout=TIMEOUT, breaker=breaker)
    query = "{ __typename }"
    try:
        async with gated_api(cache=cache) as api:
            assert (await api.execute(query)).errors == []
            _hang(redis_server)
            first = await api.execute(query)  # its rate-limit call times out; it is served anyway
            assert first.errors == []
            assert _state(breaker) is BreakerState.OPEN
            attempts = breaker.network_calls
            started = time.perf_counter()
            for _ in range(10):
                r = await api.execute(query)
                assert r.errors == []
                assert r.data == {"__typename": "Query"}
            assert breaker.network_calls == attempts  # the ten requests never waited on Redis
            assert time.perf_counter() - started < 10 * TIMEOUT
            ready = await api.http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"]["cache"] == {"backend": "redis", "status": "down"}
            assert breaker.network_calls == attempts
    finally:
        _resume(redis_server)
        await cache.close()
