"""Metric rules that need no database: derived ratios, comparison deltas, fulfilment limits. Pure.

The SQL that counts lives in `services/metrics/facts.py`; what the figures mean is written once,
in the GraphQL descriptions of `gql/schema/metrics.py` (SPEC §5) and in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from models.enums import StoreSize

PICK_LIMIT_MINUTES: Final[Mapping[StoreSize, int]] = {StoreSize.LARGE: 30, StoreSize.STANDARD: 15}
"""Picking (拣货) allowance: 30 minutes in large stores (大型商超), 15 minutes in the others (seed 002)."""

EXPOSURE_WINDOW_DAYS: Final = 30
"""近30日: no-exposure and exposure-without-sale counts look at the 30 days ending the range."""

MAX_TOP: Final = 100
"""Rankings return at most this many rows."""


class RankingKey(StrEnum):
    SALES_AMOUNT = "SALES_AMOUNT"
    UNITS = "UNITS"
    PV = "PV"


class RegionLevel(StrEnum):
    PROVINCE = "PROVINCE"
    CITY = "CITY"
    DISTRICT = "DISTRICT"


class CustomerSegment(StrEnum):
    NEW = "NEW"
    """First payment ever inside the range (支付新客)."""
    RETURNING = "RETURNING"
    """Paid before the range too (支付老客)."""


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by (shown as "—")."""
    return None if denominator == 0 else numerator / denominator


def average_cents(total_cents: int, count: int) -> int | None:
    """An average amount in whole cents, rounded half up (客单价 of 100.005 yuan shows 100.01)."""
    if count == 0:
        return None
    return (2 * total_cents + count) // (2 * count)


def change(value: float | None, previous: float | None) -> float | None:
    """Relative change against the previous period: (value − previous) / previous.

    None when there is no previous value or it is zero (growth from nothing has no percentage).
    """
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous)
