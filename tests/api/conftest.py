"""An HTTP GraphQL client over the real Starlette app (ASGI transport, no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
from graphql import ExecutionResult
from graphql.execution.executor import CollectedErrors

from adapters.strawberry import ExecutorBase
from gql.app import Resources, create_app
from gql.engine import LevelFirstExecutor
from gql.gate.auth import mint_token
from gql.settings import Settings, load_settings
from models.enums import Role
from services.cache import MemoryCache
from services.db import uncounted
from services.payments import DevPaymentGateway
from tests.conftest import Database
from tests.factories import Seed


@dataclass
class Response:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def error_codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


@dataclass
class Api:
    http: httpx.AsyncClient
    settings: Settings
    gateway: DevPaymentGateway
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_role(
        self, role: Role, *, store_ids: list[int] | None = None, customer_id: int | None = None
    ) -> Api:
        subject = f"test-{role.value.lower()}-{customer_id or ','.join(map(str, store_ids or []))}"
        token = mint_token(self.settings, role, subject, store_ids=store_ids, customer_id=customer_id)
        return Api(self.http, self.settings, self.gateway, token)

    def as_hq(self) -> Api:
        return self.as_role(Role.HQ_ADMIN)

    def as_staff(self, *store_ids: int) -> Api:
        return self.as_role(Role.STORE_STAFF, store_ids=list(store_ids))

    def as_shopper(self, customer_id: int) -> Api:
        return self.as_role(Role.SHOPPER, customer_id=customer_id)

    def with_header(self, name: str, value: str) -> Api:
        return Api(self.http, self.settings, self.gateway, self.token, {**self.headers, name: value})

    async def execute(self, query: str, **variables: Any) -> Response:
        headers = dict(self.headers)
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        r = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        return Response(r.status_code, r.json())


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Settings of the app under test beyond the defaults: a module overrides this fixture."""
    return {}


@pytest.fixture
async def api(db: Database, api_settings: dict[str, Any]) -> AsyncIterator[Api]:
    settings = load_settings(database_url=db.url, environment="test", **api_settings)
    gateway = DevPaymentGateway()
    resources = Resources(settings, db.engine, db.sessions, MemoryCache(), gateway)
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield Api(http, settings, gateway)


@pytest.fixture
def seed(db: Database) -> Seed:
    return Seed(db.sessions)


VOLATILE = frozenset({"serverTime", "requestId"})
"""Differ between two runs of one query by nature: the clock, the request's own id."""


def comparable(body: Any) -> Any:
    """An answer without its volatile parts."""
    if isinstance(body, dict):
        return {k: comparable(v) for k, v in body.items() if k not in VOLATILE and k != "extensions"}
    if isinstance(body, list):
        return [comparable(v) for v in body]
    return body


@pytest.fixture(autouse=True)
def executors_agree(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The differential check of gql/engine/execution.py over every query of the API suite.

    Each query the server runs level first is run a second time, in the same request, by
    graphql-core's own executor (outside the test's statement counter); data and errors must be
    the same. Queries whose level-first run fell back to graphql-core are compared too. A
    difference fails the test at teardown (inside the request it would only become a masked
    internal error).
    """
    level_first = LevelFirstExecutor._execute_level_first
    differences: list[str] = []

    async def compared(self: LevelFirstExecutor) -> ExecutionResult:
        first = await level_first(self)
        self.collected_errors = CollectedErrors()
        with uncounted():
            again = ExecutorBase.execute_operation(self)
            second = cast(ExecutionResult, await again if self.is_awaitable(again) else again)
        ours = (comparable(first.data), [comparable(e.formatted) for e in first.errors or ()])
        theirs = (comparable(second.data), [comparable(e.formatted) for e in second.errors or ()])
        if ours != theirs:
            differences.append(f"level first: {ours}\ngraphql-core: {theirs}")
        return first

    monkeypatch.setattr(LevelFirstExecutor, "_execute_level_first", compared)
    yield
    assert not differences, "level-first and graphql-core executors disagree:\n" + "\n".join(differences)
