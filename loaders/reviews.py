"""Product rating loader: count and average stars of many products in one grouped query."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from services.db import SessionFactory
from services.reviews import RatingSummary, rating_summaries

NO_REVIEWS = RatingSummary()


def product_ratings(sessions: SessionFactory) -> DataLoader[int, RatingSummary]:
    """`load(product_id)` → its rating over visible reviews (zero reviews: count 0, average None)."""

    async def batch(keys: Sequence[int]) -> list[RatingSummary]:
        found = await rating_summaries(sessions, keys)
        return [found.get(k, NO_REVIEWS) for k in keys]

    return DataLoader(batch)
