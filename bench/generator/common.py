"""Small shared helpers: rows, batches, primary keys, clock conversions, weighted choice.

The generator simulates in float epoch seconds (cheap arithmetic and comparisons) and turns
them into aware UTC datetimes only when a row is built, because `UtcDateTime` refuses naive
values and both PostgreSQL and SQLite store microseconds.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Generic, TypeVar
from zoneinfo import ZoneInfo

import orjson

Row = tuple[Any, ...]
"""One table row as a tuple, in the column order declared next to its builder (see `tables.py`)."""

T = TypeVar("T")

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
"""The business time zone (settings default): order numbers and the daily rhythm use it."""

MINUTE: Final = 60.0
HOUR: Final = 3600.0
DAY: Final = 86400.0

# Mirrors of the settings defaults (gql/settings.py) that shape realistic timings; the generator
# does not read settings so that its output depends only on (orders, seed, now).
PAYMENT_TIMEOUT: Final = 30 * MINUTE
ACCEPTANCE_TIMEOUT: Final = 15 * MINUTE
AUTO_COMPLETE: Final = 7 * DAY
REFUND_WINDOW: Final = 15 * DAY


def dt(ts: float) -> datetime:
    """Epoch seconds → aware UTC datetime (deterministic rounding to microseconds)."""
    return datetime.fromtimestamp(ts, UTC)


def dt_opt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def local_date(ts: float) -> str:
    """YYYYMMDD of the business day (Asia/Shanghai) containing `ts`."""
    return datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y%m%d")


def local_midnight(ts: float) -> float:
    """Epoch seconds of the start of the Shanghai day containing `ts`."""
    local = datetime.fromtimestamp(ts, SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def next_local_midnight(midnight: float) -> float:
    local = datetime.fromtimestamp(midnight, SHANGHAI) + timedelta(days=1, hours=3)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def json_text(value: object) -> str:
    """JSON columns travel as text: asyncpg COPY wants it so; the SQLite writer decodes it again."""
    return orjson.dumps(value).decode()


def scramble(n: int, modulus: int = 10**8) -> int:
    """A bijection of [0, modulus) so sequence numbers look random but stay unique.

    48271 is coprime with 10**k, so multiplication by it permutes the residues.
    """
    return (n * 48271 + 12345679) % modulus


class Weighted(Generic[T]):
    """Weighted choice by one `random()` and a bisect (much cheaper than `Random.choices`)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("Weighted needs at least one item")
        self._items = [item for item, _ in pairs]
        self._cum = list(itertools.accumulate(w for _, w in pairs))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self._items[bisect(self._cum, rng.random() * self._total)]


def skewed_index(rng: random.Random, n: int, power: float = 1.8) -> int:
    """An index in [0, n) biased towards 0: popular items are listed first."""
    return min(n - 1, int(n * rng.random() ** power))


def between(rng: random.Random, low: float, high: float, power: float = 1.0) -> float:
    """A value in [low, high); power > 1 skews towards `low` (most things happen quickly)."""
    return low + (high - low) * float(rng.random() ** power)


class Ids:
    """Primary keys assigned by the generator, so references are known without round trips."""

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}

    def next(self, table: str) -> int:
        counter = self._counters.get(table)
        if counter is None:
            counter = self._counters[table] = itertools.count(1)
        return next(counter)


class Batch:
    """Rows waiting to be written, per table name."""

    def __init__(self) -> None:
        self.rows: defaultdict[str, list[Row]] = defaultdict(list)

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)
