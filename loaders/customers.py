"""Customer trading-summary loader: one grouped query over the orders the caller may see."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from models.principals import Principal
from services.customers import TradingSummary, trading_summaries
from services.db import SessionFactory

NO_ORDERS = TradingSummary()


def customer_trading(sessions: SessionFactory, principal: Principal) -> DataLoader[int, TradingSummary]:
    async def batch(keys: Sequence[int]) -> list[TradingSummary]:
        found = await trading_summaries(sessions, principal, keys)
        return [found.get(k, NO_ORDERS) for k in keys]

    return DataLoader(batch)
