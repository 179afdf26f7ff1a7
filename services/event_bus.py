"""Order-event notices between processes: Redis pub/sub in a fleet, in-process when embedded.

The order timeline table is the source of truth; the bus only says "look, event 812 of order
77 at store 3 just committed" so that live subscribers need not poll. Each process keeps ONE
Redis subscription and fans notices out to its local subscribers, each with a bounded queue
(a slow consumer overflows and is dropped instead of growing memory).

When the bus cannot be trusted — a publish failed, or the Redis connection dropped and came
back — every local subscriber gets a `RESYNC` marker and re-reads the table from its own cursor,
so a notice lost while Redis was down delays an event but never loses it.

Publishing is on a mutation's path, so it goes through the process's Redis circuit breaker
(services/redis_breaker.py, shared with the cache): a hung Redis costs one publish one socket
timeout, and later publishes are skipped at once until a probe finds Redis answering. A hang
does not drop the listener's connection, so the listener also resyncs its subscribers whenever
the breaker has opened since it last looked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from services.redis_breaker import RedisBreaker, RedisUnavailable, redis_client
from services.telemetry import EVENTS_PUBLISHED

log = logging.getLogger("mallgraph.event_bus")

CHANNEL_PREFIX: Final = "mallgraph:order-events"
LISTEN_POLL_SECONDS: Final = 1.0
"""The listener looks at the breaker at least this often, between notices."""


ORDER_FEED: Final = "orders"
COUPON_FEED: Final = "coupons"


@dataclass(frozen=True, slots=True)
class EventNotice:
    """What is published after commit: enough to filter by scope without touching the database.

    `feed` names the timeline the id belongs to (ids of different tables overlap): the order
    timeline (`order_id` its order), or the coupon ledger (`order_id` the order the row names, 0
    for none). An order notice encodes as five fields, as before feeds had names.
    """

    event_id: int
    order_id: int
    store_id: int | None
    customer_id: int | None
    type: str
    feed: str = ORDER_FEED

    def encode(self) -> bytes:
        fields: list[object] = [self.event_id, self.order_id, self.store_id, self.customer_id, self.type]
        if self.feed != ORDER_FEED:
            fields.append(self.feed)
        return orjson.dumps(fields)

    @classmethod
    def decode(cls, raw: bytes | str) -> EventNotice:
        event_id, order_id, store_id, customer_id, kind, *feed = orjson.loads(raw)
        if len(feed) > 1:
            raise ValueError("too many fields in an event notice")
        return cls(
            int(event_id),
            int(order_id),
            store_id,
            customer_id,
            str(kind),
            str(feed[0]) if feed else ORDER_FEED,
        )


class Resync:
    """Queue marker: notices may have been missed; re-read the table from your cursor."""


RESYNC: Final = Resync()
Item = EventNotice | Resync


@dataclass(eq=False)
class LocalSubscription:
    """One live subscriber in this process: a filter and a bounded queue.

    Items are taken with `get` / `get_nowait` only, so the subscription knows whether a `RESYNC`
    is still waiting: at most one is ever queued, since one re-read covers any number.
    """

    accepts: Callable[[EventNotice], bool]
    max_queue: int
    on_overflow: Callable[[], None] | None = None
    overflowed: bool = False
    _items: asyncio.Queue[Item] = field(init=False)
    _resync_queued: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._items = asyncio.Queue(maxsize=self.max_queue)

    def offer(self, item: Item) -> None:
        if self.overflowed:
            return
        resync = isinstance(item, Resync)
        if resync and self._resync_queued:
            return
        try:
            self._items.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            if self.on_overflow is not None:
                self.on_overflow()
            return
        self._resync_queued = self._resync_queued or resync

    async def get(self) -> Item:
        return self._taken(await self._items.get())

    def get_nowait(self) -> Item:
        """The next item; `asyncio.QueueEmpty` when there is none."""
        return self._taken(self._items.get_nowait())

    def empty(self) -> bool:
        return self._items.empty()

    def qsize(self) -> int:
        return self._items.qsize()

    def _taken(self, item: Item) -> Item:
        if isinstance(item, Resync):
            self._resync_queued = False
        return item


class EventBus(Protocol):
    name: str

    async def start(self) -> None: ...

    async def publish(self, notices: Sequence[EventNotice]) -> None: ...

    def subscribe(
        self,
        accepts: Callable[[EventNotice], bool],
        max_queue: int,
        on_overflow: Callable[[], None] | None = None,
    ) -> contextlib.AbstractContextManager[LocalSubscription]: ...

    @property
    def subscriber_count(self) -> int: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class _Fanout:
    """Local delivery shared by both buses."""

    name = "memory"

    def __init__(self) -> None:
        self._subscriptions: set[LocalSubscription] = set()

    @contextlib.contextmanager
    def subscribe(
        self,
        accepts: Callable[[EventNotice], bool],
        max_queue: int,
        on_overflow: Callable[[], None] | None = None,
    ) -> Iterator[LocalSubscription]:
        sub = LocalSubscription(accepts, max_queue, on_overflow)
        self._subscriptions.add(sub)
        try:
            yield sub
        finally:
            self._subscriptions.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def deliver(self, notice: EventNotice) -> None:
        for sub in list(self._subscriptions):
            if sub.accepts(notice):
                sub.offer(notice)

    def resync_all(self) -> None:
        for sub in list(self._subscriptions):
            sub.offer(RESYNC)


class MemoryBus(_Fanout):
    """Embedded mode (one process): publishing is delivering."""

    async def start(self) -> None:
        return None

    async def publish(self, notices: Sequence[EventNotice]) -> None:
        for notice in notices:
            self.deliver(notice)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._subscriptions.clear()


class RedisBus(_Fanout):
    """Redis pub/sub: one listener per process, reconnecting with backoff."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.25,
        connect_timeout: float | None = None,
        max_backoff: float = 2.0,
        breaker: RedisBreaker | None = None,
    ) -> None:
        super().__init__()
        self._url = url
        connect_timeout = timeout if connect_timeout is None else connect_timeout
        # Publishing must fail fast (a mutation waits on it); the listener blocks on reads.
        self._publisher = redis_client(url, socket_timeout=timeout, connect_timeout=connect_timeout)
        self.breaker = breaker or RedisBreaker()
        # No silent retries on the listener: a reconnect that resubscribes behind our back would
        # skip the resync, and notices published meanwhile would wait for the next catch-up poll.
        self._listener_client = aioredis.Redis.from_url(
            url, socket_connect_timeout=connect_timeout, retry=Retry(NoBackoff(), 0)
        )
        # Pub/sub ignores Redis' database numbers: the channel carries it, so deployments (or
        # test runs) that share one Redis through different databases never hear each other.
        db = self._publisher.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{CHANNEL_PREFIX}:{db}"
        self._max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.reconnects = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="mallgraph-event-bus")

    async def publish(self, notices: Sequence[EventNotice]) -> None:
        """Announce `notices`; never raises. Unannounced, local subscribers re-read the table now,
        remote ones when their listener resyncs or at their periodic catch-up."""
        if not notices:
            return

        async def send() -> None:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for notice in notices:
                    pipe.publish(self.channel, notice.encode())
                await pipe.execute()

        try:
            await self.breaker.call(send)
        except RedisUnavailable:
            EVENTS_PUBLISHED.labels("skipped").inc(len(notices))
        except (RedisError, OSError) as exc:
            log.debug("event publish failed (%s); subscribers will catch up from the table", exc)
            EVENTS_PUBLISHED.labels("failed").inc(len(notices))
        else:
            EVENTS_PUBLISHED.labels("ok").inc(len(notices))
            return
        self.resync_all()

    async def _listen(self) -> None:
        backoff = 0.05
        first = True
        while True:
            pubsub = self._listener_client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.connected.set()
                if not first:
                    self.reconnects += 1
                    log.info("event bus reconnected to Redis; subscribers catch up from the table")
                # Whatever was published while we were away is in the table: re-read it.
                self.resync_all()
                first = False
                backoff = 0.05
                trips = self.breaker.trips
                while True:
                    message = await pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
                    if self.breaker.trips != trips:
                        # Redis hung or failed for this process meanwhile: notices may be lost
                        # even though this connection never dropped.
                        trips = self.breaker.trips
                        self.resync_all()
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        self.deliver(EventNotice.decode(message["data"]))
                    except (ValueError, TypeError) as exc:
                        log.warning("ignoring a malformed event notice: %s", exc)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected.is_set():
                    log.warning("event bus lost Redis (%s); retrying", exc)
                self.connected.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def ping(self) -> bool:
        if not self.connected.is_set():
            return False
        try:
            return bool(await self.breaker.call(self._publisher.ping))
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._subscriptions.clear()
        await self._publisher.aclose()
        await self._listener_client.aclose()


def create_event_bus(
    redis_url: str | None,
    *,
    socket_timeout: float = 0.25,
    connect_timeout: float = 0.25,
    breaker: RedisBreaker | None = None,
) -> EventBus:
    if not redis_url:
        return MemoryBus()
    return RedisBus(redis_url, timeout=socket_timeout, connect_timeout=connect_timeout, breaker=breaker)
