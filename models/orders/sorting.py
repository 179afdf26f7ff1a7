"""How the admin order list may be sorted, as pure data: sort keys, directions and specs.

`services/orders/search.py` compiles a spec to SQL (the STATUS key follows `STATUS_RANK` of
`models/orders/tabs.py`) and breaks ties by order id, so every sort is total.

Pure: no I/O, no ORM, no GraphQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class OrderSortKey(StrEnum):
    CREATED_AT = "CREATED_AT"
    PAID_AT = "PAID_AT"
    """Unpaid orders (no paidAt) come last in both directions."""
    TOTAL = "TOTAL"
    """The payable amount."""
    ORDER_NO = "ORDER_NO"
    STATUS = "STATUS"
    """Lifecycle order of the tabs (待付款 first, 已关闭 last), not alphabetical."""


class SortDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class OrderSortSpec:
    key: OrderSortKey
    direction: SortDirection = SortDirection.DESC


DEFAULT_ORDER_SORT: Final[tuple[OrderSortSpec, ...]] = (OrderSortSpec(OrderSortKey.CREATED_AT),)
