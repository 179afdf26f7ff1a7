"""A live feed over a timeline table (a table whose rows are events with ids from one sequence).

A feed is: subscribe to the bus first (notices buffer in a bounded queue), replay the table from
the caller's cursor, then drain the queue — so nothing committed in between is missed. Event ids
come from one sequence per table, but transactions commit in any order, so a smaller id may become
visible after a larger one: de-duplication is by the set of ids already delivered (never "skip
ids ≤ the last one"), and every catch-up read starts from the highest id delivered `lookback` ago,
which covers any transaction shorter than that.

Catch-up reads happen on a `RESYNC` from the bus (a publish failed, Redis reconnected) and every
`catchup_interval` seconds regardless, so an event whose notice was lost is delayed, never lost.
A subclass names its table, the rows a scope may see, and what a row becomes for the subscriber:
`services/orders/feed.py` (order timeline) and `services/coupons/feed.py` (coupon ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import ColumnElement, Row, Select, func, select

from models.errors import DomainError, ErrorCode
from services.db import SessionFactory
from services.event_bus import EventBus, EventNotice, Resync

PAGE = 500

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
ScopeT = TypeVar("ScopeT")
ItemT = TypeVar("ItemT")


def notice_in_scope(
    notice: EventNotice,
    feed: str,
    store_ids: frozenset[int] | None,
    customer_id: int | None,
    types: frozenset[Any] | None,
) -> bool:
    """Whether a bus notice may reach a subscriber of `feed` with this scope (None: no limit).

    A notice without a customer (its row was not in the writer's session) passes the customer
    check here; the feed's SQL scope decides it when the row is read.
    """
    if notice.feed != feed:
        return False
    if store_ids is not None and notice.store_id not in store_ids:
        return False
    if customer_id is not None and notice.customer_id not in (None, customer_id):
        return False
    return types is None or notice.type in types


class SlowConsumer(Exception):
    """The subscriber's queue overflowed: it reads slower than events arrive."""


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


class TimelineFeed(ABC, Generic[ScopeT, ItemT]):
    """Replay then live over one timeline table, for subscribers each with their own scope."""

    def __init__(self, sessions: SessionFactory, bus: EventBus, config: FeedConfig) -> None:
        self.sessions = sessions
        self.bus = bus
        self.config = config

    @abstractmethod
    def _id(self) -> ColumnElement[int]:
        """The table's event id column."""

    @abstractmethod
    def _created_at(self) -> ColumnElement[datetime]:
        """The table's commit-time column (for a `since` given as a time)."""

    @abstractmethod
    def _rows(self, scope: ScopeT) -> AnySelect:
        """The rows the scope may see; the first entity of each is the event row."""

    @abstractmethod
    def _item(self, row: AnyRow, scope: ScopeT) -> tuple[int, ItemT | None]:
        """(the row's event id, what the subscriber gets; None when its type was not asked for)."""

    @abstractmethod
    def _accepts(self, scope: ScopeT, notice: EventNotice) -> bool:
        """Whether a bus notice may concern this subscriber (the SQL scope decides for sure)."""

    async def stream(
        self,
        scope: ScopeT,
        since: int | datetime | None,
        on_overflow: Callable[[], None] | None = None,
    ) -> AsyncIterator[ItemT]:
        """Replay from `since`, then live; raises SlowConsumer when the subscriber falls behind."""
        with self.bus.subscribe(lambda n: self._accepts(scope, n), self.config.max_queue, on_overflow) as sub:
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
                        for event_id, event in await self._load([item.event_id], scope):
                            seen.add(event_id)
                            yield event
                    continue
                # A resync marker or the periodic timer: re-read the table.
                async for event in self._catch_up(scope, seen, seen.settled(lookback)):
                    yield event
                last_catch_up = time.monotonic()

    async def _max_id(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.coalesce(func.max(self._id()), 0))) or 0)

    async def _floor(self, since: int | datetime | None) -> int:
        """The id after which this subscriber wants events."""
        if since is None:  # live only: from now on
            return await self._max_id()
        if isinstance(since, int):
            return since
        async with self.sessions() as session:
            first = await session.scalar(select(func.min(self._id())).where(self._created_at() > since))
        return await self._max_id() if first is None else int(first) - 1

    async def _check_replay_length(self, scope: ScopeT, after: int) -> None:
        """Refuse up front a `since` so old that replaying would flood the client."""
        limit = self.config.max_replay
        ids = self._rows(scope).with_only_columns(self._id()).where(self._id() > after).limit(limit + 1)
        async with self.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(ids.subquery()))
        if (count or 0) > limit:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                f"more than {limit} events since that cursor; reload the list and subscribe from now",
                "since",
            )

    async def _catch_up(self, scope: ScopeT, seen: _Seen, after: int) -> AsyncIterator[ItemT]:
        """Events after `after` not delivered yet, in id order, page by page."""
        while True:
            stmt = self._rows(scope).where(self._id() > after).order_by(self._id()).limit(PAGE)
            async with self.sessions() as session:
                rows = (await session.execute(stmt)).all()
            for row in rows:
                event_id, item = self._item(row, scope)
                after = event_id
                if event_id in seen or item is None:
                    continue
                seen.add(event_id)
                yield item
            if len(rows) < PAGE:
                return

    async def _load(self, event_ids: Sequence[int], scope: ScopeT) -> list[tuple[int, ItemT]]:
        stmt = self._rows(scope).where(self._id().in_(event_ids)).order_by(self._id())
        async with self.sessions() as session:
            rows = (await session.execute(stmt)).all()
        found = [self._item(row, scope) for row in rows]
        return [(event_id, item) for event_id, item in found if item is not None]
