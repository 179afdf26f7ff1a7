"""The in-process parts of the event bus and the feed: encoding, fan-out, bounded queues, dedup."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import orjson
import pytest

from models.errors import DomainError
from models.orders.event_types import OrderEventType
from services.coupons.feed import CouponFeedScope
from services.event_bus import COUPON_FEED, RESYNC, EventNotice, MemoryBus, Resync
from services.orders.feed import FeedScope
from services.timeline_feed import _Seen, parse_since


def notice(
    event_id: int, store_id: int | None = 1, customer_id: int | None = 9, kind: str = "NEW_ORDER"
) -> EventNotice:
    return EventNotice(event_id, 100 + event_id, store_id, customer_id, kind)


def test_notices_survive_the_wire() -> None:
    n = notice(812, store_id=None)
    assert EventNotice.decode(n.encode()) == n
    assert EventNotice.decode(n.encode().decode()) == n


async def test_fan_out_filters_by_scope_and_bounds_each_queue() -> None:
    bus = MemoryBus()
    overflowed: list[str] = []
    staff = FeedScope(store_ids=frozenset({1}))
    shopper = FeedScope(customer_id=9, types=frozenset({OrderEventType.CANCELLED}))
    with (
        bus.subscribe(staff.accepts, max_queue=2, on_overflow=lambda: overflowed.append("staff")) as a,
        bus.subscribe(shopper.accepts, max_queue=2) as b,
    ):
        assert bus.subscriber_count == 2
        await bus.publish([notice(1), notice(2, store_id=2), notice(3, kind="CANCELLED")])
        assert [a.get_nowait(), a.get_nowait()] == [notice(1), notice(3, kind="CANCELLED")]
        assert b.get_nowait() == notice(3, kind="CANCELLED")
        await bus.publish([notice(4), notice(5), notice(6)])  # one too many for a's queue of two
        assert a.overflowed
        assert overflowed == ["staff"]  # said once, then the subscriber is left alone
        await bus.publish([notice(7)])
        assert a.qsize() == 2
    assert bus.subscriber_count == 0


async def test_resync_markers_coalesce() -> None:
    bus = MemoryBus()
    with bus.subscribe(lambda _n: True, max_queue=10) as sub:
        bus.resync_all()
        bus.resync_all()
        await bus.publish([notice(1)])
        bus.resync_all()
        items = [sub.get_nowait() for _ in range(sub.qsize())]
    assert [type(i) for i in items] == [Resync, EventNotice]
    assert items[0] is RESYNC


def test_a_shopper_scope_lets_unknown_customers_through_to_sql() -> None:
    scope = FeedScope(customer_id=9)
    assert scope.accepts(notice(1, customer_id=9))
    assert scope.accepts(notice(1, customer_id=None))  # checked by the SQL load instead
    assert not scope.accepts(notice(1, customer_id=8))


def test_seen_ids_dedupe_and_forget_below_the_settled_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    seen = _Seen(floor=10)
    for i in (12, 11, 15):  # commit order is not id order
        seen.add(i)
    assert {11, 12, 15} == {i for i in range(20) if i in seen}
    assert seen.max_id == 15
    assert seen.settled(lookback=120) == 10  # nothing is two minutes old yet
    clock[0] += 121
    assert seen.settled(lookback=120) == 15  # what we had two minutes ago is settled
    seen.add(16)
    clock[0] += 121
    assert seen.settled(lookback=120) == 15
    assert 12 not in seen  # forgotten: no catch-up reads at or below 15 again
    assert 16 in seen


def test_since_is_a_cursor_or_a_time_with_an_offset() -> None:
    assert parse_since(None) is None
    assert parse_since("42") == 42
    moment = parse_since("2026-11-23T08:00:00+08:00")
    assert isinstance(moment, datetime)
    assert moment.utcoffset() == timedelta(hours=8)
    for bad in ("2026-11-23T08:00:00", "yesterday", "-3"):
        with pytest.raises(DomainError):
            parse_since(bad)


def test_coupon_notices_carry_their_feed_and_stay_out_of_the_order_feed() -> None:
    coupon = EventNotice(7, 0, 3, 5, "ISSUED", feed=COUPON_FEED)
    order = EventNotice(7, 12, 3, 5, "NEW_ORDER")
    assert EventNotice.decode(coupon.encode()) == coupon
    assert len(orjson.loads(order.encode())) == 5  # the order notice's wire format is unchanged
    assert not FeedScope().accepts(coupon)
    assert FeedScope().accepts(order)
    assert CouponFeedScope().accepts(coupon)
    assert not CouponFeedScope().accepts(order)
    assert CouponFeedScope(customer_id=5).accepts(coupon)
    assert not CouponFeedScope(customer_id=6).accepts(coupon)
    assert not CouponFeedScope(store_ids=frozenset({4})).accepts(coupon)
    with pytest.raises(ValueError, match="too many"):
        EventNotice.decode(orjson.dumps([1, 2, 3, 4, "X", "coupons", "extra"]))
