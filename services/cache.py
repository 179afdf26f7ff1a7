"""A small cache interface with two implementations: Redis (fleet) and in-process (embedded).

Callers never learn which one they have. The cache is an accelerator, never a source of
truth: if Redis is unreachable or hung, reads miss and writes are dropped, so the API keeps
serving from the database. Every Redis call goes through the cache's circuit breaker
(services/redis_breaker.py), which the rate limiter shares: after one timeout the calls fail
at once instead of each waiting, and the breaker logs the change (never each call).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

from redis.exceptions import RedisError

from services.redis_breaker import TRIPS, RedisBreaker, RedisUnavailable, redis_client
from services.telemetry import record_cache

log = logging.getLogger("mallgraph.cache")


class Cache(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryCache:
    """Bounded LRU with per-entry expiry, for one process (embedded mode and tests)."""

    name = "memory"

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] <= time.monotonic():
            del self._entries[key]
            entry = None
        record_cache(key, entry is not None)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._entries.clear()


class RedisCache:
    """The fleet's cache. `breaker` guards `client`; whoever else calls `client` (the rate
    limiter) goes through the same breaker."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 0.25,
        connect_timeout: float | None = None,
        breaker: RedisBreaker | None = None,
    ) -> None:
        self.client = redis_client(
            url,
            socket_timeout=socket_timeout,
            connect_timeout=socket_timeout if connect_timeout is None else connect_timeout,
        )
        self.breaker = breaker or RedisBreaker()

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self.breaker.call(lambda: self.client.get(key))
        except (RedisError, OSError) as exc:
            _failed("get, treated as a miss", exc)
            record_cache(key, False)
            return None
        record_cache(key, isinstance(value, bytes))
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        try:
            await self.breaker.call(lambda: self.client.set(key, value, px=max(1, int(ttl_seconds * 1000))))
        except (RedisError, OSError) as exc:
            _failed("set, dropped", exc)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self.breaker.call(lambda: self.client.delete(*keys))
        except (RedisError, OSError) as exc:
            _failed("delete", exc)

    async def ping(self) -> bool:
        """False at once while the breaker is open; otherwise one bounded round trip."""
        try:
            return bool(await self.breaker.call(self.client.ping))
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.client.aclose()


def _failed(what: str, exc: BaseException) -> None:
    """Faults are the breaker's to log (once per state change); an error Redis answered is logged here."""
    level = logging.DEBUG if isinstance(exc, (*TRIPS, RedisUnavailable)) else logging.WARNING
    log.log(level, "cache %s: %s", what, exc)


def create_cache(
    redis_url: str | None,
    *,
    socket_timeout: float = 0.25,
    connect_timeout: float = 0.25,
    breaker: RedisBreaker | None = None,
) -> Cache:
    if not redis_url:
        return MemoryCache()
    return RedisCache(
        redis_url, socket_timeout=socket_timeout, connect_timeout=connect_timeout, breaker=breaker
    )
