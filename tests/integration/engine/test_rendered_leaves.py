"""The SQL renderings of leaf values (gql/engine/rendered.py, `render_computed` of Money) give,
on PostgreSQL, exactly the JSON of the Python coercion they stand for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import ARRAY, BigInteger, ColumnElement, bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import TypeEngine

from gql.engine.rendered_sql import isoformat
from gql.schema.common import amount_sql, money
from models.base import UtcDateTime
from models.money import format_cents
from services.row_snapshots import read_scalar
from tests.conftest import Database

pytestmark = pytest.mark.postgres_only

EDGES = [0, 1, 5, 9, 10, 99, 100, 101, 12345, 2**31, 2**53, 2**62, -1, -5, -99, -100, -101, -12345, -(2**62)]


async def _rendered(
    db: Database, values: list[Any], type_: TypeEngine[Any], render: Callable[[Any], ColumnElement[Any]]
) -> list[str]:
    """`render` of each value, aggregated as the rendered relations aggregate them (`json_agg`)."""
    array = bindparam("values", values, type_=ARRAY(type_))
    rows = func.unnest(array).table_valued("v", with_ordinality="n").render_derived()
    stmt = select(func.json_agg(aggregate_order_by(render(rows.c.v), rows.c.n)))
    text = await read_scalar(db.sessions, stmt)
    found: list[str] = orjson.loads(text) if isinstance(text, str) else text
    return found


async def _amounts(db: Database, cents: list[int]) -> list[str]:
    return await _rendered(db, list(cents), BigInteger(), amount_sql)


async def test_amounts_render_as_format_cents_at_the_edges(db: Database) -> None:
    assert await _amounts(db, EDGES) == [format_cents(c) for c in EDGES]
    assert [money(c).amount for c in EDGES] == [format_cents(c) for c in EDGES]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1), min_size=1, max_size=40))
async def test_amounts_render_as_format_cents(db: Database, cents: list[int]) -> None:
    assert await _amounts(db, cents) == [format_cents(c) for c in cents]


MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
)


async def test_times_render_as_isoformat_at_the_edges(db: Database) -> None:
    base = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)
    moments = [
        base,
        base + timedelta(microseconds=1),
        base + timedelta(microseconds=120_000),
        datetime(999, 1, 1, tzinfo=UTC),
    ]
    assert await _rendered(db, list(moments), UtcDateTime(), isoformat) == [m.isoformat() for m in moments]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MOMENTS, min_size=1, max_size=40))
async def test_times_render_as_isoformat(db: Database, moments: list[datetime]) -> None:
    assert await _rendered(db, list(moments), UtcDateTime(), isoformat) == [m.isoformat() for m in moments]
