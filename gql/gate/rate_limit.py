"""Rate limiting in cost points: a token bucket per principal (per client IP when anonymous).

Each caller's bucket holds as many points as the role's query budget and refills at the role's
restore rate; every query takes its requested cost out before it runs. With Redis the bucket is
one hash updated by a Lua script (atomic across every app process, timed by the Redis clock);
in embedded mode it lives in process. A Redis outage or hang must never take the API down, so
the limiter then fails open: the request runs and `COUNTERS` counts it. Its calls go through the
cache's circuit breaker (services/redis_breaker.py): after one timeout the limiter fails open at
once, without a network wait, until a probe finds Redis answering again; the breaker logs each
change of state, so a hung Redis is one log line, not one per request.

Anonymous callers (issue 23): every anonymous request draws from its client address's bucket,
sized for a carrier NAT (RATE_LIMIT_ANONYMOUS_IP_BURST), so the address caps the total of everyone
behind it. A request with a valid `X-Visitor-Id` (an HMAC-signed id from `POST /visitor-id`, keyed by
a key derived from JWT_SECRET) draws from a bucket of its own as well, as big as the anonymous query
budget: it is served only when both hold its cost, and then pays both (one atomic take), so one noisy
visitor is throttled without spending the address's budget, and minting more ids buys nothing. A
forged or garbled id counts as none. Ids are issued at most VISITOR_ID_ISSUE_BURST at once and
VISITOR_ID_ISSUE_RATE a second per address. `signIn` keys its per-device limit on the same id. The client
address is the socket's, or X-Forwarded-For's when the peer is a trusted proxy (FORWARDED_ALLOW_IPS,
applied by uvicorn in `mallgraph serve`).
"""

from __future__ import annotations

import base64
import hmac
import logging
import math
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.gate.limits import COUNTERS, cost_budget, restore_rate
from gql.settings import Settings
from models.principals import Principal
from services.cache import Cache, RedisCache
from services.redis_breaker import TRIPS, RedisBreaker, RedisUnavailable
from services.signing import derive_key, mac

log = logging.getLogger("mallgraph.rate_limit")

KEY_PREFIX: Final = "mallgraph:rl:"

TAKE_SCRIPT: Final = """
local cost = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = {}
local allowed = 1
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local t = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  tokens[i] = math.min(capacity, t + math.max(0, now - ts) * rate)
  if tokens[i] < cost then
    allowed = 0
  end
end
local result = {allowed}
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  if allowed == 1 then
    tokens[i] = tokens[i] - cost
  end
  redis.call('HSET', key, 'tokens', tostring(tokens[i]), 'ts', tostring(now))
  redis.call('EXPIRE', key, math.ceil(capacity / rate) + 1)
  result[i + 1] = tostring(tokens[i])
end
return result
"""
"""Refill each bucket by elapsed time, then take `cost` from all of them if it fits in every one;
returns (allowed, points left in each)."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    available: float | None
    """Points left after this request; None when the limiter failed open or is disabled."""
    capacity: int
    restore_rate: float
    retry_after_seconds: float = 0.0
    """How long until the bucket holds enough points again (0 when allowed)."""


@dataclass(frozen=True, slots=True)
class BucketSpec:
    key: str
    capacity: int
    rate: float


class Bucket(Protocol):
    async def take(self, buckets: Sequence[BucketSpec], cost: int) -> tuple[bool, list[float]]:
        """Refill, then take `cost` from every bucket if each holds it, else from none."""
        ...


class MemoryBucket:
    """The embedded-mode bucket: one process, so a dict and the monotonic clock are enough."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._state: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    async def take(self, buckets: Sequence[BucketSpec], cost: int) -> tuple[bool, list[float]]:
        now = time.monotonic()
        tokens = []
        for b in buckets:
            held, ts = self._state.get(b.key, (float(b.capacity), now))
            tokens.append(min(float(b.capacity), held + max(0.0, now - ts) * b.rate))
        allowed = all(t >= cost for t in tokens)
        if allowed:
            tokens = [t - cost for t in tokens]
        if len(self._state) + sum(b.key not in self._state for b in buckets) > self._max_keys:
            self._state.clear()  # a flood of distinct callers: forget everyone rather than grow without bound
        for b, t in zip(buckets, tokens, strict=True):
            self._state[b.key] = (t, now)
        return allowed, tokens


class RedisBucket:
    def __init__(self, client: Redis, breaker: RedisBreaker | None = None) -> None:
        self._client = client
        self._script = client.register_script(TAKE_SCRIPT)
        self._breaker = breaker or RedisBreaker()

    async def take(self, buckets: Sequence[BucketSpec], cost: int) -> tuple[bool, list[float]]:
        keys = [KEY_PREFIX + b.key for b in buckets]
        args: list[float] = [cost]
        for b in buckets:
            args += [b.capacity, b.rate]
        allowed, *tokens = await self._breaker.call(lambda: self._script(keys=keys, args=args))
        return bool(int(allowed)), [float(t) for t in tokens]


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
        """`take_all` of one bucket."""
        return await self.take_all((BucketSpec(key, capacity, rate),), cost)

    async def take_all(self, buckets: Sequence[BucketSpec], cost: int) -> Decision:
        """Take `cost` (at least 1) from every bucket, or from none when one of them is short. The
        decision describes the binding bucket: the one to wait for longest when refused, else the one
        with the fewest points left. Fails open (allowed, `available` None) when Redis does not answer."""
        first = buckets[0]
        if not self.enabled:
            return Decision(True, None, first.capacity, first.rate)
        charge = max(1, cost)
        try:
            allowed, left = await self.bucket.take(buckets, charge)
        except (TimeoutError, RedisError, OSError) as exc:
            COUNTERS.rate_limit_fail_open += 1
            # faults are logged by the breaker, once per change of state
            quiet = isinstance(exc, (*TRIPS, RedisUnavailable))
            log.log(logging.DEBUG if quiet else logging.WARNING, "rate limiter failed open: %s", exc)
            return Decision(True, None, first.capacity, first.rate)
        waits = [
            0.0 if allowed else max(0.0, (charge - t) / b.rate) for b, t in zip(buckets, left, strict=True)
        ]
        i = max(range(len(buckets)), key=waits.__getitem__) if not allowed else left.index(min(left))
        binding = buckets[i]
        return Decision(
            allowed,
            left[i],
            binding.capacity,
            binding.rate,
            retry_after_seconds=math.ceil(waits[i] * 10) / 10,
        )


VISITOR_HEADER: Final = "x-visitor-id"
_VISITOR_VERSION: Final = "v1"


@lru_cache(maxsize=8)
def _visitor_key(secret: str) -> bytes:
    """A key of its own for visitor ids, derived from the app's secret (never the JWT key itself)."""
    return derive_key(secret, b"mallgraph visitor id v1")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(secret: str, visitor: str) -> str:
    return _b64(mac(_visitor_key(secret), visitor.encode())[:16])


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


def buckets_of(settings: Settings, principal: Principal, request: Request | None) -> tuple[BucketSpec, ...]:
    """The buckets a request draws from, each as big as given (see the module's docstring): the
    principal's; for an anonymous caller its visitor id's (when valid) and then its address's."""
    role = principal.role
    if role is not None:
        return (BucketSpec(principal.key, cost_budget(settings, role), restore_rate(settings, role)),)
    capacity = max(settings.rate_limit_anonymous_ip_burst, settings.cost_budget_anonymous)
    address = BucketSpec(f"anonymous:{client_host(request)}", capacity, settings.rate_restore_anonymous_ip)
    visitor = request_visitor(settings, request)
    if visitor is None:
        return (address,)
    own = BucketSpec(f"visitor:{visitor}", settings.cost_budget_anonymous, settings.rate_restore_anonymous)
    return (own, address)


def request_visitor(settings: Settings, request: Request | None) -> str | None:
    """The verified visitor id of the request's `X-Visitor-Id`; None when absent, forged or garbled."""
    header = request.headers.get(VISITOR_HEADER) if request is not None else None
    return verified_visitor(settings.jwt_secret, header)


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
