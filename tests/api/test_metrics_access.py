"""Where metrics run: on the analytics database when one is configured, and, for analysts, within
the analyst statement timeout (PostgreSQL)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import event, func, select

from gql.app import Resources, create_app
from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.enums import Role
from models.errors import DomainError, ErrorCode
from services.cache import MemoryCache
from services.metrics.engine import Engine
from services.payments import DevPaymentGateway
from tests.api.test_metrics_trade import TRADE, WEEK, build_week
from tests.conftest import Database
from tests.factories import Seed


async def test_metrics_read_from_the_analytics_database(db: Database, seed: Seed) -> None:
    await build_week(seed)
    settings = load_settings(database_url=db.url, analytics_database_url=db.url, environment="test")
    resources = Resources(settings, db.engine, db.sessions, MemoryCache(), DevPaymentGateway())
    assert resources.analytics_engine is not None
    reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        reads.append(statement)

    event.listen(resources.analytics_engine.sync_engine, "before_cursor_execute", record)
    app = create_app(resources=resources)
    token = mint_token(settings, Role.ANALYST, "analyst-1")
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            r = await http.post(
                "/graphql",
                json={"query": TRADE, "variables": {"range": WEEK}},
                headers={"authorization": f"Bearer {token}"},
            )
    finally:
        await resources.analytics_engine.dispose()
    body = r.json()
    assert body["data"]["metrics"]["tradeOverview"]["paidOrders"]["value"] == 4, body
    assert any("metrics_order_" in s for s in reads)


@pytest.mark.postgres_only
async def test_analyst_queries_stop_at_the_statement_timeout(db: Database) -> None:
    async def nothing() -> frozenset[str]:
        return frozenset()

    engine = Engine(db.sessions, ZoneInfo("Asia/Shanghai"), db.dialect, None, nothing, timeout_ms=50)
    with pytest.raises(DomainError) as raised:
        await engine.execute(select(func.pg_sleep(0.5)))
    assert raised.value.code is ErrorCode.QUERY_TIMEOUT
    unlimited = Engine(db.sessions, ZoneInfo("Asia/Shanghai"), db.dialect, None, nothing)
    assert len(await unlimited.execute(select(func.pg_sleep(0.1)))) == 1
