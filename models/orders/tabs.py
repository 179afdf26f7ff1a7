"""The order statuses in lifecycle order, their Chinese labels, and the admin list's status tabs.

`STATUS_LIFECYCLE` is the one order of the SPA's tabs, of `byStatus` and of the STATUS sort
(`models/orders/sorting.py`, compiled in `services/orders/search.py`); `STATUS_ALIASES` are the
Chinese status names the query language (`models/orders/query_fields.py`) accepts.

Pure: no I/O, no ORM, no GraphQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from models.orders.states import OrderStatus

STATUS_LIFECYCLE: Final[tuple[OrderStatus, ...]] = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.AWAITING_GROUP,
    OrderStatus.PENDING_ACCEPTANCE,
    OrderStatus.PENDING_ALLOCATION,
    OrderStatus.PENDING_SHIPMENT,
    OrderStatus.PENDING_PICKUP,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.CLOSED,
)
"""The order of the SPA's tabs, of `byStatus` and of the STATUS sort."""

STATUS_RANK: Final[Mapping[OrderStatus, int]] = {s: i for i, s in enumerate(STATUS_LIFECYCLE)}

STATUS_LABELS: Final[Mapping[OrderStatus, str]] = {
    OrderStatus.PENDING_PAYMENT: "待付款",
    OrderStatus.AWAITING_GROUP: "待成团",
    OrderStatus.PENDING_ACCEPTANCE: "待接单",
    OrderStatus.PENDING_ALLOCATION: "待分配",
    OrderStatus.PENDING_SHIPMENT: "待发货",
    OrderStatus.PENDING_PICKUP: "待提货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.COMPLETED: "交易完成",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.CLOSED: "已关闭",
}

STATUS_ALIASES: Final[Mapping[str, OrderStatus]] = {
    **{label: status for status, label in STATUS_LABELS.items()},
    "已完成": OrderStatus.COMPLETED,
}
"""Chinese names the query language accepts for statuses (the tab labels, plus 已完成)."""


class OrderTab(StrEnum):
    ALL = "ALL"
    PENDING_PAYMENT = "PENDING_PAYMENT"
    AWAITING_GROUP = "AWAITING_GROUP"
    PENDING_ACCEPTANCE = "PENDING_ACCEPTANCE"
    PENDING_ALLOCATION = "PENDING_ALLOCATION"
    PENDING_SHIPMENT = "PENDING_SHIPMENT"
    PENDING_PICKUP = "PENDING_PICKUP"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED_OR_CLOSED = "CANCELLED_OR_CLOSED"


@dataclass(frozen=True, slots=True)
class TabDefinition:
    tab: OrderTab
    label: str
    statuses: tuple[OrderStatus, ...]


def _tab(status: OrderStatus) -> TabDefinition:
    return TabDefinition(OrderTab(status.value), STATUS_LABELS[status], (status,))


ORDER_TABS: Final[tuple[TabDefinition, ...]] = (
    TabDefinition(OrderTab.ALL, "全部", STATUS_LIFECYCLE),
    *(_tab(s) for s in STATUS_LIFECYCLE[:8]),
    TabDefinition(OrderTab.CANCELLED_OR_CLOSED, "已取消/已关闭", (OrderStatus.CANCELLED, OrderStatus.CLOSED)),
)
"""The admin SPA's status tabs, in display order. The SPA lists a tab with `status: tab.statuses`."""


def tab_counts(by_status: Mapping[OrderStatus, int]) -> list[tuple[TabDefinition, int]]:
    return [(tab, sum(by_status.get(s, 0) for s in tab.statuses)) for tab in ORDER_TABS]
