"""Rate limiting in cost points: a token bucket per principal (per client IP when anonymous).

Each caller's bucket holds as many points as the role's query budget and refills at the role's
restore rate; every query takes its requested cost out before it runs. With Redis the bucket is
one hash updated by a Lua script (atomic across every app process, timed by the Redis clock);
in embedded mode it lives in process. A Redis outage or hang must never take the API down, so
the limiter then fails open: the request runs and `COUNTERS` counts it. Its calls go through the
cache's circuit breaker (services/redis_breaker.py): after one timeout the limiter fails open at
once, without a network wait, until a probe finds Redis answering again; the breaker logs each
change of state, so a hung Redis is one log line, not one per request.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gql.limits import COUNTERS
from services.cache import Cache, RedisCache
from services.redis_breaker import TRIPS, RedisBreaker, RedisUnavailable

log = logging.getLogger("mallgraph.rate_limit")

KEY_PREFIX: Final = "mallgraph:rl:"

TAKE_SCRIPT: Final = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(tokens)}
"""
"""Refill by elapsed time, then take `cost` if it fits; returns (allowed, points left)."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    available: float | None
    """Points left after this request; None when the limiter failed open or is disabled."""
    capacity: int
    restore_rate: float
    retry_after_seconds: float = 0.0
    """How long until the bucket holds enough points again (0 when allowed)."""


class Bucket(Protocol):
    async def take(self, key: str, cost: int, capacity: int, rate: float) -> tuple[bool, float]: ...


class MemoryBucket:
    """The embedded-mode bucket: one process, so a dict and the monotonic clock are enough."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._state: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    async def take(self, key: str, cost: int, capacity: int, rate: float) -> tuple[bool, float]:
        now = time.monotonic()
        tokens, ts = self._state.get(key, (float(capacity), now))
        tokens = min(float(capacity), tokens + max(0.0, now - ts) * rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        if len(self._state) >= self._max_keys and key not in self._state:
            self._state.clear()  # a flood of distinct callers: forget everyone rather than grow without bound
        self._state[key] = (tokens, now)
        return allowed, tokens


class RedisBucket:
    def __init__(self, client: Redis, breaker: RedisBreaker | None = None) -> None:
        self._client = client
        self._script = client.register_script(TAKE_SCRIPT)
        self._breaker = breaker or RedisBreaker()

    async def take(self, key: str, cost: int, capacity: int, rate: float) -> tuple[bool, float]:
        allowed, tokens = await self._breaker.call(
            lambda: self._script(keys=[KEY_PREFIX + key], args=[capacity, rate, cost])
        )
        return bool(int(allowed)), float(tokens)


class RateLimiter:
    def __init__(self, bucket: Bucket, *, enabled: bool = True) -> None:
        self.bucket = bucket
        self.enabled = enabled

    @classmethod
    def for_cache(cls, cache: Cache, *, enabled: bool) -> RateLimiter:
        """Share the cache's Redis connection when there is one; else count in process."""
        bucket: Bucket = (
            RedisBucket(cache.client, cache.breaker) if isinstance(cache, RedisCache) else MemoryBucket()
        )
        return cls(bucket, enabled=enabled)

    async def take(self, key: str, cost: int, capacity: int, rate: float) -> Decision:
        if not self.enabled:
            return Decision(True, None, capacity, rate)
        charge = max(1, cost)
        try:
            allowed, tokens = await self.bucket.take(key, charge, capacity, rate)
        except (TimeoutError, RedisError, OSError) as exc:
            COUNTERS.rate_limit_fail_open += 1
            # faults are logged by the breaker, once per change of state
            quiet = isinstance(exc, (*TRIPS, RedisUnavailable))
            log.log(logging.DEBUG if quiet else logging.WARNING, "rate limiter failed open: %s", exc)
            return Decision(True, None, capacity, rate)
        wait = 0.0 if allowed else max(0.0, (charge - tokens) / rate)
        return Decision(allowed, tokens, capacity, rate, retry_after_seconds=math.ceil(wait * 10) / 10)
