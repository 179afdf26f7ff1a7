"""An app without a database, for tests of what happens before any resolver runs.

Limits, persisted queries and rate limits are decided before execution, so these tests need no
rows; an in-memory SQLite engine stands in and is never connected to unless a resolver runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from gql.app import Resources, create_app
from gql.settings import load_settings
from services.cache import Cache, MemoryCache
from services.db import create_engine, session_factory
from services.payments import DevPaymentGateway
from tests.api.conftest import Api

PROD_SECRET = "test-production-secret-of-at-least-32-characters"


@asynccontextmanager
async def gated_api(cache: Cache | None = None, **overrides: Any) -> AsyncIterator[Api]:
    """`overrides` are settings (e.g. environment="prod", max_query_depth=5)."""
    if overrides.get("environment") == "prod":
        overrides.setdefault("jwt_secret", PROD_SECRET)
    overrides.setdefault("environment", "test")
    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", **overrides)
    engine = create_engine(settings.database_url)
    gateway = DevPaymentGateway()
    resources = Resources(settings, engine, session_factory(engine), cache or MemoryCache(), gateway)
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as http,
        ):
            yield Api(http, settings, gateway)
    finally:
        await engine.dispose()
