"""Two Redis buses stand for two processes: notices cross between them; databases stay apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.event_bus import EventNotice, RedisBus, Resync
from tests.conftest import REDIS_URL, unavailable


async def _started(url: str) -> RedisBus:
    bus = RedisBus(url)
    await bus.start()
    try:
        await asyncio.wait_for(bus.connected.wait(), 5)
    except TimeoutError:
        await bus.close()
        unavailable("Redis", f"no answer at {url} (set TEST_REDIS_URL)")
    return bus


@pytest.fixture
async def buses() -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    one, two = await _started(REDIS_URL), await _started(REDIS_URL)
    yield one, two
    await one.close()
    await two.close()


async def test_a_notice_published_by_one_process_reaches_the_other(buses: tuple[RedisBus, RedisBus]) -> None:
    one, two = buses
    with two.subscribe(lambda n: n.store_id == 7, max_queue=10) as sub:
        # The first item is the resync every listener hands out when it (re)connects.
        while not sub.empty():
            assert isinstance(sub.get_nowait(), Resync)
        await one.publish([EventNotice(1, 10, 7, 3, "NEW_ORDER"), EventNotice(2, 11, 8, 3, "NEW_ORDER")])
        got = await asyncio.wait_for(sub.get(), 5)
        assert got == EventNotice(1, 10, 7, 3, "NEW_ORDER")
        await asyncio.sleep(0.1)
        assert sub.empty()  # store 8's notice was filtered out
    assert await one.ping()


async def test_buses_on_different_databases_do_not_hear_each_other(buses: tuple[RedisBus, RedisBus]) -> None:
    one, _ = buses
    base, _, db = REDIS_URL.rpartition("/")
    other_db = f"{base}/{(int(db or 0) + 1) % 16}"
    other = await _started(other_db)
    try:
        assert other.channel != one.channel
        with other.subscribe(lambda _n: True, max_queue=10) as sub:
            while not sub.empty():
                sub.get_nowait()
            await one.publish([EventNotice(3, 12, 7, 3, "CANCELLED")])
            await asyncio.sleep(0.3)
            assert sub.empty()
    finally:
        await other.close()


async def test_an_unreachable_redis_is_reported_down_and_publishing_resyncs_locally() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", timeout=0.2)
    await bus.start()
    try:
        with bus.subscribe(lambda _n: True, max_queue=10) as sub:
            await bus.publish([EventNotice(4, 13, 7, 3, "PLACED")])  # fails fast, does not raise
            assert isinstance(sub.get_nowait(), Resync)  # local subscribers re-read the table
            await bus.publish([EventNotice(5, 14, 7, 3, "PLACED")])  # paused: skipped at once
        assert not await bus.ping()
    finally:
        await bus.close()
