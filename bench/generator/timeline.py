"""When orders are placed: 90 days with a daily rhythm, weekends and slow growth.

Orders are produced day by day in time order (so ids grow with `created_at`, as in a real
database) without ever holding all N instants: each day's share is fixed up front by largest
remainder, then that day's instants are drawn from the hourly profile (Asia/Shanghai: peaks at
lunch and dinner) and merged with the showcase orders falling on the same day.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime

from bench.generator.common import DAY, HOUR, SHANGHAI, Weighted, local_midnight, next_local_midnight
from bench.generator.showcase import Scenario

ORDER_DAYS = 90
HOURLY = (
    0.25,
    0.12,
    0.06,
    0.04,
    0.04,
    0.1,
    0.35,
    0.9,
    1.5,
    1.8,
    2.2,
    3.1,
    3.4,
    2.3,
    1.7,
    1.6,
    2.0,
    2.9,
    3.6,
    3.4,
    2.8,
    2.1,
    1.3,
    0.6,
)
"""Relative order volume per local hour."""


def _days(window_start: float, end: float) -> list[tuple[float, float]]:
    days = []
    midnight = local_midnight(window_start)
    while midnight < end:
        following = next_local_midnight(midnight)
        days.append((midnight, following))
        midnight = following
    return days


def _hour_weights(midnight: float, following: float, start: float, end: float) -> list[tuple[int, float]]:
    """The hours of one day inside [start, end), weighted by the profile and by their overlap."""
    span = following - midnight
    out = []
    for hour in range(24):
        h0 = midnight + hour * span / 24
        h1 = h0 + span / 24
        overlap = min(h1, end) - max(h0, start)
        if overlap > 0:
            out.append((hour, HOURLY[hour] * overlap / (h1 - h0)))
    return out


class Timeline:
    def __init__(
        self, rng: random.Random, orders: int, now: float, showcase: list[tuple[float, Scenario]]
    ) -> None:
        self.rng = rng
        self.now = now
        self.start = now - ORDER_DAYS * DAY
        self.end = now - 60.0
        self.showcase = showcase
        self.bulk = max(0, orders - len(showcase))
        self._plan = self._allocate()

    def _allocate(self) -> list[tuple[float, float, int]]:
        rng = self.rng
        days = _days(self.start, self.end)
        weights = []
        for i, (midnight, following) in enumerate(days):
            hours = _hour_weights(midnight, following, self.start, self.end)
            weekday = datetime.fromtimestamp(midnight + HOUR, SHANGHAI).isoweekday()
            trend = 0.85 + 0.3 * i / max(1, len(days) - 1)
            weights.append(
                sum(w for _, w in hours) * (1.25 if weekday >= 6 else 1.0) * trend * rng.uniform(0.9, 1.1)
            )
        total = sum(weights) or 1.0
        exact = [self.bulk * w / total for w in weights]
        counts = [int(x) for x in exact]
        for i in sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))[: self.bulk - sum(counts)]:
            counts[i] += 1
        return [(m, f, c) for (m, f), c in zip(days, counts, strict=True)]

    def __iter__(self) -> Iterator[tuple[float, Scenario | None]]:
        rng = self.rng
        showcase = list(self.showcase)
        for midnight, following, count in self._plan:
            hours = _hour_weights(midnight, following, self.start, self.end)
            slots: list[tuple[float, Scenario | None]] = []
            if count and hours:
                pick = Weighted([(h, w) for h, w in hours])
                span = (following - midnight) / 24
                while len(slots) < count:
                    ts = midnight + pick.pick(rng) * span + rng.random() * span
                    if self.start <= ts < self.end:
                        slots.append((ts, None))
            while showcase and showcase[0][0] < following:
                slots.append(showcase.pop(0))
            slots.sort(key=lambda pair: pair[0])
            yield from slots
        yield from showcase
