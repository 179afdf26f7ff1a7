"""Redis faults, not just outages: short timeouts and one circuit breaker per Redis per process.

Every call a request makes to Redis (cache, rate limits, persisted queries, event publishing)
goes through `RedisBreaker.call`. The breaker is

* **closed** — calls go to Redis, each bounded by the client's socket timeouts;
* **open** — after one timeout or connection error: calls fail at once with `RedisUnavailable`
  (no network wait), and the callers fail open (a cache miss, a request let through);
* **half-open** — once the cool-down has passed, one call at a time goes to Redis as a probe:
  success closes the breaker, a fault opens it for another cool-down.

So a hung Redis costs the requests in flight at most one socket timeout, and the requests after
them nothing. Each state change is logged once (never per request) and shown by the
`mallgraph_redis_breaker_state` gauge; calls refused while open are counted by
`mallgraph_redis_short_circuits_total`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Final, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.telemetry import REDIS_BREAKER_STATE, REDIS_SHORT_CIRCUITS

log = logging.getLogger("mallgraph.redis")

T = TypeVar("T")

TRIPS: Final = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)
"""Errors that mean Redis is unreachable or hung; any other error is an answer from a live Redis."""


class BreakerState(IntEnum):
    """The gauge's values: 0 closed, 1 half-open, 2 open."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class RedisUnavailable(RedisError):
    """Raised instead of calling Redis while the breaker is open (callers already catch RedisError)."""


class RedisBreaker:
    """closed → open after one fault → half-open probe after `cool_down` seconds → closed or open again.

    `network_calls` counts the calls let through to Redis and `short_circuits` those refused
    without one (for tests and the metrics); `clock` is monotonic seconds.
    """

    def __init__(
        self, name: str = "redis", cool_down: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.cool_down = cool_down
        self._clock = clock
        self.state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._probing = False
        self.network_calls = 0
        self.short_circuits = 0
        self.trips = 0
        """How many times it opened: a listener that sees this change knows Redis misbehaved."""
        REDIS_BREAKER_STATE.labels(name).set(BreakerState.CLOSED)

    @property
    def is_open(self) -> bool:
        """True while calls are refused without a network attempt (open, cool-down not over)."""
        return self.state is BreakerState.OPEN and self._clock() < self._opened_at + self.cool_down

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation` (one Redis round trip) if the breaker lets it; else raise RedisUnavailable."""
        probe = self._admit()
        try:
            result = await operation()
        except TRIPS as error:
            self._trip(error)
            raise
        except RedisError:
            self._recover()  # an answer from a live Redis (a script error, a wrong type)
            raise
        except BaseException:
            if probe:
                self._probing = False  # cancelled: the next call probes instead
            raise
        self._recover()
        return result

    def _admit(self) -> bool:
        """Let a call through (True when it is the half-open probe) or raise RedisUnavailable."""
        if self.state is BreakerState.CLOSED:
            self.network_calls += 1
            return False
        if self.state is BreakerState.OPEN and self._clock() >= self._opened_at + self.cool_down:
            self._set(BreakerState.HALF_OPEN, "cool-down over, probing Redis")
        if self.state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            self.network_calls += 1
            return True
        self.short_circuits += 1
        REDIS_SHORT_CIRCUITS.labels(self.name).inc()
        raise RedisUnavailable(f"{self.name}: circuit open after a Redis fault; not calling Redis")

    def _trip(self, error: BaseException) -> None:
        self._probing = False
        self._opened_at = self._clock()
        if self.state is not BreakerState.OPEN:
            self.trips += 1
            self._set(
                BreakerState.OPEN,
                f"Redis fault ({type(error).__name__}: {error}); failing open for {self.cool_down:g} s",
                warning=True,
            )

    def _recover(self) -> None:
        self._probing = False
        if self.state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED, "Redis answered; circuit closed")

    def _set(self, state: BreakerState, why: str, *, warning: bool = False) -> None:
        self.state = state
        REDIS_BREAKER_STATE.labels(self.name).set(state)
        log.log(
            logging.WARNING if warning else logging.INFO,
            "redis circuit %s: %s",
            state.name.lower().replace("_", "-"),
            why,
            extra={"breaker": self.name},
        )


def redis_client(url: str, *, socket_timeout: float, connect_timeout: float) -> aioredis.Redis:
    """A client for calls made on a request's behalf: bounded waits, and no retry on a timeout.

    redis-py retries a timed-out command three times by default, which multiplies a hung Redis'
    wait; the breaker replaces that. A refused or reset connection is retried once at once (a
    pooled connection may be stale after a Redis restart).
    """
    return aioredis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
