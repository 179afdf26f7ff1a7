from __future__ import annotations

import pytest

from models.order_event_types import AFTER_SALE_REQUESTED, OrderEventType, event_type
from models.order_states import TRANSITIONS, OrderAction, OrderStatus


def test_every_action_of_the_state_table_has_a_kind() -> None:
    for (from_status, action), step in TRANSITIONS.items():
        to = step.to
        kind = event_type(action, from_status, {})
        if to is OrderStatus.PENDING_ACCEPTANCE:
            assert kind is OrderEventType.NEW_ORDER, action  # 新订单提醒 whatever brought it there
        if to is OrderStatus.CANCELLED:
            assert kind is OrderEventType.CANCELLED, action
    assert {event_type(a, None, {}) for a in OrderAction} <= set(OrderEventType)


def test_rows_without_an_action() -> None:
    assert event_type(None, None, {}) is OrderEventType.PLACED
    note = {"event": AFTER_SALE_REQUESTED, "afterSaleId": 1}
    assert event_type(None, OrderStatus.SHIPPED, note) is OrderEventType.REFUND_REQUESTED
    with pytest.raises(ValueError, match="unknown kind"):
        event_type(None, OrderStatus.SHIPPED, {"event": "SOMETHING_ELSE"})
