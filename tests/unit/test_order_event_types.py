from __future__ import annotations

import pytest

from models.orders.event_types import AFTER_SALE_REQUESTED, OrderEventType, event_type
from models.orders.states import TRANSITIONS, OrderAction, OrderStatus


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


def test_store_delivery_rows_have_their_own_kinds() -> None:
    from models.orders.event_types import DELIVERY_PROGRESS, OrderEventType, event_type
    from models.orders.states import OrderAction, OrderStatus

    assert event_type(OrderAction.FINISH_PICKING, OrderStatus.PENDING_SHIPMENT, {}) is OrderEventType.PICKED
    assert event_type(OrderAction.RIDER_PICKUP, OrderStatus.PENDING_SHIPMENT, {}) is OrderEventType.DELIVERING
    assert event_type(OrderAction.DELIVER, OrderStatus.SHIPPED, {}) is OrderEventType.DELIVERED
    progress = {"event": DELIVERY_PROGRESS, "latitude": 31.2, "longitude": 121.5}
    assert event_type(None, OrderStatus.SHIPPED, progress) is OrderEventType.DELIVERY_PROGRESS


def test_delivery_queue_rows_have_their_own_kinds() -> None:
    from models.orders.event_types import DELIVERY_QUEUE_ENTERED, OrderEventType, event_type
    from models.orders.states import OrderStatus

    late = {"event": DELIVERY_QUEUE_ENTERED, "queue": "OVERDUE"}
    waiting = {"event": DELIVERY_QUEUE_ENTERED, "queue": "NO_RIDER"}
    assert event_type(None, OrderStatus.SHIPPED, late) is OrderEventType.DELIVERY_OVERDUE
    assert event_type(None, OrderStatus.PENDING_SHIPMENT, waiting) is OrderEventType.NO_RIDER


def test_follow_up_rows_are_announced() -> None:
    from models.orders.event_types import DELIVERY_FOLLOW_UP, OrderEventType, event_type
    from models.orders.states import OrderStatus

    payload = {"event": DELIVERY_FOLLOW_UP, "kind": "SENT_PROGRESS", "note": ""}
    assert event_type(None, OrderStatus.SHIPPED, payload) is OrderEventType.DELIVERY_FOLLOW_UP


def test_exchange_and_escalation_rows_are_announced() -> None:
    from models.orders.event_types import AFTER_SALE_ESCALATED, ESCALATION_DECIDED, REPLACEMENT_SHIPPED

    kinds = {
        REPLACEMENT_SHIPPED: OrderEventType.REPLACEMENT_SHIPPED,
        AFTER_SALE_ESCALATED: OrderEventType.AFTER_SALE_ESCALATED,
        ESCALATION_DECIDED: OrderEventType.ESCALATION_DECIDED,
    }
    for event, kind in kinds.items():
        assert event_type(None, OrderStatus.COMPLETED, {"event": event, "afterSaleId": 1}) is kind
