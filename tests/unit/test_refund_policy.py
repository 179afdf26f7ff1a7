"""The refund policy, pure: which orders, until when (business days), how much per line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.after_sales.refund_policy import (
    LineState,
    check_refundable,
    check_type,
    line_refund,
    max_refund,
    refund_deadline,
    refund_entry,
)
from models.after_sales.states import AfterSaleInitiator as I
from models.after_sales.states import AfterSaleType
from models.errors import DomainError, ErrorCode
from models.orders.states import OrderStatus as S

SH = ZoneInfo("Asia/Shanghai")


def _code(
    status: S,
    initiator: I,
    by_hq: bool = False,
    completed: datetime | None = None,
    now: datetime | None = None,
) -> ErrorCode | None:
    try:
        check_refundable(
            status,
            completed,
            now or datetime(2026, 11, 23, tzinfo=UTC),
            initiator=initiator,
            window_days=15,
            zone=SH,
            by_hq=by_hq,
        )
    except DomainError as e:
        return e.code
    return None


@pytest.mark.parametrize("status", list(S))
def test_which_orders_may_be_refunded(status: S) -> None:
    completed = datetime(2026, 11, 20, tzinfo=UTC) if status is S.COMPLETED else None
    buyer_ok = status in {S.PENDING_PICKUP, S.PENDING_SHIPMENT, S.SHIPPED, S.COMPLETED}
    assert (_code(status, I.BUYER, completed=completed) is None) == buyer_ok
    assert (_code(status, I.MERCHANT, completed=completed) is None) == buyer_ok
    assert (_code(status, I.MERCHANT, by_hq=True, completed=completed) is None) == (
        buyer_ok or status is S.PENDING_ALLOCATION
    )


def test_window_counts_business_days() -> None:
    # completed 2026-11-01 23:30 in Shanghai (15:30 UTC): refundable through 2026-11-16 23:59:59 Shanghai
    completed = datetime(2026, 11, 1, 15, 30, tzinfo=UTC)
    deadline = refund_deadline(completed, 15, SH)
    assert deadline == datetime(2026, 11, 17, tzinfo=SH)
    last_moment = datetime(2026, 11, 16, 15, 59, 59, tzinfo=UTC)
    assert _code(S.COMPLETED, I.BUYER, completed=completed, now=last_moment) is None
    assert (
        _code(S.COMPLETED, I.BUYER, completed=completed, now=datetime(2026, 11, 16, 16, 0, tzinfo=UTC))
        is ErrorCode.REFUND_WINDOW_CLOSED
    )
    # the same instant counted in UTC days would still be open: the zone decides
    assert refund_deadline(completed, 15, ZoneInfo("UTC")) == datetime(2026, 11, 17, tzinfo=UTC)


def test_returns_only_for_goods_that_left_the_store() -> None:
    check_type(AfterSaleType.RETURN_AND_REFUND, S.SHIPPED)
    check_type(AfterSaleType.REFUND_ONLY, S.PENDING_SHIPMENT)
    with pytest.raises(DomainError):
        check_type(AfterSaleType.RETURN_AND_REFUND, S.PENDING_PICKUP)


def test_line_amounts_default_to_pro_rata_and_may_only_be_lowered() -> None:
    line = LineState(quantity=3, paid_amount=1000, refunded_quantity=0, refunded_amount=0)
    assert line_refund(line, 1, None, "l").amount == 333
    assert line_refund(line, 3, None, "l").amount == 1000
    assert line_refund(line, 2, 100, "l").amount == 100
    for quantity, amount, code in (
        (4, None, ErrorCode.REFUND_EXCEEDS_QUANTITY),
        (1, 334, ErrorCode.REFUND_EXCEEDS_PAID),
        (0, None, ErrorCode.BAD_USER_INPUT),
        (1, -1, ErrorCode.BAD_USER_INPUT),
    ):
        with pytest.raises(DomainError) as info:
            line_refund(line, quantity, amount, "lines.0")
        assert info.value.code is code
    # after a lowered refund of one unit, the other two still get only their own share
    later = LineState(quantity=3, paid_amount=1000, refunded_quantity=1, refunded_amount=100)
    assert line_refund(later, 2, None, "l").amount == 667


_LINE = st.builds(
    lambda quantity, refunded, paid: LineState(quantity, paid, min(refunded, quantity), 0),
    st.integers(1, 5),
    st.integers(0, 5),
    st.integers(0, 10_000),
)


@given(lines=st.lists(st.tuples(_LINE, st.booleans()), min_size=1, max_size=4), status=st.sampled_from(S))
def test_refund_entry_is_state_then_units_then_open_after_sales(
    lines: list[tuple[LineState, bool]], status: S
) -> None:
    """The one answer for buttons, lists and the service: the state's reason wins and lists nothing;
    then a line is left exactly when it has unrefunded units; the entry is open exactly when one
    such line has no after-sale in progress."""
    states, busy = [line for line, _ in lines], [b for _, b in lines]
    completed = datetime(2026, 11, 20, tzinfo=UTC) if status is S.COMPLETED else None
    entry = refund_entry(
        status,
        completed,
        datetime(2026, 11, 23, tzinfo=UTC),
        states,
        busy,
        initiator=I.MERCHANT,
        window_days=15,
        zone=SH,
        by_hq=True,
    )
    state_code = _code(status, I.MERCHANT, by_hq=True, completed=completed)
    if state_code is not None:
        assert entry.reason is not None
        assert entry.reason.code is state_code
        assert entry.left == (None,) * len(states)
        return
    for line, left in zip(states, entry.left, strict=True):
        remaining = line.quantity - line.refunded_quantity
        assert (left is None) == (remaining == 0)
        assert left is None or (left.quantity, left.amount) == (remaining, max_refund(line, remaining))
    open_ok = any(left is not None and not b for left, b in zip(entry.left, busy, strict=True))
    if open_ok:
        assert entry.reason is None
    else:
        assert entry.reason is not None
        expected = (
            ErrorCode.REFUND_EXCEEDS_QUANTITY
            if all(left is None for left in entry.left)
            else ErrorCode.LINE_HAS_OPEN_AFTER_SALE
        )
        assert entry.reason.code is expected
