"""The live order feed behind the `orderEvents` and `myOrderUpdates` subscriptions.

A feed is: subscribe to the bus first (notices buffer in a bounded queue), replay the timeline
table from the caller's cursor, then drain the queue — so nothing committed in between is
missed. Event ids come from one sequence per database, but transactions commit in any order,
so a smaller id may become visible after a larger one: de-duplication is by the set of ids
already delivered (never "skip ids ≤ the last one"), and every catch-up read starts from the
highest id delivered `lookback` ago, which covers any transaction shorter than that.

Catch-up reads happen on a `RESYNC` from the bus (a publish failed, Redis reconnected) and
every `catchup_interval` seconds regardless, so an event whose notice was lost is delayed,
never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, select, true

from models.errors import DomainError, ErrorCode
from models.orders.event_types import OrderEventType, event_type
from models.orders.rows import Order, OrderEvent
from services.db import SessionFactory
from services.event_bus import EventBus, EventNotice, Resync

PAGE = 500


class SlowConsumer(Exception):
    """The subscriber's queue overflowed: it reads slower than events arrive."""


@dataclass(frozen=True, slots=True)
class FeedScope:
    """Whose events a subscriber may see, and which it asked for."""

    store_ids: frozenset[int] | None = None
    """None: every store (HQ)."""
    customer_id: int | None = None
    """Set: only this shopper's orders."""
    types: frozenset[OrderEventType] | None = None

    def accepts(self, notice: EventNotice) -> bool:
        if self.store_ids is not None and notice.store_id not in self.store_ids:
            return False
        # A notice without a customer (its order was not in the writer's session) is checked in SQL.
        if self.customer_id is not None and notice.customer_id not in (None, self.customer_id):
            return False
        return self.types is None or notice.type in self.types

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.store_ids is not None:
            clauses.append(OrderEvent.store_id.in_(sorted(self.store_ids)))
        if self.customer_id is not None:
            clauses.append(Order.customer_id == self.customer_id)
        return and_(true(), *clauses)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    type: OrderEventType
    event: OrderEvent
    order: Order


@dataclass(frozen=True, slots=True)
class FeedConfig:
    max_queue: int = 1000
    catchup_interval: float = 30.0
    lookback: timedelta = timedelta(minutes=2)
    max_replay: int = 10_000
    """A `since` further back than this many events is refused (REPLAY_TOO_LONG): reload instead."""


def parse_since(value: str | None) -> int | datetime | None:
    """An event cursor (the id of the last event seen) or an ISO 8601 time with an offset."""
    if value is None or value == "":
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "since must be an event cursor or an ISO 8601 time", "since"
        ) from None
    if moment.tzinfo is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "since needs a time zone offset", "since")
    return moment


def _events(scope: FeedScope) -> Select[OrderEvent, Order]:
    return select(OrderEvent, Order).join(Order, Order.id == OrderEvent.order_id).where(scope.where())


class _Seen:
    """The ids delivered lately (bounded), for exact de-duplication."""

    def __init__(self, floor: int, size: int = 20_000) -> None:
        self._ids: set[int] = set()
        self._order: deque[int] = deque()
        self._size = size
        self.max_id = floor
        self._checkpoints: deque[tuple[float, int]] = deque([(time.monotonic(), floor)])

    def settled(self, lookback: float) -> int:
        """The highest id delivered at least `lookback` seconds ago: below it nothing new can commit.

        Ids up to it are forgotten too (no catch-up reads them again), which keeps the set to
        about `lookback` worth of events.
        """
        now = time.monotonic()
        self._checkpoints.append((now, self.max_id))
        while len(self._checkpoints) > 1 and self._checkpoints[1][0] <= now - lookback:
            self._checkpoints.popleft()
        floor = self._checkpoints[0][1]
        while self._order and self._order[0] <= floor:
            self._ids.discard(self._order.popleft())
        return floor

    def __contains__(self, event_id: int) -> bool:
        return event_id in self._ids

    def add(self, event_id: int) -> None:
        self._ids.add(event_id)
        self._order.append(event_id)
        self.max_id = max(self.max_id, event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())


class OrderFeed:
    def __init__(self, sessions: SessionFactory, bus: EventBus, config: FeedConfig) -> None:
        self.sessions = sessions
        self.bus = bus
        self.config = config

    async def stream(
        self,
        scope: FeedScope,
        since: int | datetime | None,
        on_overflow: Callable[[], None] | None = None,
    ) -> AsyncIterator[FeedEvent]:
        """Replay from `since`, then live; raises SlowConsumer when the subscriber falls behind."""
        with self.bus.subscribe(scope.accepts, self.config.max_queue, on_overflow) as sub:
            seen = _Seen(await self._floor(since))
            if since is not None:
                await self._check_replay_length(scope, seen.max_id)
            async for replayed in self._catch_up(scope, seen, seen.max_id):
                yield replayed
            lookback = self.config.lookback.total_seconds()
            last_catch_up = time.monotonic()
            while True:
                if sub.overflowed:
                    raise SlowConsumer(f"more than {self.config.max_queue} events waiting")
                timeout = max(0.0, self.config.catchup_interval - (time.monotonic() - last_catch_up))
                item: EventNotice | Resync | None = None
                with contextlib.suppress(TimeoutError):
                    item = await asyncio.wait_for(sub.get(), timeout)
                if isinstance(item, EventNotice):
                    if item.event_id not in seen:
                        for event in await self._load([item.event_id], scope):
                            seen.add(event.event.id)
                            yield event
                    continue
                # A resync marker or the periodic timer: re-read the table.
                async for event in self._catch_up(scope, seen, seen.settled(lookback)):
                    yield event
                last_catch_up = time.monotonic()

    async def _floor(self, since: int | datetime | None) -> int:
        """The id after which this subscriber wants events."""
        async with self.sessions() as session:
            if since is None:  # live only: from now on
                return int(await session.scalar(select(func.coalesce(func.max(OrderEvent.id), 0))) or 0)
            if isinstance(since, int):
                return since
            first = await session.scalar(select(func.min(OrderEvent.id)).where(OrderEvent.created_at > since))
            if first is None:
                return int(await session.scalar(select(func.coalesce(func.max(OrderEvent.id), 0))) or 0)
            return int(first) - 1

    async def _check_replay_length(self, scope: FeedScope, after: int) -> None:
        """Refuse up front a `since` so old that replaying would flood the client."""
        limit = self.config.max_replay
        ids = _events(scope).with_only_columns(OrderEvent.id).where(OrderEvent.id > after).limit(limit + 1)
        async with self.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(ids.subquery()))
        if (count or 0) > limit:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                f"more than {limit} events since that cursor; reload the list and subscribe from now",
                "since",
            )

    async def _catch_up(self, scope: FeedScope, seen: _Seen, after: int) -> AsyncIterator[FeedEvent]:
        """Events after `after` not delivered yet, in id order, page by page."""
        while True:
            stmt = _events(scope).where(OrderEvent.id > after).order_by(OrderEvent.id).limit(PAGE)
            async with self.sessions() as session:
                rows = (await session.execute(stmt)).all()
            for event, order in rows:
                after = event.id
                if event.id in seen:
                    continue
                kind = event_type(event.action, event.from_status, event.payload)
                if scope.types is not None and kind not in scope.types:
                    continue
                seen.add(event.id)
                yield FeedEvent(kind, event, order)
            if len(rows) < PAGE:
                return

    async def _load(self, event_ids: Sequence[int], scope: FeedScope) -> list[FeedEvent]:
        stmt = _events(scope).where(OrderEvent.id.in_(event_ids)).order_by(OrderEvent.id)
        async with self.sessions() as session:
            rows = (await session.execute(stmt)).all()
        out = []
        for event, order in rows:
            kind = event_type(event.action, event.from_status, event.payload)
            if scope.types is None or kind in scope.types:
                out.append(FeedEvent(kind, event, order))
        return out
