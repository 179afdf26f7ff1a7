"""Rate limiting in cost points: a token bucket per principal (per client IP when anonymous).

Each caller's bucket holds as many points as the role's query budget and refills at the role's
restore rate; every query takes its requested cost out before it runs. With Redis the bucket is
one hash updated by a Lua script (atomic across every app process, timed by the Redis clock);
in embedded mode it lives in process. A Redis outage or hang must never take the API down, so
the limiter then fails open: the request runs and `COUNTERS` counts it. Its calls go through the
cache's circuit breaker (services/redis_breaker.py): after one timeout the limiter fails open at
once, without a network wait, until a probe finds Redis answering again; the breaker logs each
change of state, so a hung Redis is one log line, not one per request.

Anonymous callers (issue 23): a request with a valid `X-Visitor-Id` (an HMAC-signed id from
`POST /visitor-id`, keyed by a key derived from JWT_SECRET) has a bucket of its own, as big as the
anonymous query budget; anything else, a forged or garbled id included, falls back to its client
address, whose bucket is sized for a carrier NAT (RATE_LIMIT_ANONYMOUS_IP_BURST). Ids are issued at
most VISITOR_ID_ISSUE_BURST at once and VISITOR_ID_ISSUE_RATE a second per address. The client
address is the socket's, or X-Forwarded-For's when the peer is a trusted proxy (FORWARDED_ALLOW_IPS,
applied by uvicorn in `mallgraph serve`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.limits import COUNTERS, cost_budget, restore_rate
from gql.settings import Settings
from models.principals import Principal
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


VISITOR_HEADER: Final = "x-visitor-id"
_VISITOR_VERSION: Final = "v1"


@lru_cache(maxsize=8)
def _visitor_key(secret: str) -> bytes:
    """A key of its own for visitor ids, derived from the app's secret (never the JWT key itself)."""
    return hmac.new(secret.encode(), b"mallgraph visitor id v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(secret: str, visitor: str) -> str:
    return _b64(hmac.new(_visitor_key(secret), visitor.encode(), hashlib.sha256).digest()[:16])


def new_visitor_id(secret: str) -> str:
    """`v1.<random>.<signature>`: 128 random bits, signed with 128 bits of HMAC-SHA256."""
    visitor = f"{_VISITOR_VERSION}.{_b64(secrets.token_bytes(16))}"
    return f"{visitor}.{_signature(secret, visitor)}"


def verified_visitor(secret: str, value: str | None) -> str | None:
    """The id's random part when `value` is a visitor id this app signed; None for anything else."""
    if not value or len(value) > 64:
        return None
    visitor, _, signature = value.rpartition(".")
    if not visitor.startswith(_VISITOR_VERSION + ".") or not hmac.compare_digest(
        signature.encode(), _signature(secret, visitor).encode()
    ):
        return None
    return visitor.removeprefix(_VISITOR_VERSION + ".")


def client_host(request: Request | None) -> str:
    """The client's address: the socket peer's, or a trusted proxy's X-Forwarded-For (uvicorn)."""
    return request.client.host if request is not None and request.client is not None else "unknown"


@dataclass(frozen=True, slots=True)
class BucketSpec:
    key: str
    capacity: int
    rate: float


def bucket_of(settings: Settings, principal: Principal, request: Request | None) -> BucketSpec:
    """Whose bucket a request draws from and how big it is (see the module's docstring)."""
    role = principal.role
    if role is not None:
        return BucketSpec(principal.key, cost_budget(settings, role), restore_rate(settings, role))
    header = request.headers.get(VISITOR_HEADER) if request is not None else None
    visitor = verified_visitor(settings.jwt_secret, header)
    if visitor is not None:
        return BucketSpec(
            f"visitor:{visitor}", settings.cost_budget_anonymous, settings.rate_restore_anonymous
        )
    capacity = max(settings.rate_limit_anonymous_ip_burst, settings.cost_budget_anonymous)
    return BucketSpec(f"anonymous:{client_host(request)}", capacity, settings.rate_restore_anonymous_ip)


async def issue_visitor_id(request: Request, settings: Settings, limiter: RateLimiter) -> Response:
    """`POST /visitor-id` → `{"visitorId": …}`; 429 with Retry-After past the per-address issue rate."""
    decision = await limiter.take(
        f"visitor-issue:{client_host(request)}",
        1,
        settings.visitor_id_issue_burst,
        settings.visitor_id_issue_rate,
    )
    headers = {"cache-control": "no-store"}
    if not decision.allowed:
        headers["retry-after"] = str(max(1, math.ceil(decision.retry_after_seconds)))
        error = {"message": "too many visitor ids from this address", "extensions": {"code": "THROTTLED"}}
        body = {"data": None, "errors": [error]}
        return JSONResponse(body, status_code=429, headers=headers)
    return JSONResponse({"visitorId": new_visitor_id(settings.jwt_secret)}, headers=headers)
