"""A query that fails because of the database is answered at once, not run a second time.

The level-first executor (gql/engine/execution.py) hands an operation to graphql-core from the start
when its happy path breaks; a database timeout is not such a break: running it again would only
wait as long again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from gql.app import Resources, create_app
from gql.engine import is_fault
from gql.settings import load_settings
from models.errors import DomainError, ErrorCode
from services.cache import MemoryCache
from services.db import count_statements, create_engine, is_statement_timeout, session_factory
from tests.conftest import Database
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only

STORES = "{ stores(first: 5) { edges { node { name } } } }"


@pytest.fixture(autouse=True)
def executors_agree() -> None:
    """Not compared here: the comparison would run the failing query a second time on purpose."""


@pytest.fixture
async def short_timeout_http(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose statements time out after 300 ms."""
    engine = create_engine(db.url, pool_size=2, statement_timeout_ms=300)
    settings = load_settings(database_url=db.url, environment="test")
    app = create_app(resources=Resources(settings, engine, session_factory(engine), MemoryCache()))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        ):
            yield http
    finally:
        await engine.dispose()


async def test_a_statement_timeout_runs_once(
    db: Database, seed: Seed, short_timeout_http: httpx.AsyncClient
) -> None:
    http = short_timeout_http
    await seed.store("SH001", name="徐汇店")
    with count_statements() as served:
        ok = (await http.post("/graphql", json={"query": STORES})).json()
    assert ok["data"]["stores"]["edges"] == [{"node": {"name": "徐汇店"}}]
    async with db.engine.connect() as locker:
        await locker.execute(text("LOCK TABLE stores IN ACCESS EXCLUSIVE MODE"))
        with count_statements() as failed:
            r = await http.post("/graphql", json={"query": STORES})
        await locker.rollback()
    body = r.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TIMEOUT"]  # not masked
    assert body["errors"][0]["path"] == ["stores"]
    assert 1 <= failed.count <= served.count  # the first statement failed; graphql-core did not run it again


def test_statement_timeouts_are_recognised_through_the_cause_chain() -> None:
    class Canceled(Exception):
        sqlstate = "57014"

    wrapped = RuntimeError("while reading")
    wrapped.__cause__ = Canceled("canceling statement due to statement timeout")
    assert is_statement_timeout(wrapped)
    assert not is_statement_timeout(TimeoutError())
    assert not is_statement_timeout(DomainError(ErrorCode.NOT_FOUND, "no such order"))


def test_what_counts_as_a_fault() -> None:
    assert is_fault(TimeoutError())
    assert is_fault(ConnectionResetError())
    assert not is_fault(DomainError(ErrorCode.NOT_FOUND, "no such order"))
    assert not is_fault(ValueError("a bug, deterministic: graphql-core reports it exactly"))
    coded = DomainError(ErrorCode.QUERY_TIMEOUT, "too slow")
    coded.__context__ = TimeoutError()  # what `raise … from None` in an except block leaves
    coded.__suppress_context__ = True
    assert is_fault(coded)  # made from a timeout: a second run would wait as long again
