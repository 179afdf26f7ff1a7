"""Pure metric arithmetic and the rules a posted page view must meet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.enums import PageType, SourceChannel
from models.metrics.rules import average_cents, change, ratio
from models.metrics.visits import EventRejectReason, PageView, check

NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)


def test_ratio_average_and_change() -> None:
    assert ratio(1, 4) == 0.25
    assert ratio(3, 0) is None
    assert average_cents(10001, 2) == 5001  # 50.005 rounds half up
    assert average_cents(10003, 3) == 3334
    assert average_cents(0, 0) is None
    assert change(150, 100) == 0.5
    assert change(50, 100) == -0.5
    assert change(5, 0) is None
    assert change(5, None) is None
    assert change(None, 5) is None


def view(**kw: object) -> PageView:
    base: dict[str, object] = {
        "event_id": "e-1",
        "visitor_id": "wx-1",
        "session_id": "s-1",
        "page_type": PageType.HOME,
        "source": SourceChannel.DIRECT,
        "dwell_ms": 1000,
        "occurred_at": NOW,
    }
    return PageView(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (view(), None),
        (view(occurred_at=NOW + timedelta(minutes=4)), None),
        (view(occurred_at=NOW + timedelta(minutes=6)), EventRejectReason.INVALID_TIME),
        (view(occurred_at=NOW - timedelta(days=31)), EventRejectReason.INVALID_TIME),
        (view(occurred_at=datetime(2026, 11, 23, 6)), EventRejectReason.INVALID_TIME),
        (view(event_id=""), EventRejectReason.INVALID_ID),
        (view(visitor_id="x" * 65), EventRejectReason.INVALID_ID),
        (view(session_id="a b"), EventRejectReason.INVALID_ID),
        (view(session_id="a\x00"), EventRejectReason.INVALID_ID),
        (view(dwell_ms=-1), EventRejectReason.INVALID_DWELL),
        (view(page_type=PageType.PRODUCT), EventRejectReason.PRODUCT_REQUIRED),
        (view(page_type=PageType.PRODUCT, product_id=7), None),
    ],
)
def test_page_view_rules(event: PageView, reason: EventRejectReason | None) -> None:
    problem = check(event, NOW)
    assert (problem[0] if problem else None) is reason
